"""The contest's ledgers (台账) for ``linli export``: tracks and rules, submissions, verifications,
quarterly scores and rankings, the overall ranking and its history, the showcase."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from linli.core.plugin import N_, HandlerGroup, Ledger, LedgerContext, ledger
from linli.plugins.tracks._common import STATUS
from linli.plugins.tracks.contest import fmt
from linli.plugins.tracks.organising import RULE_NAMES
from linli.plugins.tracks.scoring import decimal_of
from linli.plugins.tracks.tables import decisions, history, overall, rules, scores, showcase, submissions, tracks, units

__all__ = ["Ledgers"]

ACTIONS = {
    "submitted": N_("submitted"),
    "corrected": N_("corrected"),
    "accepted": N_("verified"),
    "queried": N_("queried"),
    "rejected": N_("rejected, with reason"),
    "onsite_passed": N_("on-site check passed"),
    "onsite_failed": N_("on-site check failed"),
    "bonus": N_("bonus awarded"),
    "penalty": N_("penalty recorded"),
}


def _n(text: str) -> str:
    return fmt(decimal_of(text))


class Ledgers(HandlerGroup):
    """Six ledgers with Chinese headers in a Chinese district."""

    @ledger("rules", title=N_("Tracks and assessment rules ledger"))
    def rules_ledger(self, ctx: LedgerContext) -> Ledger:
        names = {t.id: t for t in ctx.store.select(tracks)}
        rows: list[list[Any]] = []
        for r in ctx.store.select(rules, order_by=[rules.c.track_id, rules.c.version]):
            t = names[r.track_id]
            data = json.loads(r.data)
            for i in data["indicators"]:
                bands = "、".join(f"≥{a}:{s}" for a, s in i.get("bands", []))
                rows.append(
                    [
                        t.code,
                        t.name,
                        r.version,
                        r.from_q,
                        ctx.t(N_("indicator")),
                        i["code"],
                        i["name"],
                        i.get("unit", ""),
                        i["weight"],
                        i.get("target", ""),
                        ctx.t(RULE_NAMES.get(i["rule"], i["rule"])),
                        bands,
                        ",".join(i.get("evidence", [])),
                        ctx.t(N_("yes")) if i.get("onsite") else "",
                    ]
                )
            for i in data["items"]:
                rows.append(
                    [
                        t.code,
                        t.name,
                        r.version,
                        r.from_q,
                        ctx.t(N_("bonus")) if i["kind"] == "bonus" else ctx.t(N_("penalty")),
                        i["code"],
                        i["name"],
                        "",
                        i["points"],
                        i.get("cap", ""),
                        "",
                        "",
                        "",
                        "",
                    ]
                )
        return Ledger(
            columns=[
                N_("Track"),
                N_("Track name"),
                N_("Version"),
                N_("From quarter"),
                N_("Kind"),
                N_("Code"),
                N_("Name"),
                N_("Unit of measure"),
                N_("Weight or points"),
                N_("Target or cap"),
                N_("Scoring rule"),
                N_("Bands"),
                N_("Evidence required"),
                N_("On-site check"),
            ],
            rows=rows,
        )

    @ledger("submissions", title=N_("Results and verification ledger"))
    def submissions_ledger(self, ctx: LedgerContext) -> Ledger:
        t_codes = {t.id: t.code for t in ctx.store.select(tracks)}
        u_codes = {u.id: (u.code, u.name) for u in ctx.store.select(units)}
        rows = ctx.store.select(submissions, order_by=[submissions.c.number])
        people = ctx.display_names(sorted({p for r in rows for p in (r.submitted_by, r.decided_by) if p is not None}))
        tz = ctx.district.timezone
        files = ctx.attachment_cells()
        return Ledger(
            columns=[
                N_("Number"),
                N_("Quarter"),
                N_("Track"),
                N_("Unit"),
                N_("Unit name"),
                N_("Code"),
                N_("Kind"),
                N_("Value"),
                N_("Revision"),
                N_("Evidence"),
                N_("Link"),
                N_("Status"),
                N_("On-site check"),
                N_("Reason"),
                N_("Reported by"),
                N_("Reported at"),
                N_("Assessor"),
                N_("Decided at"),
                N_("Attachments"),
            ],
            rows=[
                [
                    r.number,
                    r.quarter,
                    t_codes.get(r.track_id, ""),
                    *u_codes.get(r.unit_id, ("", "")),
                    r.code,
                    ctx.t(N_("indicator"))
                    if r.kind == "indicator"
                    else ctx.t(N_("bonus"))
                    if r.kind == "bonus"
                    else ctx.t(N_("penalty")),
                    r.value,
                    r.revision,
                    r.text,
                    r.link,
                    ctx.t(STATUS[r.status]),
                    ctx.t(N_("passed")) if r.onsite == "passed" else ctx.t(N_("failed")) if r.onsite else "",
                    r.reason,
                    people.get(r.submitted_by, ""),
                    ctx.t.datetime(r.submitted_at, tz, "short"),
                    people.get(r.decided_by, ""),
                    ctx.t.datetime(r.decided_at, tz, "short") if r.decided_at else "",
                    files.get(str(r.number), ""),
                ]
                for r in rows
            ],
        )

    @ledger("verifications", title=N_("Verification record"))
    def verifications_ledger(self, ctx: LedgerContext) -> Ledger:
        numbers = {s.id: s.number for s in ctx.store.select(submissions)}
        rows = ctx.store.select(decisions, order_by=[decisions.c.id])
        people = ctx.display_names(sorted({r.actor_id for r in rows if r.actor_id is not None}))
        tz = ctx.district.timezone
        return Ledger(
            columns=[N_("Number"), N_("Action"), N_("Value"), N_("Reason or note"), N_("By"), N_("At")],
            rows=[
                [
                    numbers.get(r.submission_id, ""),
                    ctx.t(ACTIONS.get(r.action, r.action)),
                    r.value,
                    r.note,
                    people.get(r.actor_id, ""),
                    ctx.t.datetime(r.at, tz, "short"),
                ]
                for r in rows
            ],
        )

    @ledger("scores", title=N_("Quarterly scores and rankings ledger"))
    def scores_ledger(self, ctx: LedgerContext) -> Ledger:
        t_codes = {t.id: (t.code, t.name) for t in ctx.store.select(tracks)}
        u_codes = {u.id: (u.code, u.name) for u in ctx.store.select(units)}

        def rows() -> Iterator[list[Any]]:
            for r in ctx.store.select(scores, order_by=[scores.c.quarter, scores.c.track_id, scores.c.rank]):
                yield [
                    r.quarter,
                    *t_codes.get(r.track_id, ("", "")),
                    *u_codes.get(r.unit_id, ("", "")),
                    _n(r.base),
                    _n(r.bonus),
                    _n(r.penalty),
                    _n(r.total),
                    r.rank,
                    r.version,
                ]

        return Ledger(
            columns=[
                N_("Quarter"),
                N_("Track"),
                N_("Track name"),
                N_("Unit"),
                N_("Unit name"),
                N_("Indicator score"),
                N_("Bonus"),
                N_("Penalty"),
                N_("Total"),
                N_("Rank"),
                N_("Rules version"),
            ],
            rows=rows(),
        )

    @ledger("overall", title=N_("Overall ranking ledger"))
    def overall_ledger(self, ctx: LedgerContext) -> Ledger:
        u_codes = {u.id: (u.code, u.name) for u in ctx.store.select(units)}
        return Ledger(
            columns=[N_("Quarter"), N_("Unit"), N_("Unit name"), N_("Mean total"), N_("Tracks"), N_("Rank")],
            rows=[
                [r.quarter, *u_codes.get(r.unit_id, ("", "")), _n(r.mean), r.tracks, r.rank]
                for r in ctx.store.select(overall, order_by=[overall.c.quarter, overall.c.rank])
            ],
        )

    @ledger("history", title=N_("Ranking history ledger"))
    def history_ledger(self, ctx: LedgerContext) -> Ledger:
        t_codes = {t.id: t.code for t in ctx.store.select(tracks)}
        u_codes = {u.id: u.code for u in ctx.store.select(units)}
        tz = ctx.district.timezone

        def rows() -> Iterator[list[Any]]:
            order = [history.c.quarter, history.c.run, history.c.track_id, history.c.rank]
            for r in ctx.store.select(history, order_by=order):
                yield [
                    r.quarter,
                    r.run,
                    t_codes.get(r.track_id, ctx.t(N_("overall"))),
                    u_codes.get(r.unit_id, ""),
                    r.rank,
                    _n(r.total),
                    ctx.t.datetime(r.computed_at, tz, "short"),
                ]

        return Ledger(
            columns=[N_("Quarter"), N_("Run"), N_("Track"), N_("Unit"), N_("Rank"), N_("Total"), N_("Computed at")],
            rows=rows(),
        )

    @ledger("showcase", title=N_("Showcase ledger"))
    def showcase_ledger(self, ctx: LedgerContext) -> Ledger:
        t_codes = {t.id: t.code for t in ctx.store.select(tracks)}
        u_codes = {u.id: (u.code, u.name) for u in ctx.store.select(units)}
        rows = ctx.store.select(showcase, order_by=[showcase.c.quarter, showcase.c.venue, showcase.c.track_id])
        people = ctx.display_names(sorted({r.confirmed_by for r in rows if r.confirmed_by is not None}))
        return Ledger(
            columns=[
                N_("Quarter"),
                N_("Venue"),
                N_("Track"),
                N_("Unit"),
                N_("Unit name"),
                N_("Rank"),
                N_("State"),
                N_("Confirmed by"),
            ],
            rows=[
                [
                    r.quarter,
                    r.venue,
                    t_codes.get(r.track_id, ""),
                    *u_codes.get(r.unit_id, ("", "")),
                    r.rank,
                    ctx.t(N_("confirmed")) if r.state == "confirmed" else ctx.t(N_("proposed")),
                    people.get(r.confirmed_by, ""),
                ]
                for r in rows
            ],
        )
