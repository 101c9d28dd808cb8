"""The public plugin API. Plugins import from here and from nothing else in linli.

A plugin is a class with a :class:`Manifest`; its handlers are the decorated methods of
the handler groups the manifest lists::

    class Talk(HandlerGroup):
        @command("echo", help=N_("Repeat what you say"))
        def echo(self, ctx: CommandContext) -> None:
            ctx.reply(ctx.argtext)


    class Echo(Plugin):
        manifest = Manifest(name="echo", version="1.0", description=N_("Says it back"), handlers=(Talk,))

Each kind of handler receives its own context type: :class:`CommandContext`,
:class:`ChoiceContext`, :class:`DialogContext`, :class:`EventContext`, :class:`JobContext`,
:class:`LedgerContext`, :class:`ViewContext` (a page of the web dashboard, returning a
:class:`Page`); what they share is :class:`PluginContext`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol

import sqlalchemy as sa
import structlog
from attrs import field, frozen

from linli.core.account import AccountData, ConsentRecord, RoleHeld
from linli.core.attachments import StoredAttachment
from linli.core.attachments import from_data as attachments_from_data
from linli.core.attachments import to_data as attachments_to_data
from linli.core.commands import MAX_NUMBER, parse_number
from linli.core.config import Config
from linli.core.context import (
    ChoiceContext,
    CommandContext,
    ConversationContext,
    DialogContext,
    DialogState,
    EventContext,
    JobContext,
    LedgerContext,
    Logger,
    PluginContext,
)
from linli.core.errors import PermissionDenied, UserError
from linli.core.events import Address, Attachment, Choice, DomainEvent
from linli.core.i18n import N_, Translator
from linli.core.register import (
    PERSON_MERGED,
    Added,
    Building,
    Change,
    Duplicate,
    Grid,
    HistoryEntry,
    Household,
    Registry,
    Resident,
    merged_persons,
)
from linli.core.specs import command, ledger, on_choice, on_dialog, on_event, scheduled, view
from linli.core.storage import UTCDateTime, plugin_table
from linli.core.views import Chart, Figure, Page, Series, Table, Text, Tile, Tiles, ViewContext

#: the event the dispatcher publishes when someone must read the privacy notice before
#: what they asked for; the ``basics`` plugin shows it
CONSENT_REQUIRED = "linli.consent_required"

__all__ = [
    "CONSENT_REQUIRED",
    "MAX_NUMBER",
    "N_",
    "PERSON_MERGED",
    "AccountData",
    "Added",
    "Address",
    "Attachment",
    "Building",
    "Change",
    "Chart",
    "Choice",
    "ChoiceContext",
    "CommandContext",
    "CommandLine",
    "Config",
    "ConsentRecord",
    "ConversationContext",
    "DialogContext",
    "DialogState",
    "DomainEvent",
    "Duplicate",
    "EventContext",
    "Figure",
    "Grid",
    "HandlerGroup",
    "HistoryEntry",
    "Household",
    "JobContext",
    "Ledger",
    "LedgerContext",
    "Logger",
    "Manifest",
    "Page",
    "PermissionDenied",
    "Plugin",
    "PluginContext",
    "Registry",
    "Resident",
    "RoleHeld",
    "RoleSpec",
    "Series",
    "StoredAttachment",
    "Table",
    "Tables",
    "Text",
    "Tile",
    "Tiles",
    "Translator",
    "UTCDateTime",
    "UserError",
    "ViewContext",
    "attachments_from_data",
    "attachments_to_data",
    "command",
    "ledger",
    "merged_persons",
    "on_choice",
    "on_dialog",
    "on_event",
    "parse_number",
    "plugin_table",
    "scheduled",
    "view",
]


class Tables(Protocol):
    """A plugin's tables: the SQLAlchemy ``MetaData`` its ``plugin_table()`` calls fill."""

    @property
    def tables(self) -> Mapping[str, sa.Table]: ...


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
      handlers: its handler groups (:class:`HandlerGroup` subclasses), whose decorated
        methods are its handlers; no two may share a name.
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
    tables: Tables | None = None
    config_defaults: dict[str, Any] = field(factory=dict)
    handlers: tuple[type[HandlerGroup], ...] = ()

    @property
    def defaults(self) -> dict[str, Any]:
        """The configuration keys' default values (a :class:`Config`'s ``default``)."""
        return {
            key: value.default if isinstance(value, Config) else value for key, value in self.config_defaults.items()
        }


@frozen
class Ledger:
    """A table for ``linli export``: headers (msgids, translated on export) and rows.

    ``rows`` may be a list or a generator: a handler that yields its rows while its
    query reads them keeps a ledger of any length in little memory. The rows are read
    once, after the handler returns, on the same read-only connection.
    """

    columns: Sequence[str]
    rows: Iterable[Sequence[object]]


class Plugin:
    """Base class of plugins.

    Parameters:
      log: a logger bound to the plugin's name, given by the registry.
    """

    manifest: ClassVar[Manifest]

    def __init__(self, *, log: Logger | None = None) -> None:
        self.log: Logger = log if log is not None else structlog.get_logger(plugin=self.manifest.name)


class HandlerGroup:
    """A class of a plugin's handlers, listed in its manifest's ``handlers``.

    The registry makes one per plugin, giving it the plugin: a handler reaches the
    manifest as ``self.plugin.manifest`` and logs with ``self.log``.
    """

    def __init__(self, plugin: Plugin) -> None:
        self.plugin = plugin

    @property
    def log(self) -> Logger:
        return self.plugin.log


class CommandLine(Protocol):
    """What linli's command line hands a plugin's own commands (``linli captains …``).

    A plugin adds a group of commands with an entry point in the group ``linli.cli``, whose
    name is the group's (``captains = "linli_captains.cli:commands"``) and whose value is
    a function that takes a :class:`CommandLine` and returns a ``click.Group``. It is
    loaded only when the group is used, so ``linli --help`` stays fast.
    """

    def t(self, message: str, /, **values: Any) -> str:
        """``message`` in the terminal's language."""
        ...

    def core_command(self, name: str) -> Any:
        """A core command to add to the plugin's group: ``import``, ``template`` or
        ``duplicates`` of ``linli registry`` (``group.add_command(cli.core_command("import"))``)."""
        ...

    def database(self, *, write: bool) -> AbstractContextManager[sa.Connection]:
        """A connection in one transaction, the schema brought up to date (``write``) or
        checked current; usable inside a command only."""
        ...

    def registry(self, conn: sa.Connection, district_id: str, *, plugin: str | None = None) -> Registry:
        """A district's register on ``conn``, acting as the person at the terminal; with
        ``plugin``, a district where that plugin is not enabled is refused (exit code 5, as
        ``linli export`` refuses its ledgers there).

        Raises: NotFound: no such district.
        """
        ...

    def fail(self, message: str) -> Exception:
        """An error to raise for a bad argument: one line (``message``, translated) and exit code 2."""
        ...
