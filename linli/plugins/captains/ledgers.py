"""The captains' ledgers (台账) for ``linli export``, with Chinese headers in a Chinese district.

The special-households ledger and the visits ledger (each household's outcome, a special one
among them, and the captains' notes) hold sensitive personal data (PIPL): ``linli export`` gives
them only with ``--include-sensitive``, and the audit log marks such an export."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from linli.core.plugin import N_, HandlerGroup, Ledger, LedgerContext, PluginContext, ledger
from linli.plugins.captains import _registry as reg
from linli.plugins.captains.evaluations import criteria
from linli.plugins.captains.labels import KINDS, LEVELS, NEED_STATES, OPEN_NEED_STATES, outcomes, special_codes
from linli.plugins.captains.notices import TALLY_KINDS
from linli.plugins.captains.stats import FIGURES, figures
from linli.plugins.captains.sweeps import SCOPES, coverage
from linli.plugins.captains.tables import (
    action_items,
    assignments,
    captain_days,
    care_plans,
    evaluations,
    needs,
    notices,
    specials,
    sweeps,
    tallies,
    visits,
    zero_reports,
)

__all__ = ["Ledgers"]


def _names(ctx: PluginContext, ids: Any) -> dict[int, str]:
    return ctx.display_names(sorted({i for i in ids if i is not None}))


class Ledgers(HandlerGroup):
    """Buildings and captains, special households, sweeps and visits, needs, notices and tallies,
    captain days, evaluations, figures."""

    @ledger("buildings", title=N_("Buildings and captains ledger"))
    def buildings_ledger(self, ctx: LedgerContext) -> Ledger:
        everything = reg.buildings(ctx)
        counts = reg.household_counts(ctx, [b.id for b in everything])
        current: dict[int, dict[str, Any]] = {}
        for a in ctx.store.select(assignments, assignments.c.end_on.is_(None), assignments.c.person_id.is_not(None)):
            current.setdefault(a.building_id, {})[a.kind] = a
        names = _names(ctx, [a.person_id for kinds in current.values() for a in kinds.values()])
        rows = []
        for b in sorted(everything, key=lambda b: (b.grid_label, b.label)):
            gov, resident = current.get(b.id, {}).get("gov"), current.get(b.id, {}).get("resident")
            rows.append(
                [
                    b.grid_label,
                    b.label,
                    counts.get(b.id, 0),
                    names.get(gov.person_id, "") if gov else "",
                    gov.unit if gov else "",
                    gov.start_on if gov else None,
                    names.get(resident.person_id, "") if resident else "",
                    resident.start_on if resident else None,
                ]
            )
        return Ledger(
            columns=[
                N_("Grid"),
                N_("Building"),
                N_("Households"),
                N_("Government-affairs captain"),
                N_("Sent by"),
                N_("Since"),
                N_("Resident-affairs captain"),
                N_("Since"),
            ],
            rows=rows,
        )

    @ledger("households", title=N_("Households ledger"))
    def households_ledger(self, ctx: LedgerContext) -> Ledger:
        """The register's households by building, with their people; the special-household
        codes only in an export asked for with ``--include-sensitive`` (audited so)."""
        registry = ctx.registry
        specials_of: dict[int, list[str]] = {}
        if ctx.include_sensitive:
            codes = special_codes(ctx)
            for r in ctx.store.select(specials, specials.c.ended_at.is_(None), order_by=[specials.c.id]):
                specials_of.setdefault(r.household_id, []).append(ctx.t(codes.get(r.code, r.code)))
        columns = [
            N_("Grid"),
            N_("Building"),
            N_("Household"),
            N_("Head of household"),
            N_("People"),
            N_("People without a chat account"),
        ]
        if ctx.include_sensitive:
            columns.append(N_("Special household"))

        def rows() -> Any:
            for b in sorted(reg.buildings(ctx), key=lambda b: (b.grid_label, b.label)):
                people: dict[int, list[Any]] = {}
                for r in registry.residents_of_building(b.id):
                    if r.household_id is not None:
                        people.setdefault(r.household_id, []).append(r)
                for h in sorted(registry.households(b.id), key=lambda h: (h.unit, h.number)):
                    if h.status != "active":
                        continue
                    members = people.get(h.id, [])
                    head = next((m.name for m in members if m.relation == "户主"), "")
                    row = [
                        b.grid_label,
                        b.label,
                        h.label,
                        head,
                        len(members),
                        sum(1 for m in members if not m.has_account),
                    ]
                    if ctx.include_sensitive:
                        row.append("、".join(specials_of.get(h.id, [])))
                    yield row

        return Ledger(columns=columns, rows=rows())

    @ledger("captains", title=N_("Captain assignments ledger"))
    def captains_ledger(self, ctx: LedgerContext) -> Ledger:
        rows = ctx.store.select(assignments, order_by=[assignments.c.building_id, assignments.c.id])
        labels = {b.id: b.label for b in reg.buildings(ctx, ids=sorted({r.building_id for r in rows}))}
        names = _names(ctx, [r.person_id for r in rows])
        return Ledger(
            columns=[N_("Building"), N_("Kind"), N_("Captain"), N_("Sent by"), N_("Start"), N_("End")],
            rows=[
                [
                    labels.get(r.building_id, r.building_id),
                    ctx.t(KINDS[r.kind]),
                    names.get(r.person_id, ""),
                    r.unit,
                    r.start_on,
                    r.end_on,
                ]
                for r in rows
            ],
        )

    @ledger("specials", title=N_("Special households ledger (sensitive)"), sensitive=True)
    def specials_ledger(self, ctx: LedgerContext) -> Ledger:
        rows = ctx.store.select(specials, order_by=[specials.c.building_id, specials.c.household_id])
        found = {b.id: b for b in reg.buildings(ctx, ids=sorted({r.building_id for r in rows}))}
        plans: dict[int, Any] = {}
        for p in ctx.store.select(care_plans, order_by=[care_plans.c.id]):
            plans[p.household_id] = p
        names = _names(ctx, [p.responsible_id for p in plans.values()])
        codes = special_codes(ctx)
        tz = ZoneInfo(ctx.district.timezone)
        out = []
        for r in rows:
            b = found.get(r.building_id)
            h = reg.household(ctx, r.household_id)
            plan = plans.get(r.household_id)
            out.append(
                [
                    b.grid_label if b else "",
                    b.label if b else "",
                    h.label if h else "",
                    ctx.t(codes.get(r.code, r.code)),
                    r.registered_at.astimezone(tz).date(),
                    r.ended_at.astimezone(tz).date() if r.ended_at else None,
                    plan.measures if plan else "",
                    names.get(plan.responsible_id, "") if plan else "",
                    plan.review_on if plan else None,
                ]
            )
        return Ledger(
            columns=[
                N_("Grid"),
                N_("Building"),
                N_("Household"),
                N_("Kind of special household"),
                N_("Registered on"),
                N_("Ended on"),
                N_("Care plan measures"),
                N_("Responsible"),
                N_("Review on"),
            ],
            rows=out,
        )

    @ledger("sweeps", title=N_("Sweeps ledger"))
    def sweeps_ledger(self, ctx: LedgerContext) -> Ledger:
        tz = ZoneInfo(ctx.district.timezone)
        out = []
        for s in ctx.store.select(sweeps, order_by=[sweeps.c.number]):
            done, total, _, btotal = coverage(ctx, s.id).totals()
            out.append(
                [
                    s.number,
                    s.reason,
                    ctx.t(SCOPES.get(s.scope, s.scope)),
                    s.started_at.astimezone(tz).date(),
                    s.deadline,
                    ctx.t(N_("under way")) if s.state == "open" else ctx.t(N_("closed")),
                    btotal,
                    total,
                    done,
                    f"{100 * done // total}%" if total else "",
                    ctx.store.count(zero_reports, zero_reports.c.sweep_id == s.id),
                ]
            )
        return Ledger(
            columns=[
                N_("Sweep number"),
                N_("Reason"),
                N_("Scope"),
                N_("Started on"),
                N_("Deadline"),
                N_("State"),
                N_("Buildings"),
                N_("Households"),
                N_("Households visited"),
                N_("Coverage"),
                N_("Zero reports"),
            ],
            rows=out,
        )

    @ledger("visits", title=N_("Sweep visits ledger"), sensitive=True)
    def visits_ledger(self, ctx: LedgerContext) -> Ledger:
        numbers = {s.id: s.number for s in ctx.store.select(sweeps)}
        rows = ctx.store.select(visits, order_by=[visits.c.sweep_id, visits.c.building_id, visits.c.household_id])
        labels = {b.id: b.label for b in reg.buildings(ctx, ids=sorted({r.building_id for r in rows}))}
        households = {h.id: h.label for b in labels for h in reg.households(ctx, b)}
        names = _names(ctx, [r.captain_id for r in rows])
        codes = outcomes(ctx)
        return Ledger(
            columns=[
                N_("Sweep number"),
                N_("Building"),
                N_("Household"),
                N_("Outcome"),
                N_("Note"),
                N_("Captain"),
                N_("Time"),
            ],
            rows=(
                [
                    numbers.get(r.sweep_id),
                    labels.get(r.building_id, ""),
                    households.get(r.household_id, ""),
                    ctx.t(codes.get(r.outcome, r.outcome)),
                    r.note,
                    names.get(r.captain_id, ""),
                    r.visited_at,
                ]
                for r in rows
            ),
        )

    @ledger("needs", title=N_("Urgent needs ledger"))
    def needs_ledger(self, ctx: LedgerContext) -> Ledger:
        tz = ZoneInfo(ctx.district.timezone)
        rows = ctx.store.select(needs, order_by=[needs.c.number])
        found = {b.id: b for b in reg.buildings(ctx, ids=sorted({r.building_id for r in rows if r.building_id}))}
        names = _names(ctx, [p for r in rows for p in (r.reported_by, r.taken_by, r.confirmed_by)])
        files = ctx.attachment_cells()
        now = ctx.clock.now()
        out = []
        for r in rows:
            b = found.get(r.building_id) if r.building_id else None
            h = reg.household(ctx, r.household_id) if r.household_id else None
            out.append(
                [
                    r.number,
                    r.reported_at.astimezone(tz).date(),
                    b.grid_label if b else "",
                    b.label if b else "",
                    h.label if h else "",
                    r.text,
                    names.get(r.reported_by, ""),
                    ctx.t(N_("yes")) if r.on_behalf else "",
                    names.get(r.taken_by, ""),
                    ctx.t(NEED_STATES[r.state]),
                    ctx.t(LEVELS[r.level]),
                    r.escalations,
                    r.resolved_at.astimezone(tz).date() if r.resolved_at else None,
                    r.confirmed_at.astimezone(tz).date() if r.confirmed_at else None,
                    ctx.t(N_("yes")) if r.state in OPEN_NEED_STATES and r.due_at < now else "",
                    files.get(str(r.number), ""),
                ]
            )
        return Ledger(
            columns=[
                N_("Need number"),
                N_("Reported on"),
                N_("Grid"),
                N_("Building"),
                N_("Household"),
                N_("Need"),
                N_("Reported by"),
                N_("Reported by a captain for the household"),
                N_("Taken by"),
                N_("State"),
                N_("Level"),
                N_("Escalations"),
                N_("Resolved on"),
                N_("Confirmed on"),
                N_("Overdue"),
                N_("Attachments"),
            ],
            rows=out,
        )

    @ledger("notices", title=N_("Notices and tallies ledger"))
    def notices_ledger(self, ctx: LedgerContext) -> Ledger:
        names = {b.id: b.label for b in reg.buildings(ctx)}
        grids = {g.id: g.label for g in reg.grids(ctx)}
        rows: list[list[Any]] = []
        for n in ctx.store.select(notices, order_by=[notices.c.number]):
            where = (
                ctx.district.name
                if n.scope == "district"
                else (grids if n.scope == "grid" else names).get(n.scope_id, "")
            )
            rows.append([n.sent_at, ctx.t(N_("notice sent to rooms")), where, n.rooms, n.text])
        people = _names(ctx, [t.captain_id for t in ctx.store.select(tallies)])
        for t in ctx.store.select(tallies, order_by=[tallies.c.id]):
            rows.append(
                [
                    t.recorded_at,
                    ctx.t(TALLY_KINDS[t.kind]),
                    names.get(t.building_id, ""),
                    t.amount,
                    people.get(t.captain_id, ""),
                ]
            )
        return Ledger(columns=[N_("Time"), N_("Kind"), N_("Where"), N_("Quantity"), N_("Text or captain")], rows=rows)

    @ledger("captaindays", title=N_("Captain day ledger"))
    def captaindays_ledger(self, ctx: LedgerContext) -> Ledger:
        grids = {g.id: g.label for g in reg.grids(ctx)}
        rows = []
        for d in ctx.store.select(captain_days, order_by=[captain_days.c.day, captain_days.c.grid_id]):
            items = ctx.store.select(action_items, action_items.c.captain_day_id == d.id, order_by=[action_items.c.id])
            rows.append(
                [
                    d.day,
                    grids.get(d.grid_id, ctx.district.name) if d.grid_id else ctx.district.name,
                    d.agenda,
                    d.minutes,
                    "\n".join(f"{n}. {i.text}" for n, i in enumerate(items, start=1)),
                ]
            )
        return Ledger(columns=[N_("Date"), N_("Grid"), N_("Agenda"), N_("Minutes"), N_("Action items")], rows=rows)

    @ledger("evaluations", title=N_("Evaluations ledger"))
    def evaluations_ledger(self, ctx: LedgerContext) -> Ledger:
        rows = ctx.store.select(
            evaluations, order_by=[evaluations.c.period, evaluations.c.building_id, evaluations.c.criterion]
        )
        labels = {b.id: b.label for b in reg.buildings(ctx, ids=sorted({r.building_id for r in rows}))}
        names = _names(ctx, [p for r in rows for p in (r.rater_id, r.ratee_id)])
        crit = criteria(ctx)
        return Ledger(
            columns=[
                N_("Period"),
                N_("Building"),
                N_("Resident-affairs captain"),
                N_("Rated by"),
                N_("Criterion"),
                N_("Score"),
            ],
            rows=[
                [
                    r.period,
                    labels.get(r.building_id, ""),
                    names.get(r.ratee_id, ""),
                    names.get(r.rater_id, ""),
                    ctx.t(crit.get(r.criterion, r.criterion)),
                    r.score,
                ]
                for r in rows
            ],
        )

    @ledger("figures", title=N_("Captains' figures"))
    def figures_ledger(self, ctx: LedgerContext) -> Ledger:
        rows: list[list[Any]] = []

        def add(kind: str, name: str, values: dict[str, Any]) -> None:
            rows.append([kind, name, *(values[k] for k in FIGURES)])

        add(ctx.t(N_("Community")), ctx.district.name, figures(ctx))
        for g in reg.grids(ctx):
            add(
                ctx.t(N_("Grid")),
                g.label,
                figures(ctx, building_ids=[b.id for b in reg.buildings(ctx, grid_ids=[g.id])]),
            )
        captains = sorted({a.person_id for a in ctx.store.select(assignments) if a.person_id is not None})
        names = _names(ctx, captains)
        for pid in captains:
            add(ctx.t(N_("Captain")), names.get(pid, ""), figures(ctx, captain=pid))
        return Ledger(columns=[N_("Counted for"), N_("Name"), *FIGURES.values()], rows=rows)
