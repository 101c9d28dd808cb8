"""Captain day (楼长日): each grid's agenda, assembled from its open needs, the latest sweep and
the evaluations due, is sent the day before; minutes and action items are recorded after."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import N_, Address, CommandContext, HandlerGroup, JobContext, PluginContext, command, scheduled
from linli.plugins.captains import _registry as reg
from linli.plugins.captains._common import GRID_WORKER, captain_buildings, is_staff, joined, works_in_grid
from linli.plugins.captains.calendar import captain_day, next_captain_day
from linli.plugins.captains.labels import OPEN_NEED_STATES, outcomes
from linli.plugins.captains.tables import (
    action_items,
    assignments,
    captain_days,
    care_plans,
    evaluations,
    needs,
    sweep_buildings,
    sweeps,
    visits,
)

__all__ = ["CaptainDay", "period_of", "upcoming"]


def period_of(day: dt.date) -> str:
    """The evaluation period of a day: its quarter (``2026Q4``)."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _rule(ctx: PluginContext) -> tuple[int, int]:
    """The district's captain day: (week of the month, ISO weekday); the first Friday when unset or wrong."""
    try:
        week = int(ctx.config.get("captain_day_week", 1))
        weekday = int(ctx.config.get("captain_day_weekday", 5))
    except (TypeError, ValueError):
        week, weekday = 1, 5
    if not 1 <= week <= 4 or not 1 <= weekday <= 7:
        week, weekday = 1, 5
    return week, weekday


def upcoming(ctx: PluginContext, today: dt.date | None = None) -> dt.date:
    """The next captain day on or after ``today`` in this district."""
    week, weekday = _rule(ctx)
    return next_captain_day(today or ctx.now().date(), ctx.is_working_day, week=week, weekday=weekday)


def latest(ctx: PluginContext, today: dt.date | None = None) -> dt.date:
    """The last captain day on or before ``today`` in this district."""
    week, weekday = _rule(ctx)
    today = today or ctx.now().date()
    year, month = today.year, today.month
    for _ in range(3):
        day = captain_day(year, month, ctx.is_working_day, week=week, weekday=weekday)
        if day <= today:
            return day
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    raise AssertionError("unreachable: a captain day falls within every month")


def agenda(ctx: PluginContext, grid: reg.Grid | None, day: dt.date) -> str:
    """A grid's agenda for captain day: counts and numbers only, nothing personal."""
    grid_where: Any = needs.c.grid_id == grid.id if grid else sa.true()
    now = ctx.clock.now()
    open_needs = ctx.store.select(needs, needs.c.state.in_(OPEN_NEED_STATES), grid_where, order_by=[needs.c.number])
    overdue = [n for n in open_needs if n.due_at < now]
    escalated = [n for n in open_needs if n.level != "grid"]
    lines = [
        ctx.t(
            "Captain day {date}, {grid}: agenda",
            date=day.isoformat(),
            grid=grid.label if grid else ctx.district.name,
        ),
        ctx.t(
            "1. Urgent needs: {open} open ({numbers}), {overdue} overdue, {escalated} passed up.",
            open=len(open_needs),
            numbers=", ".join(f"#{n.number}" for n in open_needs[:15]) or "—",
            overdue=len(overdue),
            escalated=len(escalated),
        ),
    ]
    latest = ctx.store.select(sweeps, order_by=[sweeps.c.number.desc()], limit=1)
    if latest:
        sweep = latest[0]
        in_grid: Any = sweep_buildings.c.grid_id == grid.id if grid else sa.true()
        ids = list(
            ctx.store.execute(
                sa.select(sweep_buildings.c.building_id).where(sweep_buildings.c.sweep_id == sweep.id, in_grid)
            ).scalars()
        )
        total = int(
            ctx.store.execute(
                sa.select(sa.func.coalesce(sa.func.sum(sweep_buildings.c.households), 0)).where(
                    sweep_buildings.c.sweep_id == sweep.id, in_grid
                )
            ).scalar()
            or 0
        )
        counted = [
            (str(r.outcome), int(r.n))
            for r in ctx.store.execute(
                sa.select(visits.c.outcome, sa.func.count().label("n"))
                .where(visits.c.sweep_id == sweep.id, visits.c.building_id.in_(ids))
                .group_by(visits.c.outcome)
            )
        ]
        codes = outcomes(ctx)
        lines.append(
            ctx.t(
                "2. Sweep {number} ({reason}): {done} of {total} household(s) visited; {found}.",
                number=sweep.number,
                reason=sweep.reason,
                done=sum(n for _, n in counted),
                total=total,
                found=joined(ctx, [f"{ctx.t(codes.get(c, c))} {n}" for c, n in sorted(counted)]) or "—",
            )
        )
    else:
        lines.append(ctx.t("2. No sweep yet."))
    period = period_of(day)
    building_ids = [b.id for b in reg.buildings(ctx, grid_ids=[grid.id])] if grid else None
    where: list[Any] = [assignments.c.kind == "resident", assignments.c.end_on.is_(None)]
    if building_ids is not None:
        where.append(assignments.c.building_id.in_(building_ids))
    residents = {(a.building_id, a.person_id) for a in ctx.store.select(assignments, *where)}
    rated = {(e.building_id, e.ratee_id) for e in ctx.store.select(evaluations, evaluations.c.period == period)}
    plans_due = ctx.store.count(
        care_plans,
        care_plans.c.review_on <= day + dt.timedelta(days=31),
        care_plans.c.reviewed_at.is_(None),
        *([care_plans.c.building_id.in_(building_ids)] if building_ids is not None else []),
    )
    lines.append(
        ctx.t(
            "3. Evaluations {period}: {done} of {total} resident-affairs captain(s) rated.",
            period=period,
            done=len(residents & rated),
            total=len(residents),
        )
    )
    lines.append(ctx.t("4. Care plans due for review within a month: {n}.", n=plans_due))
    lines.append(ctx.t("5. Other matters of the month."))
    return "\n".join(lines)


def _grid_rooms(ctx: PluginContext, grid: reg.Grid | None) -> list[Address]:
    rooms = reg.rooms_of_grid(ctx, grid) if grid else []
    if not rooms and ctx.config.get("room"):
        rooms = [Address.parse(str(ctx.config["room"]))]
    return rooms


class CaptainDay(HandlerGroup):
    """``/captainday``, ``/dayminutes``, ``/dayaction``; the agenda the day before."""

    @scheduled("agenda", "0 9 * * *")
    def agenda_job(self, ctx: JobContext) -> None:
        """Each morning: when tomorrow is captain day, send each grid its agenda."""
        tomorrow = ctx.now().date() + dt.timedelta(days=1)
        if upcoming(ctx, tomorrow) != tomorrow:
            return
        grids: list[reg.Grid | None] = list(reg.grids(ctx)) or [None]
        for grid in grids:
            gid = grid.id if grid else None
            if ctx.store.get(
                captain_days,
                captain_days.c.grid_id.is_(None) if gid is None else captain_days.c.grid_id == gid,
                captain_days.c.day == tomorrow,
            ):
                continue
            text = agenda(ctx, grid, tomorrow)
            ctx.store.insert(captain_days, grid_id=gid, day=tomorrow, agenda=text, agenda_sent_at=ctx.clock.now())
            rooms = _grid_rooms(ctx, grid)
            for room in rooms:
                ctx.send(room, text)
        ctx.log.info("captain day agenda sent", day=tomorrow.isoformat(), grids=len(grids))

    @command(
        "captainday", help=N_("When the next captain day is, and its agenda"), usage=N_("[GRID]"), aliases=("楼长日",)
    )
    def captainday(self, ctx: CommandContext) -> None:
        day = upcoming(ctx)
        lines = [ctx.t("The next captain day is {date}.", date=day.isoformat())]
        if is_staff(ctx) or ctx.has_role(GRID_WORKER) or captain_buildings(ctx):
            grid = self._grid(ctx, ctx.args[0] if ctx.args else None)
            lines.append(agenda(ctx, grid, day))
        ctx.reply("\n".join(lines))

    def _grid(self, ctx: PluginContext, text: str | None) -> reg.Grid | None:
        if text:
            grid = reg.find_grid(ctx, text)
            if grid is None:
                raise ctx.fail(ctx.t("There is no grid {grid} in this community.", grid=text))
            return grid
        mine = captain_buildings(ctx)
        if mine:
            found = reg.buildings(ctx, ids=list(mine))
            gid = next((b.grid_id for b in found if b.grid_id is not None), None)
            return next((g for g in reg.grids(ctx) if g.id == gid), None)
        return None

    def _meeting(self, ctx: PluginContext, grid: reg.Grid | None) -> Any:
        """The grid's last captain day that has come (its row is made if no agenda was sent)."""
        day = latest(ctx)
        gid = grid.id if grid else None
        where = captain_days.c.grid_id.is_(None) if gid is None else captain_days.c.grid_id == gid
        row = ctx.store.get(captain_days, where, captain_days.c.day == day)
        if row is None:
            ctx.store.insert(captain_days, grid_id=gid, day=day)
            row = ctx.store.get(captain_days, where, captain_days.c.day == day)
        return row

    def _may_record(self, ctx: PluginContext, grid: reg.Grid | None) -> bool:
        if is_staff(ctx):
            return True
        if grid is not None and works_in_grid(ctx, grid.id):
            return True
        mine = captain_buildings(ctx)
        return grid is not None and any(b.grid_id == grid.id for b in reg.buildings(ctx, ids=list(mine)))

    def _grid_and_text(self, ctx: CommandContext, usage: str) -> tuple[reg.Grid | None, str]:
        if not ctx.args:
            raise ctx.fail(usage)
        grid = reg.find_grid(ctx, ctx.args[0])
        text = ctx.argtext
        if grid is not None:
            parts = re.split(r"[\s\u3000]+", ctx.argtext.strip(), maxsplit=1)
            text = parts[1] if len(parts) > 1 else ""
        else:
            grid = self._grid(ctx, None)
        if not self._may_record(ctx, grid):
            raise ctx.fail(ctx.t("Only the grid's captains, its workers and staff record its captain day."))
        return grid, ctx.checked_text(text, empty=usage, limit=4000)

    @command(
        "dayminutes", help=N_("Record the minutes of captain day"), usage=N_("[GRID] TEXT"), aliases=("楼长日纪要",)
    )
    def minutes(self, ctx: CommandContext) -> None:
        grid, text = self._grid_and_text(ctx, ctx.t("Usage: /dayminutes [GRID] TEXT"))
        meeting = self._meeting(ctx, grid)
        ctx.store.update(
            captain_days,
            captain_days.c.id == meeting.id,
            minutes=(meeting.minutes + "\n" + text).strip(),
            minutes_by=ctx.person.id if ctx.person else None,
            minutes_at=ctx.clock.now(),
        )
        ctx.reply(ctx.t("The minutes of captain day {date} are recorded.", date=meeting.day.isoformat()))

    @command(
        "dayaction", help=N_("Add an action item from captain day"), usage=N_("[GRID] TEXT"), aliases=("楼长日事项",)
    )
    def actionitem(self, ctx: CommandContext) -> None:
        grid, text = self._grid_and_text(ctx, ctx.t("Usage: /dayaction [GRID] TEXT"))
        meeting = self._meeting(ctx, grid)
        n = ctx.store.count(action_items, action_items.c.captain_day_id == meeting.id) + 1
        ctx.store.insert(
            action_items,
            captain_day_id=meeting.id,
            text=text,
            responsible_id=ctx.person.id if ctx.person else None,
            added_at=ctx.clock.now(),
        )
        ctx.reply(ctx.t("Action item {n} of captain day {date} is recorded.", n=n, date=meeting.day.isoformat()))
