"""Matters (议题) as the rest of the plugin uses them: finding one, who may move it, moving it,
the roll of residents. Part of the council plugin's public API (meetings, action items and the
convention build on it)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import CommandContext, PluginContext
from linli.plugins.council.states import LABELS, allowed
from linli.plugins.council.tables import history, matters, roll

__all__ = [
    "COUNCIL",
    "FACILITATOR",
    "MOVERS",
    "create_matter",
    "enrol",
    "household_of",
    "load_matter",
    "matter_number",
    "may_move",
    "move_matter",
    "record",
    "words_after",
]

#: a member of the courtyard council (党群"智囊团"): moves matters, opens polls, merges duplicates
COUNCIL = "council"
#: the facilitator (主持人) of the council's deliberations: what a council member may, and proxy votes
FACILITATOR = "facilitator"
#: the roles that may move a matter on
MOVERS = (COUNCIL, FACILITATOR)


def may_move(ctx: PluginContext) -> bool:
    """Whether the person may move matters on here: a council member, the facilitator or an admin."""
    return ctx.person is not None and ctx.has_role(*MOVERS)


def matter_number(ctx: PluginContext, word: str) -> int:
    """The matter number in ``word`` (``3``, ``#3``, ``３``).

    Raises: UserError: ``word`` is not a number.
    """
    return ctx.number(word)


def load_matter(ctx: PluginContext, number: int) -> Any:
    """The matter numbered ``number`` in this district.

    Raises: UserError: there is no such matter here.
    """
    row = ctx.store.get(matters, matters.c.number == number)
    if row is None:
        raise ctx.fail(ctx.t("There is no matter {number} here. Send /matters to see the open ones.", number=number))
    return row


def record(ctx: PluginContext, matter_id: int, state_to: str, note: str = "", state_from: str | None = None) -> None:
    """Add a line to the matter's history (who, when, from which state to which, why)."""
    ctx.store.insert(
        history,
        matter_id=matter_id,
        person_id=ctx.person.id if ctx.person else None,
        state_from=state_from,
        state_to=state_to,
        note=note,
        at=ctx.clock.now(),
    )


def create_matter(ctx: PluginContext, *, title: str, text: str, category: str) -> int:
    """Register a matter raised by the person; returns its number."""
    number = (ctx.store.execute(sa.select(sa.func.max(matters.c.number))).scalar() or 0) + 1
    raiser = ctx.person.id if ctx.person else None
    matter_id = ctx.store.insert(
        matters,
        number=number,
        title=title,
        text=text,
        category=category,
        status="open",
        raised_by=raiser,
        created_at=ctx.clock.now(),
    )
    record(ctx, matter_id, "open")
    if raiser is not None:
        enrol(ctx, raiser)
    ctx.audit("council.raise", f"matter:{number}", category=category)
    ctx.publish("council.matter_raised", {"number": number, "matter_id": matter_id, "category": category})
    return number


def move_matter(ctx: PluginContext, row: Any, target: str, note: str = "", *, outcome: str | None = None) -> None:
    """Move a matter to ``target``, record who did it and why, and publish ``council.matter_moved``.

    Checks only that the move exists (:func:`~linli.plugins.council.states.allowed`); the caller
    checks who may make it.

    Parameters:
      note: why, for the history (a reason, a poll's undecided outcome, how it was done).
      outcome: what was decided, kept on the matter when it is passed, rejected, withdrawn or
        referred (default: ``note``): a poll's outcome key or the winning option.

    Raises: UserError: the matter cannot move from its state to ``target``.
    """
    if not allowed(row.status, target):
        raise ctx.fail(
            ctx.t(
                "Matter {number} is {current}; it cannot become {target}.",
                number=row.number,
                current=ctx.t(LABELS[row.status]),
                target=ctx.t(LABELS[target]),
            )
        )
    now = ctx.clock.now()
    values: dict[str, Any] = {"status": target}
    if target in ("passed", "rejected"):
        values["decided_at"] = now
    if target == "passed":
        days = int(ctx.config.get("review_days", 30))
        values["review_on"] = ctx.now().date() + dt.timedelta(days=days)
    if target in ("rejected", "withdrawn", "done", "merged", "referred"):
        values["closed_at"] = now
    decided = outcome if outcome is not None else note
    if decided and target in ("passed", "rejected", "withdrawn", "referred"):
        values["outcome"] = decided
    ctx.store.update(matters, matters.c.id == row.id, **values)
    record(ctx, row.id, target, note, state_from=row.status)
    ctx.audit("council.move", f"matter:{row.number}", state_from=row.status, state_to=target)
    ctx.publish(
        "council.matter_moved", {"number": row.number, "matter_id": row.id, "state_from": row.status, "state": target}
    )
    ctx.log.info("council matter moved", matter=row.number, state_from=row.status, state_to=target)


def enrol(ctx: PluginContext, person_id: int, household: str | None = None) -> Any:
    """Put a person on the district's council roll (once); with ``household``, set their household.
    Returns their roll row."""
    row = ctx.store.get(roll, roll.c.person_id == person_id)
    if row is None:
        ctx.store.insert(roll, person_id=person_id, household=household or "", enrolled_at=ctx.clock.now())
    elif household is not None and household != row.household:
        ctx.store.update(roll, roll.c.id == row.id, household=household)
    return ctx.store.get(roll, roll.c.person_id == person_id)


def household_of(ctx: PluginContext, person_id: int) -> str:
    """The person's household on the roll (``""`` when they gave none)."""
    row = ctx.store.get(roll, roll.c.person_id == person_id)
    return str(row.household) if row is not None else ""


def words_after(ctx: CommandContext, n: int) -> str:
    """What follows the first ``n`` words of the command, exactly as written."""
    parts = re.split(r"[\s\u3000]+", ctx.argtext.strip(), maxsplit=n)
    return parts[n].strip() if len(parts) > n else ""
