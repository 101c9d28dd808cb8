"""The mediation pages of the dashboard (``linli web``): cases per month by type and by result,
open and overdue cases, the median time to agreement, the running total of settled cases, and
one case's page.

Staff and the team lead see the district's cases; a mediator sees the cases they are assigned
to, as in chat. A case's page names its people: every look at it is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from linli.core.plugin import N_, Chart, Figure, HandlerGroup, Page, Series, Table, ViewContext, view
from linli.plugins.mediation.cases import LEAD, MEDIATOR, party_names
from linli.plugins.mediation.labels import CATEGORIES, RISKS, SOURCES
from linli.plugins.mediation.states import LABELS, OPEN
from linli.plugins.mediation.tables import agreements, cases, members, records

__all__ = ["SETTLED", "Views"]

#: the states of a case whose parties reached an agreement (调解成功)
SETTLED = frozenset({"agreement", "performing", "performed", "breached"})
#: months the charts show
MONTHS = 12


def _months(now: dt.datetime, count: int) -> list[str]:
    """The last ``count`` months as ``YYYY-MM``, oldest first."""
    year, month = now.year, now.month
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


class Views(HandlerGroup):
    """The dashboard's pages of the mediation work."""

    @view(
        "cases",
        title=N_("Mediation"),
        roles=("staff", MEDIATOR, LEAD),
        exports=("cases", "figures"),
        wall=True,
        personal=True,
        order=20,
    )
    def cases_view(self, ctx: ViewContext) -> Page:
        if ctx.arg is not None:
            return self._case(ctx, ctx.arg)
        t = ctx.t
        tz = ZoneInfo(ctx.district.timezone)
        now = ctx.now()
        everyone = ctx.has_role("staff", LEAD)
        query = sa.select(
            cases.c.id,
            cases.c.number,
            cases.c.category,
            cases.c.status,
            cases.c.risk,
            cases.c.opened_at,
            cases.c.deadline_at,
            cases.c.closed_at,
        )
        if not everyone:  # a mediator: their own cases
            mine = sa.select(members.c.case_id).where(
                members.c.role == MEDIATOR, members.c.person_id == (ctx.person.id if ctx.person else -1)
            )
            query = query.where(cases.c.id.in_(mine.scalar_subquery()))
        rows = ctx.store.execute(query.order_by(cases.c.number)).all()
        agreed_at = {
            r.case_id: r.made_at for r in ctx.store.execute(sa.select(agreements.c.case_id, agreements.c.made_at)).all()
        }

        months = _months(now, MONTHS)
        first = months[0]
        by_type: dict[str, Counter[str]] = {k: Counter() for k in CATEGORIES}
        by_result: dict[str, Counter[str]] = {k: Counter() for k in LABELS}
        settled_by_month: Counter[str] = Counter()
        open_rows = []
        overdue = 0
        days_to_agree = []
        settled = 0
        for r in rows:
            month = r.opened_at.astimezone(tz).strftime("%Y-%m")
            if month >= first:
                by_type.setdefault(r.category, Counter())[month] += 1
                by_result.setdefault(r.status, Counter())[month] += 1
            made = agreed_at.get(r.id)
            if r.status in SETTLED:
                settled += 1
                settled_by_month[(made or r.opened_at).astimezone(tz).strftime("%Y-%m")] += 1
            if made is not None:
                days_to_agree.append((made - r.opened_at).total_seconds() / 86400)
            if r.status in OPEN:
                late = r.deadline_at < now
                overdue += late
                open_rows.append(r)
        before = int(ctx.config.get("settled_before", 0)) if everyone else 0
        running = []
        total = before + sum(n for m, n in settled_by_month.items() if m < first)
        for m in months:
            total += settled_by_month[m]
            running.append(total)
        median = statistics.median(days_to_agree) if days_to_agree else None

        blocks: list[Any] = [
            Figure(t("Open cases"), len(open_rows)),
            Figure(t("Overdue"), overdue, tone="bad" if overdue else ""),
            Figure(
                t("Settled in all"),
                before + settled,
                note=t("of which {n} before linli", n=before) if before else "",
                tone="good",
            ),
            Figure(
                t("Median days to agreement"),
                f"{median:.1f}" if median is not None else "—",
            ),
            Chart(
                t("Cases per month by type"),
                months,
                [Series(t(CATEGORIES.get(k, k)), [c[m] for m in months]) for k, c in by_type.items() if c],
                kind="stacked",
            ),
            Chart(
                t("Cases per month by result"),
                months,
                [Series(t(LABELS.get(k, k)), [c[m] for m in months]) for k, c in by_result.items() if c],
                kind="stacked",
            ),
            Chart(t("Settled cases, running total"), months, [Series(t("Settled in all"), running)], kind="line"),
            Table(
                t("Open cases"),
                [t("Case"), t("Registered"), t("Type of dispute"), t("State"), t("Risk level"), t("Due"), t("Overdue")],
                [
                    (
                        f"#{r.number}",
                        ctx.date(r.opened_at),
                        t(CATEGORIES.get(r.category, r.category)),
                        t(LABELS.get(r.status, r.status)),
                        t(RISKS.get(r.risk, r.risk)),
                        ctx.date(r.deadline_at),
                        t("yes") if r.deadline_at < now else "",
                    )
                    for r in sorted(open_rows, key=lambda r: r.deadline_at)
                ],
                links=[str(r.number) for r in sorted(open_rows, key=lambda r: r.deadline_at)],
                empty=t("No open cases."),
            ),
        ]
        if not everyone:
            blocks.insert(0, Figure(t("Your cases"), len(rows)))
        return Page(blocks)

    def _case(self, ctx: ViewContext, word: str) -> Page:
        """One case: its facts, its people and its record; for its mediators, the lead and staff."""
        t = ctx.t
        if not word.isdigit() or len(word) > 9:
            raise ctx.not_found()
        row = ctx.store.get(cases, cases.c.number == int(word))
        if row is None:
            raise ctx.not_found()
        people = ctx.store.select(members, members.c.case_id == row.id, order_by=[members.c.id])
        if not ctx.has_role("staff", LEAD) and not any(
            m.role == MEDIATOR and ctx.person is not None and m.person_id == ctx.person.id for m in people
        ):
            raise ctx.denied()
        names = ctx.display_names(sorted({m.person_id for m in people if m.person_id is not None}))
        parties = party_names(row, [names[m.person_id] for m in people if m.role == "party" and m.person_id])
        mediators = [names[m.person_id] for m in people if m.role == MEDIATOR and m.person_id]
        lines = ctx.store.select(
            records, records.c.case_id == row.id, records.c.state_to.is_not(None), order_by=[records.c.at]
        )
        return Page(
            title=t("Mediation case {number}", number=row.number),
            blocks=[
                Figure(t("State"), t(LABELS.get(row.status, row.status))),
                Figure(
                    t("Due"),
                    ctx.date(row.deadline_at),
                    tone="bad" if row.status in OPEN and row.deadline_at < ctx.clock.now() else "",
                ),
                Table(
                    t("The case"),
                    [t("Field"), t("Value")],
                    [
                        (t("Registered"), ctx.date(row.opened_at)),
                        (t("Type of dispute"), t(CATEGORIES.get(row.category, row.category))),
                        (t("Source"), t(SOURCES.get(row.source, row.source))),
                        (t("Risk level"), t(RISKS.get(row.risk, row.risk))),
                        (t("Grid"), row.grid),
                        (t("Parties"), t.join(parties)),
                        (t("Responsible mediator"), t.join(mediators)),
                        (t("Date closed"), ctx.date(row.closed_at)),
                    ],
                ),
                Table(
                    t("Changes of state"),
                    [t("When"), t("From"), t("To")],
                    [
                        (
                            line.at,
                            t(LABELS.get(line.state_from, line.state_from)) if line.state_from else "",
                            t(LABELS.get(line.state_to, line.state_to)),
                        )
                        for line in lines
                    ],
                ),
            ],
        )
