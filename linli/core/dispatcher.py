"""The dispatcher: from a platform event to the plugin handlers that should run.

It finds the district from the room binding, the person from the identity, their
roles and any open dialog; reads the command; checks that the plugin is enabled
here and that the person may use it; and returns :class:`HandlerCall` s for the
plugin queues. What it answers itself (unknown command, not allowed, dialog
cancelled or timed out) goes to the outbox under keys derived from the event id,
so a redelivered event answers once.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
import structlog

from linli.core import attachments, members, outbox, people
from linli.core.clock import Clock
from linli.core.commands import parse_command as _parse_command
from linli.core.directory import DirectoryCache, DistrictInfo
from linli.core.events import Address, DomainEvent, HandlerCall, Inbound, Outbound
from linli.core.i18n import N_, Translator, translator
from linli.core.people import PersonInfo
from linli.core.plugin import CONSENT_REQUIRED
from linli.core.plugin_names import current_name
from linli.core.register.api import LINK_COMMANDS, district_of_code, valid_code_district
from linli.core.registry import RESERVED_COMMANDS, Handler, PluginRegistry
from linli.core.specs import ChoiceSpec, CommandSpec, DialogSpec
from linli.core.storage import Store
from linli.core.storage import schema as s

__all__ = ["CONSENT_REQUIRED", "Dispatcher", "allowed", "usable_commands", "with_platform_roles"]

log = structlog.get_logger("linli.dispatcher")

# CONSENT_REQUIRED: published by the dispatcher when someone who has not accepted the
# privacy notice uses a command that needs it; the basics plugin answers with the notice.


# an event's text is read more than once, and the same commands come again and again
parse_command = functools.lru_cache(maxsize=512)(_parse_command)

# a whole message that is a short number (a vote or a choice meant as an answer), not chatter
_BARE_NUMBER = re.compile(r"[#＃]?[0-9０-９]{1,3}")

#: a private chat with someone who is a member of no district
STRANGER = N_(
    "I don't know your community yet. Say something in your community's group chat first, or ask its "
    "staff for a link code and send /link CODE here; then talk to me here."
)
#: ``/start <district id>`` of a district the person is not a member of (or of none at all)
NOT_A_MEMBER = N_(
    "You are not a member of that community, so I can show you nothing of it. To join, say something "
    "in the community's group chat, or ask its staff for a link code and send /link CODE here."
)

_DIALOG = sa.select(s.dialogs).where(
    s.dialogs.c.room_key == sa.bindparam("room_key"), s.dialogs.c.person_id == sa.bindparam("person_id")
)


def allowed(
    spec: CommandSpec | ChoiceSpec, roles: dict[str, frozenset[str]], *, consented: bool, private: bool
) -> str | None:
    """Why the person may not run this, as a msgid; ``None`` when they may."""
    if not consented and not spec.before_consent:
        return "consent"
    if isinstance(spec, CommandSpec):
        if spec.where == "group" and private:
            return N_("Use /{command} in your community's group, not in a private chat.")
        if spec.where == "private" and not private:
            return N_("Use /{command} in a private chat with me, not in the group.")
    if spec.roles and not people.has_role(roles, spec.roles):
        return N_("Sorry, /{command} is only for: {roles}.")
    return None


def usable_commands(
    registry: PluginRegistry, district: DistrictInfo, roles: dict[str, frozenset[str]], *, private: bool
) -> list[tuple[str, CommandSpec]]:
    """The (plugin, spec) of each command this person may use here: for ``/help`` and
    for the suggestions after an unknown command."""
    return [
        (h.plugin, h.spec)
        for h in registry.commands.values()
        if h.plugin in district.plugins
        and isinstance(h.spec, CommandSpec)
        and not h.spec.hidden
        and allowed(h.spec, roles, consented=True, private=private) is None
    ]


def with_platform_roles(
    roles: dict[str, frozenset[str]], platform_roles: Iterable[str], district: DistrictInfo
) -> dict[str, frozenset[str]]:
    """``roles`` plus what the district grants for the sender's standing in the room (a Matrix
    room moderator): ``[districts.<id>.config.core] platform_roles = {moderator = "staff"}``.
    Nothing is granted unless the district says so."""
    mapping = district.plugin_config("core").get("platform_roles")
    if not isinstance(mapping, Mapping):
        return roles
    out = dict(roles)
    for standing in platform_roles:
        granted = mapping.get(standing)
        for role in [granted] if isinstance(granted, str) else granted if isinstance(granted, list) else []:
            if isinstance(role, str) and role:
                out[role] = out.get(role, frozenset()) | {""}
    return out


class Dispatcher:
    """Routes inbound events and domain events to plugin handlers.

    Parameters:
      store: the database.
      registry: the installed plugins.
      directory: the districts and room bindings cache.
      notice_version: the current privacy notice's version.
      default_language: the language for rooms that belong to no district yet.
    """

    def __init__(
        self,
        store: Store,
        registry: PluginRegistry,
        directory: DirectoryCache,
        clock: Clock,
        notice_version: int,
        default_language: str = "zh_CN",
    ) -> None:
        self.store = store
        self.registry = registry
        self.directory = directory
        self.clock = clock
        self.notice_version = notice_version
        self.default_language = default_language

    # --- platform events ------------------------------------------------------

    def dispatch(self, inbound: Inbound) -> tuple[list[HandlerCall], list[str]]:
        """Decide who handles ``inbound``; returns the calls and the rooms the
        dispatcher itself wrote replies for (both to enqueue after commit)."""
        with self.store.begin() as conn:
            return self.route(conn, inbound)

    def route(
        self, conn: sa.Connection, inbound: Inbound, claim: people.Claim | None = None
    ) -> tuple[list[HandlerCall], list[str]]:
        """:meth:`dispatch` in the caller's transaction (which may run the calls too).

        Parameters:
          claim: a processed mark to claim while the sender is looked up (see
            :class:`~linli.core.people.Claim`); the caller keeps or removes it.
        """
        answers: list[Outbound] = []
        calls = self._route(conn, inbound, answers, claim)
        rooms = [a.address.room_key for a in answers if outbox.add_message(conn, a, None)]
        return calls, rooms

    def _route(
        self, conn: sa.Connection, inbound: Inbound, answers: list[Outbound], claim: people.Claim | None = None
    ) -> list[HandlerCall]:
        room_key = inbound.address.room_key
        district = self.directory.district_of_room(conn, room_key)
        group = district is not None and not inbound.private
        seen = people.seen(
            conn,
            inbound.sender.identity,
            inbound.sender.display_name,
            district.id if group and district is not None else None,
            room_key if group else "",
            claim,
        )
        person, roles = seen.person, seen.roles
        self._remember(conn, inbound, person)
        if group and district is not None:
            if inbound.kind == "leave":
                # leaving the room ends the membership that came from it, nothing else
                members.leave_room(conn, person.id, district.id, room_key)
                return []
            if not seen.in_room:  # once per person and room: a known member costs no write
                members.add(conn, person.id, district.id, "room", room_key)
            if person.home_district != district.id:
                # their private chat is about the district where they last spoke in a group
                conn.execute(sa.update(s.persons).where(s.persons.c.id == person.id).values(home_district=district.id))
                person = PersonInfo(
                    person.id, person.display_name, person.language, district.id, person.consent_version
                )
        elif inbound.private:
            found = self._private_district(conn, inbound, seen, answers, district)
            if found is None:
                return []
            district, roles, person = found
        language = person.language or (district.language if district else self.default_language)
        t = translator(language, kind=district.kind if district else "")

        def answer(msgid: str, key: str | None = None, **values: Any) -> None:
            answers.append(
                Outbound(inbound.address, t(msgid, **values), key=key or f"{inbound.event_id}:dispatch:{len(answers)}")
            )

        if district is None:
            if inbound.kind == "message" and parse_command(inbound.text) is not None:
                # one polite answer per unbound room, ever: the key dedupes it
                answer(
                    N_(
                        "This room is not linked to a community yet. An administrator can "
                        "link it with: linli rooms bind {room} --district ID"
                    ),
                    key=f"unbound:{room_key}",
                    room=room_key,
                )
            return []

        consented = (person.consent_version or 0) >= self.notice_version
        first_contact = person.consent_version == 0
        if inbound.platform_roles:
            roles = with_platform_roles(roles, inbound.platform_roles, district)
        base = {
            "district_id": district.id,
            "person_id": person.id,
            "address": inbound.address,
            "inbound": inbound,
            "language": language,
            "person": person,
            "roles": {role: sorted(scopes) for role, scopes in roles.items()},
        }

        if first_contact and inbound.kind == "message":
            # the privacy notice comes first, whatever they said (its handler records that
            # it was shown, in the same transaction as its message)
            calls = self._consent_calls(inbound, district, person, language)
            parsed = parse_command(inbound.text)
            handler = self.registry.command(parsed.name) if parsed else None
            if handler and isinstance(handler.spec, CommandSpec) and handler.spec.before_consent:
                return [*calls, *self._route_command(conn, inbound, district, roles, False, base, answer)]
            return calls
        if inbound.kind == "choice" and inbound.choice:
            return self._choice(inbound, district, roles, consented, base, answer)
        if inbound.kind != "message":
            return []

        parsed = parse_command(inbound.text)
        # a command does not continue a dialog, so most events need not look one up
        wants_dialog = parsed is None or parsed.name in RESERVED_COMMANDS
        dialog = conn.execute(_DIALOG, {"room_key": room_key, "person_id": person.id}).first() if wants_dialog else None
        if parsed is None:
            if dialog is not None:
                return self._dialog(conn, inbound, dialog, consented, base, answer, t)
            if consented and any(a.sha256 for a in inbound.attachments):
                self._follow_up(conn, inbound, district, person, answer, t)
                return []
            if _BARE_NUMBER.fullmatch(inbound.text.strip()):
                self._unmatched_number(inbound.text.strip(), district, roles, inbound.private, answer)
            elif inbound.private:
                answer(N_("Send /help to see what I can do for you."))
            return []

        if parsed.name in RESERVED_COMMANDS:
            if dialog is not None:
                s.delete_dialog(conn, room_key, person.id)
                kept = self._kept(dialog, t)
                if kept:
                    answer(kept)
                else:
                    answer(N_("Cancelled. Nothing from that conversation was saved."))
            else:
                answer(N_("There is nothing to cancel."))
            return []

        return self._route_command(
            conn, inbound, district, roles, consented, base, answer, person=person, language=language
        )

    def _route_command(
        self,
        conn: sa.Connection,
        inbound: Inbound,
        district: DistrictInfo,
        roles: dict[str, frozenset[str]],
        consented: bool,
        base: dict[str, Any],
        answer: Callable[..., None],
        *,
        person: PersonInfo | None = None,
        language: str = "zh_CN",
    ) -> list[HandlerCall]:
        parsed = parse_command(inbound.text)
        assert parsed is not None
        handler = self.registry.command(parsed.name)
        if handler is None or handler.plugin not in district.plugins:
            self._unknown(parsed.name, district, roles, consented, inbound.private, answer)
            return []
        spec = handler.spec
        assert isinstance(spec, CommandSpec)
        why = allowed(spec, roles, consented=consented, private=inbound.private)
        if why == "consent":
            calls = self._consent_calls(inbound, district, person, language) if person else []
            if not calls:
                answer(N_("Please accept the privacy notice first."))
            return calls
        if why is not None:
            answer(why, command=spec.name, roles=self._role_names(spec.roles, translator(base["language"])))
            return []
        return [
            HandlerCall(
                key=f"{inbound.event_id}:{handler.plugin}.{handler.name}",
                plugin=handler.plugin,
                handler=handler.name,
                kind="command",
                args=parsed.args,
                argtext=parsed.argtext,
                **base,
            )
        ]

    def _follow_up(
        self,
        conn: sa.Connection,
        inbound: Inbound,
        district: DistrictInfo,
        person: PersonInfo,
        answer: Callable[..., None],
        t: Translator,
    ) -> None:
        """Photos or files sent without a command: attached to the record the person has just
        made in this room (``ctx.accept_attachments``), else the person is told where they go."""
        now = self.clock.now()
        stored = [a for a in inbound.attachments if a.sha256]
        target = attachments.target(conn, inbound.address.room_key, person.id, now)
        if target is None or target.district_id != district.id or target.plugin not in district.plugins:
            answer(
                N_(
                    "I received {files}, but it belongs to nothing yet. Send it with the command as "
                    "its caption, or right after your suggestion, need or case message."
                ),
                files=t.join(attachments.describe(a, t) for a in stored),
            )
            return
        attached = attachments.attach(
            conn,
            stored,
            district_id=district.id,
            person_id=person.id,
            plugin=target.plugin,
            subject=target.subject,
            event=(inbound.address.platform, inbound.event_id),
            now=now,
            adopt_only=True,
        )
        if not attached:
            return  # attached when this event came before (its answer is written already)
        answer(
            N_("Attached to {record}: {files}."),
            record=target.label,
            files=t.join(attachments.describe(a, t) for a in stored),
        )

    def _role_names(self, roles: Iterable[str], t: Translator) -> str:
        """The roles as people call them, listed in ``t``'s language (``议事会成员、议事会主持人``)."""
        titles = self.registry.role_titles()
        return t.join(t(titles[r]) if r in titles else r for r in roles)

    def _private_district(
        self,
        conn: sa.Connection,
        inbound: Inbound,
        seen: people.Seen,
        answers: list[Outbound],
        bound: DistrictInfo | None = None,
    ) -> tuple[DistrictInfo, dict[str, frozenset[str]], PersonInfo] | None:
        """The district a private chat is about, the person's roles there and the person (their
        home district updated): the one district they are a member of, or the one they chose
        among theirs (``/start <district id>``; the last group they spoke in). None when there
        is none, with the answer that says why and how to join.

        A ``/start`` link never makes anyone a member; a ``/link CODE`` with a valid code
        from a district's staff reaches that district's ``/link`` even for a non-member: it
        is how a registered resident joins."""
        person = seen.person
        last = self.directory.district(conn, person.home_district) if person.home_district else None
        home = last if seen.member else None
        # the language of the district they were last in, member or not: it tells nothing of it
        t = translator(person.language or (last.language if last else self.default_language))

        def answer(msgid: str, **values: Any) -> None:
            text = t(msgid, **values)
            answers.append(Outbound(inbound.address, text, key=f"{inbound.event_id}:dispatch:{len(answers)}"))

        parsed = parse_command(inbound.text) if inbound.kind == "message" and inbound.text.startswith("/") else None
        wanted: DistrictInfo | None = None
        starting = parsed is not None and parsed.name == "start" and len(parsed.args) == 1
        if starting or bound is not None:
            # a private room bound to a district (rare) is about it, for its members only
            wanted = self.directory.district(conn, parsed.args[0]) if starting and parsed else bound
            if wanted is None or not (
                (seen.member and person.home_district == wanted.id) or members.is_member(conn, person.id, wanted.id)
            ):
                # the same answer for a district that does not exist: a link tells nothing
                answer(NOT_A_MEMBER)
                return None
        elif parsed is not None and parsed.name in LINK_COMMANDS and len(parsed.args) == 1:
            code_district = valid_code_district(conn, parsed.args[0], self.clock.now())
            if code_district is not None:
                wanted = self.directory.district(conn, code_district)
                if wanted is not None and not members.is_member(conn, person.id, wanted.id):
                    # only this /link runs there; redeeming the code makes them a member
                    return wanted, {}, person
            elif not seen.member and not members.districts_of(conn, person.id):
                # in the language of the district that issued it, when it was one (used, expired)
                issuer = district_of_code(conn, parsed.args[0])
                issued = self.directory.district(conn, issuer) if issuer else None
                if issued is not None and not person.language:
                    t = translator(issued.language)
                answer(N_("That code is not valid or was used already. Ask your captain for a new one."))
                return None
        if wanted is None and home is not None:
            return home, seen.roles, person
        if wanted is None:
            mine = [d for d in (self.directory.district(conn, i) for i in members.districts_of(conn, person.id)) if d]
            if not mine:
                answer(STRANGER)
                return None
            if len(mine) > 1:
                answer(
                    N_("You are a member of several communities. Choose the one to talk about:\n{choices}"),
                    choices="\n".join(f"/start {d.id} — {d.name}" for d in mine),
                )
                return None
            wanted = mine[0]
        if person.home_district != wanted.id:
            conn.execute(sa.update(s.persons).where(s.persons.c.id == person.id).values(home_district=wanted.id))
            person = PersonInfo(person.id, person.display_name, person.language, wanted.id, person.consent_version)
            return wanted, people.roles_in(conn, person.id, wanted.id), person
        return wanted, seen.roles, person

    def _remember(self, conn: sa.Connection, inbound: Inbound, person: PersonInfo) -> None:
        """Keep the person's private room current."""
        if inbound.private:
            conn.execute(
                sa.update(s.identities)
                .where(
                    s.identities.c.identity == inbound.sender.identity,
                    sa.or_(
                        s.identities.c.private_room.is_(None), s.identities.c.private_room != inbound.address.room_key
                    ),
                )
                .values(private_room=inbound.address.room_key)
            )
        elif inbound.private_address:
            # the platform can open a private chat itself (a Matrix direct room): usable until
            # the person writes to the bot privately, which records that room instead
            conn.execute(
                sa.update(s.identities)
                .where(s.identities.c.identity == inbound.sender.identity, s.identities.c.private_room.is_(None))
                .values(private_room=inbound.private_address)
            )

    def _choice(
        self,
        inbound: Inbound,
        district: DistrictInfo,
        roles: dict[str, frozenset[str]],
        consented: bool,
        base: dict[str, Any],
        answer: Callable[..., None],
    ) -> list[HandlerCall]:
        plugin, _, rest = (inbound.choice or "").partition(":")
        plugin = current_name(plugin)  # a button sent before its plugin was renamed
        name, _, data = rest.partition(":")
        name, _, owner = name.partition("@")
        if owner and owner != str(base["person_id"]):
            answer(N_("That button is for someone else; it was not pressed for them."))
            return []
        handler = self.registry.choices.get((plugin, name))
        if handler is None or plugin not in district.plugins:
            answer(N_("That button no longer works here."))
            return []
        spec = handler.spec
        assert isinstance(spec, ChoiceSpec)
        why = allowed(spec, roles, consented=consented, private=inbound.private)
        if why == "consent":
            answer(N_("Please read and accept the privacy notice first: send /privacy."))
            return []
        if why is not None:
            t = translator(base["language"])
            answer(N_("Sorry, that choice is only for: {roles}."), roles=self._role_names(spec.roles, t))
            return []
        return [
            HandlerCall(
                key=f"{inbound.event_id}:{plugin}.{handler.name}",
                plugin=plugin,
                handler=handler.name,
                kind="choice",
                data=data,
                **base,
            )
        ]

    def _kept(self, dialog: Any, t: Translator) -> str:
        """What a stopped dialog's plugin says it kept (its ``stopped`` text, translated and filled
        from the dialog's data), or ``""`` when it kept nothing."""
        handler = self.registry.dialogs.get((dialog.plugin, dialog.name))
        stopped = handler.spec.stopped if handler is not None and isinstance(handler.spec, DialogSpec) else ""
        if not stopped:
            return ""
        values = dict(dialog.data or {})
        try:
            stopped.format(**values)  # its placeholders must be in the data (t() skips formatting without values)
            return t(stopped, **values)
        except (KeyError, IndexError, ValueError):
            log.warning("dialog's stopped text does not fit its data", plugin=dialog.plugin, dialog=dialog.name)
            return ""

    def _dialog(
        self,
        conn: sa.Connection,
        inbound: Inbound,
        dialog: Any,
        consented: bool,
        base: dict[str, Any],
        answer: Callable[..., None],
        t: Translator,
    ) -> list[HandlerCall]:
        handler = self.registry.dialogs.get((dialog.plugin, dialog.name))
        district = self.directory.district(conn, dialog.district_id)
        expired = s.UTCDateTime().process_result_value(dialog.expires_at, conn.dialect)
        if handler is None or district is None or dialog.plugin not in district.plugins:
            s.delete_dialog(conn, dialog.room_key, dialog.person_id)
            return []
        if district.id != base["district_id"] and not members.is_member(conn, dialog.person_id, district.id):
            # begun in a district the person has left since: it goes no further there
            s.delete_dialog(conn, dialog.room_key, dialog.person_id)
            answer(N_("Cancelled. Nothing from that conversation was saved."))
            return []
        if expired is not None and expired <= self.clock.now():
            s.delete_dialog(conn, dialog.room_key, dialog.person_id)
            kept = self._kept(dialog, t)
            if kept:
                answer(N_("That conversation had timed out, so this message was not taken.\n{kept}"), kept=kept)
            else:
                answer(
                    N_(
                        "That conversation timed out and was cancelled; nothing from it was saved. "
                        "Start again whenever you like."
                    )
                )
            return []
        if not consented:
            return []
        return [
            HandlerCall(
                key=f"{inbound.event_id}:{handler.plugin}.{handler.name}",
                plugin=handler.plugin,
                handler=handler.name,
                kind="dialog",
                data=dialog.step,
                **{**base, "district_id": district.id},
            )
        ]

    def _consent_calls(
        self, inbound: Inbound, district: DistrictInfo, person: PersonInfo, language: str
    ) -> list[HandlerCall]:
        event = DomainEvent(
            event_id=f"{inbound.event_id}:consent",
            name=CONSENT_REQUIRED,
            district_id=district.id,
            payload={"text": ""},
            source_plugin="linli",
            person_id=person.id,
        )
        return self.route_event(event, district, address=inbound.address, language=language)

    def _unknown(
        self,
        word: str,
        district: DistrictInfo,
        roles: dict[str, frozenset[str]],
        consented: bool,
        private: bool,
        answer: Callable[..., None],
    ) -> None:
        usable = [spec.name for _, spec in usable_commands(self.registry, district, roles, private=private)]
        usable += [a for a, n in self.registry.aliases.items() if n in usable]
        close = difflib.get_close_matches(word, usable, n=3, cutoff=0.6)
        if close:
            answer(
                N_("There is no /{word} here. Did you mean {suggestions}? Send /help for the full list."),
                word=word,
                suggestions=" ".join("/" + c for c in close),
            )
        else:
            answer(N_("There is no /{word} here. Send /help to see what you can do."), word=word)

    def _unmatched_number(
        self,
        number: str,
        district: DistrictInfo,
        roles: dict[str, frozenset[str]],
        private: bool,
        answer: Callable[..., None],
    ) -> None:
        """A bare number that answers nothing (no numbered choices pending, no dialog): it was
        most likely meant as a vote or a choice, so say it was not taken and how to do that."""
        usable = {spec.name for _, spec in usable_commands(self.registry, district, roles, private=private)}
        if "vote" in usable:
            answer(
                N_(
                    "I could not match “{number}” to a question or a list of choices. To vote, send "
                    "/vote NUMBER and your choice, such as /vote 1 agree; to choose from buttons, press one."
                ),
                number=number,
            )
        else:
            answer(
                N_(
                    "I could not match “{number}” to a question or a list of choices. To choose from "
                    "buttons, press one; send /help to see what you can do."
                ),
                number=number,
            )

    # --- domain events --------------------------------------------------------

    def route_event(
        self,
        event: DomainEvent,
        district: DistrictInfo | None = None,
        *,
        address: Address | None = None,
        language: str | None = None,
    ) -> list[HandlerCall]:
        """The handlers subscribed to ``event`` among the plugins enabled in its district."""
        if district is None:
            with self.store.connect() as conn:
                district = self.directory.district(conn, event.district_id)
        if district is None:
            log.warning("event for an unknown district dropped", event=event.name, district=event.district_id)
            return []
        subscribers: list[Handler] = self.registry.events.get(event.name, [])
        return [
            HandlerCall(
                key=f"{event.event_id}:{h.plugin}.{h.name}",
                plugin=h.plugin,
                handler=h.name,
                kind="event",
                district_id=district.id,
                person_id=event.person_id,
                address=address or event.address,
                domain_event=event,
                language=language or district.language,
            )
            for h in subscribers
            if h.plugin in district.plugins
        ]
