"""Who the captains' rows name, kept true: a resident who links their chat account to their
register entry is merged into it (``linli.person_merged``), a person who asks to be forgotten
is removed from every row (``linli.person_forgotten``), and ``/mydata`` shows what is kept."""

from __future__ import annotations

import sqlalchemy as sa

from linli.core.plugin import PERSON_MERGED, EventContext, HandlerGroup, merged_persons, on_event
from linli.plugins.captains.tables import (
    action_items,
    assignments,
    captain_days,
    care_plans,
    evaluations,
    need_events,
    needs,
    notices,
    specials,
    sweeps,
    tallies,
    visits,
    zero_reports,
)

__all__ = ["PERSON_COLUMNS", "Persons"]

#: every column that holds a person id
PERSON_COLUMNS: tuple[sa.Column[int], ...] = (
    assignments.c.person_id,
    assignments.c.assigned_by,
    sweeps.c.started_by,
    visits.c.captain_id,
    zero_reports.c.captain_id,
    specials.c.registered_by,
    care_plans.c.responsible_id,
    care_plans.c.made_by,
    needs.c.reported_by,
    needs.c.taken_by,
    needs.c.confirmed_by,
    need_events.c.person_id,
    notices.c.sent_by,
    tallies.c.captain_id,
    captain_days.c.minutes_by,
    action_items.c.responsible_id,
    evaluations.c.rater_id,
    evaluations.c.ratee_id,
)


def _person_id(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Persons(HandlerGroup):
    """Merges and forgetting."""

    @on_event(PERSON_MERGED)
    def merged(self, ctx: EventContext) -> None:
        merged = merged_persons(ctx.event.payload)
        if merged is None:
            ctx.log.warning("captains: person_merged without two person ids ignored")
            return
        old, new = merged
        # one rating per period, building, ratee and criterion: where both were rated, the kept person's stays
        kept = {
            (r.period, r.building_id, r.criterion) for r in ctx.store.select(evaluations, evaluations.c.ratee_id == new)
        }
        clashing = [
            r.id
            for r in ctx.store.select(evaluations, evaluations.c.ratee_id == old)
            if (r.period, r.building_id, r.criterion) in kept
        ]
        if clashing:
            ctx.store.delete(evaluations, evaluations.c.id.in_(clashing))
        for column in PERSON_COLUMNS:
            ctx.store.execute(sa.update(column.table).where(column == old).values({column.name: new}))

    @on_event("linli.data_request")
    def data_request(self, ctx: EventContext) -> None:
        """``/mydata``: the person's captaincies and the needs they reported."""
        pid = _person_id(ctx.event.payload.get("person_id"))
        if pid is None:
            return
        held = ctx.store.select(assignments, assignments.c.person_id == pid, order_by=[assignments.c.id])
        reported = ctx.store.select(needs, needs.c.reported_by == pid, order_by=[needs.c.number])
        lines = [
            ctx.t(
                "Building captains: {captaincies} assignment(s) as captain, {needs} need(s) you reported.",
                captaincies=len(held),
                needs=len(reported),
            )
        ]
        lines += [
            f"#{n.number} {ctx.t.datetime(n.reported_at, ctx.district.timezone, 'short')} {n.text}" for n in reported
        ]
        ctx.tell(pid, "\n".join(lines))

    @on_event("linli.person_forgotten")
    def forgotten(self, ctx: EventContext) -> None:
        pid = _person_id(ctx.event.payload.get("person_id"))
        if pid is None:
            return
        for column in PERSON_COLUMNS:
            ctx.store.execute(sa.update(column.table).where(column == pid).values({column.name: None}))
