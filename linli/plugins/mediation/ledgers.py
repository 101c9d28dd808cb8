"""矛盾纠纷排查调处台账 — the case ledger and its figures, for ``linli export``."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from linli.core.plugin import N_, HandlerGroup, Ledger, LedgerContext, ledger
from linli.plugins.mediation.cases import party_names
from linli.plugins.mediation.labels import CATEGORIES, FORMS, RISKS, SOURCES
from linli.plugins.mediation.meeting import figures
from linli.plugins.mediation.states import LABELS
from linli.plugins.mediation.tables import agreements, cases, members, records

__all__ = ["Ledgers"]

COLUMNS = [
    N_("Case number"),
    N_("Date registered"),
    N_("Grid"),
    N_("Source"),
    N_("Type of dispute"),
    N_("Parties"),
    N_("Headcount"),
    N_("Claims"),
    N_("Risk level"),
    N_("Responsible mediator"),
    N_("Measures"),
    N_("Result"),
    N_("Date closed"),
    N_("Form of agreement"),
    N_("Follow-up"),
    N_("Remarks"),
    N_("Evidence"),
]


class Ledgers(HandlerGroup):
    """The ledgers a community keeps of its mediation work."""

    @ledger("cases", title=N_("Dispute screening and mediation ledger"))
    def cases_ledger(self, ctx: LedgerContext) -> Ledger:
        tz = ZoneInfo(ctx.district.timezone)
        people = ctx.store.select(members, members.c.person_id.is_not(None))
        names = ctx.display_names(sorted({m.person_id for m in people}))
        deals = {a.case_id: a for a in ctx.store.select(agreements)}
        by_case: dict[int, list[Any]] = {}  # not a scan of every member for every case
        for m in people:
            by_case.setdefault(m.case_id, []).append(m)
        evidence = ctx.attachment_cells()
        rows = []
        for r in ctx.store.select(cases, order_by=[cases.c.number]):
            mine = by_case.get(r.id, [])
            parties = [names[m.person_id] for m in mine if m.role == "party"]
            mediators = [names[m.person_id] for m in mine if m.role == "mediator"]
            deal = deals.get(r.id)
            rows.append(
                [
                    r.number,
                    r.opened_at.astimezone(tz).date(),
                    r.grid,
                    ctx.t(SOURCES[r.source]),
                    ctx.t(CATEGORIES[r.category]),
                    "、".join(party_names(r, parties)),
                    r.headcount,
                    r.claims,
                    ctx.t(RISKS[r.risk]),
                    "、".join(mediators),
                    r.measures,
                    ctx.t(LABELS[r.status]),
                    r.closed_at.astimezone(tz).date() if r.closed_at else None,
                    ctx.t(FORMS[deal.form]) if deal else "",
                    r.followup,
                    r.remarks,
                    evidence.get(str(r.number), ""),
                ]
            )
        return Ledger(columns=COLUMNS, rows=rows)

    @ledger("figures", title=N_("Mediation figures"))
    def figures_ledger(self, ctx: LedgerContext) -> Ledger:
        rows = ctx.store.select(cases)
        return Ledger(
            columns=[N_("Counted by"), N_("Item"), N_("Cases")],
            rows=[
                [ctx.t(title).rstrip(":："), label, n] for title, counts in figures(ctx, rows) for label, n in counts
            ],
        )

    @ledger("sessions", title=N_("Mediation session records"))
    def sessions_ledger(self, ctx: LedgerContext) -> Ledger:
        """Every message relayed in a case and every move, in order: the session record (调解笔录).

        Records hold codes and parameters; they are worded here, in the language of the export.
        """
        numbers = {r.id: r.number for r in ctx.store.select(cases)}
        speakers = ctx.store.execute(sa.select(records.c.person_id).where(records.c.person_id.is_not(None)).distinct())
        names = ctx.display_names(sorted(p for (p,) in speakers))
        # read as written, not all at once: a ledger of any length stays small in memory
        rows = ctx.store.execute(
            sa.select(records).order_by(records.c.case_id, records.c.id).execution_options(yield_per=1000)
        )
        return Ledger(
            columns=[N_("Case number"), N_("Time"), N_("Who"), N_("Kind"), N_("Record")],
            rows=(
                [
                    numbers.get(r.case_id),
                    r.at,
                    names.get(r.person_id, ""),
                    ctx.t(KINDS[r.kind]) if r.kind in KINDS else r.kind,
                    record_text(ctx.t, r),
                ]
                for r in rows
            ),
        )


# TRANSLATORS: kinds of lines in a mediation session record
KINDS = {
    "message": N_("message"),
    "transition": N_("state change"),
    "note": N_("note"),
    "risk": N_("risk level"),
    "consent": N_("consent to mediation"),
    "extension_answer": N_("answer to an extension"),
    "extended": N_("extension"),
    "confirm": N_("confirmation"),
    "evidence": N_("evidence"),
}


def record_text(t: Any, row: Any) -> str:
    """A session record in words, in ``t``'s language: what people wrote as they wrote it, codes
    worded now."""
    params = row.params or {}
    if row.kind == "transition":
        states = [t(LABELS[s]) for s in (row.state_from, row.state_to) if s]
        moved = "→".join(states)
        if params.get("form") in FORMS:
            moved = t("{state} ({form})", state=moved, form=t(FORMS[params["form"]]))
        return f"{moved} {row.text}".strip()
    if row.kind == "risk" and params.get("risk") in RISKS:
        return str(t("Risk level set to {risk}.", risk=t(RISKS[params["risk"]])))
    if row.kind == "consent":
        return str(t("Agreed to mediation.") if params.get("agreed") else t("Refused mediation."))
    if row.kind == "extension_answer":
        return str(t("Agreed to the extension.") if params.get("agreed") else t("Refused the extension."))
    if row.kind == "confirm":
        return str(t("Confirmed the agreement."))
    if row.kind == "extended":
        return str(
            t("Time limit extended by {days} day(s). Reason: {reason}", days=params.get("days", 0), reason=row.text)
        )
    return str(row.text)
