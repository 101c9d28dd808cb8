"""What a person may ask the council about themselves, and forgetting them (docs/privacy.md)."""

from __future__ import annotations

from linli.core.plugin import EventContext, HandlerGroup, on_event
from linli.plugins.council.tables import comments, history, matters, polls, roll, supports, votes

__all__ = ["Privacy"]


class Privacy(HandlerGroup):
    """``linli.data_request`` and ``linli.person_forgotten``."""

    @on_event("linli.data_request")
    def data_request(self, ctx: EventContext) -> None:
        pid = ctx.event.payload["person_id"]
        member = ctx.store.get(roll, roll.c.person_id == pid)
        raised = ctx.store.count(matters, matters.c.raised_by == pid)
        said = ctx.store.count(comments, comments.c.person_id == pid)
        backed = ctx.store.count(supports, supports.c.person_id == pid)
        voted = ctx.store.count(votes, votes.c.person_id == pid)
        text = ctx.t(
            "Courtyard council: household {household}; {raised} matter(s) raised, {comments} comment(s), "
            "{supports} support(s), {votes} ballot(s) cast.",
            household=member.household if member is not None and member.household else "—",
            raised=raised,
            comments=said,
            supports=backed,
            votes=voted,
        )
        ctx.tell(pid, text)

    @on_event("linli.person_forgotten")
    def forget(self, ctx: EventContext) -> None:
        """Matters, comments and ballots stay (the council's record and the counts need them),
        unlinked from the person; the words they wrote (a matter's text, their comments) are
        removed, a matter's title stays (the minutes and the poll name it); their place on the
        roll and their household are deleted."""
        pid = ctx.event.payload["person_id"]
        ctx.store.delete(roll, roll.c.person_id == pid)
        ctx.store.update(matters, matters.c.raised_by == pid, raised_by=None, text="")
        ctx.store.update(comments, comments.c.person_id == pid, person_id=None, text="")
        ctx.store.update(supports, supports.c.person_id == pid, person_id=None)
        ctx.store.update(history, history.c.person_id == pid, person_id=None)
        ctx.store.update(votes, votes.c.person_id == pid, person_id=None, household="")
        ctx.store.update(votes, votes.c.proxy_by == pid, proxy_by=None)
        ctx.store.update(polls, polls.c.opened_by == pid, opened_by=None)
        ctx.log.info("council person forgotten")
