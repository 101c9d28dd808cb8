"""急难愁盼 — a resident's urgent need: reported (by the resident, or by a captain for a household
without a chat account) → taken in the grid → in progress → resolved → confirmed by the resident
(or by the captain acting for the household). Escalation grid → community → street is allowed and
counted as the exception; overdue needs are flagged; a dispute between parties goes to mediation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from linli.core.plugin import N_, Address, CommandContext, HandlerGroup, JobContext, PluginContext, command, scheduled
from linli.plugins.captains import _registry as reg
from linli.plugins.captains._common import (
    captain_buildings,
    is_staff,
    next_number,
    number_arg,
    works_in_grid,
)
from linli.plugins.captains.labels import LEVEL_ORDER, LEVELS, NEED_STATES, OPEN_NEED_STATES
from linli.plugins.captains.tables import need_events, needs

__all__ = ["Needs"]

MAX_TEXT = 1000
#: the moves a handler may make, from → to
MOVES = {"needtake": ("reported", "taken"), "needprogress": ("taken", "in_progress"), "needresolve": (None, "resolved")}


def load_need(ctx: PluginContext, text: str, usage: str) -> Any:
    number = number_arg(ctx, text, usage)
    row = ctx.store.get(needs, needs.c.number == number)
    if row is None:
        raise ctx.fail(ctx.t("There is no need number {number}.", number=number))
    return row


def may_handle(ctx: PluginContext, need: Any, mine: Mapping[int, str] | None = None) -> bool:
    """Staff, the workers of the need's grid, and the captains of its building handle it.

    ``mine``: the person's buildings as captain, when the caller has them already."""
    if is_staff(ctx):
        return True
    if need.grid_id is not None and works_in_grid(ctx, need.grid_id):
        return True
    if need.building_id is None:
        return False
    return need.building_id in (mine if mine is not None else captain_buildings(ctx))


def _record(ctx: PluginContext, need: Any, to: str, note: str = "", acted_for: int | None = None) -> None:
    ctx.store.insert(
        need_events,
        need_id=need.id,
        person_id=ctx.person.id if ctx.person else None,
        acted_for=acted_for,
        state_from=need.state,
        state_to=to,
        note=note,
        at=ctx.clock.now(),
    )


def _label(ctx: PluginContext, need: Any, now: dt.datetime, *, with_text: bool = True) -> str:
    overdue = need.state in OPEN_NEED_STATES and need.due_at < now
    parts = [
        f"#{need.number}",
        ctx.t(NEED_STATES[need.state]),
        ctx.t("level {level}", level=ctx.t(LEVELS[need.level])),
    ]
    if overdue:
        parts.append(ctx.t("OVERDUE"))
    line = " · ".join(parts)
    return ctx.t("{label}: {value}", label=line, value=need.text[:60]) if with_text else line


class Needs(HandlerGroup):
    """``/need``, ``/needs`` and the moves of a need (``/needtake`` … ``/needrefer``)."""

    @command(
        "need",
        help=N_("Report an urgent need (for yourself, or as captain for a household)"),
        usage=N_("[HOUSEHOLD] TEXT"),
        aliases=("急难愁盼", "求助"),
    )
    def need(self, ctx: CommandContext) -> None:
        if not ctx.args:
            raise ctx.fail(
                ctx.t("Usage: /need TEXT, or as a captain /need HOUSEHOLD TEXT, for example /need 3-301 暖气不热")
            )
        mine = captain_buildings(ctx)
        household = None
        on_behalf = False
        text = ctx.argtext
        if mine and len(ctx.args) > 1:
            word = ctx.args[0]
            named = None
            if len(word) <= 40 and any(ch.isdigit() for ch in word):  # a door, not the first word of a need
                named = reg.find_household(ctx, word, list(mine)) or reg.find_household(ctx, word)
            if named is not None:
                if named.building_id not in mine:
                    raise ctx.fail(
                        ctx.t(
                            "Household {household} is not in your buildings; its own captains report for it.",
                            household=named.label,
                        )
                    )
                household, on_behalf = named, True
                text = re.split(r"[\s\u3000]+", ctx.argtext.strip(), maxsplit=1)[1]
        if household is None:
            household = reg.household_of(ctx, ctx.person.id)
        text = ctx.checked_text(text, empty=ctx.t("Please say what the need is."), limit=MAX_TEXT)
        building = reg.buildings(ctx, ids=[household.building_id])[0] if household else None
        number = next_number(ctx, needs)
        now = ctx.clock.now()
        need_id = ctx.store.insert(
            needs,
            number=number,
            household_id=household.id if household else None,
            building_id=building.id if building else None,
            grid_id=building.grid_id if building else None,
            text=text,
            on_behalf=on_behalf,
            reported_by=ctx.person.id,
            reported_at=now,
            due_at=now + dt.timedelta(days=int(ctx.config.get("need_days", 7))),
        )
        ctx.store.insert(
            need_events,
            need_id=need_id,
            person_id=ctx.person.id,
            acted_for=household.id if on_behalf and household else None,
            state_from=None,
            state_to="reported",
            at=now,
        )
        if on_behalf and household is not None:
            reg.acted_for(ctx, household, "captains.need_reported", f"need:{number}")
        ctx.publish("captains.need_reported", {"number": number, "grid_id": building.grid_id if building else None})
        # a photo sent with it (its caption) or in the next minutes in this chat goes with it
        attached = ctx.accept_attachments(number, ctx.t("need {number}", number=number))
        # the need's text may be personal: the group only hears its number
        answer = ctx.t(
            "Need {number} is registered; the grid will take it up, and I will tell you in private when "
            "it is resolved.",
            number=number,
        )
        if attached:
            answer += "\n" + ctx.t("{count} file(s) attached to it.", count=attached)
        ctx.reply(answer)

    @command("needs", help=N_("Open urgent needs you can see"), aliases=("需求",))
    def list_needs(self, ctx: CommandContext) -> None:
        mine = captain_buildings(ctx)
        rows = [
            r
            for r in ctx.store.select(
                needs, needs.c.state.in_((*OPEN_NEED_STATES, "resolved")), order_by=[needs.c.number]
            )
            if may_handle(ctx, r, mine) or r.reported_by == ctx.person.id
        ]
        if not rows:
            ctx.reply(ctx.t("No open needs."))
            return
        if not ctx.private:
            ctx.reply(ctx.t("{n} open need(s): send /needs in your private chat with me to see them.", n=len(rows)))
            return
        now = ctx.clock.now()
        ctx.reply("\n".join([ctx.t("Open needs:"), *(_label(ctx, r, now) for r in rows)]))

    def _move(self, ctx: CommandContext, kind: str) -> None:
        usage = ctx.t("Usage: /{command} NUMBER [NOTE]", command=kind)
        need = load_need(ctx, ctx.args[0] if ctx.args else "", usage)
        if not may_handle(ctx, need):
            raise ctx.fail(
                ctx.t("Only the grid, the building's captains and staff handle need {number}.", number=need.number)
            )
        source, to = MOVES[kind]
        allowed = OPEN_NEED_STATES if source is None else (source,)
        if need.state not in allowed:
            raise ctx.fail(
                ctx.t(
                    "Need {number} is {state}; it cannot be {moved} now.",
                    number=need.number,
                    state=ctx.t(NEED_STATES[need.state]),
                    moved=ctx.t(NEED_STATES[to]),
                )
            )
        note = re.split(r"[\s\u3000]+", ctx.argtext.strip(), maxsplit=1)[1] if len(ctx.args) > 1 else ""
        _record(ctx, need, to, note[:MAX_TEXT])
        values: dict[str, Any] = {"state": to}
        if to == "taken":
            values["taken_by"] = ctx.person.id if ctx.person else None
        if to == "resolved":
            values["resolved_at"] = ctx.clock.now()
        ctx.store.update(needs, needs.c.id == need.id, **values)
        ctx.publish("captains.need_moved", {"number": need.number, "state": to})
        answer = ctx.t("Need {number}: {state}.", number=need.number, state=ctx.t(NEED_STATES[to]))
        attached = ctx.attach(need.number)  # a photo of the work done, sent as the command's caption
        if attached:
            answer += "\n" + ctx.t("{count} file(s) attached to it.", count=attached)
        ctx.reply(answer)
        if to == "resolved":
            self._ask_confirmation(ctx, need)

    def _ask_confirmation(self, ctx: PluginContext, need: Any) -> None:
        household = reg.household(ctx, need.household_id) if need.household_id else None
        if need.on_behalf:
            # the household's own people when they talk to the bot; else the captain confirms
            # with /needconfirm after asking them in person
            asked = list(household.members) if household is not None else []
        else:
            asked = [need.reported_by] if need.reported_by is not None else []
        for who in asked:
            t = ctx.translator_for(who)
            ctx.send_private(
                who,
                t(
                    "Need {number} is marked resolved. If it is, send /needconfirm {number}; "
                    "if not, tell your captain.",
                    number=need.number,
                ),
            )

    @command("needtake", help=N_("Take up an urgent need in the grid"), usage=N_("NUMBER"), aliases=("接单",))
    def take(self, ctx: CommandContext) -> None:
        self._move(ctx, "needtake")

    @command(
        "needprogress", help=N_("Mark an urgent need as in progress"), usage=N_("NUMBER [NOTE]"), aliases=("办理",)
    )
    def progress(self, ctx: CommandContext) -> None:
        self._move(ctx, "needprogress")

    @command("needresolve", help=N_("Mark an urgent need as resolved"), usage=N_("NUMBER [NOTE]"), aliases=("已解决",))
    def resolve(self, ctx: CommandContext) -> None:
        self._move(ctx, "needresolve")

    @command("needconfirm", help=N_("Confirm that your need was resolved"), usage=N_("NUMBER"), aliases=("确认解决",))
    def confirm(self, ctx: CommandContext) -> None:
        need = load_need(ctx, ctx.args[0] if ctx.args else "", ctx.t("Usage: /needconfirm NUMBER"))
        household = reg.household(ctx, need.household_id) if need.household_id else None
        acted_for = None
        own = ctx.person.id == need.reported_by and not need.on_behalf
        if own or (household is not None and ctx.person.id in household.members):
            pass
        elif household is not None and not household.members and household.building_id in captain_buildings(ctx):
            acted_for = household.id  # the captain confirms for a household without a chat account
        else:
            raise ctx.fail(
                ctx.t("Only the resident who has need {number} (or their captain) can confirm it.", number=need.number)
            )
        if need.state != "resolved":
            raise ctx.fail(
                ctx.t(
                    "Need {number} is {state}; only a resolved need can be confirmed.",
                    number=need.number,
                    state=ctx.t(NEED_STATES[need.state]),
                )
            )
        _record(ctx, need, "confirmed", acted_for=acted_for)
        ctx.store.update(
            needs, needs.c.id == need.id, state="confirmed", confirmed_at=ctx.clock.now(), confirmed_by=ctx.person.id
        )
        if acted_for is not None and household is not None:
            reg.acted_for(ctx, household, "captains.need_confirmed", f"need:{need.number}")
        ctx.publish("captains.need_moved", {"number": need.number, "state": "confirmed"})
        ctx.reply(ctx.t("Need {number} is confirmed resolved. Thank you!", number=need.number))

    @command(
        "needescalate",
        help=N_("Pass an urgent need up to the community or the street"),
        usage=N_("NUMBER [REASON]"),
        aliases=("上报",),
    )
    def escalate(self, ctx: CommandContext) -> None:
        need = load_need(ctx, ctx.args[0] if ctx.args else "", ctx.t("Usage: /needescalate NUMBER [REASON]"))
        if not may_handle(ctx, need):
            raise ctx.fail(
                ctx.t("Only the grid, the building's captains and staff handle need {number}.", number=need.number)
            )
        if need.state not in OPEN_NEED_STATES:
            raise ctx.fail(
                ctx.t(
                    "Need {number} is {state}; it cannot be escalated.",
                    number=need.number,
                    state=ctx.t(NEED_STATES[need.state]),
                )
            )
        at = LEVEL_ORDER.index(need.level)
        if at + 1 >= len(LEVEL_ORDER):
            raise ctx.fail(ctx.t("Need {number} is already with the street.", number=need.number))
        if need.level == "community" and not is_staff(ctx):
            raise ctx.fail(ctx.t("Only the community's staff pass a need on to the street."))
        level = LEVEL_ORDER[at + 1]
        reason = re.split(r"[\s\u3000]+", ctx.argtext.strip(), maxsplit=1)[1] if len(ctx.args) > 1 else ""
        _record(ctx, need, need.state, note=f"→{level} {reason}".strip())
        ctx.store.update(needs, needs.c.id == need.id, level=level, escalations=need.escalations + 1)
        ctx.publish("captains.need_escalated", {"number": need.number, "level": level})
        ctx.reply(ctx.t("Need {number} is passed up to the {level}.", number=need.number, level=ctx.t(LEVELS[level])))
        room = ctx.config.get("staff_room", "")
        if room:
            ctx.send(
                Address.parse(room),
                ctx.t("Need {number} was escalated to the {level}.", number=need.number, level=ctx.t(LEVELS[level])),
            )

    @command(
        "needrefer",
        help=N_("Refer an urgent need that is a dispute between parties to mediation"),
        usage=N_("NUMBER"),
        aliases=("需求转调解",),
    )
    def refer(self, ctx: CommandContext) -> None:
        need = load_need(ctx, ctx.args[0] if ctx.args else "", ctx.t("Usage: /needrefer NUMBER"))
        if not may_handle(ctx, need):
            raise ctx.fail(
                ctx.t("Only the grid, the building's captains and staff handle need {number}.", number=need.number)
            )
        if need.state not in OPEN_NEED_STATES:
            raise ctx.fail(
                ctx.t(
                    "Need {number} is {state}; it cannot be referred.",
                    number=need.number,
                    state=ctx.t(NEED_STATES[need.state]),
                )
            )
        if "mediation" not in ctx.district.plugins:
            raise ctx.fail(ctx.t("Mediation is not enabled in this community, so nothing can be referred to it."))
        grid = ""
        if need.building_id is not None:
            found = reg.buildings(ctx, ids=[need.building_id])
            grid = found[0].grid_label if found else ""
        parties = [] if need.on_behalf or need.reported_by is None else [need.reported_by]
        _record(ctx, need, "referred")
        ctx.store.update(needs, needs.c.id == need.id, state="referred", dispute=True)
        ctx.publish(
            "mediation.referral",
            {
                "source": "sweep",
                "category": "neighbours",
                "summary": need.text,
                "person_ids": parties,
                "grid": grid,
                "reference": f"captains:need:{need.number}",
            },
        )
        ctx.publish("captains.dispute_referred", {"number": need.number})
        ctx.reply(ctx.t("Need {number} is a dispute: it is referred to the community's mediators.", number=need.number))

    @scheduled("needs", "0 9 * * *")
    def needs_job(self, ctx: JobContext) -> None:
        """Each morning: flag the needs that passed their time limit, once, to the staff's room."""
        now = ctx.clock.now()
        due = ctx.store.select(
            needs,
            needs.c.state.in_(OPEN_NEED_STATES),
            needs.c.due_at < now,
            needs.c.overdue_flagged_at.is_(None),
            order_by=[needs.c.number],
        )
        if not due:
            return
        room = ctx.config.get("staff_room", "")
        if room:
            ctx.send(
                Address.parse(room),
                "\n".join(
                    [ctx.t("Urgent needs past their time limit:"), *(_label(ctx, r, now, with_text=False) for r in due)]
                ),
            )
        for r in due:
            ctx.store.update(needs, needs.c.id == r.id, overdue_flagged_at=now)
