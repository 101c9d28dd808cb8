"""Plugins' own command groups (``linli captains …``), found through the entry-point group
``linli.cli`` and loaded only when used: ``linli --help`` lists them without importing them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from linli._cli.checks import BadInput
from linli._cli.database import actor, opened
from linli._cli.shared import State
from linli._cli.shared import t as _t

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    import sqlalchemy as sa

    from linli.core.register import Registry

__all__ = ["GROUP", "PluginGroup", "declared_help", "register"]

#: the entry-point group of plugins' command groups
GROUP = "linli.cli"


class _CommandLine:
    """The :class:`linli.core.plugin.CommandLine` that plugin groups get."""

    def t(self, message: str, /, **values: Any) -> str:
        return _t(message, **values)

    def core_command(self, name: str) -> Any:
        from linli._cli import register

        commands = {
            "import": register.import_command,
            "template": register.template_command,
            "duplicates": register.duplicates_command,
        }
        if name not in commands:
            raise KeyError(name)
        return commands[name]

    @contextmanager
    def database(self, *, write: bool) -> Iterator[sa.Connection]:
        state = click.get_current_context().ensure_object(State)
        with opened(state, write=write) as rt, rt.store.begin() as conn:
            yield conn

    def registry(self, conn: sa.Connection, district_id: str, *, plugin: str | None = None) -> Registry:
        from linli._cli.database import district_named
        from linli.core.errors import PluginError
        from linli.core.i18n import N_
        from linli.core.register import Registry

        district = district_named(conn, district_id)
        if plugin is not None and plugin not in district.plugins:
            # the same refusal, and exit code, as `linli export` of a ledger there
            raise PluginError(
                N_(
                    "the {plugin} plugin is not enabled in district {district}: "
                    "`linli plugins enable {plugin} --district {district}` enables it"
                ),
                plugin=plugin,
                district=district_id,
            )
        return Registry(conn, district_id, t=_t, actor=actor())

    def fail(self, message: str) -> Exception:
        return BadInput(message)


class PluginGroup(click.Group):
    """Stands for a plugin's group in ``linli --help`` and loads it when it is used."""

    def __init__(self, entry_point: EntryPoint) -> None:
        summary = declared_help(entry_point.module)
        super().__init__(
            entry_point.name,
            help=_t(summary) if summary else _t("Commands of the {plugin} plugin", plugin=entry_point.name),
        )
        self.entry_point = entry_point
        self._loaded: click.Command | None = None

    def load(self) -> click.Command:
        if self._loaded is None:
            try:
                factory = self.entry_point.load()
                loaded = factory(_CommandLine())
            except Exception as exc:
                raise BadInput(
                    _t(
                        "the commands of the {plugin} plugin could not be loaded: {reason}",
                        plugin=self.entry_point.name,
                        reason=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                    )
                ) from None
            if not isinstance(loaded, click.Command):
                raise BadInput(
                    _t("the {plugin} plugin's entry point gave no click command", plugin=self.entry_point.name)
                )
            _translate_help_options(loaded)
            self._loaded = loaded
        return self._loaded

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        return self.load().make_context(info_name, args, parent=parent, **extra)


def _translate_help_options(command: click.Command) -> None:
    """``--help`` of a plugin's group and its commands says its line in the CLI's language."""
    import types

    from linli._cli.shared import _translated_help_option, settings_option

    command.get_help_option = types.MethodType(_translated_help_option, command)  # type: ignore[method-assign]
    if not any(p.name == "settings" for p in command.params):  # every command takes --settings
        settings_option(command)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _translate_help_options(sub)


def declared_help(module: str) -> str | None:
    """The ``HELP = N_("…")`` string of a plugin's command module, read from its source without
    importing it (nor its package, whose import loads the whole plugin); None when there is none."""
    import ast
    from importlib.machinery import PathFinder
    from importlib.util import find_spec

    try:
        # the top package through every finder (an editable install has its own), the rest by path
        parts = module.split(".")
        spec = find_spec(parts[0])
        for n in range(1, len(parts)):
            if spec is None:
                return None
            spec = PathFinder.find_spec(".".join(parts[: n + 1]), list(spec.submodule_search_locations or []))
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            return None
        with open(spec.origin, encoding="utf-8") as source:
            tree = ast.parse(source.read(), spec.origin)
    except (OSError, SyntaxError, ValueError, ImportError):
        return None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == "HELP" for target in node.targets)
            and isinstance(node.value, ast.Call)
            and len(node.value.args) == 1
            and isinstance(node.value.args[0], ast.Constant)
            and isinstance(node.value.args[0].value, str)
        ):
            return node.value.args[0].value
    return None


def register(main: click.Group) -> None:
    """Add a stand-in for each plugin's group; a core command of the same name wins."""
    from importlib.metadata import entry_points

    for entry_point in sorted(entry_points(group=GROUP), key=lambda ep: ep.name):
        if entry_point.name not in main.commands:
            main.add_command(PluginGroup(entry_point))
