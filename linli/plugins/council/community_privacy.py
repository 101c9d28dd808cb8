"""What a person may ask about their adoptions, meeting attendance, action items and convention
proposals, and forgetting them (docs/privacy.md)."""

from __future__ import annotations

from linli.core.plugin import EventContext, HandlerGroup, on_event
from linli.plugins.council.adoptions import STATES
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

__all__ = ["CommunityPrivacy"]


class CommunityPrivacy(HandlerGroup):
    """Our part of ``linli.data_request`` and ``linli.person_forgotten``."""

    @on_event("linli.data_request")
    def community_data_request(self, ctx: EventContext) -> None:
        pid = ctx.event.payload["person_id"]
        things = {t.id: t for t in ctx.store.select(adoptables)}
        held = ctx.store.select(adoptions, adoptions.c.person_id == pid, order_by=[adoptions.c.id])
        present = ctx.store.count(attendance, attendance.c.person_id == pid)
        helped = ctx.store.count(task_volunteers, task_volunteers.c.person_id == pid)
        proposed = ctx.store.count(amendments, amendments.c.proposed_by == pid)
        lines = [
            ctx.t(
                "Courtyard council, community work: {adoptions} adoption(s), checked in at {meetings} "
                "meeting(s), volunteered for {actions} action item(s), proposed {amendments} amendment(s) "
                "of the convention.",
                adoptions=len(held),
                meetings=present,
                actions=helped,
                amendments=proposed,
            )
        ]
        for h in held:
            thing = things[h.adoptable_id]
            lines.append(
                ctx.t("#{number} {name}: {state}", number=thing.number, name=thing.name, state=ctx.t(STATES[h.status]))
            )
        ctx.tell(pid, "\n".join(lines))

    @on_event("linli.person_forgotten")
    def community_forget(self, ctx: EventContext) -> None:
        """Applications and agreements still running end; the records (attendance counts, finished
        work, past adoptions, versions of the convention) stay, without the person."""
        pid = ctx.event.payload["person_id"]
        now = ctx.clock.now()
        ctx.store.update(
            adoptions,
            adoptions.c.person_id == pid,
            adoptions.c.status.in_(["applied", "offered", "active"]),
            status="ended",
            closed_at=now,
            note="forgotten",  # an ending code, worded by the ledger (adoptions.ENDINGS)
        )
        ctx.store.update(adoptions, adoptions.c.person_id == pid, person_id=None)
        ctx.store.update(adoptions, adoptions.c.offered_by == pid, offered_by=None)
        ctx.store.update(adoptables, adoptables.c.created_by == pid, created_by=None)
        ctx.store.update(inspections, inspections.c.by == pid, by=None)
        ctx.store.update(attendance, attendance.c.person_id == pid, person_id=None)
        ctx.store.update(meetings, meetings.c.called_by == pid, called_by=None)
        ctx.store.update(agenda, agenda.c.decided_by == pid, decided_by=None)
        open_ids = [t.id for t in ctx.store.select(tasks, tasks.c.status != "done")]
        ctx.store.delete(task_volunteers, task_volunteers.c.person_id == pid, task_volunteers.c.task_id.in_(open_ids))
        ctx.store.update(task_volunteers, task_volunteers.c.person_id == pid, person_id=None)
        ctx.store.update(task_updates, task_updates.c.person_id == pid, person_id=None)
        for column in ("created_by", "reported_by", "confirmed_by"):
            ctx.store.update(tasks, tasks.c[column] == pid, **{column: None})
        ctx.store.update(amendments, amendments.c.proposed_by == pid, proposed_by=None)
        ctx.store.update(versions, versions.c.by == pid, by=None)
        ctx.log.info("council community records forgotten")
