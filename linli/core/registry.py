"""The plugin registry: plugins found through the ``linli.plugins`` entry points,
their handlers read from the specs the decorators attached."""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import Any

import structlog
from attrs import frozen

from linli.core.commands import parse_command
from linli.core.errors import PluginError
from linli.core.i18n import N_, Message
from linli.core.plugin import HandlerGroup, Plugin
from linli.core.plugin_names import ALWAYS_ENABLED, RENAMED, current_name
from linli.core.specs import (
    ChoiceSpec,
    CommandSpec,
    DialogSpec,
    EventSpec,
    JobSpec,
    LedgerSpec,
    Spec,
    ViewSpec,
    spec_of,
)
from linli.core.storage.schema import metadata as core_metadata

__all__ = ["ALWAYS_ENABLED", "Handler", "PluginRegistry", "current_name", "load_entry_points"]

ENTRY_POINT_GROUP = "linli.plugins"
_PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
#: commands the dispatcher answers itself, whatever the plugins declare
RESERVED_COMMANDS = ("cancel", "取消")


@frozen
class Handler:
    """A plugin's handler: ``name`` is its method's name, unique in the plugin; ``where``
    says where it is written (``module.Class.method``), for error messages."""

    plugin: str
    name: str
    spec: Spec
    func: Callable[..., Any]
    where: str = ""


def _where(func: Any) -> str:
    func = getattr(func, "__func__", func)
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


class PluginRegistry:
    """Plugins by name and their handlers by kind. Duplicates are errors.

    Parameters:
      plugins: plugin classes (not instances); the registry constructs them.
    """

    def __init__(self, plugins: Iterable[type[Plugin]]) -> None:
        self.plugins: dict[str, Plugin] = {}
        self.handlers: dict[tuple[str, str], Handler] = {}
        self.commands: dict[str, Handler] = {}
        self.aliases: dict[str, str] = {}
        self.choices: dict[tuple[str, str], Handler] = {}
        self.dialogs: dict[tuple[str, str], Handler] = {}
        self.events: dict[str, list[Handler]] = {}
        self.jobs: list[Handler] = []
        self.ledgers: dict[str, Handler] = {}
        #: the dashboard's pages, ``plugin.view``
        self.views: dict[str, Handler] = {}
        for cls in plugins:
            self._add(cls)
        for name, plugin in self.plugins.items():
            for dep in map(current_name, plugin.manifest.depends):
                if dep not in self.plugins:
                    raise PluginError(f"plugin {name!r} depends on {dep!r}, which is not installed")

    def _add(self, cls: type[Plugin]) -> None:
        manifest = getattr(cls, "manifest", None)
        if manifest is None:
            raise PluginError(f"{cls.__qualname__} has no manifest")
        name = manifest.name
        if not _PLUGIN_NAME.match(name):
            raise PluginError(f"plugin name {name!r}: use lower-case Latin letters, digits and '_'")
        clash = next((t for t in core_metadata.tables if t.startswith(name + "_")), None)
        if clash is not None:
            # a plugin's tables are <name>_*: this name would give it the core table too
            raise PluginError(f"plugin name {name!r} is taken by linli's own table {clash!r}")
        if name in self.plugins:
            raise PluginError(f"two plugins are named {name!r}")
        if name in RENAMED:
            raise PluginError(f"plugin name {name!r} is the old name of {RENAMED[name]!r}")
        plugin = cls(log=structlog.get_logger(plugin=name))
        self.plugins[name] = plugin
        self._shadowed(cls)
        for group in manifest.handlers:
            self._checked_group(name, group, manifest.handlers)
        owners: list[object] = [plugin, *(group(plugin) for group in manifest.handlers)]
        for owner in owners:
            for attr, member in inspect.getmembers(type(owner), callable):
                spec = spec_of(member)
                if spec is None:
                    continue
                handler = Handler(name, attr, spec, getattr(owner, attr), _where(member))
                twin = self.handlers.get((name, attr))
                if twin is not None:
                    raise PluginError(
                        f"plugin {name!r} has two handlers named {attr!r}: {twin.where} and {handler.where}"
                    )
                self.handlers[(name, attr)] = handler
                self._index(handler)

    @staticmethod
    def _shadowed(cls: type, what: str = "plugin class") -> None:
        """Reject handlers inherited from a mixin or another group: they belong in a handler
        group of their own, listed in the manifest, where two with one name cannot hide each other."""
        for klass in cls.__mro__[1:]:
            for member in vars(klass).values():
                if spec_of(member) is not None:
                    raise PluginError(
                        f"{what} {_where(cls)} inherits handler {_where(member)}: "
                        "list handler groups in Manifest(handlers=...) instead of inheriting them"
                    )

    def _checked_group(self, plugin: str, group: object, groups: tuple[object, ...]) -> None:
        """A listed handler group derives from HandlerGroup, is listed once, and inherits no handlers."""
        if not (isinstance(group, type) and issubclass(group, HandlerGroup)):
            raise PluginError(
                f"plugin {plugin!r} lists {_where(group)} in Manifest(handlers=...): "
                "a handler group is a class deriving from HandlerGroup"
            )
        if groups.count(group) > 1:
            raise PluginError(f"plugin {plugin!r} lists handler group {_where(group)} twice")
        self._shadowed(group, "handler group")

    def _index(self, h: Handler) -> None:
        spec = h.spec
        if isinstance(spec, CommandSpec):
            for alias in spec.aliases:
                # a command word is read normalised (full-width forms, case): any other alias
                # would never be found, and its twin in another case would pass the check below
                parsed = parse_command(f"/{alias}")
                if parsed is None or parsed.name != alias or parsed.mention or alias[0] in "/／":
                    raise PluginError(
                        f"alias {alias!r} of /{spec.name} ({h.where}) can never be typed: write it as one word, "
                        "in lower case, without full-width letters"
                    )
            for word in (spec.name, *spec.aliases):
                if word in RESERVED_COMMANDS:
                    raise PluginError(f"command /{word} of {h.where}: /{word} is linli's own (it ends a dialog)")
                owner = self.commands.get(word) or self.commands.get(self.aliases.get(word, ""))
                if owner is not None:
                    raise PluginError(
                        f"command /{word} is declared twice: by {owner.plugin!r} ({owner.where})"
                        f" and by {h.plugin!r} ({h.where})"
                    )
            if len({spec.name, *spec.aliases}) < 1 + len(spec.aliases):
                raise PluginError(f"command /{spec.name} of {h.where} repeats a name among its aliases")
            self.commands[spec.name] = h
            for alias in spec.aliases:
                self.aliases[alias] = spec.name
        elif isinstance(spec, ChoiceSpec):
            self._unique(self.choices, (h.plugin, spec.name), h, "choice")
        elif isinstance(spec, DialogSpec):
            self._unique(self.dialogs, (h.plugin, spec.name), h, "dialog")
        elif isinstance(spec, EventSpec):
            self.events.setdefault(spec.name, []).append(h)
        elif isinstance(spec, JobSpec):
            twin = next((j for j in self.jobs if j.plugin == h.plugin and j.spec.name == spec.name), None)
            if twin is not None:
                raise PluginError(f"plugin {h.plugin!r} declares job {spec.name!r} twice: {twin.where} and {h.where}")
            self.jobs.append(h)
        elif isinstance(spec, LedgerSpec):
            ledger_name = f"{h.plugin}.{spec.name}"
            self._unique(self.ledgers, ledger_name, h, "ledger")
        elif isinstance(spec, ViewSpec):
            self._unique(self.views, f"{h.plugin}.{spec.name}", h, "view")
            for export in spec.exports:
                if "." in export:
                    raise PluginError(f"view {spec.name!r} of {h.where}: exports name the plugin's own ledgers")

    @staticmethod
    def _unique(index: dict[Any, Handler], key: Any, h: Handler, what: str) -> None:
        twin = index.get(key)
        if twin is not None:
            raise PluginError(f"plugin {h.plugin!r} declares {what} {key!r} twice: {twin.where} and {h.where}")
        index[key] = h

    def role_titles(self) -> dict[str, str]:
        """What people call each declared role: its ``title`` msgid (translate it), by role name."""
        titles: dict[str, str] | None = getattr(self, "_role_titles", None)
        if titles is None:
            titles = {}
            for plugin in self.plugins.values():
                for role in plugin.manifest.roles:
                    if role.title and role.name not in titles:
                        titles[role.name] = role.title
            self._role_titles = titles
        return titles

    def command(self, word: str) -> Handler | None:
        return self.commands.get(word) or self.commands.get(self.aliases.get(word, ""))

    def handler(self, plugin: str, name: str) -> Handler:
        try:
            return self.handlers[(plugin, name)]
        except KeyError:
            raise PluginError(f"plugin {plugin!r} has no handler {name!r}") from None

    def packages(self) -> list[str]:
        """The Python package of each plugin (where its migrations and catalogs live)."""
        return [self.package_of(name) for name in self.plugins]

    def package_of(self, plugin: str) -> str:
        """The Python package of a plugin; "" for a plugin in a top-level module."""
        module = sys.modules[type(self.plugins[plugin]).__module__]
        is_package = hasattr(module, "__path__")
        return module.__name__ if is_package else module.__name__.rpartition(".")[0]

    def check_enabled(self, enabled: Iterable[str]) -> list[Message]:
        """Problems with a district's plugin list: unknown names, missing dependencies
        (``str()`` gives the English; ``.translated(t)`` the reader's language)."""
        enabled = {current_name(n) for n in enabled}
        installed = ", ".join(sorted(self.plugins))
        problems = [
            Message(N_("no plugin {plugin} is installed (installed: {installed})"), plugin=n, installed=installed)
            for n in sorted(enabled - set(self.plugins))
        ]
        for n in sorted(enabled & set(self.plugins)):
            problems += [
                Message(N_("plugin {plugin} needs {needed} enabled too"), plugin=n, needed=d)
                for d in map(current_name, self.plugins[n].manifest.depends)
                if d not in enabled
            ]
        return problems


def load_entry_points() -> list[type[Plugin]]:
    """The plugin classes installed under the ``linli.plugins`` entry-point group.

    Raises: PluginError: one cannot be imported or is not a Plugin.
    """
    classes = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            cls = ep.load()
        except Exception as exc:
            raise PluginError(f"plugin {ep.name!r} ({ep.value}) cannot be loaded: {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, Plugin)):
            raise PluginError(f"entry point {ep.name!r} ({ep.value}) is not a linli Plugin class")
        if cls.manifest.name != ep.name:
            raise PluginError(f"entry point {ep.name!r} loads plugin {cls.manifest.name!r}: the names must match")
        classes.append(cls)
    return classes
