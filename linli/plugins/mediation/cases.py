"""Finding a case, who may see and act on it, and telling the people in it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

import sqlalchemy as sa

from linli.core.plugin import Address, Choice, CommandContext, PluginContext
from linli.plugins.mediation.labels import CATEGORIES, SOURCES
from linli.plugins.mediation.tables import cases, members, records

__all__ = [
    "LEAD",
    "MEDIATOR",
    "case_number",
    "create_case",
    "load",
    "may_act",
    "may_see",
    "mediator_ids",
    "out_of_the_group",
    "party_ids",
    "party_names",
    "record",
    "team_room",
    "tell",
    "words_after",
]

MEDIATOR = "mediator"
LEAD = "mediation_lead"


def case_number(ctx: PluginContext, word: str) -> int:
    """The case number in ``word`` (``3``, ``#3``, ``３``)."""
    return ctx.number(word)


def load(ctx: PluginContext, number: int) -> Any:
    """The case numbered ``number`` in this district.

    Raises: UserError: there is no such case.
    """
    row = ctx.store.get(cases, cases.c.number == number)
    if row is None:
        raise ctx.fail(ctx.t("There is no mediation case {number}.", number=number))
    return row


def party_ids(ctx: PluginContext, case_id: int) -> list[int]:
    return _ids(ctx, case_id, "party")


def mediator_ids(ctx: PluginContext, case_id: int) -> list[int]:
    return _ids(ctx, case_id, MEDIATOR)


def _ids(ctx: PluginContext, case_id: int, role: str) -> list[int]:
    rows = ctx.store.select(
        members,
        members.c.case_id == case_id,
        members.c.role == role,
        members.c.person_id.is_not(None),
        order_by=[members.c.id],
    )
    return [r.person_id for r in rows]


def party_names(row: Any, linked: list[str]) -> list[str]:
    """The parties of a case as the ledger and the case show them: the names of those linked to it,
    and the other side as the applicant wrote it (``楼上402李四家``) only while nobody stands for it
    yet — so the names and the headcount tell the same number of people."""
    if row.other_party and len(linked) < row.headcount:
        return [*linked, row.other_party]
    return linked


def may_act(ctx: PluginContext, case: Any) -> bool:
    """An assigned mediator of the case, or the team lead."""
    if ctx.person is None:
        return False
    return ctx.has_role(LEAD) or (ctx.has_role(MEDIATOR) and ctx.person.id in mediator_ids(ctx, case.id))


def may_see(ctx: PluginContext, case: Any) -> bool:
    """A party, an assigned mediator, or the team lead."""
    return may_act(ctx, case) or (ctx.person is not None and ctx.person.id in party_ids(ctx, case.id))


def record(
    ctx: PluginContext,
    case_id: int,
    kind: str,
    text: str = "",
    *,
    params: dict[str, Any] | None = None,
    by: int | Literal["sender"] | None = "sender",
    **states: str,
) -> None:
    """Add a line to the case's session record.

    Parameters:
      kind: ``message``, ``transition`` or ``note`` with the words people wrote in ``text``, or a
        code the ledger words in the district's language at export time (``risk``, ``consent``,
        ``extension_answer``, ``confirm``, ``extended``): never English written now.
      params: the code's parameters (``{"risk": "high"}``, ``{"agreed": True}``, ``{"days": 15}``).
      by: whose record it is, when not the person who sent this event (the mediator who asked
        for an extension the last party has just agreed to; None once they were forgotten).
    """
    ctx.store.insert(
        records,
        case_id=case_id,
        person_id=(ctx.person.id if ctx.person else None) if by == "sender" else by,
        kind=kind,
        text=text,
        params=params,
        state_from=states.get("state_from"),
        state_to=states.get("state_to"),
        at=ctx.clock.now(),
    )


#: values of these names are msgids themselves (labels), translated for each recipient too
TRANSLATED_VALUES = frozenset({"category", "state", "source", "form"})


def tell(
    ctx: PluginContext,
    person_ids: list[int],
    msgid: str,
    *,
    choices_for: Callable[[int, Any], Sequence[Choice]] | None = None,
    **values: Any,
) -> list[int]:
    """Send ``msgid`` to each person's private chat in their own language.

    Parameters:
      person_ids: who to tell (each once).
      msgid: the message, marked with ``N_`` by the caller.
      choices_for: ``(person_id, translator) -> buttons`` for buttons of each person's own.
      values: the placeholders; ``category``, ``state``, ``source`` and ``form`` are label msgids.

    Returns the ids of those who have no private chat yet.
    """
    missing = []
    for pid in dict.fromkeys(person_ids):
        t = ctx.translator_for(pid)
        shown = {k: t(v) if k in TRANSLATED_VALUES else v for k, v in values.items()}
        choices = choices_for(pid, t) if choices_for else ()
        if not ctx.send_private(pid, t(msgid, **shown), choices=choices):
            missing.append(pid)
    return missing


def team_room(ctx: PluginContext) -> Address | None:
    room = ctx.config.get("team_room", "")
    return Address.parse(room) if room else None


def out_of_the_group(ctx: PluginContext, command: str) -> None:
    """Casework happens in a private chat or in the team's room, never in a residents' group.

    Raises: UserError: the command came from another group.
    """
    room = team_room(ctx)
    if ctx.private or (room is not None and ctx.address is not None and ctx.address.room_key == room.room_key):
        return
    raise ctx.fail(
        ctx.t(
            "Please use /{command} in a private chat with me or in the mediation team's room, not in the group.",
            command=command,
        )
    )


def create_case(
    ctx: PluginContext,
    *,
    source: str,
    category: str,
    applicant: int | None,
    other_party: str = "",
    facts: str = "",
    claims: str = "",
    contact: str = "chat",
    grid: str = "",
    reference: str = "",
    parties: list[int] | None = None,
) -> int:
    """Register a case and its parties; returns its number. The team room hears of it
    (number, category and source only)."""
    now = ctx.clock.now()
    number = (ctx.store.execute(sa.select(sa.func.max(cases.c.number))).scalar() or 0) + 1
    limit = dt.timedelta(days=int(ctx.config.get("limit_days", 30)))
    people = list(dict.fromkeys([*([applicant] if applicant is not None else []), *(parties or [])]))
    case_id = ctx.store.insert(
        cases,
        number=number,
        source=source,
        category=category,
        other_party=other_party,
        facts=facts,
        claims=claims,
        contact=contact,
        grid=grid,
        reference=reference,
        # the people known to take part: those linked, and the other side as the applicant wrote it
        headcount=max(1, len(people) + (1 if other_party else 0)),
        opened_by=ctx.person.id if ctx.person else None,
        opened_at=now,
        deadline_at=now + limit,
    )
    for pid in people:
        ctx.store.insert(members, case_id=case_id, person_id=pid, role="party", added_at=now)
    record(ctx, case_id, "transition", state_to="registered")
    ctx.audit("mediation.open", f"case:{number}", source=source, category=category)
    ctx.publish("mediation.case_opened", {"number": number, "source": source, "category": category})
    room = team_room(ctx)
    if room is not None:
        ctx.send(
            room,
            ctx.t(
                "New mediation case {number}: {category}, from {source}.",
                number=number,
                category=ctx.t(CATEGORIES[category]),
                source=ctx.t(SOURCES[source]),
            ),
        )
    ctx.log.info("mediation case opened", case=number, source=source, category=category)
    return number


def words_after(ctx: CommandContext, n: int) -> str:
    """What follows the first ``n`` words of the command, exactly as written."""
    parts = re.split(r"[\s\u3000]+", ctx.argtext.strip(), maxsplit=n)
    return parts[n].strip() if len(parts) > n else ""
