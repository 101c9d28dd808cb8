"""People in the rural plugin's rows: a chat account merged into its register entry
(``linli.person_merged``) takes its rows over; a person who asks to be forgotten
(``linli.person_forgotten``) is removed from every row and their objections' words are erased;
``/mydata`` (``linli.data_request``) shows what is kept about them."""

from __future__ import annotations

import sqlalchemy as sa

from linli.core.plugin import PERSON_MERGED, EventContext, HandlerGroup, merged_persons, on_event
from linli.plugins.rural.tables import case_events, cases, measures, pairs, reviews, visits

__all__ = ["PERSON_COLUMNS", "Persons"]

#: every column that holds a person id
PERSON_COLUMNS: tuple[sa.Column[int], ...] = (
    cases.c.lead_by,
    cases.c.visited_by,
    cases.c.appraised_by,
    cases.c.decided_by,
    cases.c.helper_id,
    cases.c.eliminated_by,
    case_events.c.by_id,
    measures.c.by_id,
    measures.c.for_id,
    reviews.c.reviewed_by,
    reviews.c.opened_by,
    pairs.c.helper_id,
    pairs.c.paired_by,
    visits.c.visitor_id,
    visits.c.logged_by,
)


def _person_id(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Persons(HandlerGroup):
    """Merges, forgetting and ``/mydata``."""

    @on_event(PERSON_MERGED)
    def merged(self, ctx: EventContext) -> None:
        pair = merged_persons(ctx.event.payload)
        if pair is None:
            ctx.log.warning("rural: person_merged without two person ids ignored")
            return
        old, new = pair
        for column in PERSON_COLUMNS:
            ctx.store.execute(sa.update(column.table).where(column == old).values({column.name: new}))

    @on_event("linli.person_forgotten")
    def forgotten(self, ctx: EventContext) -> None:
        pid = _person_id(ctx.event.payload.get("person_id"))
        if pid is None:
            return
        ctx.store.execute(
            sa.update(case_events)
            .where(case_events.c.by_id == pid, case_events.c.kind == "objection")
            .values(detail="")
        )
        for column in PERSON_COLUMNS:
            ctx.store.execute(sa.update(column.table).where(column == pid).values({column.name: None}))

    @on_event("linli.data_request")
    def data_request(self, ctx: EventContext) -> None:
        pid = _person_id(ctx.event.payload.get("person_id"))
        if pid is None:
            return
        objections = ctx.store.count(case_events, case_events.c.by_id == pid, case_events.c.kind == "objection")
        logged = ctx.store.count(visits, sa.or_(visits.c.visitor_id == pid, visits.c.logged_by == pid))
        if objections or logged:
            ctx.tell(
                pid,
                ctx.t(
                    "Rural work: {objections} objection(s) to public notices and {visits} pairing visit(s) "
                    "recorded with your name.",
                    objections=objections,
                    visits=logged,
                ),
            )
