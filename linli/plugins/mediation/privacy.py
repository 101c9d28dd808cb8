"""What a person may ask about their cases, and forgetting them (docs/privacy.md)."""

from __future__ import annotations

from linli.core.plugin import EventContext, HandlerGroup, on_event
from linli.plugins.mediation.states import CLOSED, LABELS
from linli.plugins.mediation.tables import cases, extension_answers, extensions, members, records

__all__ = ["Privacy"]


class Privacy(HandlerGroup):
    """``linli.data_request`` and ``linli.person_forgotten``."""

    @on_event("linli.data_request")
    def data_request(self, ctx: EventContext) -> None:
        pid = ctx.event.payload["person_id"]
        mine = ctx.store.select(members, members.c.person_id == pid)
        rows = ctx.store.select(cases, cases.c.id.in_(sorted({m.case_id for m in mine})), order_by=[cases.c.number])
        lines = [ctx.t("Mediation: you take part in {count} case(s).", count=len(rows))]
        lines += [f"#{r.number} {ctx.t(LABELS[r.status])}" for r in rows]
        if rows:
            lines.append(ctx.t("Send /case NUMBER to read one."))
        ctx.tell(pid, "\n".join(lines))

    @on_event("linli.person_forgotten")
    def forget(self, ctx: EventContext) -> None:
        """Closed cases stay as archives without the person; from open ones they are removed.

        The case record stays for the other party, unlinked from the person; the words the
        person wrote in it (their messages and notes) are removed, the steps (transitions,
        consents, answers recorded as codes) stay. In a case they filed as a party, the facts
        and claims they gave are removed as well.
        """
        pid = ctx.event.payload["person_id"]
        mine = ctx.store.select(members, members.c.person_id == pid)
        closed = {
            r.id
            for r in ctx.store.select(cases, cases.c.id.in_(sorted({m.case_id for m in mine})))
            if r.status in CLOSED
        }
        for m in mine:
            if m.case_id in closed:
                ctx.store.update(members, members.c.id == m.id, person_id=None)
            else:
                ctx.store.delete(members, members.c.id == m.id)
        ctx.store.update(
            records, (records.c.person_id == pid) & records.c.kind.in_(("message", "note")), person_id=None, text=""
        )
        ctx.store.update(records, records.c.person_id == pid, person_id=None)
        # a case a party filed themselves: their account of the facts and their claims go too
        filed = sorted({m.case_id for m in mine if m.role == "party"})
        ctx.store.update(cases, (cases.c.opened_by == pid) & cases.c.id.in_(filed), facts="", claims="")
        ctx.store.update(cases, cases.c.opened_by == pid, opened_by=None)
        ctx.store.update(extensions, extensions.c.asked_by == pid, asked_by=None)
        ctx.store.update(extension_answers, extension_answers.c.person_id == pid, person_id=None)
        ctx.log.info("mediation person forgotten", cases=len(mine), archived=len(closed))
