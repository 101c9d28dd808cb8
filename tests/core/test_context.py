"""The context a handler gets, one type per kind: its store, its answers, its events, its dialogs, its clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import attrs
import pytest
import sqlalchemy as sa
import structlog
from structlog.testing import capture_logs

from linli.core import export
from linli.core.calendar import WorkingDays
from linli.core.clock import FrozenClock
from linli.core.context import context_for
from linli.core.directory import DistrictInfo
from linli.core.events import Address, HandlerCall
from linli.core.i18n import translator
from linli.core.plugin import (
    N_,
    ChoiceContext,
    CommandContext,
    DialogContext,
    EventContext,
    HandlerGroup,
    JobContext,
    Ledger,
    LedgerContext,
    Manifest,
    Plugin,
    PluginContext,
    RoleSpec,
    command,
    ledger,
    on_choice,
    on_dialog,
    on_event,
    plugin_table,
    scheduled,
)
from linli.core.settings import DistrictSettings
from linli.core.storage import schema as s
from linli.plugins.basics import BasicsPlugin
from linli.plugins.suggestions.tables import suggestions
from linli.testing import ChatHarness

APOLOGY_START = "Sorry, something went wrong on my side"

md = sa.MetaData()
notes = plugin_table(
    "notebook",
    "notes",
    md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("text", sa.String(200), nullable=False),
)


class Notebook(Plugin):
    """Keeps notes per district, and tries things it should not."""

    manifest = Manifest(
        name="notebook",
        version="1.0",
        tables=md,
        roles=(RoleSpec("staff"),),
        config_defaults={"greeting": "hello", "limit": 3},
    )

    @command("note", help=N_("Keep a note"))
    def note(self, ctx: PluginContext) -> None:
        ctx.store.insert(notes, text=ctx.argtext)
        ctx.publish("notebook.noted", {"text": ctx.argtext})
        ctx.reply("noted")

    @command("notes", help=N_("List the notes"))
    def list_notes(self, ctx: PluginContext) -> None:
        rows = ctx.store.select(notes, order_by=[notes.c.id])
        ctx.reply(", ".join(r.text for r in rows) or "no notes")

    @command("wipe", help=N_("Overwrite every note"))
    def wipe(self, ctx: PluginContext) -> None:
        changed = ctx.store.update(notes, text="wiped")
        ctx.reply(f"wiped {changed}")

    @command("shout", help=N_("Publish, then refuse"))
    def shout(self, ctx: PluginContext) -> None:
        ctx.publish("notebook.noted", {"text": ctx.argtext})
        raise ctx.fail("not so loud")

    @command("peek", help=N_("Try to read a core table"))
    def peek(self, ctx: PluginContext) -> None:
        ctx.reply(str(len(ctx.store.select(s.persons))))

    @command("borrow", help=N_("Try to read another plugin's table"))
    def borrow(self, ctx: PluginContext) -> None:
        ctx.reply(str(ctx.store.count(suggestions)))

    @command("ask", help=N_("Offer a button"))
    def ask(self, ctx: PluginContext) -> None:
        ctx.reply("pick one", choices=[ctx.choice("Apple", "fruit", "apple"), ctx.choice("Pear", "fruit", "pear")])

    @on_choice("fruit")
    def fruit(self, ctx: PluginContext) -> None:
        ctx.reply(f"you picked {ctx.data}")

    @command("approve", help=N_("Offer a staff-only button"))
    def approve(self, ctx: PluginContext) -> None:
        ctx.reply("approve?", choices=[ctx.choice("Approve", "approved", "42", anyone=True)])

    @on_choice("approved", roles=("staff",))
    def approved(self, ctx: PluginContext) -> None:
        ctx.reply(f"approved {ctx.data}")

    @command("now", help=N_("What time is it here?"))
    def now(self, ctx: PluginContext) -> None:
        ctx.reply(ctx.now().isoformat())

    @command("config", help=N_("Show this plugin's configuration here"))
    def config(self, ctx: PluginContext) -> None:
        ctx.reply(f"{ctx.config['greeting']} {ctx.config['limit']}")

    @command("whisper", help=N_("Answer in a private chat"))
    def whisper(self, ctx: PluginContext) -> None:
        assert ctx.person is not None
        if not ctx.send_private(ctx.person.id, "a secret"):
            ctx.reply("please open a private chat with me first")

    @command("stray", help=N_("Continue a dialog that is not there"))
    def stray(self, ctx: PluginContext) -> None:
        ctx.continue_dialog(step="nowhere")

    @command("audited", help=N_("Leave an audit record"))
    def audited(self, ctx: PluginContext) -> None:
        ctx.audit("notebook.read", "note:1", reason="test")
        ctx.reply("audited")

    @command("language", help=N_("Which language is this?"))
    def language(self, ctx: PluginContext) -> None:
        ctx.reply(f"{ctx.language} {ctx.t('Nothing was deleted.')}")

    @scheduled("tick", "0 9 * * *")
    def tick(self, ctx: PluginContext) -> None:
        assert ctx.fire_time is not None
        try:
            ctx.reply("nobody to reply to")
        except RuntimeError:
            where = "no room"
        ctx.send(Address.parse("test:group"), f"tick at {ctx.fire_time.isoformat()} ({where}, person {ctx.person})")


class Listener(Plugin):
    """Another plugin: hears what the notebook publishes, without importing it."""

    manifest = Manifest(name="listener", version="1.0")

    @on_event("notebook.noted")
    def heard(self, ctx: PluginContext) -> None:
        assert ctx.event is not None
        ctx.send(Address.parse("test:log"), f"{ctx.district.id} heard {ctx.event.payload['text']}")


PLUGINS = [BasicsPlugin, Notebook, Listener]
OTHER = DistrictSettings(
    id="other",
    name="Other",
    language="en",
    timezone="Europe/Berlin",
    rooms=("test:other",),
    plugins=("core", "notebook"),
    config={"notebook": {"greeting": "servus"}},
)


@pytest.fixture
def chat(tmp_path) -> Iterator[ChatHarness]:
    """District ``test`` (room ``group``, every plugin) and district ``other`` (room ``other``, no listener)."""
    harness = ChatHarness(
        tmp_path, plugins=PLUGINS, language="en", districts=[OTHER], config={"notebook": {"limit": 5}}
    )
    md.create_all(harness.runtime.store.engine)
    yield harness
    harness.close()


@pytest.fixture
def worker_logs(monkeypatch) -> Iterator[list[dict]]:
    """What the worker logs, with the context bound to each line (district, plugin, event id).

    The worker's module-level logger is swapped for a fresh one: an earlier test that ran
    ``configure_logging`` (which caches loggers on first use) would otherwise keep it from
    ``capture_logs``.
    """
    from linli.pipeline import handle

    monkeypatch.setattr(handle, "log", structlog.get_logger("linli.worker"))
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        yield logs


def say_in_other(chat: ChatHarness, who: str, text: str) -> list[str]:
    """``who`` says ``text`` in district ``other``'s room."""
    from linli.core.events import Inbound, Sender

    chat.say(who, "/notes")  # in the group first: the harness records their consent
    before = len(chat.sent)
    event_id = f"other:{len(chat.sent)}:{text}"
    chat.submit(Inbound(event_id, Address("test", "other"), Sender("test", who, who), text=text))
    return [m.text for m in chat.sent[before:]]


# --- the store keeps districts and plugins apart -----------------------------------------------------


def test_a_handler_reads_only_its_own_districts_rows(chat):
    chat.say("张三", "/note 和平的笔记")
    say_in_other(chat, "李四", "/note 兴隆的笔记")

    assert chat.say("张三", "/notes") == ["和平的笔记"]
    assert say_in_other(chat, "李四", "/notes") == ["兴隆的笔记"]


def test_a_handler_updates_only_its_own_districts_rows(chat):
    chat.say("张三", "/note 和平的笔记")
    say_in_other(chat, "李四", "/note 兴隆的笔记")

    assert chat.say("张三", "/wipe") == ["wiped 1"]
    assert say_in_other(chat, "李四", "/notes") == ["兴隆的笔记"]


def test_a_handler_touching_a_core_table_fails_and_the_error_is_logged(chat, worker_logs):
    answer = chat.say("张三", "/peek")

    assert answer[0].startswith(APOLOGY_START)
    assert [e["error"] for e in worker_logs if e["event"] == "handler failed"] == ["PluginError"]


def test_a_handler_touching_another_plugins_table_fails(chat):
    assert chat.say("张三", "/borrow")[0].startswith(APOLOGY_START)


# --- answering ----------------------------------------------------------------------------------------


def test_a_button_made_with_choice_comes_back_to_the_plugin_with_its_data(chat):
    chat.say("张三", "/ask")

    # the button is 张三's own (person #1): "@1" says so
    assert chat.sent[-1].choices[1].value == "notebook:fruit@1:pear"
    assert chat.pick("张三", "Pear") == ["you picked pear"]


def test_a_staff_only_button_pressed_by_a_resident_is_refused(chat):
    chat.say("张三", "/approve")

    assert chat.pick("张三", "Approve") == ["Sorry, that choice is only for: community worker."]
    chat.grant("王主任", "staff")
    assert chat.pick("王主任", "Approve") == ["approved 42"]


def test_a_button_of_a_plugin_disabled_since_no_longer_works(chat):
    chat.say("张三", "/ask")
    chat.enable("notebook", False)

    assert chat.pick("张三", "Apple") == ["That button no longer works here."]


def test_send_private_needs_a_private_chat_the_person_opened(chat):
    assert chat.say("张三", "/whisper") == ["please open a private chat with me first"]

    chat.say("张三", "你好", private=True)
    chat.say("张三", "/whisper")

    assert chat.last("张三", private=True) == "a secret"


def test_the_translator_speaks_the_persons_language(chat):
    chat.say("张三", "/lang zh")

    reply = chat.say("张三", "/language")[0]

    from linli.core.i18n import translator

    assert reply == f"zh_CN {translator('zh_CN')('Nothing was deleted.')}"


def test_audit_records_the_person_the_plugin_and_the_details(chat):
    chat.say("张三", "/audited")

    with chat.runtime.store.connect() as conn:
        row = conn.execute(sa.select(s.audit_log).where(s.audit_log.c.action == "notebook.read")).one()
    assert (row.plugin, row.target, row.district_id, row.detail) == ("notebook", "note:1", "test", {"reason": "test"})
    assert row.actor == f"person:{row.person_id}"


def test_continue_dialog_outside_a_dialog_is_a_bug_in_the_plugin_and_is_reported_as_such(chat):
    assert chat.say("张三", "/stray")[0].startswith(APOLOGY_START)


# --- domain events --------------------------------------------------------------------------------------


def test_a_published_event_reaches_a_subscribing_plugin_in_the_same_district(chat):
    chat.say("张三", "/note 楼道灯坏了")

    assert chat.in_room("log") == ["test heard 楼道灯坏了"]


def test_a_subscriber_not_enabled_in_the_district_does_not_hear(chat):
    say_in_other(chat, "李四", "/note 兴隆的笔记")

    assert chat.in_room("log") == []


def test_an_event_from_a_handler_that_failed_is_never_published(chat):
    assert chat.say("张三", "/shout 喊一声") == ["not so loud"]
    chat.say("张三", "/note 正常")

    assert chat.in_room("log") == ["test heard 正常"]


# --- time and configuration -------------------------------------------------------------------------------


def test_now_is_in_the_districts_time_zone(chat):
    assert chat.say("张三", "/now") == ["2026-11-26T09:00:00+08:00"]
    assert say_in_other(chat, "李四", "/now") == ["2026-11-26T02:00:00+01:00"]


def test_config_is_the_manifest_defaults_overridden_by_the_districts_settings(chat):
    assert chat.say("张三", "/config") == ["hello 5"]
    assert say_in_other(chat, "李四", "/config") == ["servus 3"]


def test_a_scheduled_job_fires_per_district_in_its_time_zone_with_no_person_and_no_room(chat):
    assert chat.run_jobs() == []  # the first look only starts the schedule

    chat.advance(days=1)
    sent = chat.run_jobs()

    # the clock went from 26 Nov 09:00 in Shanghai (02:00 in Berlin) to 27 Nov 09:00 in Shanghai
    assert sorted(sent) == [
        "tick at 2026-11-26T09:00:00+01:00 (no room, person None)",
        "tick at 2026-11-27T09:00:00+08:00 (no room, person None)",
    ]


class Finder(Plugin):
    manifest = Manifest(name="finder", version="1")

    @command("find", help=N_("Find a person by name"))
    def find(self, ctx: PluginContext) -> None:
        ctx.reply(f"found {ctx.person_named(ctx.argtext)}")


def test_a_person_is_found_by_name_only_among_the_people_of_this_district(tmp_path):
    from linli.core import people
    from linli.core.settings import DistrictSettings
    from linli.plugins.basics import BasicsPlugin

    other = DistrictSettings(id="other", name="Other", rooms=("test:elsewhere",), plugins=("core",))
    chat = ChatHarness(tmp_path, plugins=[BasicsPlugin, Finder], districts=[other])
    try:
        with chat.runtime.store.begin() as conn:  # 李四 of the other district, and a name with an underscore
            li = people.person_for(conn, "test:李四", "李四")
            conn.execute(sa.update(s.persons).where(s.persons.c.id == li.id).values(home_district="other"))
        assert chat.say("张三", "/find 李四") == ["found None"]
        chat.say("李四", "/help")  # speaks in this district's group: now one of ours
        chat.say("john_doe", "/help")
        assert chat.say("张三", "/find 李四") == [f"found {li.id}"]
        assert chat.say("张三", "/find johndoe") == ["found None"]
    finally:
        chat.close()


# --- each kind of handler gets its own context type ------------------------------------------------------


class Talk(HandlerGroup):
    @command("kind", help=N_("Say what kind of context a command gets"))
    def kind(self, ctx: CommandContext) -> None:
        ctx.start_dialog("kind", prompt=type(ctx).__name__, choices=[ctx.choice("Pick", "picked", "pear")])

    @on_choice("picked")
    def picked(self, ctx: ChoiceContext) -> None:
        ctx.reply(f"{type(ctx).__name__} {ctx.data!r} in dialog {ctx.dialog.name if ctx.dialog else None}")

    @on_dialog("kind")
    def answered(self, ctx: DialogContext) -> None:
        ctx.reply(f"{type(ctx).__name__} {ctx.text} at step {ctx.dialog.step!r}")
        ctx.publish("kinds.told")


class Background(HandlerGroup):
    @on_event("kinds.told")
    def told(self, ctx: EventContext) -> None:
        ctx.send(Address.parse("test:log"), f"{type(ctx).__name__} {ctx.event.name}")

    @scheduled("tick", "0 * * * *")
    def tick(self, ctx: JobContext) -> None:
        ctx.send(Address.parse("test:log"), f"{type(ctx).__name__} {ctx.fire_time:%H:%M}")

    @ledger("kinds")
    def kinds(self, ctx: LedgerContext) -> Ledger:
        return Ledger(columns=["kind"], rows=[[type(ctx).__name__]])


class Kinds(Plugin):
    manifest = Manifest(name="kinds", version="1", handlers=(Talk, Background))


@pytest.fixture
def kinds(tmp_path) -> Iterator[ChatHarness]:
    harness = ChatHarness(tmp_path, plugins=[BasicsPlugin, Kinds], language="en")
    yield harness
    harness.close()


def test_a_command_a_button_and_a_dialog_step_each_get_their_own_context(kinds):
    assert kinds.say("张三", "/kind") == ["CommandContext"]
    assert kinds.pick("张三", "Pick") == ["ChoiceContext 'pear' in dialog kind"]
    assert kinds.say("张三", "hello")[0] == "DialogContext hello at step ''"


def test_an_event_and_a_job_each_get_their_own_context(kinds):
    kinds.say("张三", "/kind")
    kinds.say("张三", "hello")
    assert kinds.in_room("log") == ["EventContext kinds.told"]

    kinds.run_jobs()
    kinds.advance(hours=1)
    assert kinds.run_jobs() == ["JobContext 10:00"]


def test_a_ledger_gets_a_ledger_context(kinds):
    table = export.ledger_table(kinds.runtime.store, kinds.runtime.registry, "kinds.kinds", "test")

    assert table.rows == (("LedgerContext",),)


def test_no_context_hands_the_plugin_its_database_connection():
    for kind in (CommandContext, ChoiceContext, DialogContext, EventContext, JobContext, LedgerContext):
        assert "conn" not in {a.name for a in attrs.fields(kind)}


def _context_for(call: HandlerCall) -> PluginContext | None:
    district = DistrictInfo("test", "Test", "community", "en", "Asia/Shanghai", frozenset({"kinds"}), (), {})
    return context_for(
        call,
        conn=None,  # type: ignore[arg-type]  # never reached: nothing is read or written
        district=district,
        person=None,
        roles={},
        dialog=None,
        t=translator("en"),
        clock=FrozenClock(dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)),
        calendar=WorkingDays(),
        notice_version=1,
        config_defaults={},
        available=list,
    )


def test_a_call_lacking_what_its_kind_needs_gets_no_context_and_is_logged():
    with capture_logs() as logs:
        assert (
            _context_for(HandlerCall(key="k1", plugin="kinds", handler="kind", kind="command", district_id="test"))
            is None
        )
        assert (
            _context_for(HandlerCall(key="k2", plugin="kinds", handler="tick", kind="job", district_id="test")) is None
        )

    assert [(line["key"], line["lacking"]) for line in logs] == [
        ("k1", "person, room and message"),
        ("k2", "fire_time"),
    ]


def test_a_job_call_gets_its_fire_time_in_the_districts_time_zone():
    call = HandlerCall(
        key="k3", plugin="kinds", handler="tick", kind="job", district_id="test", fire_time="2026-11-26T09:00:00+08:00"
    )

    ctx = _context_for(call)

    assert isinstance(ctx, JobContext)
    assert ctx.fire_time == dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)
    assert ctx.person is None and ctx.address is None


# --- numbers people type ------------------------------------------------------------------------------

BAD_NUMBERS = ("99999999999999999999999", "²", "¹²³", "-1", "9" * 5000)


def test_no_command_of_any_installed_plugin_fails_on_a_number_it_cannot_use(tmp_path):
    from linli.core.specs import CommandSpec

    harness = ChatHarness(tmp_path, language="en")
    try:
        harness.grant("刘书记", "admin")
        names = sorted(
            h.spec.name for h in harness.runtime.registry.commands.values() if isinstance(h.spec, CommandSpec)
        )
        failed = []
        for name in names:
            for bad in BAD_NUMBERS:
                for args in (bad, f"1 {bad} {bad}"):
                    for private in (False, True):
                        answers = harness.say("刘书记", f"/{name} {args}", private=private)
                        harness.say("刘书记", "/cancel", private=private)  # a dialog it opened ends here
                        if any(a.startswith(APOLOGY_START) for a in answers):
                            failed.append(f"/{name} {args[:30]}")
        assert failed == []
    finally:
        harness.close()


def test_a_number_that_cannot_be_used_is_answered_with_the_commands_own_usage(tmp_path):
    from linli.plugins.council import CouncilPlugin

    harness = ChatHarness(tmp_path, plugins=[BasicsPlugin, CouncilPlugin], language="en")
    try:
        assert harness.say("张三", "/support -1") == [
            "“-1” is not a number I can use here: please give a whole number, such as 3. "
            "Use it like this: /support NUMBER"
        ]
        assert harness.say("张三", "/matter 99999999999999999999999") == [
            "“99999999999999999999…” is not a number I can use here: please give a whole number, such as 3. "
            "Use it like this: /matter NUMBER"
        ]
    finally:
        harness.close()


def test_a_lone_surrogate_in_a_comment_is_dropped_before_the_handler_sees_it(tmp_path):
    from linli.plugins.council import CouncilPlugin

    harness = ChatHarness(tmp_path, plugins=[BasicsPlugin, CouncilPlugin], language="en")
    try:
        harness.say("张三", "/raise 路灯坏了")
        harness.say("张三", "晚上太黑")
        harness.pick("张三", "Repairs")
        assert harness.say("李四", "/comment 1 \ud800同意\x00") == [
            "Thank you, 李四: your comment on matter 1 is recorded."
        ]
        assert "李四: 同意" in harness.say("李四", "/matter 1")[0]
    finally:
        harness.close()
