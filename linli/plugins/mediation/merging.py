"""A resident who links their chat account to their entry in the register (``/link``) is merged
into it (``linli.person_merged``): the cases' rows naming the chat account's person now name the
register's person, in the handler's one transaction."""

from __future__ import annotations

from linli.core.plugin import PERSON_MERGED, EventContext, HandlerGroup, merged_persons, on_event
from linli.plugins.mediation.tables import agreements, cases, extension_answers, extensions, members, records

__all__ = ["Merging"]


class Merging(HandlerGroup):
    """``linli.person_merged``."""

    @on_event(PERSON_MERGED)
    def person_merged(self, ctx: EventContext) -> None:
        merged = merged_persons(ctx.event.payload)
        if merged is None:
            ctx.log.warning("mediation: person_merged without two person ids ignored")
            return
        old, new = merged
        # one place per case and role, one answer per extension: where both had one, the kept person's stays
        kept_members = ctx.store.select(members, members.c.person_id == new)
        for role in {m.role for m in kept_members}:
            case_ids = sorted({m.case_id for m in kept_members if m.role == role})
            ctx.store.delete(
                members, members.c.person_id == old, members.c.role == role, members.c.case_id.in_(case_ids)
            )
        answered = [a.extension_id for a in ctx.store.select(extension_answers, extension_answers.c.person_id == new)]
        ctx.store.delete(
            extension_answers, extension_answers.c.person_id == old, extension_answers.c.extension_id.in_(answered)
        )
        moved = ctx.store.update(members, members.c.person_id == old, person_id=new)
        ctx.store.update(extension_answers, extension_answers.c.person_id == old, person_id=new)
        ctx.store.update(records, records.c.person_id == old, person_id=new)
        ctx.store.update(cases, cases.c.opened_by == old, opened_by=new)
        ctx.store.update(agreements, agreements.c.made_by == old, made_by=new)
        ctx.store.update(extensions, extensions.c.asked_by == old, asked_by=new)
        ctx.log.info("mediation person merged", memberships=moved)
