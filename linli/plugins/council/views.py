"""The council's page of the dashboard (``linli web``): matters by state, polls and their
results, meetings and adoptions. Counts, questions and results only: no voter is named."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import N_, Chart, Figure, HandlerGroup, Page, Series, Table, ViewContext, view
from linli.plugins.council.adoptions import KINDS, STATES
from linli.plugins.council.community_tables import adoptables, adoptions, attendance, meetings
from linli.plugins.council.polls import OUTCOMES
from linli.plugins.council.states import CATEGORIES, LABELS
from linli.plugins.council.tables import matters, polls

__all__ = ["Views"]

#: the polls and meetings the tables list, newest first
RECENT = 20

MEETING_STATES = {"scheduled": N_("scheduled"), "closed": N_("held"), "cancelled": N_("cancelled")}


def _pairs(rows: Any) -> dict[Any, int]:
    """``(key, count)`` rows as a dict."""
    return {key: int(n) for key, n in rows}


def _counts(rows: Any) -> Counter[str]:
    """``(key, count)`` rows as a Counter."""
    return Counter({str(key): int(n) for key, n in rows})


class Views(HandlerGroup):
    """The dashboard's page of the courtyard council."""

    @view(
        "council",
        title=N_("Courtyard council"),
        roles=("staff", "council", "facilitator"),
        exports=("matters", "polls", "meetings", "adoptions"),
        wall=True,
        order=30,
    )
    def council(self, ctx: ViewContext) -> Page:
        if ctx.arg is not None:
            raise ctx.not_found()
        t = ctx.t
        by_state = _counts(
            ctx.store.execute(sa.select(matters.c.status, sa.func.count()).group_by(matters.c.status)).all()
        )
        by_category = _counts(
            ctx.store.execute(sa.select(matters.c.category, sa.func.count()).group_by(matters.c.category)).all()
        )
        recent_polls = ctx.store.execute(
            sa.select(
                polls.c.number,
                polls.c.question,
                polls.c.status,
                polls.c.closes_at,
                polls.c.electorate,
                polls.c.turnout,
                polls.c.outcome,
            )
            .order_by(polls.c.number.desc())
            .limit(RECENT)
        ).all()
        open_polls = ctx.store.count(polls, polls.c.status == "open")
        recent_meetings = ctx.store.execute(
            sa.select(meetings.c.id, meetings.c.number, meetings.c.starts_at, meetings.c.place, meetings.c.status)
            .order_by(meetings.c.number.desc())
            .limit(RECENT)
        ).all()
        present = _pairs(
            ctx.store.execute(
                sa.select(attendance.c.meeting_id, sa.func.count())
                .where(attendance.c.meeting_id.in_([m.id for m in recent_meetings] or [-1]))
                .group_by(attendance.c.meeting_id)
            ).all()
        )
        adoption_states = _counts(
            ctx.store.execute(sa.select(adoptions.c.status, sa.func.count()).group_by(adoptions.c.status)).all()
        )
        things = ctx.store.count(adoptables)
        kinds = _counts(
            ctx.store.execute(sa.select(adoptables.c.kind, sa.func.count()).group_by(adoptables.c.kind)).all()
        )
        states = [k for k in LABELS if by_state[k]]
        decided = by_state["passed"] + by_state["implementing"] + by_state["done"]
        return Page(
            [
                Figure(t("Matters in all"), sum(by_state.values())),
                Figure(t("Open for comment"), by_state["open"]),
                Figure(t("Passed"), decided, tone="good"),
                Figure(t("Polls open"), open_polls),
                Figure(t("Adopted things"), adoption_states["active"], note=t("of {n} adoptable", n=things)),
                Chart(
                    t("Matters by state"),
                    [t(LABELS[k]) for k in states],
                    [Series(t("Matters"), [by_state[k] for k in states])],
                ),
                Chart(
                    t("Matters by category"),
                    [t(CATEGORIES.get(k, k)) for k in by_category],
                    [Series(t("Matters"), list(by_category.values()))],
                    kind="pie",
                ),
                Table(
                    t("Polls and their results"),
                    [t("Poll"), t("Question"), t("Closes"), t("Turnout"), t("Result")],
                    [
                        (
                            f"#{p.number}",
                            p.question,
                            p.closes_at,
                            f"{p.turnout or 0}/{p.electorate}" if p.electorate else (p.turnout or ""),
                            (t(OUTCOMES[p.outcome]) if p.outcome in OUTCOMES else (p.outcome or ""))
                            if p.status == "closed"
                            else t("open for voting"),
                        )
                        for p in recent_polls
                    ],
                    empty=t("No polls yet."),
                ),
                Table(
                    t("Meetings"),
                    [t("Meeting"), t("When"), t("Where"), t("State"), t("Present")],
                    [
                        (
                            f"#{m.number}",
                            m.starts_at,
                            m.place,
                            t(MEETING_STATES.get(m.status, m.status)),
                            present.get(m.id, 0),
                        )
                        for m in recent_meetings
                    ],
                    empty=t("No meetings yet."),
                ),
                Chart(
                    t("Adoptions by state"),
                    [t(STATES.get(k, k)) for k in STATES if adoption_states[k]],
                    [Series(t("Adoptions"), [adoption_states[k] for k in STATES if adoption_states[k]])],
                ),
                Table(
                    t("Adoptable things by kind"),
                    [t("Kind"), t("Number")],
                    [(t(KINDS.get(k, k)), n) for k, n in sorted(kinds.items())],
                    empty=t("Nothing to adopt registered yet."),
                ),
            ]
        )
