"""The one object a plugin handler receives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from attrs import define, field, frozen

from linli.core import outbox, people
from linli.core.calendar import WorkingDays
from linli.core.clock import Clock
from linli.core.commands import MAX_NUMBER, parse_number
from linli.core.directory import DistrictInfo
from linli.core.errors import UserError
from linli.core.events import Address, Choice, DomainEvent, Inbound, Outbound
from linli.core.i18n import Translator, translator
from linli.core.people import PersonInfo
from linli.core.specs import CommandSpec
from linli.core.storage import ScopedStore
from linli.core.storage import schema as s

__all__ = ["DialogState", "Effects", "PluginContext"]

DEFAULT_DIALOG_TIMEOUT = dt.timedelta(minutes=30)


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


@frozen
class PluginContext:
    """Everything a handler may use: who, where, its store, and how to answer.

    The writes of the store, the messages from :meth:`reply` and :meth:`send`, the
    events from :meth:`publish` and the dialog commit together with the mark that
    this event was handled, or not at all.
    """

    plugin: str
    key: str
    district: DistrictInfo
    person: PersonInfo | None
    roles: Mapping[str, frozenset[str]]
    address: Address | None
    store: ScopedStore
    t: Translator
    clock: Clock
    log: Any
    conn: sa.Connection = field(repr=False)
    effects: Effects = field(factory=Effects, repr=False)
    inbound: Inbound | None = None
    event: DomainEvent | None = None
    args: tuple[str, ...] = ()
    argtext: str = ""
    data: str = ""
    #: the person's open dialog in this room with this plugin, if any
    dialog: DialogState | None = None
    fire_time: dt.datetime | None = None
    #: the version of the privacy notice people must accept (``[privacy] notice_version``).
    notice_version: int = 1
    #: the plugin manifest's ``config_defaults``, under :attr:`config`
    config_defaults: Mapping[str, Any] = field(factory=dict, repr=False)
    #: the Chinese working-day calendar with the ``[scheduler]`` holidays and workdays
    calendar: WorkingDays = field(factory=WorkingDays, repr=False)
    #: the commands this person may use here, for ``/help``: (plugin, spec) pairs.
    available: Callable[[], list[tuple[str, CommandSpec]]] = field(default=lambda: [], repr=False)
    #: what people call each role (msgids), by role name: see :meth:`role_name`
    role_titles: Mapping[str, str] = field(factory=dict, repr=False)
    #: the command being run (its usage is quoted when an argument is wrong); None outside commands
    command: CommandSpec | None = field(default=None, repr=False)

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
    def text(self) -> str:
        return self.inbound.text if self.inbound else ""

    @property
    def private(self) -> bool:
        return bool(self.inbound and self.inbound.private)

    def now(self) -> dt.datetime:
        """Now, in the district's time zone."""
        return self.clock.now().astimezone(ZoneInfo(self.district.timezone))

    def is_working_day(self, day: dt.date | None = None) -> bool:
        """Whether ``day`` (today in the district by default) is a Chinese working day:
        not a weekend or public holiday, or a make-up working day (调休)."""
        return self.calendar.is_working_day(day if day is not None else self.now().date())

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

    def send(self, address: Address, text: str, *, choices: Sequence[Choice] = (), reply_to: str | None = None) -> None:
        """Send ``text`` to ``address`` once this handler's transaction commits."""
        n = len(self.effects.messages)
        out = Outbound(address, text, tuple(choices), reply_to, key=f"{self.key}:m{n}")
        self.effects.messages.append(out)
        outbox.add_message(self.conn, out, self.district.id)

    def reply(self, text: str, *, choices: Sequence[Choice] = ()) -> None:
        """Answer in the room (and thread) the event came from."""
        if self.address is None:
            raise RuntimeError("this handler has no room to reply to; use send() or send_private()")
        reply_to = self.inbound.event_id if self.inbound and not self.inbound.private else None
        self.send(self.address, text, choices=choices, reply_to=reply_to)

    def private_address(self, person_id: int) -> Address | None:
        """The person's private chat with the bot, or None when they never opened one."""
        room = self.conn.execute(
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
        return sorted(set(self.conn.execute(stmt).scalars()))

    def roles_of(self, person_id: int) -> Mapping[str, frozenset[str]]:
        """Another person's roles in this district, each with its scopes."""
        return people.roles_in(self.conn, person_id, self.district.id)

    def person_named(self, name: str) -> int | None:
        """The id of the one person of this district called ``name`` (display name, or the
        user part of an identity such as ``console:李四``); None when nobody or several are.

        A person is of this district when it is their home district (where they last spoke
        in a group) or they hold a role here: a namesake elsewhere is never picked.
        """
        name = name.strip().lstrip("@")
        if not name:
            return None
        here = sa.or_(
            s.persons.c.home_district == self.district.id,
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
            self.conn.execute(
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
        rows = self.conn.execute(
            sa.select(s.persons.c.id, s.persons.c.display_name).where(s.persons.c.id.in_(list(person_ids)))
        )
        return {r.id: r.display_name for r in rows}

    def translator_for(self, person_id: int) -> Translator:
        """The translator for another person: the language they chose (``/lang``), else the
        district's; for telling each party of a case in their own language."""
        chosen = self.conn.execute(sa.select(s.persons.c.language).where(s.persons.c.id == person_id)).scalar()
        language = chosen or self.district.language
        return self.t if language == self.t.language else translator(language, kind=self.district.kind)

    def publish(self, name: str, payload: Mapping[str, Any] | None = None) -> None:
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
        outbox.add_event(self.conn, event)

    def audit(self, action: str, target: str = "", **detail: Any) -> None:
        """Record in the audit log that this person did ``action`` on ``target``."""
        people.audit(
            self.conn,
            action=action,
            actor=f"person:{self.person.id}" if self.person else f"plugin:{self.plugin}",
            district_id=self.district.id,
            person_id=self.person.id if self.person else None,
            plugin=self.plugin,
            target=target,
            detail=detail,
        )

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
        if not self.conn.execute(sa.update(s.dialogs).where(*where).values(**values)).rowcount:
            self.conn.execute(sa.insert(s.dialogs).values(room_key=room.room_key, person_id=self.person.id, **values))
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
        s.delete_dialog(self.conn, self.address.room_key, self.person.id)
        self.effects.dialog_kept = False

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
