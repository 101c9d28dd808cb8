"""民情晨会 — the morning meeting digest, the daily reminders, and the team's figures."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from linli.core.plugin import N_, CommandContext, HandlerGroup, JobContext, PluginContext, command, scheduled
from linli.plugins.mediation.cases import LEAD, MEDIATOR, mediator_ids, out_of_the_group, party_ids, team_room, tell
from linli.plugins.mediation.labels import CATEGORIES
from linli.plugins.mediation.lines import case_line
from linli.plugins.mediation.states import LABELS, OPEN
from linli.plugins.mediation.tables import agreements, cases

__all__ = ["Meeting"]

#: agreements whose performance deadline falls within this many days are "due"
DUE_SOON = dt.timedelta(days=7)


class Meeting(HandlerGroup):
    """The scheduled jobs and the figures."""

    @scheduled("meeting", "30 8 * * *", working_days_only=True)
    def meeting(self, ctx: JobContext) -> None:
        room = team_room(ctx)
        if room is None:
            return
        now = ctx.clock.now()
        today = ctx.now().date()
        open_rows = ctx.store.select(cases, cases.c.status.in_(sorted(OPEN)), order_by=[cases.c.number])
        due_ids = {a.case_id for a in ctx.store.select(agreements) if a.deadline <= today + DUE_SOON}
        sections = [
            (N_("New, waiting to be accepted:"), [r for r in open_rows if r.status == "registered"]),
            (N_("Past the time limit:"), [r for r in open_rows if r.deadline_at < now]),
            (N_("High risk:"), [r for r in open_rows if r.risk == "high" and r.status != "escalated"]),
            (N_("Escalated, waiting for the police's answer:"), [r for r in open_rows if r.status == "escalated"]),
            (
                N_("Agreements due for performance:"),
                [r for r in open_rows if r.status == "performing" and r.id in due_ids],
            ),
        ]
        lines = [
            ctx.t(
                "Morning meeting, {date}: {count} open mediation case(s).", date=today.isoformat(), count=len(open_rows)
            )
        ]
        for title, rows in sections:
            if rows:
                lines.append(ctx.t(title))
                lines += [case_line(ctx, r) for r in rows]
        ctx.send(room, "\n".join(lines))

    @scheduled("reminders", "0 9 * * *")
    def reminders(self, ctx: JobContext) -> None:
        """Judicial-confirmation deadlines for parties and mediators; follow-up visits for mediators."""
        now = ctx.clock.now()
        today = ctx.now().date()
        window = dt.timedelta(days=int(ctx.config.get("judicial_window_days", 30)))
        ahead = dt.timedelta(days=int(ctx.config.get("judicial_reminder_days", 7)))
        deals = {a.case_id: a for a in ctx.store.select(agreements)}
        for row in ctx.store.select(cases, cases.c.status.in_(["agreement", "performing"]), order_by=[cases.c.number]):
            deal = deals.get(row.id)
            if deal is None:
                continue
            closes = deal.made_at + window
            if deal.form == "written" and row.judicial_reminded_at is None and closes - ahead <= now < closes:
                tell(
                    ctx,
                    [*party_ids(ctx, row.id), *mediator_ids(ctx, row.id)],
                    N_(
                        "Case {number}: the parties may jointly apply to the court for judicial confirmation of "
                        "the agreement until {date}. A confirmed agreement can be enforced by the court."
                    ),
                    number=row.number,
                    date=ctx.t.datetime(closes, ctx.district.timezone, "short"),
                )
                ctx.store.update(cases, cases.c.id == row.id, judicial_reminded_at=now)
            if row.status == "performing" and row.followup_reminded_at is None and deal.deadline <= today:
                tell(
                    ctx,
                    mediator_ids(ctx, row.id),
                    N_(
                        "Case {number}: the performance deadline {date} has come; please visit the parties and "
                        "record it with /followup {number} TEXT."
                    ),
                    number=row.number,
                    date=deal.deadline.isoformat(),
                )
                ctx.store.update(cases, cases.c.id == row.id, followup_reminded_at=now)

    @command(
        "stats",
        help=N_("Mediation figures: cases by type, result and month"),
        roles=(MEDIATOR, LEAD),
        aliases=("调解统计",),
    )
    def stats(self, ctx: CommandContext) -> None:
        out_of_the_group(ctx, "stats")
        rows = ctx.store.select(cases)
        lines = [ctx.t("Mediation cases: {count}", count=len(rows))]
        for title, counts in figures(ctx, rows):
            lines.append(ctx.t(title))
            lines += [f"  {label}: {n}" for label, n in counts]
        ctx.reply("\n".join(lines))


def figures(ctx: PluginContext, rows: list[Any]) -> list[tuple[str, list[tuple[str, int]]]]:
    """Counts by type, by result (state) and by month of filing, with translated labels."""
    tz = ctx.district.timezone
    by_type = Counter(r.category for r in rows)
    by_state = Counter(r.status for r in rows)
    by_month = Counter(r.opened_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m") for r in rows)
    return [
        (N_("By type:"), [(ctx.t(CATEGORIES[k]), by_type[k]) for k in CATEGORIES if by_type[k]]),
        (N_("By result:"), [(ctx.t(LABELS[k]), by_state[k]) for k in LABELS if by_state[k]]),
        (N_("By month:"), sorted(by_month.items())),
    ]
