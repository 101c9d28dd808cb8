"""A resident who links their chat account to their entry in the register (``/link``) is merged
into it (``linli.person_merged``): the council's rows naming the chat account's person now name
the register's person, in the handler's one transaction."""

from __future__ import annotations

import sqlalchemy as sa

from linli.core.plugin import PERSON_MERGED, EventContext, HandlerGroup, merged_persons, on_event
from linli.plugins.council.community_tables import (
    adoptables,
    adoptions,
    agenda,
    amendments,
    attendance,
    inspections,
    meetings,
    task_updates,
    task_volunteers,
    tasks,
    versions,
)
from linli.plugins.council.tables import comments, history, matters, polls, roll, supports, votes

__all__ = ["PERSON_COLUMNS", "Merging"]

#: every column of the council's that holds a person id
PERSON_COLUMNS: tuple[sa.Column[int], ...] = (
    roll.c.person_id,
    matters.c.raised_by,
    comments.c.person_id,
    history.c.person_id,
    supports.c.person_id,
    polls.c.opened_by,
    votes.c.person_id,
    votes.c.proxy_by,
    adoptables.c.created_by,
    adoptions.c.person_id,
    adoptions.c.offered_by,
    inspections.c.by,
    attendance.c.person_id,
    meetings.c.called_by,
    agenda.c.decided_by,
    task_volunteers.c.person_id,
    task_updates.c.person_id,
    tasks.c.created_by,
    tasks.c.reported_by,
    tasks.c.confirmed_by,
    amendments.c.proposed_by,
    versions.c.by,
)

#: rows one person has at most one of, by what else they name: where the old and the kept person
#: both have one (both on the roll, both voted in a poll), the kept person's stays
ONE_EACH: tuple[tuple[sa.Column[int], sa.Column[int] | None], ...] = (
    (roll.c.person_id, None),
    (supports.c.person_id, supports.c.matter_id),
    (votes.c.person_id, votes.c.poll_id),
    (attendance.c.person_id, attendance.c.meeting_id),
    (task_volunteers.c.person_id, task_volunteers.c.task_id),
)


class Merging(HandlerGroup):
    """``linli.person_merged``."""

    @on_event(PERSON_MERGED)
    def person_merged(self, ctx: EventContext) -> None:
        merged = merged_persons(ctx.event.payload)
        if merged is None:
            ctx.log.warning("council: person_merged without two person ids ignored")
            return
        old, new = merged
        for person, per in ONE_EACH:
            table = person.table
            if per is None:
                if ctx.store.count(table, person == new):
                    ctx.store.delete(table, person == old)
                continue
            kept = sorted({row._mapping[per.name] for row in ctx.store.select(table, person == new)})
            ctx.store.delete(table, person == old, per.in_(kept))
        for column in PERSON_COLUMNS:
            ctx.store.update(column.table, column == old, **{column.name: new})
        ctx.log.info("council person merged")
