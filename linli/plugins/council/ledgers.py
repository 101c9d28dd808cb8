"""议事台账 — the ledgers of matters (with their outcomes), polls (with their results) and ballots,
for ``linli export``."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from linli.core.plugin import N_, HandlerGroup, Ledger, LedgerContext, PluginContext, ledger
from linli.plugins.council.polls import KINDS, OUTCOMES, choice_text, latest_ballots
from linli.plugins.council.states import CATEGORIES, LABELS
from linli.plugins.council.tables import comments, history, matters, polls, supports, votes

__all__ = ["Ledgers"]

MATTER_COLUMNS = [
    N_("Matter number"),
    N_("Date raised"),
    N_("Title"),
    N_("Category"),
    N_("Raised by"),
    N_("Content"),
    N_("Supporters"),
    N_("Comments"),
    N_("Proposal"),
    N_("Polls"),
    N_("State"),
    N_("Outcome"),
    N_("Date decided"),
    N_("Review date"),
    N_("How it was done"),
    N_("Date closed"),
    N_("Attachments"),
]
POLL_COLUMNS = [
    N_("Poll number"),
    N_("Matter number"),
    N_("Question"),
    N_("Kind of poll"),
    N_("Secret ballot"),
    N_("Counted per"),
    N_("Opened"),
    N_("Closes"),
    N_("Closed"),
    N_("Eligible voters"),
    N_("Turnout"),
    N_("Quorum met"),
    N_("Count"),
    N_("Proxy votes"),
    N_("Objections"),
    N_("Outcome"),
]
BALLOT_COLUMNS = [
    N_("Poll number"),
    N_("Time"),
    N_("Voter"),
    N_("Household"),
    N_("Choice"),
    N_("Objection"),
    N_("Entered by proxy"),
]


class Ledgers(HandlerGroup):
    """The council's ledgers."""

    @ledger("matters", title=N_("Courtyard council matters ledger"))
    def matters_ledger(self, ctx: LedgerContext) -> Ledger:
        tz = ZoneInfo(ctx.district.timezone)
        rows_ = ctx.store.select(matters, order_by=[matters.c.number])
        names = ctx.display_names(sorted({r.raised_by for r in rows_ if r.raised_by is not None}))
        backing = _count_by(ctx.store.select(supports))
        talk = _count_by(ctx.store.select(comments))
        finished = {h.matter_id: h.note for h in ctx.store.select(history, history.c.state_to == "done")}
        numbers: dict[int, list[str]] = {}
        for p in ctx.store.select(polls, polls.c.matter_id.is_not(None), order_by=[polls.c.number]):
            numbers.setdefault(p.matter_id, []).append(str(p.number))
        files = ctx.attachment_cells()
        # a generator: each row is written as it is made
        rows = (
            [
                r.number,
                r.created_at.astimezone(tz).date(),
                r.title,
                ctx.t(CATEGORIES[r.category]),
                names.get(r.raised_by, ""),
                r.text,
                backing.get(r.id, 0),
                talk.get(r.id, 0),
                r.proposal,
                "、".join(numbers.get(r.id, [])),
                ctx.t(LABELS[r.status]),
                _outcome(ctx, r.outcome),
                r.decided_at.astimezone(tz).date() if r.decided_at else None,
                r.review_on,
                finished.get(r.id, ""),
                r.closed_at.astimezone(tz).date() if r.closed_at else None,
                files.get(str(r.number), ""),
            ]
            for r in rows_
        )
        return Ledger(columns=MATTER_COLUMNS, rows=rows)

    @ledger("polls", title=N_("Courtyard council polls and results"))
    def polls_ledger(self, ctx: LedgerContext) -> Ledger:
        numbers = {m.id: m.number for m in ctx.store.select(matters)}
        rows = []
        for p in ctx.store.select(polls, order_by=[polls.c.number]):
            ballots = latest_ballots(ctx, p)
            counts = (p.tally or {}).get("counts", []) if p.status == "closed" else []
            count = "; ".join(f"{_option(ctx, p, i)} {n}" for i, n in enumerate(counts))
            rows.append(
                [
                    p.number,
                    numbers.get(p.matter_id),
                    p.question,
                    ctx.t(KINDS[p.kind]),
                    ctx.t("yes") if p.secret else ctx.t("no"),
                    ctx.t("household") if p.counting == "household" else ctx.t("person"),
                    p.opened_at,
                    p.closes_at,
                    p.closed_at,
                    p.electorate,
                    p.turnout,
                    (ctx.t("yes") if p.outcome != "no_quorum" else ctx.t("no")) if p.status == "closed" else "",
                    count,
                    sum(1 for v in ballots.values() if v.proxy_by is not None),
                    "\n".join(v.objection for v in ballots.values() if v.objection),
                    _outcome(ctx, p.outcome) if p.status == "closed" else ctx.t("open for voting"),
                ]
            )
        return Ledger(columns=POLL_COLUMNS, rows=rows)

    @ledger("ballots", title=N_("Courtyard council ballots"))
    def ballots_ledger(self, ctx: LedgerContext) -> Ledger:
        """Every ballot cast, in order; a secret ballot's voters are not named."""
        by_id = {p.id: p for p in ctx.store.select(polls)}
        rows_ = ctx.store.select(votes, order_by=[votes.c.poll_id, votes.c.id])
        names = ctx.display_names(sorted({p for v in rows_ for p in (v.person_id, v.proxy_by) if p is not None}))
        rows = []
        for v in rows_:
            p = by_id[v.poll_id]
            secret = bool(p.secret)
            rows.append(
                [
                    p.number,
                    v.cast_at,
                    ctx.t("(secret)") if secret else names.get(v.person_id, ""),
                    "" if secret else v.household,
                    choice_text(ctx.t, p, list(v.choice)),
                    v.objection,
                    names.get(v.proxy_by, "") if v.proxy_by is not None else "",
                ]
            )
        return Ledger(columns=BALLOT_COLUMNS, rows=rows)


def _count_by(rows: list[Any]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for r in rows:
        counts[r.matter_id] = counts.get(r.matter_id, 0) + 1
    return counts


def _option(ctx: PluginContext, p: Any, i: int) -> str:
    return choice_text(ctx.t, p, [i])


def _outcome(ctx: PluginContext, outcome: str | None) -> str:
    if not outcome:
        return ""
    return ctx.t(OUTCOMES[outcome]) if outcome in OUTCOMES else outcome
