"""The monitoring and pairing ledgers (台账) for ``linli export``, with Chinese headers in a
Chinese district. The monitored households and their history hold income, health and objections:
``linli export`` gives them only with ``--include-sensitive``, and the audit log marks it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from linli.core.plugin import N_, HandlerGroup, Ledger, LedgerContext, ledger
from linli.plugins.rural._common import CAUSES, EVENTS, MEASURES, SOURCES, STATES, household_label, who
from linli.plugins.rural.monitoring import CATEGORIES, late_cases
from linli.plugins.rural.tables import case_events, cases, measures, pairs, visits

__all__ = ["MonitoringLedgers"]


def _labels(ctx: LedgerContext, ids: Any) -> dict[int, str]:
    reg = ctx.registry
    return {i: household_label(ctx, reg.household_by_id(i)) for i in sorted(set(ids))}


class MonitoringLedgers(HandlerGroup):
    """Monitored households, their history, measures, pairs, visits."""

    @ledger("monitoring", title=N_("Monitored households ledger"), sensitive=True)
    def monitoring_ledger(self, ctx: LedgerContext) -> Ledger:
        rows = ctx.store.select(cases, order_by=[cases.c.number])
        houses = _labels(ctx, [c.household_id for c in rows])
        names = who(
            ctx, [i for c in rows for i in (c.lead_by, c.appraised_by, c.decided_by, c.helper_id, c.eliminated_by)]
        )
        late = {c.id for c in late_cases(ctx)}
        tz = ctx.district.timezone
        t = ctx.t

        def day(when: Any) -> Any:
            return when.astimezone(_zone(tz)).date() if when else None

        return Ledger(
            columns=[
                N_("Case"),
                N_("Household"),
                N_("Source"),
                N_("Category"),
                N_("State"),
                N_("Lead on"),
                N_("Year"),
                N_("Income per person (yuan)"),
                N_("Medical spending (yuan)"),
                N_("Schooling spending (yuan)"),
                N_("Risk causes"),
                N_("Schooling"),
                N_("Medical insurance"),
                N_("Housing"),
                N_("Drinking water"),
                N_("Labour"),
                N_("Notice from"),
                N_("Notice until"),
                N_("Appraised by"),
                N_("Decided by"),
                N_("Decided on"),
                N_("Responsible helper"),
                N_("Risk eliminated on"),
                N_("Eliminated by"),
                N_("Late"),
            ],
            rows=[
                [
                    c.number,
                    houses.get(c.household_id, ""),
                    t(SOURCES.get(c.source, c.source)),
                    t(CATEGORIES[c.category]) if c.category in CATEGORIES else "",
                    t(STATES[c.state]),
                    day(c.lead_at),
                    c.year,
                    c.income,
                    c.medical_spending,
                    c.school_spending,
                    "、".join(t(CAUSES.get(x, x)) for x in c.causes.split(",") if x),
                    c.schooling,
                    c.insurance,
                    c.housing,
                    c.water,
                    c.labour,
                    c.notice_from,
                    c.notice_until,
                    names.get(c.appraised_by, "") if c.appraised_by else "",
                    names.get(c.decided_by, "") if c.decided_by else "",
                    day(c.decided_at),
                    names.get(c.helper_id, "") if c.helper_id else "",
                    day(c.eliminated_at),
                    names.get(c.eliminated_by, "") if c.eliminated_by else "",
                    t("yes") if c.id in late else "",
                ]
                for c in rows
            ],
        )

    @ledger("history", title=N_("Monitoring history ledger"), sensitive=True)
    def history_ledger(self, ctx: LedgerContext) -> Ledger:
        stmt = (
            sa.select(
                cases.c.number,
                cases.c.household_id,
                case_events.c.kind,
                case_events.c.detail,
                case_events.c.by_id,
                case_events.c.at,
            )
            .select_from(case_events.join(cases, cases.c.id == case_events.c.case_id))
            .order_by(cases.c.number, case_events.c.id)
        )
        rows = list(ctx.store.execute(stmt))
        houses = _labels(ctx, [r.household_id for r in rows])
        names = who(ctx, [r.by_id for r in rows])
        tz = ctx.district.timezone
        return Ledger(
            columns=[N_("Case"), N_("Household"), N_("When"), N_("What"), N_("By"), N_("Detail")],
            rows=[
                [
                    r.number,
                    houses.get(r.household_id, ""),
                    ctx.t.datetime(r.at, tz, "short"),
                    ctx.t(EVENTS.get(r.kind, r.kind)),
                    names.get(r.by_id, "") if r.by_id else "",
                    r.detail,
                ]
                for r in rows
            ],
        )

    @ledger("measures", title=N_("Measures of help ledger"))
    def measures_ledger(self, ctx: LedgerContext) -> Ledger:
        rows = ctx.store.select(measures, order_by=[measures.c.id])
        case_numbers = {c.id: c.number for c in ctx.store.select(cases)}
        pair_numbers = {p.id: p.number for p in ctx.store.select(pairs)}
        houses = _labels(ctx, [m.household_id for m in rows])
        names = who(ctx, [i for m in rows for i in (m.by_id, m.for_id)])
        tz = ctx.district.timezone
        return Ledger(
            columns=[
                N_("Household"),
                N_("Case"),
                N_("Pair"),
                N_("Measure"),
                N_("Note"),
                N_("Logged by"),
                N_("For"),
                N_("When"),
            ],
            rows=[
                [
                    houses.get(m.household_id, ""),
                    case_numbers.get(m.case_id) if m.case_id else None,
                    pair_numbers.get(m.pair_id) if m.pair_id else None,
                    ctx.t(MEASURES.get(m.kind, m.kind)),
                    m.note,
                    names.get(m.by_id, "") if m.by_id else "",
                    names.get(m.for_id, "") if m.for_id else "",
                    ctx.t.datetime(m.at, tz, "short"),
                ]
                for m in rows
            ],
        )

    @ledger("pairs", title=N_("Pairing ledger"))
    def pairs_ledger(self, ctx: LedgerContext) -> Ledger:
        stats = {
            r.pair_id: (r.n, r.last)
            for r in ctx.store.execute(
                sa.select(
                    visits.c.pair_id, sa.func.count().label("n"), sa.func.max(visits.c.visited_on).label("last")
                ).group_by(visits.c.pair_id)
            )
        }
        rows = ctx.store.select(pairs, order_by=[pairs.c.number])
        houses = _labels(ctx, [p.household_id for p in rows])
        names = who(ctx, [p.helper_id for p in rows])
        return Ledger(
            columns=[
                N_("Pair"),
                N_("Pairing unit"),
                N_("Household"),
                N_("Helper"),
                N_("Paired on"),
                N_("Until"),
                N_("Visits"),
                N_("Last visit"),
            ],
            rows=[
                [
                    p.number,
                    p.unit,
                    houses.get(p.household_id, ""),
                    names.get(p.helper_id, "") if p.helper_id else "",
                    p.start_on,
                    p.end_on,
                    stats.get(p.id, (0, None))[0],
                    stats.get(p.id, (0, None))[1],
                ]
                for p in rows
            ],
        )

    @ledger("visits", title=N_("Pairing visits ledger"))
    def visits_ledger(self, ctx: LedgerContext) -> Ledger:
        stmt = (
            sa.select(
                pairs.c.number,
                pairs.c.unit,
                visits.c.household_id,
                visits.c.visited_on,
                visits.c.visitor_id,
                visits.c.logged_by,
                visits.c.note,
            )
            .select_from(visits.join(pairs, pairs.c.id == visits.c.pair_id))
            .order_by(visits.c.visited_on, visits.c.id)
        )
        rows = list(ctx.store.execute(stmt))
        houses = _labels(ctx, [r.household_id for r in rows])
        names = who(ctx, [i for r in rows for i in (r.visitor_id, r.logged_by)])
        return Ledger(
            columns=[
                N_("Pair"),
                N_("Pairing unit"),
                N_("Household"),
                N_("Visited on"),
                N_("Visitor"),
                N_("Logged by"),
                N_("Note"),
            ],
            rows=[
                [
                    r.number,
                    r.unit,
                    houses.get(r.household_id, ""),
                    r.visited_on,
                    names.get(r.visitor_id, "") if r.visitor_id else "",
                    names.get(r.logged_by, "") if r.logged_by and r.logged_by != r.visitor_id else "",
                    r.note,
                ]
                for r in rows
            ],
        )


def _zone(tz: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)
