"""矛盾纠纷排查调处台账 — the case ledger and its figures, for ``linli export``."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from linli.core.plugin import N_, HandlerGroup, Ledger, LedgerContext, PluginContext, ledger
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
]


class Ledgers(HandlerGroup):
    """The ledgers a community keeps of its mediation work."""

    @ledger("cases", title=N_("Dispute screening and mediation ledger"))
    def cases_ledger(self, ctx: LedgerContext) -> Ledger:
        tz = ZoneInfo(ctx.district.timezone)
        people = ctx.store.select(members, members.c.person_id.is_not(None))
        names = ctx.display_names(sorted({m.person_id for m in people}))
        deals = {a.case_id: a for a in ctx.store.select(agreements)}
        rows = []
        for r in ctx.store.select(cases, order_by=[cases.c.number]):
            mine = [m for m in people if m.case_id == r.id]
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
                    "、".join([*parties, *([r.other_party] if r.other_party else [])]),
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
        """Every message relayed in a case and every move, in order: the session record (调解笔录)."""
        numbers = {r.id: r.number for r in ctx.store.select(cases)}
        rows = ctx.store.select(records, order_by=[records.c.case_id, records.c.id])
        names = ctx.display_names(sorted({r.person_id for r in rows if r.person_id is not None}))
        kinds = {"message": N_("message"), "transition": N_("state change"), "note": N_("note")}
        return Ledger(
            columns=[N_("Case number"), N_("Time"), N_("Who"), N_("Kind"), N_("Record")],
            rows=[
                [numbers.get(r.case_id), r.at, names.get(r.person_id, ""), ctx.t(kinds[r.kind]), _record_text(ctx, r)]
                for r in rows
            ],
        )


def _record_text(ctx: PluginContext, row: Any) -> str:
    if row.kind != "transition":
        return str(row.text)
    moved = "→".join(ctx.t(LABELS[s]) for s in (row.state_from, row.state_to) if s)
    return f"{moved} {row.text}".strip()
