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

from linli.core.plugin import N_, Chart, Figure, HandlerGroup, Page, Series, Table, Text, ViewContext, view
from linli.plugins.mediation.cases import LEAD, MEDIATOR, party_names
from linli.plugins.mediation.labels import CATEGORIES, RISKS, SOURCES
from linli.plugins.mediation.states import LABELS, OPEN
from linli.plugins.mediation.tables import agreements, cases, members, records

__all__ = ["SETTLED", "Views"]

#: the states of a case whose parties reached an agreement (调解成功)
SETTLED = frozenset({"agreement", "performing", "performed", "breached"})
#: months the charts show
MONTHS = 12
#: the open cases the table lists, the most urgent first
OPEN_LISTED = 50


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
        scope: list[Any] = []
        if not everyone:  # a mediator: their own cases
            mine = sa.select(members.c.case_id).where(
                members.c.role == MEDIATOR, members.c.person_id == (ctx.person.id if ctx.person else -1)
            )
            scope.append(cases.c.id.in_(mine.scalar_subquery()))
        months = _months(now, MONTHS)
        first = months[0]
        window = dt.datetime(int(first[:4]), int(first[5:]), 1, tzinfo=tz).astimezone(dt.UTC)

        by_state: Counter[str] = Counter()
        for r in ctx.store.execute(
            sa.select(cases.c.status, sa.func.count().label("n")).where(*scope).group_by(cases.c.status)
        ):
            by_state[str(r.status)] = int(r.n)
        open_count = sum(by_state[s] for s in OPEN)
        settled = sum(by_state[s] for s in SETTLED)
        overdue = ctx.store.execute(
            sa.select(sa.func.count()).where(cases.c.status.in_(sorted(OPEN)), cases.c.deadline_at < now, *scope)
        ).scalar_one()
        # the last twelve months' cases, by month of filing
        by_type: dict[str, Counter[str]] = {k: Counter() for k in CATEGORIES}
        by_result: dict[str, Counter[str]] = {k: Counter() for k in LABELS}
        for r in ctx.store.execute(
            sa.select(cases.c.category, cases.c.status, cases.c.opened_at).where(cases.c.opened_at >= window, *scope)
        ).all():
            month = r.opened_at.astimezone(tz).strftime("%Y-%m")
            by_type.setdefault(r.category, Counter())[month] += 1
            by_result.setdefault(r.status, Counter())[month] += 1
        # agreements: how long they took, and when the settled ones were settled
        days_to_agree = []
        settled_after: Counter[str] = Counter()  # settled cases by month of agreement, in the window
        for r in ctx.store.execute(
            sa.select(agreements.c.made_at, cases.c.opened_at, cases.c.status)
            .join_from(agreements, cases, agreements.c.case_id == cases.c.id)
            .where(*scope)
        ).all():
            days_to_agree.append((r.made_at - r.opened_at).total_seconds() / 86400)
            if r.status in SETTLED and r.made_at >= window:
                settled_after[r.made_at.astimezone(tz).strftime("%Y-%m")] += 1
        open_rows = ctx.store.execute(
            sa.select(
                cases.c.number, cases.c.category, cases.c.status, cases.c.risk, cases.c.opened_at, cases.c.deadline_at
            )
            .where(cases.c.status.in_(sorted(OPEN)), *scope)
            .order_by(cases.c.deadline_at)
            .limit(OPEN_LISTED)
        ).all()
        before = int(ctx.config.get("settled_before", 0)) if everyone else 0
        # the running total at the end of each month: all settled, less those settled later
        running = []
        later = sum(settled_after.values())
        for m in months:
            later -= settled_after[m]
            running.append(before + settled - later)
        median = statistics.median(days_to_agree) if days_to_agree else None

        blocks: list[Any] = [
            Figure(t("Open cases"), open_count),
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
                    for r in open_rows
                ],
                links=[str(r.number) for r in open_rows],
                empty=t("No open cases."),
            ),
        ]
        if open_count > len(open_rows):
            blocks.append(
                Text(
                    t(
                        "The {n} most urgent of {total} open cases are listed; the ledger has them all.",
                        n=len(open_rows),
                        total=open_count,
                    )
                )
            )
        if not everyone:
            blocks.insert(0, Figure(t("Your cases"), sum(by_state.values())))
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
