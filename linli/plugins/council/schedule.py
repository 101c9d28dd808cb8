"""The council's clock: polls close on time, those who have not voted are reminded before, and
the council is reminded of passed matters when their review date comes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from linli.core.plugin import N_, Address, HandlerGroup, JobContext, PluginContext, scheduled
from linli.plugins.council.matters import COUNCIL, FACILITATOR
from linli.plugins.council.polls import close_poll, latest_ballots
from linli.plugins.council.states import LABELS
from linli.plugins.council.tables import matters, polls, roll, votes

__all__ = ["Schedule"]


class Schedule(HandlerGroup):
    """Scheduled jobs."""

    @scheduled("polls", "* * * * *")
    def polls_job(self, ctx: JobContext) -> None:
        """Every minute: remind the residents who have not voted, and close the polls that are due.

        The reminder comes ``reminder_hours`` before the close, but not before half of the poll's
        time has passed: a poll open for an hour in a meeting does not remind everyone at once."""
        now = ctx.clock.now()
        lead = dt.timedelta(hours=float(ctx.config.get("reminder_hours", 24)))
        for row in ctx.store.select(polls, polls.c.status == "open", order_by=[polls.c.number]):
            if row.closes_at <= now:
                close_poll(ctx, row)
            elif (
                row.reminded_at is None
                and max(row.closes_at - lead, row.opened_at + (row.closes_at - row.opened_at) / 2) <= now
            ):
                self._remind(ctx, row)

    def _remind(self, ctx: PluginContext, poll: Any) -> None:
        voted_people = {v.person_id for v in ctx.store.select(votes, votes.c.poll_id == poll.id)}
        voted_households = {k[2:] for k in latest_ballots(ctx, poll) if k.startswith("h:")}
        tz = ctx.district.timezone
        waiting = [
            m
            for m in ctx.store.select(roll, order_by=[roll.c.id])
            if m.person_id not in voted_people
            and not (poll.counting == "household" and m.household and m.household in voted_households)
        ]
        for member in waiting:
            t = ctx.translator_for(member.person_id)
            ctx.send_private(
                member.person_id,
                t(
                    "Poll {number} closes {when} and you have not voted yet: {question}\nSend /vote {number} to vote.",
                    number=poll.number,
                    when=t.datetime(poll.closes_at, tz, "short"),
                    question=poll.question,
                ),
            )
        ctx.store.update(polls, polls.c.id == poll.id, reminded_at=ctx.clock.now())
        ctx.log.info("council poll reminder", poll=poll.number, waiting=len(waiting))

    @scheduled("reviews", "0 9 * * *")
    def reviews_job(self, ctx: JobContext) -> None:
        """Each morning: tell the council which passed matters are due for review."""
        today = ctx.now().date()
        due = [
            m
            for m in ctx.store.select(
                matters,
                matters.c.review_on.is_not(None),
                matters.c.status.in_(["passed", "implementing", "done"]),
                order_by=[matters.c.number],
            )
            if m.review_on <= today and (m.review_reminded_on is None or m.review_reminded_on < m.review_on)
        ]
        if not due:
            return
        msgid = N_("Review due: matter {number} {title} ({state}), decided on {date}. Send /matter {number} to see it.")
        tz = ctx.district.timezone
        room = ctx.config.get("council_room", "")
        if room:
            ctx.send(
                Address.parse(room),
                "\n".join(
                    ctx.t(
                        msgid,
                        number=m.number,
                        title=m.title,
                        state=ctx.t(LABELS[m.status]),
                        date=ctx.t.datetime(m.decided_at, tz, "short") if m.decided_at else "—",
                    )
                    for m in due
                ),
            )
        else:
            members = sorted({*ctx.holders_of(COUNCIL), *ctx.holders_of(FACILITATOR)})
            for pid in members:
                t = ctx.translator_for(pid)
                ctx.send_private(
                    pid,
                    "\n".join(
                        t(
                            msgid,
                            number=m.number,
                            title=m.title,
                            state=t(LABELS[m.status]),
                            date=t.datetime(m.decided_at, tz, "short") if m.decided_at else "—",
                        )
                        for m in due
                    ),
                )
        for m in due:
            ctx.store.update(matters, matters.c.id == m.id, review_reminded_on=today)
