"""What a plugin handler receives: a context of its kind (command, choice, dialog step, event,
job, ledger), built by :func:`context_for`."""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import structlog
from attrs import define, field, frozen

from linli.core import attachments as files
from linli.core import outbox, people
from linli.core.account import Account
from linli.core.attachments import StoredAttachment
from linli.core.blobs import BlobStore
from linli.core.calendar import WorkingDays
from linli.core.clock import Clock
from linli.core.commands import MAX_NUMBER, parse_number
from linli.core.directory import DistrictInfo
from linli.core.errors import UserError
from linli.core.events import Address, Attachment, Choice, DomainEvent, HandlerCall, Inbound, Outbound
from linli.core.i18n import Translator, translator
from linli.core.people import PersonInfo
from linli.core.register import Registry
from linli.core.specs import CommandSpec
from linli.core.storage import ScopedStore
from linli.core.storage import schema as s

__all__ = [
    "ChoiceContext",
    "CommandContext",
    "ConversationContext",
    "DialogContext",
    "DialogState",
    "Effects",
    "EventContext",
    "JobContext",
    "LedgerContext",
    "Logger",
    "PluginContext",
    "context_for",
    "plugin_logger",
]

DEFAULT_DIALOG_TIMEOUT = dt.timedelta(minutes=30)
#: how long after a record is made a photo sent in the same chat is attached to it
DEFAULT_ATTACHMENT_WINDOW = dt.timedelta(minutes=10)


@frozen
class DialogState:
    """Where a multi-step conversation stands."""

    name: str
    step: str
    data: Mapping[str, Any]


@define
class Effects:
    """What a handler did besides writing its tables: messages, events, the dialog."""

    messages: list[Outbound] = field(factory=list)
    events: list[DomainEvent] = field(factory=list)
    dialog_kept: bool = False


class Logger(Protocol):
    """What a plugin logs with (``self.plugin.log``, ``ctx.log``): a structlog bound logger.

    Log lines are an event name and key=value context; never personal data."""

    def bind(self, **context: object) -> Logger: ...
    def debug(self, event: str, /, *args: object, **context: object) -> object: ...
    def info(self, event: str, /, *args: object, **context: object) -> object: ...
    def warning(self, event: str, /, *args: object, **context: object) -> object: ...
    def error(self, event: str, /, *args: object, **context: object) -> object: ...
    def exception(self, event: str, /, *args: object, **context: object) -> object: ...


def plugin_logger(plugin: str) -> Logger:
    """The logger of a plugin's handlers."""
    logger: Logger = structlog.get_logger(f"linli.plugins.{plugin}")
    return logger


@frozen(kw_only=True)
class PluginContext:
    """What every handler may use: who, where, its store, and how to answer.

    Each kind of handler receives a subclass carrying exactly what it has:
    :class:`CommandContext`, :class:`ChoiceContext`, :class:`DialogContext`,
    :class:`EventContext`, :class:`JobContext`, :class:`LedgerContext`. Helpers shared by
    several kinds take this base class.

    The writes of the store, the messages from :meth:`reply` and :meth:`send`, the
    events from :meth:`publish` and the dialog commit together with the mark that
    this event was handled, or not at all.
    """

    plugin: str
    key: str
    district: DistrictInfo
    #: the person the event is about; always there for commands, choices and dialog steps
    person: PersonInfo | None = None
    roles: Mapping[str, frozenset[str]] = field(factory=dict)
    #: the room the event came from; always there for commands, choices and dialog steps
    address: Address | None = None
    store: ScopedStore
    t: Translator
    clock: Clock
    log: Logger
    #: the handler's transaction: the context's methods use it, a plugin never does
    _conn: sa.Connection = field(repr=False, alias="conn")
    effects: Effects = field(factory=Effects, repr=False)
    #: the version of the privacy notice people must accept (``[privacy] notice_version``).
    notice_version: int = 1
    #: the plugin manifest's ``config_defaults``, under :attr:`config`
    config_defaults: Mapping[str, Any] = field(factory=dict, repr=False)
    #: the Chinese working-day calendar with the ``[scheduler]`` holidays and workdays
    calendar: WorkingDays = field(factory=WorkingDays, repr=False)
    #: the commands this person may use here, for ``/help``: (plugin, spec) pairs.
    available: Callable[[], list[tuple[str, CommandSpec]]] = field(default=lambda: [], repr=False)
    #: the team rooms of the district's plugins: see :meth:`team_rooms`
    _team_rooms: Callable[[], frozenset[str]] = field(default=frozenset, repr=False, alias="team_rooms")
    #: what people call each role (msgids), by role name: see :meth:`role_name`
    role_titles: Mapping[str, str] = field(factory=dict, repr=False)
    #: the command being run (its usage is quoted when an argument is wrong); None outside commands
    command: CommandSpec | None = field(default=None, repr=False)
    #: ``[attachments] follow_up_minutes``: see :meth:`accept_attachments`
    attachment_window: dt.timedelta = field(default=DEFAULT_ATTACHMENT_WINDOW, repr=False)
    #: where files to send are stored (:meth:`send_file`); None in a process without one
    blobs: BlobStore | None = field(default=None, repr=False)
    #: the dashboard's address (``[web] base_url``) and how long its login links last
    web_url: str = field(default="", repr=False)
    web_link_minutes: int = field(default=10, repr=False)

    # --- who and when -------------------------------------------------------

    @property
    def language(self) -> str:
        return self.t.language

    @property
    def config(self) -> Mapping[str, Any]:
        """This plugin's configuration in this district: the manifest's ``config_defaults``
        overridden by ``[districts.<id>.config.<plugin>]``."""
        defaults = {key: getattr(value, "default", value) for key, value in self.config_defaults.items()}
        return {**defaults, **self.district.plugin_config(self.plugin)}

    @property
    def private(self) -> bool:
        """Whether the person wrote or pressed this in their private chat with the bot
        (False for what no person wrote: events, jobs, ledgers)."""
        return False

    def now(self) -> dt.datetime:
        """Now, in the district's time zone."""
        return self.clock.now().astimezone(ZoneInfo(self.district.timezone))

    def is_working_day(self, day: dt.date | None = None) -> bool:
        """Whether ``day`` (today in the district by default) is a Chinese working day:
        not a weekend or public holiday, or a make-up working day (调休)."""
        return self.calendar.is_working_day(day if day is not None else self.now().date())

    def team_rooms(self) -> frozenset[str]:
        """The rooms this district's plugins use for a team (staff, mediators, assessors:
        ``Config(team=True)`` keys); a notice to all the district's rooms leaves them out."""
        return self._team_rooms()

    def role_name(self, role: str) -> str:
        """What people call ``role`` (its RoleSpec's title), in the person's language."""
        title = self.role_titles.get(role)
        return self.t(title) if title else role

    def has_role(self, *roles: str, scope: str | None = None) -> bool:
        """Whether the person holds one of ``roles`` here (at ``scope`` or district-wide)."""
        return people.has_role(dict(self.roles), roles, scope)

    # --- answering ----------------------------------------------------------

    def fail(self, message: str) -> UserError:
        """An error to ``raise``: nothing the handler wrote is kept, and the person
        reads ``message`` (translate it with :attr:`t` first)."""
        return UserError(message)

    def checked_text(self, text: str, *, empty: str, limit: int = 2000) -> str:
        """``text`` stripped, or a :class:`UserError` to the person when it is empty (``empty``,
        already translated) or longer than ``limit`` characters."""
        text = text.strip()
        if not text:
            raise self.fail(empty)
        if len(text) > limit:
            raise self.fail(
                self.t(
                    "That is too long ({length} characters); please keep it under {limit}.",
                    length=len(text),
                    limit=limit,
                )
            )
        return text

    def number(self, word: str | None, *, low: int = 1, high: int = MAX_NUMBER) -> int:
        """The whole number a person typed in ``word`` (``3``, ``#3``, ``３``): the one way a
        plugin reads an id, a count or a number of days from its arguments.

        ASCII digits only, within ``low``..``high`` (by default 1 to :data:`MAX_NUMBER`,
        2,147,483,647, which every integer column holds).

        Raises:
          UserError: ``word`` is missing or not such a number; the person reads what was
            expected and the command's usage.
        """
        number = parse_number(word, low=low, high=high) if word else None
        if number is not None:
            return number
        if not word:
            message = self.t("Please give a number.")
        else:
            shown = word if len(word) <= 20 else word[:20] + "…"
            if low == 1 and high == MAX_NUMBER:
                message = self.t(
                    "“{word}” is not a number I can use here: please give a whole number, such as 3.", word=shown
                )
            else:
                message = self.t(
                    "“{word}” is not a number I can use here: please give a whole number from {low} to {high}.",
                    word=shown,
                    low=low,
                    high=high,
                )
        if self.command is not None:
            usage = self.t(self.command.usage) if self.command.usage else ""
            message = self.t(
                "{problem} Use it like this: /{command} {usage}",
                problem=message,
                command=self.command.name,
                usage=usage,
            )
        raise self.fail(message.strip())

    def choice(
        self, label: str, name: str, data: str = "", *, anyone: bool = False, owner: int | None = None
    ) -> Choice:
        """A button; picking it runs this plugin's ``@on_choice(name)`` handler with ``ctx.data == data``.

        A button is the person's own (a confirmation, a step of their dialog): when
        someone else presses it in a group, the dispatcher tells them it is not theirs
        and runs nothing. ``anyone=True`` makes it everyone's (a poll's options); ``owner``
        makes it another person's (a party's confirmation sent to their private chat).
        """
        if owner is None and self.person is not None and not anyone:
            owner = self.person.id
        mark = f"@{owner}" if owner is not None else ""
        return Choice(label=label, value=f"{self.plugin}:{name}{mark}:{data}")

    def send(
        self,
        address: Address,
        text: str,
        *,
        choices: Sequence[Choice] = (),
        reply_to: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> None:
        """Send ``text`` to ``address`` once this handler's transaction commits (with
        ``attachments``: stored files, see :meth:`send_file`)."""
        n = len(self.effects.messages)
        out = Outbound(address, text, tuple(choices), reply_to, key=f"{self.key}:m{n}", attachments=tuple(attachments))
        self.effects.messages.append(out)
        outbox.add_message(self._conn, out, self.district.id)

    def reply(self, text: str, *, choices: Sequence[Choice] = ()) -> None:
        """Answer in the room (and thread) the event came from."""
        if self.address is None:
            raise RuntimeError("this handler has no room to reply to; use send() or send_private()")
        self.send(self.address, text, choices=choices, reply_to=self._reply_to())

    def _reply_to(self) -> str | None:
        """The message a reply answers (in a group), if any."""
        return None

    def private_address(self, person_id: int) -> Address | None:
        """The person's private chat with the bot, or None when they never opened one."""
        room = self._conn.execute(
            sa.select(s.identities.c.private_room)
            .where(s.identities.c.person_id == person_id, s.identities.c.private_room.is_not(None))
            .limit(1)
        ).scalar()
        return Address.parse(room) if room else None

    def send_private(self, person_id: int, text: str, *, choices: Sequence[Choice] = ()) -> bool:
        """Send to a person's private chat with the bot; False when they have none yet
        (on Telegram a person must open the bot once)."""
        address = self.private_address(person_id)
        if address is None:
            return False
        self.send(address, text, choices=choices)
        return True

    def send_file(
        self,
        data: bytes,
        name: str,
        *,
        caption: str = "",
        to: Address | int | None = None,
        kind: Literal["photo", "file", "voice"] | None = None,
    ) -> bool:
        """Send a file (a generated XLSX, a chart) once this handler's transaction commits:
        its bytes go to the blob store now, the outbox keeps a reference, and it is sent in
        order with the room's other messages, once, retried like any message.

        Parameters:
          data: the file's content.
          name: its file name as people see it (``台账.xlsx``); its ending gives the MIME type.
          caption: a text sent with it (translated by the caller).
          to: where: this room (``None``, the default), a person's private chat (their id),
            or an address.
          kind: ``photo``, ``file`` or ``voice``; by default a PNG, JPEG, GIF or WebP image
            is a photo and anything else a file.

        Returns: False when ``to`` is a person without a private chat (nothing is stored).

        Raises:
          RuntimeError: there is no room to answer in, or this process has no blob store.
        """
        if to is None:
            if self.address is None:
                raise RuntimeError("this handler has no room to reply to; pass to=")
            address, reply_to = self.address, self._reply_to()
        elif isinstance(to, Address):
            address, reply_to = to, None
        else:
            found = self.private_address(to)
            if found is None:
                return False
            address, reply_to = found, None
        if self.blobs is None:
            raise RuntimeError("this process has no blob store to keep the file in")
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if kind is None:
            kind = "photo" if mime in ("image/png", "image/jpeg", "image/gif", "image/webp") else "file"
        attachment = Attachment(kind, name, mime, len(data), sha256=self.blobs.put(data))
        self.send(address, caption, reply_to=reply_to, attachments=(attachment,))
        return True

    def tell(self, person_id: int, text: str) -> None:
        """Answer a person about themselves: in the room the event came from (the private
        chat of /mydata), else — a job published the event — in their private chat."""
        if self.address is not None:
            self.reply(text)
        else:
            self.send_private(person_id, text)

    def holders_of(self, role: str, scope: str | None = None) -> list[int]:
        """Ids of the persons holding ``role`` in this district, in id order.

        Parameters:
          role: the role's name.
          scope: only grants with exactly this scope (``"kind:police"``); None for any grant.
        """
        stmt = sa.select(s.role_grants.c.person_id).where(
            s.role_grants.c.district_id == self.district.id, s.role_grants.c.role == role
        )
        if scope is not None:
            stmt = stmt.where(s.role_grants.c.scope == scope)
        return sorted(set(self._conn.execute(stmt).scalars()))

    def roles_of(self, person_id: int) -> Mapping[str, frozenset[str]]:
        """Another person's roles in this district, each with its scopes."""
        return people.roles_in(self._conn, person_id, self.district.id)

    def person_named(self, name: str) -> int | None:
        """The id of the one person of this district called ``name`` (display name, or the
        user part of an identity such as ``console:李四``); None when nobody or several are.

        A person is of this district when they are a member of it (see :mod:`linli.core.members`)
        or hold a role here: a namesake elsewhere is never picked.
        """
        name = name.strip().lstrip("@")
        if not name:
            return None
        here = sa.or_(
            s.persons.c.id.in_(
                sa.select(s.memberships.c.person_id).where(s.memberships.c.district_id == self.district.id)
            ),
            s.persons.c.id.in_(
                sa.select(s.role_grants.c.person_id).where(s.role_grants.c.district_id == self.district.id)
            ),
        )
        named = sa.or_(
            s.persons.c.display_name == name,
            s.identities.c.display_name == name,
            s.identities.c.identity.endswith(f":{name}", autoescape=True),
        )
        ids = set(
            self._conn.execute(
                sa.select(s.persons.c.id)
                .join(s.identities, s.identities.c.person_id == s.persons.c.id)
                .where(here, named)
            ).scalars()
        )
        return ids.pop() if len(ids) == 1 else None

    def display_names(self, person_ids: Sequence[int]) -> dict[int, str]:
        """The display names of some persons, for a ledger or a private message (never a log line)."""
        if not person_ids:
            return {}
        rows = self._conn.execute(
            sa.select(s.persons.c.id, s.persons.c.display_name).where(s.persons.c.id.in_(list(person_ids)))
        )
        return {r.id: r.display_name for r in rows}

    def in_language(self, language: str) -> Translator:
        """The translator for ``language`` (``zh_CN``, ``en``)."""
        return self.t if language == self.t.language else translator(language, kind=self.district.kind)

    def account(self) -> Account:
        """The person's own record in linli's core tables (language, consents, accounts):
        for the privacy commands, which act on the person themselves.

        Raises: RuntimeError: the handler has no person (a job, a ledger)."""
        if self.person is None:
            raise RuntimeError("this handler has no person")
        return Account(self.person.id, conn=self._conn)

    def translator_for(self, person_id: int) -> Translator:
        """The translator for another person: the language they chose (``/lang``), else the
        district's; for telling each party of a case in their own language."""
        chosen = self._conn.execute(sa.select(s.persons.c.language).where(s.persons.c.id == person_id)).scalar()
        language = chosen or self.district.language
        return self.t if language == self.t.language else translator(language, kind=self.district.kind)

    def publish(self, name: str, payload: Mapping[str, object] | None = None) -> None:
        """Publish a domain event for the plugins that subscribe to ``name``."""
        n = len(self.effects.events)
        event = DomainEvent(
            event_id=f"{self.key}:e{n}",
            name=name,
            district_id=self.district.id,
            payload=dict(payload or {}),
            source_plugin=self.plugin,
            person_id=self.person.id if self.person else None,
            address=self.address,
        )
        self.effects.events.append(event)
        outbox.add_event(self._conn, event)

    def audit(self, action: str, target: str = "", **detail: object) -> None:
        """Record in the audit log that this person did ``action`` on ``target``."""
        people.audit(
            self._conn,
            action=action,
            actor=f"person:{self.person.id}" if self.person else f"plugin:{self.plugin}",
            district_id=self.district.id,
            person_id=self.person.id if self.person else None,
            plugin=self.plugin,
            target=target,
            detail=detail,
        )

    @property
    def registry(self) -> Registry:
        """The district's register: areas, households and their people (also those without a
        chat account), acting for someone, link codes, duplicates and change requests."""
        return Registry(
            self._conn,
            self.district.id,
            t=self.t,
            person_id=self.person.id if self.person else None,
            plugin=self.plugin,
            now=self.clock.now,
        )

    # --- attachments --------------------------------------------------------

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        """The photos, files and voice notes of the person's message, stored and checked
        (``sha256`` is the blob's key), and its locations; empty outside conversations."""
        return ()

    def _event(self) -> tuple[str, str] | None:
        """(platform, event id) of the message being handled, if any."""
        return None

    def attach(self, subject: str | int, attachments: Sequence[Attachment] | None = None) -> int:
        """Attach stored files (by default :attr:`attachments`) to this plugin's record
        ``subject`` (its number, or any short text such as ``case:3``); returns how many.
        They are the person's: ``/mydata`` lists them and ``/forgetme`` removes them."""
        items = self.attachments if attachments is None else attachments
        return files.attach(
            self._conn,
            items,
            district_id=self.district.id,
            person_id=self.person.id if self.person else None,
            plugin=self.plugin,
            subject=str(subject),
            event=self._event(),
            now=self.clock.now(),
        )

    def accept_attachments(
        self, subject: str | int, label: str, attachments: Sequence[Attachment] | None = None
    ) -> int:
        """The person has just made the record ``subject`` here: attach the files of this
        message (or ``attachments``, kept from earlier steps of a dialog), and attach the
        photos and files they send in this chat in the next minutes (``[attachments]
        follow_up_minutes``) too, each confirmed with ``label`` (translated, such as
        “建议 #12”). Returns how many were attached now."""
        count = self.attach(subject, attachments)
        if self.person is not None and self.address is not None:
            files.set_target(
                self._conn,
                room_key=self.address.room_key,
                person_id=self.person.id,
                district_id=self.district.id,
                plugin=self.plugin,
                subject=str(subject),
                label=label,
                until=self.clock.now() + self.attachment_window,
            )
        return count

    def attachments_of(self, subject: str | int | None = None) -> list[StoredAttachment]:
        """The files attached to this plugin's record ``subject`` (all its records' when None),
        oldest first: for a record's view and for ledgers."""
        return files.stored_of(self._conn, self.district.id, self.plugin, None if subject is None else str(subject))

    def detach(self, subject: str | int) -> int:
        """Remove the files of this plugin's record ``subject`` (call it when the record is
        deleted: retention, a withdrawal); their content is deleted from the store once
        nothing else refers to it. Returns how many went."""
        return files.detach(self._conn, self.district.id, self.plugin, str(subject), self.clock.now())

    def attachment_cells(self) -> dict[str, str]:
        """For a ledger's column of files: each of this plugin's records that has files (by
        subject, as attached) → its files, one a line, as ``describe_file`` gives them with the
        store's key."""
        cells: dict[str, list[str]] = {}
        for f in self.attachments_of():
            cells.setdefault(f.subject, []).append(f"{self.describe_file(f)} {f.sha256}")
        return {subject: "\n".join(lines) for subject, lines in cells.items()}

    def describe_file(self, item: StoredAttachment | Attachment) -> str:
        """``photo.jpg (照片, 120 KB)``: a file as people read it."""
        return files.describe(item, self.t)

    # --- dialogs ------------------------------------------------------------

    def start_dialog(
        self,
        name: str,
        *,
        step: str = "",
        data: Mapping[str, Any] | None = None,
        prompt: str | None = None,
        timeout: dt.timedelta = DEFAULT_DIALOG_TIMEOUT,
        choices: Sequence[Choice] = (),
        address: Address | None = None,
    ) -> None:
        """Begin a dialog: the person's next plain messages here go to ``@on_dialog(name)``
        until it ends, is cancelled with ``/cancel``, or times out.

        ``address`` opens it in another room of the person's instead (their private chat,
        from :meth:`private_address`), where ``prompt`` is then sent."""
        room = address or self.address
        if self.person is None or room is None:
            raise RuntimeError("a dialog needs a person and a room")
        values = {
            "district_id": self.district.id,
            "plugin": self.plugin,
            "name": name,
            "step": step,
            "data": dict(data or {}),
            "expires_at": self.clock.now() + timeout,
        }
        where = (s.dialogs.c.room_key == room.room_key, s.dialogs.c.person_id == self.person.id)
        if not self._conn.execute(sa.update(s.dialogs).where(*where).values(**values)).rowcount:
            self._conn.execute(sa.insert(s.dialogs).values(room_key=room.room_key, person_id=self.person.id, **values))
        if address is None or address.room_key == (self.address.room_key if self.address else None):
            self.effects.dialog_kept = True
            if prompt:
                self.reply(prompt, choices=choices)
        elif prompt:
            self.send(address, prompt, choices=choices)

    def end_dialog(self) -> None:
        """End the person's dialog in this room (a dialog step that does not continue ends it anyway)."""
        if self.person is None or self.address is None:
            return
        s.delete_dialog(self._conn, self.address.room_key, self.person.id)
        self.effects.dialog_kept = False


@frozen(kw_only=True)
class ConversationContext(PluginContext):
    """A person wrote or pressed something in a room: a command, a button or a dialog step."""

    person: PersonInfo
    address: Address
    inbound: Inbound
    #: the person's open dialog in this room with this plugin, if any
    dialog: DialogState | None = None

    @property
    def text(self) -> str:
        """What the person wrote (a dialog step's answer, a command's whole line)."""
        return self.inbound.text

    @property
    def private(self) -> bool:
        return self.inbound.private

    def _reply_to(self) -> str | None:
        return None if self.inbound.private else self.inbound.event_id

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        return tuple(a for a in self.inbound.attachments if a.sha256 or a.kind == "location")

    def _event(self) -> tuple[str, str] | None:
        return (self.inbound.address.platform, self.inbound.event_id)

    def continue_dialog(
        self,
        *,
        step: str,
        data: Mapping[str, Any] | None = None,
        prompt: str | None = None,
        timeout: dt.timedelta = DEFAULT_DIALOG_TIMEOUT,
        choices: Sequence[Choice] = (),
    ) -> None:
        """Move the current dialog to ``step``; a dialog step that neither continues nor
        starts a dialog ends it."""
        name = self.dialog.name if self.dialog else ""
        if not name:
            raise RuntimeError("continue_dialog() outside a dialog")
        self.start_dialog(name, step=step, data=data, prompt=prompt, timeout=timeout, choices=choices)


@frozen(kw_only=True)
class CommandContext(ConversationContext):
    """What an ``@command`` handler receives: ``/poll 3 7d`` gives ``args == ("3", "7d")``
    and ``argtext == "3 7d"``."""

    args: tuple[str, ...]
    argtext: str


@frozen(kw_only=True)
class ChoiceContext(ConversationContext):
    """What an ``@on_choice`` handler receives: ``data`` is the button's data."""

    data: str


@frozen(kw_only=True)
class DialogContext(ConversationContext):
    """What an ``@on_dialog`` handler receives: the dialog at the step the person answered
    (their answer is :attr:`text`)."""

    dialog: DialogState


@frozen(kw_only=True)
class EventContext(PluginContext):
    """What an ``@on_event`` handler receives: the domain event, with the person who caused
    it and their room when there was one."""

    event: DomainEvent


@frozen(kw_only=True)
class JobContext(PluginContext):
    """What a ``@scheduled`` handler receives: once per district, with the time it was due
    (no person, no room)."""

    fire_time: dt.datetime


@frozen(kw_only=True)
class LedgerContext(PluginContext):
    """What a ``@ledger`` handler receives: a read-only transaction for ``linli export``
    (no person, no room); it returns a :class:`~linli.core.plugin.Ledger`.

    ``include_sensitive`` is True when the export was asked for with ``--include-sensitive``
    (and audited so): a ledger may then add its sensitive columns."""

    include_sensitive: bool = False


def context_for(
    call: HandlerCall,
    *,
    conn: sa.Connection,
    district: DistrictInfo,
    person: PersonInfo | None,
    roles: Mapping[str, frozenset[str]],
    dialog: DialogState | None,
    t: Translator,
    clock: Clock,
    calendar: WorkingDays,
    notice_version: int,
    config_defaults: Mapping[str, Any],
    available: Callable[[], list[tuple[str, CommandSpec]]],
    team_rooms: Callable[[], frozenset[str]] = frozenset,
    command: CommandSpec | None = None,
    role_titles: Mapping[str, str] | None = None,
    attachment_window: dt.timedelta = DEFAULT_ATTACHMENT_WINDOW,
    blobs: BlobStore | None = None,
    web_url: str = "",
    web_link_minutes: int = 10,
) -> PluginContext | None:
    """The context of the kind ``call`` asks for, or None when the call lacks what its kind
    needs (a command without its message or person: nothing to answer, the event is dropped).

    Parameters:
      call: the dispatcher's decision.
      conn: the handler's transaction.
      district, person, roles, dialog: what the worker loaded for the call.
    """
    common: dict[str, Any] = {
        "plugin": call.plugin,
        "key": call.key,
        "district": district,
        "roles": roles,
        "store": ScopedStore(conn, call.plugin, district.id),
        "t": t,
        "clock": clock,
        "log": plugin_logger(call.plugin),
        "conn": conn,
        "notice_version": notice_version,
        "config_defaults": config_defaults,
        "calendar": calendar,
        "available": available,
        "team_rooms": team_rooms,
        "command": command,
        "role_titles": role_titles or {},
        "attachment_window": attachment_window,
        "blobs": blobs,
        "web_url": web_url,
        "web_link_minutes": web_link_minutes,
    }
    if call.kind == "event":
        if call.domain_event is None:
            return _lacking(call, "event")
        return EventContext(person=person, address=call.address, event=call.domain_event, **common)
    if call.kind == "job":
        if call.fire_time is None:
            return _lacking(call, "fire_time")
        return JobContext(fire_time=dt.datetime.fromisoformat(call.fire_time), **common)
    if person is None or call.address is None or call.inbound is None:
        return _lacking(call, "person, room and message")
    talk = {"person": person, "address": call.address, "inbound": call.inbound, **common}
    if call.kind == "command":
        return CommandContext(args=call.args, argtext=call.argtext, dialog=dialog, **talk)
    if call.kind == "choice":
        return ChoiceContext(data=call.data, dialog=dialog, **talk)
    if dialog is None:
        return _lacking(call, "dialog")
    return DialogContext(dialog=dialog, **talk)


def _lacking(call: HandlerCall, what: str) -> PluginContext | None:
    """None, logged: the call cannot be handled (a bug of whoever made it)."""
    structlog.get_logger("linli.worker").warning(
        "handler call lacks what its kind needs; dropped", key=call.key, kind=call.kind, lacking=what
    )
    return None
