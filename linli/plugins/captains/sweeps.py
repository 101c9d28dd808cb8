"""Sweeps (排查): staff start a campaign; captains visit each household of their buildings and
mark it with an outcome code in a tap or two; coverage is live; those behind are reminded;
the community's room gets a summary at the deadline."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, NamedTuple

import sqlalchemy as sa

from linli.core.plugin import (
    N_,
    Address,
    ChoiceContext,
    CommandContext,
    ConversationContext,
    DialogContext,
    HandlerGroup,
    JobContext,
    PluginContext,
    command,
    on_choice,
    on_dialog,
    scheduled,
)
from linli.plugins.captains import _registry as reg
from linli.plugins.captains._common import (
    STAFF,
    captain_buildings,
    is_number,
    joined,
    next_number,
    number_arg,
    require_building,
    visible_buildings,
)
from linli.plugins.captains.labels import outcomes
from linli.plugins.captains.tables import assignments, sweep_buildings, sweeps, visits, zero_reports

__all__ = ["Coverage", "Sweeps", "coverage"]

SCOPES = {
    "district": N_("The whole community"),
    "grids": N_("Some grids"),
    "buildings": N_("Some buildings"),
}
MAX_REASON = 200
_SPLIT = re.compile(r"[\s,，、;；]+")
_DAYS = re.compile(r"^[0-9０-９]{1,9}$")


class Coverage:
    """How far a sweep is, per building: households in scope, visited, zero-reported."""

    def __init__(self, rows: list[Any], zero: set[int]) -> None:
        self.rows = rows
        self.zero = zero

    def done(self, row: Any) -> int:
        return int(row.households) if row.building_id in self.zero else min(int(row.visited), int(row.households))

    def totals(self, rows: list[Any] | None = None) -> tuple[int, int, int, int]:
        """(households done, households, buildings done, buildings)."""
        rows = self.rows if rows is None else rows
        done = sum(self.done(r) for r in rows)
        total = sum(int(r.households) for r in rows)
        buildings_done = sum(1 for r in rows if self.done(r) >= int(r.households))
        return done, total, buildings_done, len(rows)


class BuildingCoverage(NamedTuple):
    building_id: int
    grid_id: int | None
    households: int
    visited: int


def coverage(ctx: PluginContext, sweep_id: int, building_ids: list[int] | None = None) -> Coverage:
    """The coverage of a sweep: its buildings, and the visits counted per building in one GROUP BY
    that reads only the index ``ix_captains_visits_sweep_building``."""
    scope: list[Any] = [sweep_buildings.c.sweep_id == sweep_id]
    counted: list[Any] = [visits.c.sweep_id == sweep_id]
    if building_ids is not None:
        scope.append(sweep_buildings.c.building_id.in_(building_ids))
        counted.append(visits.c.building_id.in_(building_ids))
    visited = {
        int(r.building_id): int(r.n)
        for r in ctx.store.execute(
            sa.select(visits.c.building_id, sa.func.count().label("n")).where(*counted).group_by(visits.c.building_id)
        )
    }
    rows = [
        BuildingCoverage(r.building_id, r.grid_id, int(r.households), visited.get(r.building_id, 0))
        for r in ctx.store.execute(
            sa.select(sweep_buildings.c.building_id, sweep_buildings.c.grid_id, sweep_buildings.c.households).where(
                *scope
            )
        )
    ]
    zero = set(
        ctx.store.execute(sa.select(zero_reports.c.building_id).where(zero_reports.c.sweep_id == sweep_id)).scalars()
    )
    return Coverage(rows, zero)


def _percent(done: int, total: int) -> str:
    return f"{100 * done // total}%" if total else "—"


def load_sweep(ctx: PluginContext, number: int) -> Any:
    row = ctx.store.get(sweeps, sweeps.c.number == number)
    if row is None:
        raise ctx.fail(ctx.t("There is no sweep {number}.", number=number))
    return row


def _open_sweep_for(ctx: PluginContext, building_ids: list[int], number_text: str | None) -> Any:
    """The sweep a captain means: the one they name, else the latest open one covering their buildings."""
    if number_text:
        row = load_sweep(ctx, number_arg(ctx, number_text, ctx.t("Usage: /visit [SWEEP NUMBER]")))
        if row.state != "open":
            raise ctx.fail(ctx.t("Sweep {number} is closed; nothing more can be recorded in it.", number=row.number))
        return row
    open_ids = ctx.store.execute(
        sa.select(sweep_buildings.c.sweep_id).where(sweep_buildings.c.building_id.in_(building_ids)).distinct()
    ).scalars()
    candidates = ctx.store.select(
        sweeps, sweeps.c.state == "open", sweeps.c.id.in_(list(open_ids)), order_by=[sweeps.c.number.desc()]
    )
    if not candidates:
        raise ctx.fail(ctx.t("No sweep is open for your buildings."))
    return candidates[0]


class Sweeps(HandlerGroup):
    """Sweep campaigns, visits, zero reports, coverage, reminders and summaries."""

    # --- staff start one -------------------------------------------------------------------

    @command("sweep", help=N_("Start a sweep of households"), usage=N_("[reason]"), roles=(STAFF,), aliases=("排查",))
    def sweep(self, ctx: CommandContext) -> None:
        if ctx.argtext:
            reason = ctx.checked_text(ctx.argtext, empty="", limit=MAX_REASON)
            ctx.start_dialog("sweep", step="scope", data={"reason": reason}, **self._scope_prompt(ctx))
        else:
            ctx.start_dialog("sweep", step="reason", prompt=ctx.t("What is the sweep for? (send /cancel to stop)"))

    def _scope_prompt(self, ctx: PluginContext) -> dict[str, Any]:
        return {
            "prompt": ctx.t("Which households does it cover?"),
            "choices": [ctx.choice(ctx.t(label), "sweep_scope", key) for key, label in SCOPES.items()],
        }

    @on_dialog("sweep")
    def sweep_step(self, ctx: DialogContext) -> None:
        data = dict(ctx.dialog.data)
        step = ctx.dialog.step
        if step == "reason":
            data["reason"] = ctx.checked_text(
                ctx.text, empty=ctx.t("Please say what the sweep is for."), limit=MAX_REASON
            )
            ctx.continue_dialog(step="scope", data=data, **self._scope_prompt(ctx))
        elif step == "scope":
            ctx.continue_dialog(step="scope", data=data, prompt=ctx.t("Please pick one of the choices above."))
        elif step in ("grids", "buildings"):
            ids = self._scope_ids(ctx, step, ctx.text)
            data["scope_ids"] = ids
            ctx.continue_dialog(step="deadline", data=data, prompt=self._deadline_prompt(ctx))
        elif step == "deadline":
            deadline = self._deadline(ctx, ctx.text)
            self._start(ctx, data, deadline)

    def _deadline_prompt(self, ctx: PluginContext) -> str:
        return ctx.t("By when must it be done? Send a date (2026-12-10) or a number of days (7).")

    def _scope_ids(self, ctx: PluginContext, step: str, text: str) -> list[int]:
        names = [n for n in _SPLIT.split(text.strip()) if n]
        if not names:
            raise ctx.fail(ctx.t("Please name at least one."))
        ids: list[int] = []
        for name in names:
            if step == "grids":
                grid = reg.find_grid(ctx, name)
                if grid is None:
                    raise ctx.fail(ctx.t("There is no grid {grid} in this community.", grid=name))
                ids.append(grid.id)
            else:
                ids.append(require_building(ctx, name).id)
        return list(dict.fromkeys(ids))

    def _deadline(self, ctx: PluginContext, text: str) -> dt.date:
        text = text.strip()
        today = ctx.now().date()
        wrong = ctx.t("Please send a date from today within a year (2026-12-10), or a number of days (7).")
        day: dt.date | None = None
        if _DAYS.match(text):
            days = number_arg(ctx, text, wrong)
            day = today + dt.timedelta(days=days) if days <= 366 else None
        else:
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                day = None
        if day is None or not today <= day <= today + dt.timedelta(days=366):
            raise ctx.fail(wrong)
        return day

    @on_choice("sweep_scope", roles=(STAFF,))
    def sweep_scope(self, ctx: ChoiceContext) -> None:
        if ctx.dialog is None or ctx.dialog.name != "sweep" or ctx.data not in SCOPES:
            raise ctx.fail(ctx.t("That sweep was already started or cancelled. Send /sweep to start again."))
        data = {**ctx.dialog.data, "scope": ctx.data}
        if ctx.data == "district":
            ctx.continue_dialog(step="deadline", data=data, prompt=self._deadline_prompt(ctx))
        elif ctx.data == "grids":
            ctx.continue_dialog(step="grids", data=data, prompt=ctx.t("Which grids? Send their names."))
        else:
            ctx.continue_dialog(step="buildings", data=data, prompt=ctx.t("Which buildings? Send their names."))

    def _start(self, ctx: ConversationContext, data: dict[str, Any], deadline: dt.date) -> None:
        scope = data.get("scope", "district")
        ids = [int(i) for i in data.get("scope_ids", [])]
        if scope == "grids":
            chosen = reg.buildings(ctx, grid_ids=ids)
        elif scope == "buildings":
            chosen = reg.buildings(ctx, ids=ids)
        else:
            chosen = reg.buildings(ctx)
        if not chosen:
            raise ctx.fail(ctx.t("There are no buildings to sweep there yet."))
        counts = reg.household_counts(ctx, [b.id for b in chosen])
        number = next_number(ctx, sweeps)
        sweep_id = ctx.store.insert(
            sweeps,
            number=number,
            reason=data["reason"],
            scope=scope,
            scope_ids=",".join(str(i) for i in ids),
            deadline=deadline,
            started_by=ctx.person.id,
            started_at=ctx.clock.now(),
        )
        ctx.store.insert_many(
            sweep_buildings,
            [
                {"sweep_id": sweep_id, "building_id": b.id, "grid_id": b.grid_id, "households": counts.get(b.id, 0)}
                for b in chosen
            ],
        )
        ctx.end_dialog()
        ctx.audit("captains.sweep_started", f"sweep:{number}", buildings=len(chosen))
        ctx.publish("captains.sweep_started", {"number": number, "buildings": len(chosen)})
        ctx.reply(
            ctx.t(
                "Sweep {number} is started: {buildings} building(s), {households} household(s), due {deadline}. "
                "Captains are told; see how far it is with /coverage {number}.",
                number=number,
                buildings=len(chosen),
                households=sum(counts.get(b.id, 0) for b in chosen),
                deadline=deadline.isoformat(),
            )
        )
        captains = ctx.store.execute(
            sa.select(assignments.c.person_id)
            .where(assignments.c.building_id.in_([b.id for b in chosen]), assignments.c.end_on.is_(None))
            .distinct()
        ).scalars()
        for pid in sorted(p for p in captains if p is not None):
            t = ctx.translator_for(pid)
            ctx.send_private(
                pid,
                t(
                    "A sweep is starting in your buildings: {reason} (sweep {number}, due {deadline}). "
                    "Send /visit to mark the households one by one.",
                    reason=data["reason"],
                    number=number,
                    deadline=deadline.isoformat(),
                ),
            )

    # --- captains visit ------------------------------------------------------------------------

    @command(
        "visit",
        help=N_("Mark the next households of a sweep (in private)"),
        usage=N_("[HOUSEHOLD] [SWEEP]"),
        where="private",
        aliases=("走访",),
    )
    def visit(self, ctx: CommandContext) -> None:
        mine = list(captain_buildings(ctx))
        if not mine:
            raise ctx.fail(ctx.t("Only a building's captains mark its households in a sweep."))
        household_text = next((a for a in ctx.args if not is_number(a)), None)
        number_text = next((a for a in ctx.args if is_number(a)), None)
        sweep = _open_sweep_for(ctx, mine, number_text)
        if household_text is not None:
            household = reg.find_household(ctx, household_text, mine) or reg.find_household(ctx, household_text)
            if household is None:
                raise ctx.fail(ctx.t("There is no household {household} here.", household=household_text))
            if household.building_id not in mine:
                raise ctx.fail(
                    ctx.t(
                        "Household {household} is not in your buildings; its own captains mark it.",
                        household=household.label,
                    )
                )
            self._ask_outcome(ctx, sweep, household)
            return
        self._next(ctx, sweep, mine)

    def _next(self, ctx: ConversationContext, sweep: Any, mine: list[int], last: int | None = None) -> None:
        in_sweep = set(
            ctx.store.execute(
                sa.select(sweep_buildings.c.building_id).where(
                    sweep_buildings.c.sweep_id == sweep.id, sweep_buildings.c.building_id.in_(mine)
                )
            ).scalars()
        )
        zero = set(
            ctx.store.execute(
                sa.select(zero_reports.c.building_id).where(zero_reports.c.sweep_id == sweep.id)
            ).scalars()
        )
        done = set(
            ctx.store.execute(
                sa.select(visits.c.household_id).where(
                    visits.c.sweep_id == sweep.id, visits.c.building_id.in_(in_sweep)
                )
            ).scalars()
        )
        waiting: list[reg.Household] = []
        for building_id in sorted(in_sweep - zero):
            waiting.extend(h for h in reg.households(ctx, building_id) if h.id not in done)
        if not waiting:
            ctx.end_dialog()
            ctx.reply(
                ctx.t("Every household of your buildings is marked in sweep {number}. Thank you!", number=sweep.number)
            )
            return
        self._ask_outcome(ctx, sweep, waiting[0], left=len(waiting), last=last)

    def _ask_outcome(
        self, ctx: ConversationContext, sweep: Any, household: reg.Household, *, left: int = 0, last: int | None = None
    ) -> None:
        codes = outcomes(ctx)
        choices = [
            ctx.choice(ctx.t(label), "visit", f"{sweep.id}:{household.id}:{code}") for code, label in codes.items()
        ]
        prompt = ctx.t(
            "Sweep {number} · household {household}: what did you find?", number=sweep.number, household=household.label
        )
        if left:
            prompt += "\n" + ctx.t("{n} household(s) left to visit.", n=left)
        data: dict[str, Any] = {"sweep": sweep.id, "current": household.id}
        if last is not None:
            data["last"] = last
        ctx.start_dialog("visit", step="outcome", data=data, prompt=prompt, choices=choices)

    @on_choice("visit")
    def visit_choice(self, ctx: ChoiceContext) -> None:
        sweep_id, _, rest = ctx.data.partition(":")
        household_id, _, code = rest.partition(":")
        if not (is_number(sweep_id) and is_number(household_id)):
            raise ctx.fail(ctx.t("That button is out of date. Send /visit to go on."))
        self._mark(ctx, int(sweep_id), int(household_id), code)

    def _mark(self, ctx: ConversationContext, sweep_id: int, household_id: int, code: str) -> None:
        """Record what the captain found at a household, then ask about the next one."""
        sweep = ctx.store.get(sweeps, sweeps.c.id == sweep_id)
        if sweep is None:
            raise ctx.fail(ctx.t("That button is out of date. Send /visit to go on."))
        if sweep.state != "open":
            raise ctx.fail(ctx.t("Sweep {number} is closed; nothing more can be recorded in it.", number=sweep.number))
        codes = outcomes(ctx)
        if code not in codes:
            raise ctx.fail(ctx.t("That button is out of date. Send /visit to go on."))
        mine = list(captain_buildings(ctx))
        household = reg.household(ctx, household_id)
        if household is None or household.building_id not in mine:
            raise ctx.fail(ctx.t("That household is not in your buildings; its own captains mark it."))
        covered = ctx.store.get(
            sweep_buildings,
            sweep_buildings.c.sweep_id == sweep.id,
            sweep_buildings.c.building_id == household.building_id,
        )
        if covered is None:
            raise ctx.fail(ctx.t("Sweep {number} does not cover that building.", number=sweep.number))
        values: dict[str, Any] = {"outcome": code, "captain_id": ctx.person.id, "visited_at": ctx.clock.now()}
        if not ctx.store.update(visits, visits.c.sweep_id == sweep.id, visits.c.household_id == household.id, **values):
            ctx.store.insert(
                visits, sweep_id=sweep.id, building_id=household.building_id, household_id=household.id, **values
            )
        ctx.reply(
            ctx.t(
                "{household}: {outcome}. (Write a note now if there is something to add.)",
                household=household.label,
                outcome=ctx.t(codes[code]),
            )
        )
        # a note written before the next button is pressed belongs to this household
        self._next(ctx, sweep, mine, last=household.id)

    @on_dialog("visit")
    def visit_note(self, ctx: DialogContext) -> None:
        data = dict(ctx.dialog.data)
        codes = list(outcomes(ctx))
        text = ctx.text.strip()
        if is_number(text) and data.get("current") is not None:
            # a bare number answers the buttons (the console and Matrix number them), it is no note
            n = number_arg(ctx, text, "")
            if not 1 <= n <= len(codes):
                raise ctx.fail(ctx.t("Please pick one of the choices above."))
            self._mark(ctx, int(data["sweep"]), int(data["current"]), codes[n - 1])
            return
        last = data.get("last")
        if last is None:
            ctx.continue_dialog(step="outcome", data=data, prompt=ctx.t("Please pick one of the choices above."))
            return
        note = ctx.checked_text(ctx.text, empty=ctx.t("Please write a few words."), limit=500)
        ctx.store.update(visits, visits.c.sweep_id == int(data["sweep"]), visits.c.household_id == int(last), note=note)
        ctx.continue_dialog(step="outcome", data=data, prompt=ctx.t("Noted."))

    @command(
        "zero",
        help=N_("Report that a building has nothing to report in a sweep"),
        usage=N_("BUILDING [SWEEP]"),
        aliases=("零报告",),
    )
    def zero(self, ctx: CommandContext) -> None:
        if not ctx.args:
            raise ctx.fail(ctx.t("Usage: /zero BUILDING [SWEEP], for example /zero 2号楼"))
        building = require_building(ctx, ctx.args[0])
        mine = list(captain_buildings(ctx))
        if building.id not in mine:
            raise ctx.fail(ctx.t("Only the captains of {building} report for it.", building=building.label))
        sweep = _open_sweep_for(ctx, [building.id], ctx.args[1] if len(ctx.args) > 1 else None)
        if (
            ctx.store.get(
                sweep_buildings, sweep_buildings.c.sweep_id == sweep.id, sweep_buildings.c.building_id == building.id
            )
            is None
        ):
            raise ctx.fail(ctx.t("Sweep {number} does not cover that building.", number=sweep.number))
        if ctx.store.get(zero_reports, zero_reports.c.sweep_id == sweep.id, zero_reports.c.building_id == building.id):
            raise ctx.fail(
                ctx.t(
                    "{building} already reported nothing found in sweep {number}.",
                    building=building.label,
                    number=sweep.number,
                )
            )
        ctx.store.insert(
            zero_reports,
            sweep_id=sweep.id,
            building_id=building.id,
            captain_id=ctx.person.id,
            reported_at=ctx.clock.now(),
        )
        ctx.reply(
            ctx.t(
                "Zero report: nothing found in {building} in sweep {number}.",
                building=building.label,
                number=sweep.number,
            )
        )

    # --- how far it is ---------------------------------------------------------------------------

    @command("coverage", help=N_("How far a sweep is"), usage=N_("[SWEEP] [GRID]"), aliases=("覆盖率",))
    def coverage_command(self, ctx: CommandContext) -> None:
        visible = visible_buildings(ctx)
        if visible is not None and not visible:
            raise ctx.fail(ctx.t("Coverage is for the community's staff and its building captains."))
        number_text = next((a for a in ctx.args if is_number(a)), None)
        grid_text = next((a for a in ctx.args if not is_number(a)), None)
        if number_text is not None:
            sweep = load_sweep(ctx, number_arg(ctx, number_text, ctx.t("Usage: /coverage [SWEEP] [GRID]")))
        else:
            latest = ctx.store.select(sweeps, order_by=[sweeps.c.number.desc()], limit=1)
            if not latest:
                raise ctx.fail(ctx.t("No sweep has been started yet."))
            sweep = latest[0]
        ctx.reply(self.coverage_text(ctx, sweep, visible, grid_text))

    def coverage_text(
        self, ctx: PluginContext, sweep: Any, building_ids: list[int] | None, grid_text: str | None = None
    ) -> str:
        grid = reg.find_grid(ctx, grid_text) if grid_text else None
        if grid_text and grid is None:
            raise ctx.fail(ctx.t("There is no grid {grid} in this community.", grid=grid_text))
        cov = coverage(ctx, sweep.id, building_ids)
        rows = [r for r in cov.rows if grid is None or r.grid_id == grid.id]
        done, total, bdone, btotal = cov.totals(rows)
        lines = [
            ctx.t(
                "Sweep {number} ({reason}), {state}, due {deadline}: {done} of {total} household(s) ({percent}), "
                "{bdone} of {btotal} building(s) complete.",
                number=sweep.number,
                reason=sweep.reason,
                state=ctx.t(N_("under way")) if sweep.state == "open" else ctx.t(N_("closed")),
                deadline=sweep.deadline.isoformat(),
                done=done,
                total=total,
                percent=_percent(done, total),
                bdone=bdone,
                btotal=btotal,
            )
        ]
        if building_ids is None and grid is None:
            labels = {g.id: g.label for g in reg.grids(ctx)}
            by_grid: dict[int | None, list[Any]] = {}
            for r in cov.rows:
                by_grid.setdefault(r.grid_id, []).append(r)
            for gid in sorted(by_grid, key=lambda g: (g is None, labels.get(g, "") if g is not None else "")):
                d, t, bd, bt = cov.totals(by_grid[gid])
                lines.append(
                    ctx.t(
                        "{grid}: {done}/{total} ({percent}), {bdone}/{btotal} building(s)",
                        grid=labels.get(gid, "—") if gid is not None else "—",
                        done=d,
                        total=t,
                        percent=_percent(d, t),
                        bdone=bd,
                        btotal=bt,
                    )
                )
            return "\n".join(lines)
        names = {b.id: b.label for b in reg.buildings(ctx, ids=[r.building_id for r in rows])}
        for r in sorted(rows, key=lambda r: names.get(r.building_id, "")):
            d = cov.done(r)
            mark = ctx.t(" (zero report)") if r.building_id in cov.zero else ""
            count = f"{d}/{r.households} ({_percent(d, int(r.households))}){mark}"
            lines.append(ctx.t("{label}: {value}", label=names.get(r.building_id, r.building_id), value=count))
        return "\n".join(lines)

    @command(
        "closesweep",
        help=N_("Close a sweep and send its summary"),
        usage=N_("NUMBER"),
        roles=(STAFF,),
        aliases=("结束排查",),
    )
    def closesweep(self, ctx: CommandContext) -> None:
        number = number_arg(ctx, ctx.args[0] if ctx.args else "", ctx.t("Usage: /closesweep NUMBER"))
        sweep = load_sweep(ctx, number)
        if sweep.state != "open":
            raise ctx.fail(ctx.t("Sweep {number} is closed; nothing more can be recorded in it.", number=sweep.number))
        summary = self._close(ctx, sweep)
        ctx.reply(summary)

    def _close(self, ctx: PluginContext, sweep: Any) -> str:
        ctx.store.update(sweeps, sweeps.c.id == sweep.id, state="closed", closed_at=ctx.clock.now())
        sweep = ctx.store.get(sweeps, sweeps.c.id == sweep.id)
        summary = self.summary(ctx, sweep)
        room = ctx.config.get("room", "")
        if room and (ctx.address is None or ctx.address.room_key != room):
            ctx.send(Address.parse(room), summary)
        ctx.publish("captains.sweep_closed", {"number": sweep.number})
        return summary

    def summary(self, ctx: PluginContext, sweep: Any) -> str:
        """The sweep's coverage and its outcomes by code: counts only, never a household."""
        text = self.coverage_text(ctx, sweep, None)
        codes = outcomes(ctx)
        counted = [
            (str(r.outcome), int(r.n))
            for r in ctx.store.execute(
                sa.select(visits.c.outcome, sa.func.count().label("n"))
                .where(visits.c.sweep_id == sweep.id)
                .group_by(visits.c.outcome)
            )
        ]
        zero = ctx.store.count(zero_reports, zero_reports.c.sweep_id == sweep.id)
        found = joined(ctx, [f"{ctx.t(codes.get(code, code))} {n}" for code, n in sorted(counted)])
        return text + "\n" + ctx.t("Outcomes: {found}; zero reports: {zero}.", found=found or "—", zero=zero)

    # --- the clock ---------------------------------------------------------------------------------

    @scheduled("sweeps", "0 9 * * *")
    def sweeps_job(self, ctx: JobContext) -> None:
        """Each morning: close the sweeps past their deadline with a summary to the community's
        room; remind the captains who are behind schedule in the open ones."""
        today = ctx.now().date()
        for sweep in ctx.store.select(sweeps, sweeps.c.state == "open", order_by=[sweeps.c.number]):
            if sweep.deadline < today:
                self._close(ctx, sweep)
            elif sweep.reminded_on != today:
                self._remind(ctx, sweep, today)

    def _remind(self, ctx: PluginContext, sweep: Any, today: dt.date) -> None:
        started = sweep.started_at.astimezone(ctx.now().tzinfo).date()
        span = max((sweep.deadline - started).days, 1)
        expected = min(max((today - started).days, 0) / span, 1.0)
        if expected <= 0:
            return
        cov = coverage(ctx, sweep.id)
        behind: dict[int, list[int]] = {}
        by_building = {r.building_id: r for r in cov.rows}
        rows = ctx.store.select(
            assignments, assignments.c.building_id.in_(list(by_building)), assignments.c.end_on.is_(None)
        )
        for a in rows:
            r = by_building[a.building_id]
            if a.person_id is not None and cov.done(r) < expected * int(r.households):
                behind.setdefault(a.person_id, []).append(a.building_id)
        for pid, ids in sorted(behind.items()):
            d, t, _, _ = cov.totals([by_building[i] for i in ids])
            tr = ctx.translator_for(pid)
            ctx.send_private(
                pid,
                tr(
                    "Sweep {number} is due {deadline}: {done} of {total} household(s) of your buildings are marked. "
                    "Send /visit to go on.",
                    number=sweep.number,
                    deadline=sweep.deadline.isoformat(),
                    done=d,
                    total=t,
                ),
            )
        ctx.store.update(sweeps, sweeps.c.id == sweep.id, reminded_on=today)
