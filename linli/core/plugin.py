"""The public plugin API. Plugins import from here and from nothing else in linli.

A plugin is a class with a :class:`Manifest` and decorated handlers::

    class Echo(Plugin):
        manifest = Manifest(name="echo", version="1.0", description=N_("Says it back"))

        @command("echo", help=N_("Repeat what you say"))
        def echo(self, ctx: PluginContext) -> None:
            ctx.reply(ctx.argtext)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import structlog
from attrs import field, frozen

from linli.core.commands import MAX_NUMBER, parse_number
from linli.core.config import Config
from linli.core.context import DialogState, PluginContext
from linli.core.errors import PermissionDenied, UserError
from linli.core.events import Address, Choice, DomainEvent
from linli.core.i18n import N_
from linli.core.specs import command, ledger, on_choice, on_dialog, on_event, scheduled
from linli.core.storage import UTCDateTime, plugin_table

__all__ = [
    "MAX_NUMBER",
    "N_",
    "Address",
    "Choice",
    "Config",
    "DialogState",
    "DomainEvent",
    "Ledger",
    "Manifest",
    "PermissionDenied",
    "Plugin",
    "PluginContext",
    "RoleSpec",
    "UTCDateTime",
    "UserError",
    "command",
    "ledger",
    "on_choice",
    "on_dialog",
    "on_event",
    "parse_number",
    "plugin_table",
    "scheduled",
]


@frozen
class RoleSpec:
    """A role a plugin uses.

    Parameters:
      name: the role's id (``council``), as ``linli roles grant`` takes it.
      description: what the role may do (a msgid), for ``linli roles``.
      title: what people call it (a msgid, ``N_("council member")``), shown wherever the role
        is named to a person: refusals, ``/whoami``, the CLI. Without one, the name is shown.
    """

    name: str
    description: str = ""
    title: str = ""


@frozen
class Manifest:
    """What a plugin is, what it needs and what it brings.

    Commands, subscribed events, jobs and ledgers are read from the decorated
    handlers; the manifest holds the rest.

    Parameters:
      name: lower-case id; its queue is ``linli.plugin.<name>`` and its tables ``<name>_*``.
      version: the plugin's version.
      description: a msgid, shown by ``linli plugins list`` and ``/help``.
      depends: plugins that must be enabled beside it.
      roles: the roles its commands use.
      tables: the plugin's ``MetaData`` (its migrations live in ``<package>/migrations``).
      config_defaults: its per-district configuration keys: a plain default (its type is
        the default's) or a :class:`Config` with limits (``Config(0.5, above=0, below=1)``,
        ``Config("30 8 * * *", cron=True)``). Districts' values are checked against them
        at start-up, by ``linli doctor``, ``db upgrade`` and ``districts sync``.
    """

    name: str
    version: str
    description: str = ""
    depends: tuple[str, ...] = ()
    roles: tuple[RoleSpec, ...] = ()
    tables: Any = None
    config_defaults: dict[str, Any] = field(factory=dict)

    @property
    def defaults(self) -> dict[str, Any]:
        """The configuration keys' default values (a :class:`Config`'s ``default``)."""
        return {
            key: value.default if isinstance(value, Config) else value for key, value in self.config_defaults.items()
        }


@frozen
class Ledger:
    """A table for ``linli export``: headers (msgids, translated on export) and rows."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]


class Plugin:
    """Base class of plugins.

    Parameters:
      log: a logger bound to the plugin's name, given by the registry.
    """

    manifest: ClassVar[Manifest]

    def __init__(self, *, log: Any = None) -> None:
        self.log = log if log is not None else structlog.get_logger(plugin=self.manifest.name)
