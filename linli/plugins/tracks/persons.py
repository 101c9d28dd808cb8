"""People in the contest's records: a merged person's rows follow them, a forgotten person is
removed from every row (the unit's results and the decisions stay, without who), and ``/mydata``
says what is kept."""

from __future__ import annotations

import sqlalchemy as sa

from linli.core.plugin import PERSON_MERGED, EventContext, HandlerGroup, merged_persons, on_event
from linli.plugins.tracks.tables import decisions, drafts, quarters, rules, showcase, submissions, tracks

__all__ = ["PERSON_COLUMNS", "Persons"]

#: every column that holds a person id
PERSON_COLUMNS = (
    submissions.c.submitted_by,
    submissions.c.decided_by,
    decisions.c.actor_id,
    rules.c.adopted_by,
    drafts.c.edited_by,
    tracks.c.created_by,
    quarters.c.published_by,
    showcase.c.confirmed_by,
)


def _person_id(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Persons(HandlerGroup):
    """Merges, forgetting and ``/mydata``."""

    @on_event(PERSON_MERGED)
    def merged(self, ctx: EventContext) -> None:
        merged = merged_persons(ctx.event.payload)
        if merged is None:
            ctx.log.warning("tracks: person_merged without two person ids ignored")
            return
        old, new = merged
        for column in PERSON_COLUMNS:
            ctx.store.execute(sa.update(column.table).where(column == old).values({column.name: new}))

    @on_event("linli.person_forgotten")
    def forgotten(self, ctx: EventContext) -> None:
        pid = _person_id(ctx.event.payload.get("person_id"))
        if pid is None:
            return
        for column in PERSON_COLUMNS:
            ctx.store.execute(sa.update(column.table).where(column == pid).values({column.name: None}))

    @on_event("linli.data_request")
    def data_request(self, ctx: EventContext) -> None:
        pid = _person_id(ctx.event.payload.get("person_id"))
        if pid is None:
            return
        reported = ctx.store.count(submissions, submissions.c.submitted_by == pid)
        decided = ctx.store.count(decisions, decisions.c.actor_id == pid, decisions.c.action != "submitted")
        if reported or decided:
            ctx.tell(
                pid,
                ctx.t(
                    "Race tracks: {reported} result(s) you reported for your unit, {decided} decision(s) you made "
                    "as an assessor or organiser.",
                    reported=reported,
                    decided=decided,
                ),
            )
