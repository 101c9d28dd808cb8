"""The plugin registry: plugins from entry points, handlers from the specs their decorators attach."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from linli.core import registry as registry_module
from linli.core.errors import PluginError
from linli.core.plugin import (
    N_,
    CommandContext,
    HandlerGroup,
    Manifest,
    Plugin,
    PluginContext,
    command,
    ledger,
    on_choice,
    on_dialog,
    on_event,
    scheduled,
)
from linli.core.registry import PluginRegistry, load_entry_points
from linli.core.specs import CommandSpec, JobSpec, spec_of
from linli.plugins.basics import BasicsPlugin
from linli.plugins.suggestions import SuggestionsPlugin


class Echo(Plugin):
    manifest = Manifest(name="echo", version="1.0", description=N_("Says it back"))

    @command("echo", help=N_("Repeat what you say"), aliases=("回声",))
    def echo(self, ctx: PluginContext) -> None:
        ctx.reply(ctx.argtext)

    @on_choice("again")
    def again(self, ctx: PluginContext) -> None:
        ctx.reply(ctx.data)

    @on_dialog("ask")
    def ask(self, ctx: PluginContext) -> None:
        ctx.end_dialog()

    @on_event("suggestions.received")
    def received(self, ctx: PluginContext) -> None:
        pass

    @scheduled("nightly", "0 2 * * *", working_days_only=True)
    def nightly(self, ctx: PluginContext) -> None:
        pass

    @ledger("echoes", title=N_("Echoes"))
    def echoes(self, ctx: PluginContext) -> None:
        pass

    def helper(self) -> None:
        """Not a handler: no spec."""


def plugin_class(
    name: str, *, depends: tuple[str, ...] = (), commands: tuple[str, ...] = (), aliases: tuple[str, ...] = ()
) -> type[Plugin]:
    """A plugin class with the given commands (each with ``aliases``)."""
    body: dict[str, object] = {"manifest": Manifest(name=name, version="1.0", depends=depends)}
    for word in commands:
        body[f"do_{word}"] = command(word, aliases=aliases)(lambda self, ctx: None)
    return type(f"Plugin_{name}", (Plugin,), body)


# --- reading plugins -------------------------------------------------------------------------


def test_the_installed_plugins_are_found_through_their_entry_points():
    classes = load_entry_points()

    assert BasicsPlugin in classes
    assert SuggestionsPlugin in classes
    assert all(issubclass(cls, Plugin) for cls in classes)


def test_every_kind_of_handler_is_read_from_its_spec():
    reg = PluginRegistry([Echo])

    assert reg.command("echo") is reg.command("回声")
    assert reg.command("echo").name == "echo"  # type: ignore[union-attr]
    assert ("echo", "again") in reg.choices
    assert ("echo", "ask") in reg.dialogs
    assert [h.name for h in reg.events["suggestions.received"]] == ["received"]
    assert [(h.name, h.spec) for h in reg.jobs] == [("nightly", JobSpec("nightly", "0 2 * * *", True))]
    assert "echo.echoes" in reg.ledgers
    assert ("echo", "helper") not in reg.handlers


def test_the_registry_builds_each_plugin_with_a_bound_logger():
    reg = PluginRegistry([Echo])

    assert isinstance(reg.plugins["echo"], Echo)
    assert reg.plugins["echo"].log is not None


def test_a_handler_that_does_not_exist_is_a_plugin_error():
    with pytest.raises(PluginError, match="no handler 'nope'"):
        PluginRegistry([Echo]).handler("echo", "nope")


def test_an_unknown_command_word_is_none():
    assert PluginRegistry([Echo]).command("nope") is None


# --- duplicates are errors ------------------------------------------------------------------------


def test_two_plugins_with_one_name_are_refused():
    with pytest.raises(PluginError, match="two plugins are named 'echo'"):
        PluginRegistry([Echo, plugin_class("echo")])


def test_two_plugins_declaring_one_command_are_refused_naming_both():
    with pytest.raises(PluginError) as caught:
        PluginRegistry([plugin_class("first", commands=("vote",)), plugin_class("second", commands=("vote",))])

    assert "/vote" in caught.value.message
    assert "'first'" in caught.value.message
    assert "'second'" in caught.value.message


def test_an_alias_that_is_another_plugins_command_is_refused():
    with pytest.raises(PluginError, match="/echo"):
        PluginRegistry([Echo, plugin_class("other", commands=("say",), aliases=("echo",))])


def test_a_command_that_is_another_plugins_alias_is_refused():
    with pytest.raises(PluginError, match="/回声"):
        PluginRegistry([Echo, plugin_class("other", commands=("speak",), aliases=("回声",))])


def test_a_plugin_declaring_one_choice_twice_is_refused():
    body = {
        "manifest": Manifest(name="twice", version="1.0"),
        "a": on_choice("pick")(lambda self, ctx: None),
        "b": on_choice("pick")(lambda self, ctx: None),
    }
    with pytest.raises(PluginError, match="choice"):
        PluginRegistry([type("Twice", (Plugin,), body)])


def test_a_plugin_cannot_declare_the_cancel_command_the_dispatcher_keeps_for_itself():
    with pytest.raises(PluginError, match="cancel"):
        PluginRegistry([plugin_class("undo", commands=("cancel",))])


def test_a_plugin_declaring_one_job_name_twice_is_refused():
    body = {
        "manifest": Manifest(name="twice", version="1.0"),
        "a": scheduled("digest", "0 8 * * *")(lambda self, ctx: None),
        "b": scheduled("digest", "0 9 * * *")(lambda self, ctx: None),
    }
    with pytest.raises(PluginError, match="digest"):
        PluginRegistry([type("Twice", (Plugin,), body)])


# --- manifests and dependencies ---------------------------------------------------------------------


def test_a_plugin_class_without_a_manifest_is_refused():
    with pytest.raises(PluginError, match="no manifest"):
        PluginRegistry([type("Bare", (Plugin,), {})])


def test_a_plugin_depending_on_one_that_is_not_installed_is_refused():
    with pytest.raises(PluginError, match="'mediation' depends on 'captains'"):
        PluginRegistry([plugin_class("mediation", depends=("captains",))])


def test_a_districts_plugin_list_is_checked_for_unknown_plugins_and_missing_dependencies():
    reg = PluginRegistry([BasicsPlugin, SuggestionsPlugin])

    problems = reg.check_enabled(["suggestions", "council"])

    assert [str(p) for p in problems] == [
        "no plugin council is installed (installed: basics, suggestions)",
        "plugin suggestions needs basics enabled too",
    ]
    assert reg.check_enabled(["basics", "suggestions"]) == []


def test_the_old_name_of_the_basics_plugin_still_counts_in_plugin_lists_and_dependencies():
    old = type("Old", (Plugin,), {"manifest": Manifest(name="old", version="1", depends=("core",))})
    reg = PluginRegistry([BasicsPlugin, SuggestionsPlugin, old])

    assert reg.check_enabled(["core", "suggestions", "old"]) == []
    assert [str(p) for p in reg.check_enabled(["old"])] == ["plugin old needs basics enabled too"]


def test_no_new_plugin_may_take_the_old_name_of_the_basics_plugin():
    with pytest.raises(PluginError, match="old name of 'basics'"):
        PluginRegistry([plugin_class("core")])


# --- decorators -------------------------------------------------------------------------------------


def test_a_decorator_attaches_one_typed_spec():
    spec = spec_of(Echo.echo)

    assert spec == CommandSpec("echo", help="Repeat what you say", aliases=("回声",))


def test_a_handler_with_two_decorators_is_refused_at_once():
    with pytest.raises(TypeError, match="already has a linli decorator"):
        command("one")(command("two")(lambda self, ctx: None))


@pytest.mark.parametrize("name", ["Help", "建议", "two words", "", "x" * 33])
def test_a_command_name_must_be_short_lower_case_latin(name):
    with pytest.raises(ValueError, match="lower-case Latin"):
        command(name)


# --- entry points ---------------------------------------------------------------------------------


def entry_points_returning(*eps: EntryPoint):
    return lambda group: [ep for ep in eps if ep.group == group]


def test_an_entry_point_that_cannot_be_imported_is_a_plugin_error_naming_it(monkeypatch):
    ep = EntryPoint("echo", "linli_no_such_module:Echo", "linli.plugins")
    monkeypatch.setattr(registry_module, "entry_points", entry_points_returning(ep))

    with pytest.raises(PluginError, match=r"'echo'.*cannot be loaded"):
        load_entry_points()


def test_an_entry_point_that_is_not_a_plugin_class_is_refused(monkeypatch):
    ep = EntryPoint("errors", "linli.core.errors:LinliError", "linli.plugins")
    monkeypatch.setattr(registry_module, "entry_points", entry_points_returning(ep))

    with pytest.raises(PluginError, match="not a linli Plugin class"):
        load_entry_points()


def test_an_entry_point_name_must_match_the_plugins_name(monkeypatch):
    ep = EntryPoint("box", "linli.plugins.suggestions:SuggestionsPlugin", "linli.plugins")
    monkeypatch.setattr(registry_module, "entry_points", entry_points_returning(ep))

    with pytest.raises(PluginError, match="names must match"):
        load_entry_points()


# --- packages (where migrations live) ---------------------------------------------------------------


def test_a_plugin_package_is_where_its_migrations_are_looked_for():
    reg = PluginRegistry([BasicsPlugin, SuggestionsPlugin])

    assert reg.packages() == ["linli.plugins.basics", "linli.plugins.suggestions"]


def test_a_plugin_in_a_module_outside_any_package_runs_without_a_migrations_folder(tmp_path):
    from linli.core.settings import Settings, StorageSettings
    from linli.workers.runtime import Runtime

    reg = PluginRegistry([BasicsPlugin, Echo])
    settings = Settings(storage=StorageSettings(url=f"sqlite:///{tmp_path / 'x.db'}"))

    runtime = Runtime(settings, registry=reg)
    try:
        assert runtime.store.migration_dirs == []  # neither core nor echo brings migrations
        assert "core_0004" in runtime.store.upgrade()  # the head of core's branch
    finally:
        runtime.close()


@pytest.mark.parametrize("name", ["role", "Bad Name!", "district"])
def test_a_plugin_name_that_is_not_an_identifier_or_would_own_a_core_table_is_refused(name):
    class Intruder(Plugin):
        manifest = Manifest(name=name, version="1")

    with pytest.raises(PluginError, match=repr(name)):
        PluginRegistry([Intruder])


# --- handler groups ----------------------------------------------------------------------------------


class Matters(HandlerGroup):
    @command("matter", help=N_("Show a matter"))
    def show(self, ctx: CommandContext) -> None:
        ctx.reply(self.plugin.manifest.name)


class Polls(HandlerGroup):
    @command("poll", help=N_("Show a poll"))
    def show(self, ctx: CommandContext) -> None:
        ctx.reply("poll")


class Votes(HandlerGroup):
    @command("vote", help=N_("Vote"), aliases=("matter",))
    def vote(self, ctx: CommandContext) -> None:
        ctx.reply("vote")


class Ballots(HandlerGroup):
    @command("ballot", help=N_("Show a ballot"))
    def ballot(self, ctx: CommandContext) -> None:
        ctx.reply("ballot")


def grouped(*groups: type[HandlerGroup]) -> type[Plugin]:
    return type("Grouped", (Plugin,), {"manifest": Manifest(name="grouped", version="1", handlers=groups)})


def test_the_handlers_of_the_groups_a_manifest_lists_are_read_and_reach_their_plugin():
    reg = PluginRegistry([grouped(Matters, Ballots)])

    handler = reg.command("matter")
    assert handler is not None and handler.name == "show"
    assert isinstance(handler.func.__self__, Matters)
    assert handler.func.__self__.plugin is reg.plugins["grouped"]
    assert reg.command("ballot") is reg.handler("grouped", "ballot")


def test_two_handlers_with_one_name_in_two_groups_are_refused_naming_both():
    with pytest.raises(PluginError) as caught:
        PluginRegistry([grouped(Matters, Polls)])

    assert "'show'" in caught.value.message
    assert "test_registry.Matters.show" in caught.value.message
    assert "test_registry.Polls.show" in caught.value.message


def test_an_alias_that_is_a_command_of_another_group_is_refused_naming_both():
    with pytest.raises(PluginError) as caught:
        PluginRegistry([grouped(Votes, Matters)])

    assert "/matter" in caught.value.message
    assert "test_registry.Votes.vote" in caught.value.message
    assert "test_registry.Matters.show" in caught.value.message


def test_handlers_inherited_from_a_mixin_are_refused():
    class Mixin:
        @command("mixed", help=N_("Mixed in"))
        def mixed(self, ctx: CommandContext) -> None:
            pass

    mixed = type("Mixed", (Mixin, Plugin), {"manifest": Manifest(name="mixed", version="1")})

    with pytest.raises(PluginError) as caught:
        PluginRegistry([mixed])

    assert "Mixin.mixed" in caught.value.message
    assert "Manifest(handlers=" in caught.value.message


def test_a_handler_group_that_inherits_handlers_from_another_group_is_refused_naming_the_hidden_one():
    class Showing(Polls):  # its show would silently hide Polls.show and with it /poll
        @command("showing", help=N_("Show"))
        def show(self, ctx: CommandContext) -> None:
            ctx.reply("showing")

    with pytest.raises(PluginError) as caught:
        PluginRegistry([grouped(Showing)])

    assert "test_registry.Polls.show" in caught.value.message


def test_a_class_listed_as_a_handler_group_that_is_not_one_is_refused_naming_it():
    class Talk:  # forgot HandlerGroup
        @command("talk", help=N_("Talk"))
        def talk(self, ctx: CommandContext) -> None:
            ctx.reply("talk")

    with pytest.raises(PluginError) as caught:
        PluginRegistry([grouped(Talk)])  # type: ignore[arg-type]

    assert "Talk" in caught.value.message
    assert "HandlerGroup" in caught.value.message


def test_a_handler_group_listed_twice_is_refused_as_listed_twice():
    with pytest.raises(PluginError) as caught:
        PluginRegistry([grouped(Polls, Ballots, Polls)])

    assert "test_registry.Polls" in caught.value.message
    assert "twice" in caught.value.message


@pytest.mark.parametrize("alias", ["Vote", "ＶＯＴＥ", "投 票", "/投票", ""])
def test_an_alias_nobody_can_type_is_refused_naming_its_handler(alias):
    class Shouting(HandlerGroup):
        @command("shout", help=N_("Shout"), aliases=(alias,))
        def shout(self, ctx: CommandContext) -> None:
            ctx.reply("shout")

    with pytest.raises(PluginError) as caught:
        PluginRegistry([grouped(Shouting)])

    assert "Shouting.shout" in caught.value.message
    assert repr(alias) in caught.value.message


def test_an_alias_equal_to_another_command_but_for_its_case_is_refused_too():
    class Voting(HandlerGroup):
        @command("ballot", help=N_("Ballot"), aliases=("Vote",))
        def ballot(self, ctx: CommandContext) -> None:
            ctx.reply("ballot")

    with pytest.raises(PluginError):
        PluginRegistry([grouped(Votes, Voting)])
