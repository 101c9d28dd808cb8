"""The monthly report for the township (月报): built from sections, each a function of the month.

The sections here are the village's own work: sales, certificates due, the scholarship fund
and project progress. The monitoring section (households monitored by state, visits, measures,
risk eliminated) comes from :func:`linli.plugins.rural.summary.monitoring_summary`.

The report is sent in chat (``/monthreport``, and to the township on the 1st of each month) and
exported as a workbook (``linli export rural.report``: last month's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from attrs import frozen

from linli.core.plugin import (
    N_,
    Address,
    CommandContext,
    HandlerGroup,
    JobContext,
    Ledger,
    LedgerContext,
    PluginContext,
    Translator,
    command,
    ledger,
    scheduled,
)
from linli.plugins.rural._village import STAFF, TOWNSHIP, fen_text, fetch, month_of, month_range
from linli.plugins.rural.enterprise import certificates_due, enterprise_names, kind_label
from linli.plugins.rural.enterprise_tables import fund_entries, milestones
from linli.plugins.rural.projects import project_progress
from linli.plugins.rural.sales import sales_totals
from linli.plugins.rural.scholarships import DISBURSEMENT, DONATION, fund_balance
from linli.plugins.rural.summary import monitoring_summary

__all__ = ["SECTIONS", "Figure", "Reports", "Section", "monthly_report", "report_text"]

#: certificates expiring within this many days of the month's end are "due" in the report
LICENCES_DUE_DAYS = 60


@frozen
class Figure:
    """One line of a section: a label (a msgid, or a name such as a project's), a value and
    whether the value is money in fen."""

    label: str
    value: int | str
    money: bool = False
    translate: bool = True

    def shown(self) -> str:
        return fen_text(int(self.value)) if self.money else str(self.value)

    def cell(self) -> object:
        """The value for a spreadsheet: yuan as a number, counts as numbers, text as text."""
        return (Decimal(int(self.value)) / 100).quantize(Decimal("0.01")) if self.money else self.value


@frozen
class Section:
    title: str
    figures: tuple[Figure, ...]


#: a section of the report: the context, the month's first day and the next month's first day
SectionBuilder = Callable[[PluginContext, dt.date, dt.date], Section | None]

#: what the monitoring summary's keys mean, for the report's labels; a key not here is shown as it is
MONITORING_LABELS: Mapping[str, str] = {
    "state_lead": N_("Households at the lead stage"),
    "state_visited": N_("Households visited, awaiting appraisal"),
    "state_notice": N_("Households under public notice"),
    "state_appraised": N_("Households awaiting the township's approval"),
    "state_monitored": N_("Households monitored"),
    "state_eliminated": N_("Households with risk eliminated"),
    "state_declined": N_("Households not taken into monitoring"),
    "leads": N_("New leads in the month"),
    "visits": N_("Visits in the month"),
    "measures": N_("Measures in the month"),
    "risk_eliminated": N_("Risk eliminated in the month"),
    "leads_late": N_("Leads past the decision limit"),
}


def _monitoring(ctx: PluginContext, start: dt.date, end: dt.date) -> Section | None:
    """Monitoring (防返贫监测) figures: households by state, and the month's leads, visits, measures
    and risks eliminated."""
    # the days are inclusive: month_end is the month's last day
    figures = monitoring_summary(ctx, ctx.district.id, start, end - dt.timedelta(days=1))
    return Section(
        N_("Relapse-prevention monitoring"),
        tuple(
            Figure(MONITORING_LABELS.get(key, key), int(value), translate=key in MONITORING_LABELS)
            for key, value in figures.items()
        ),
    )


def _sales(ctx: PluginContext, start: dt.date, end: dt.date) -> Section:
    totals = sales_totals(ctx, start, end)
    return Section(
        N_("Sales"),
        (
            Figure(N_("Sales recorded"), totals.count),
            Figure(N_("Revenue"), totals.amount_fen, money=True),
            Figure(N_("To the collective"), totals.collective_fen, money=True),
            Figure(N_("To households"), totals.households_fen, money=True),
            Figure(N_("Households paid"), totals.households),
        ),
    )


def _licences(ctx: PluginContext, start: dt.date, end: dt.date) -> Section:
    due = certificates_due(ctx, start, end + dt.timedelta(days=LICENCES_DUE_DAYS))
    names = enterprise_names(ctx) if due else {}
    return Section(
        N_("Certificates due"),
        (
            Figure(N_("Expiring within 60 days of the month's end"), len(due)),
            *(
                Figure(
                    f"#{c.number} {names.get(c.enterprise_id, '')} {kind_label(ctx, c.kind)} {c.code}",
                    c.expires_on.isoformat(),
                    translate=False,
                )
                for c in due
            ),
        ),
    )


def _fund(ctx: PluginContext, start: dt.date, end: dt.date) -> Section:
    month = fetch(
        ctx,
        sa.select(
            fund_entries.c.kind,
            sa.func.sum(fund_entries.c.amount_fen),
            sa.func.count(sa.distinct(fund_entries.c.student_id)),
        )
        .where(fund_entries.c.on_date >= start, fund_entries.c.on_date < end)
        .group_by(fund_entries.c.kind),
    )
    sums = {kind: (int(amount or 0), int(people or 0)) for kind, amount, people in month}
    return Section(
        N_("Scholarship fund"),
        (
            Figure(N_("Balance at the month's end"), fund_balance(ctx, before=end), money=True),
            Figure(N_("Donations in the month"), sums.get(DONATION, (0, 0))[0], money=True),
            Figure(N_("Paid in the month"), sums.get(DISBURSEMENT, (0, 0))[0], money=True),
            Figure(N_("Students paid in the month"), sums.get(DISBURSEMENT, (0, 0))[1]),
        ),
    )


def _projects(ctx: PluginContext, start: dt.date, end: dt.date) -> Section:
    found = project_progress(ctx, min(end, ctx.now().date()))  # overdue at the month's end, or today
    done_in_month = int(
        ctx.store.execute(
            sa.select(sa.func.count()).where(milestones.c.done_on >= start, milestones.c.done_on < end)
        ).scalar()
        or 0
    )
    return Section(
        N_("Projects"),
        (
            Figure(N_("Milestones done in the month"), done_in_month),
            Figure(N_("Milestones overdue"), sum(late for _, _, late in found)),
            *(Figure(f"#{p.number} {p.name}", f"{p.progress}%", translate=False) for p, _, _ in found),
        ),
    )


#: the report's sections, in order; the monitoring section is there only when its module is
SECTIONS: tuple[SectionBuilder, ...] = (_monitoring, _sales, _licences, _fund, _projects)


def monthly_report(ctx: PluginContext, month: dt.date) -> list[Section]:
    """The report of the month that ``month`` falls in."""
    start, end = month_range(month)
    return [section for build in SECTIONS if (section := build(ctx, start, end)) is not None]


def report_text(t: Translator, village: str, month: dt.date, sections: list[Section]) -> str:
    """The report as a chat message, in the language of ``t``."""
    colon = "：" if t.language.startswith("zh") else ": "
    lines = [t("Monthly report of {village} for {month}", village=village, month=month.strftime("%Y-%m"))]
    for section in sections:
        lines.append(f"【{t(section.title)}】")
        for f in section.figures:
            lines.append(f"{t(f.label) if f.translate else f.label}{colon}{f.shown()}")
    return "\n".join(lines)


def _last_month(ctx: PluginContext) -> dt.date:
    return (ctx.now().date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


class Reports(HandlerGroup):
    """``/monthreport``; the report to the township on the 1st; the report as a ledger."""

    @command(
        "monthreport",
        help=N_("The monthly report for the township: monitoring, sales, certificates, fund, projects"),
        usage=N_("[MONTH]"),
        roles=STAFF,
        aliases=("月报",),
    )
    def month_report(self, ctx: CommandContext) -> None:
        if ctx.args:
            month = month_of(ctx.args[0])
            if month is None:
                raise ctx.fail(ctx.t("{text} is not a month; write it as 2026-11.", text=ctx.args[0]))
        else:
            month = ctx.now().date().replace(day=1)
        ctx.reply(report_text(ctx.t, ctx.district.name, month, monthly_report(ctx, month)))

    @scheduled("month_report", "30 9 1 * *")
    def month_report_job(self, ctx: JobContext) -> None:
        """On the 1st: last month's report to each township member privately and the report room."""
        month = _last_month(ctx)
        sections = monthly_report(ctx, month)
        for person_id in ctx.holders_of(TOWNSHIP):
            t = ctx.translator_for(person_id)
            ctx.send_private(person_id, report_text(t, ctx.district.name, month, sections))
        room = str(ctx.config.get("report_room") or "")
        if room:
            ctx.send(Address.parse(room), report_text(ctx.t, ctx.district.name, month, sections))

    @ledger("report", title=N_("Monthly report"))
    def report_ledger(self, ctx: LedgerContext) -> Ledger:
        """Last month's report, one figure a row."""
        month = _last_month(ctx)
        rows: list[list[Any]] = []
        for section in monthly_report(ctx, month):
            for f in section.figures:
                rows.append(
                    [
                        month.strftime("%Y-%m"),
                        ctx.t(section.title),
                        ctx.t(f.label) if f.translate else f.label,
                        f.cell(),
                    ]
                )
        return Ledger(columns=[N_("Month"), N_("Section"), N_("Item"), N_("Value")], rows=rows)
