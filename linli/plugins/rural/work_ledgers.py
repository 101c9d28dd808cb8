"""The ledgers (台账) of the village's own work for ``linli export``, with Chinese headers in a
Chinese village: certificates, sales, households' revenue, projects and their milestones,
progress reports, the scholarship fund. Money is in yuan with two decimals (from fen).

Students are minors: the fund's ledger names them only in an export asked for with
``--include-sensitive`` (and audited so); otherwise by their number."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from linli.core.plugin import N_, HandlerGroup, Ledger, LedgerContext, ledger
from linli.plugins.rural.enterprise import enterprise_names, kind_label
from linli.plugins.rural.enterprise_tables import (
    certificates,
    fund_entries,
    milestones,
    products,
    progress_reports,
    projects,
    sale_shares,
    sales,
    students,
)
from linli.plugins.rural.scholarships import DONATION

__all__ = ["WorkLedgers"]

_KINDS = {DONATION: N_("donation"), "disbursement": N_("disbursement")}


def yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def _quantity(value: Any) -> int | Decimal:
    """A quantity as a spreadsheet number: 500, not 500.000."""
    q = Decimal(value)
    return int(q) if q == q.to_integral_value() else q.normalize()


class WorkLedgers(HandlerGroup):
    """Certificates, sales, households' revenue, projects, progress reports, scholarships."""

    @ledger("certificates", title=N_("Certificates ledger"))
    def certificates_ledger(self, ctx: LedgerContext) -> Ledger:
        names = enterprise_names(ctx)
        rows = ctx.store.select(certificates, order_by=[certificates.c.enterprise_id, certificates.c.number])
        return Ledger(
            columns=[
                N_("No."),
                N_("Enterprise"),
                N_("Certificate"),
                N_("Certificate number"),
                N_("Issued by"),
                N_("Scope"),
                N_("Expires on"),
            ],
            rows=[
                [
                    r.number,
                    names.get(r.enterprise_id, ""),
                    kind_label(ctx, r.kind),
                    r.code,
                    r.issuer,
                    r.scope,
                    r.expires_on,
                ]
                for r in rows
            ],
        )

    @ledger("sales", title=N_("Sales ledger"))
    def sales_ledger(self, ctx: LedgerContext) -> Ledger:
        found = {p.id: p for p in ctx.store.select(products)}
        shared: dict[int, int] = {}
        for s in ctx.store.select(sale_shares):
            shared[s.sale_id] = shared.get(s.sale_id, 0) + s.amount_fen

        def rows() -> Any:
            for r in ctx.store.select(sales, order_by=[sales.c.sold_on, sales.c.number]):
                p = found.get(r.product_id)
                to_households = shared.get(r.id, 0)
                yield [
                    r.number,
                    r.sold_on,
                    p.name if p else "",
                    p.brand if p else "",
                    r.buyer,
                    _quantity(r.quantity),
                    p.unit if p else "",
                    yuan(r.price_fen),
                    yuan(r.amount_fen),
                    yuan(r.amount_fen - to_households),
                    yuan(to_households),
                ]

        return Ledger(
            columns=[
                N_("No."),
                N_("Date"),
                N_("Product"),
                N_("Brand"),
                N_("Buyer"),
                N_("Quantity"),
                N_("Unit of measure"),
                N_("Price (yuan)"),
                N_("Amount (yuan)"),
                N_("To the collective (yuan)"),
                N_("To households (yuan)"),
            ],
            rows=rows(),
        )

    @ledger("revenue", title=N_("Households' revenue ledger"))
    def revenue_ledger(self, ctx: LedgerContext) -> Ledger:
        registry = ctx.registry
        numbers = {s.id: s for s in ctx.store.select(sales)}
        codes = {b.id: b.code for b in registry.buildings()}
        rows = []
        for r in ctx.store.select(sale_shares, order_by=[sale_shares.c.sale_id, sale_shares.c.id]):
            sale = numbers.get(r.sale_id)
            household = registry.household_by_id(r.household_id)
            label = f"{codes.get(household.building_id, '')}/{household.label}" if household else str(r.household_id)
            rows.append([sale.number if sale else "", sale.sold_on if sale else None, label, yuan(r.amount_fen)])
        return Ledger(columns=[N_("Sale"), N_("Date"), N_("Household"), N_("Amount (yuan)")], rows=rows)

    @ledger("projects", title=N_("Projects ledger"))
    def projects_ledger(self, ctx: LedgerContext) -> Ledger:
        rows = []
        steps: dict[int, list[Any]] = {}
        for m in ctx.store.select(milestones, order_by=[milestones.c.project_id, milestones.c.number]):
            steps.setdefault(m.project_id, []).append(m)
        for p in ctx.store.select(projects, order_by=[projects.c.number]):
            for m in steps.get(p.id, [None]):
                rows.append(
                    [
                        p.number,
                        p.name,
                        p.progress,
                        f"{p.number}.{m.number}" if m else "",
                        m.title if m else "",
                        m.due_on if m else None,
                        m.done_on if m else None,
                    ]
                )
        return Ledger(
            columns=[
                N_("Project"),
                N_("Name"),
                N_("Progress (%)"),
                N_("Milestone"),
                N_("Milestone title"),
                N_("Due on"),
                N_("Done on"),
            ],
            rows=rows,
        )

    @ledger("progress", title=N_("Project progress reports ledger"))
    def progress_ledger(self, ctx: LedgerContext) -> Ledger:
        numbers = {p.id: p for p in ctx.store.select(projects)}
        tz = ZoneInfo(ctx.district.timezone)
        names = ctx.display_names(
            sorted({r.reported_by for r in ctx.store.select(progress_reports) if r.reported_by is not None})
        )
        files = ctx.attachment_cells()
        rows = [
            [
                numbers[r.project_id].number if r.project_id in numbers else "",
                numbers[r.project_id].name if r.project_id in numbers else "",
                r.reported_at.astimezone(tz),
                r.progress,
                r.text,
                names.get(r.reported_by, ""),
                files.get(str(r.id), ""),
            ]
            for r in ctx.store.select(
                progress_reports, order_by=[progress_reports.c.reported_at, progress_reports.c.id]
            )
        ]
        return Ledger(
            columns=[
                N_("Project"),
                N_("Name"),
                N_("Reported at"),
                N_("Progress (%)"),
                N_("Report"),
                N_("Reported by"),
                N_("Attachments"),
            ],
            rows=rows,
        )

    @ledger("scholarships", title=N_("Scholarship fund ledger"))
    def scholarships_ledger(self, ctx: LedgerContext) -> Ledger:
        """The fund's book with its running balance; students by number, their names and schools
        only with ``--include-sensitive``."""
        found = {s.id: s for s in ctx.store.select(students)}
        columns = [N_("Date"), N_("Kind"), N_("Donor"), N_("Student")]
        if ctx.include_sensitive:
            columns += [N_("Student's name"), N_("School")]
        columns += [N_("Term"), N_("Amount (yuan)"), N_("Balance (yuan)")]
        rows = []
        for e in ctx.store.select(fund_entries, order_by=[fund_entries.c.on_date, fund_entries.c.id]):
            s = found.get(e.student_id) if e.student_id is not None else None
            row: list[Any] = [e.on_date, ctx.t(_KINDS.get(e.kind, e.kind)), e.donor, f"#{s.number}" if s else ""]
            if ctx.include_sensitive:
                row += [s.name if s else "", s.school if s else ""]
            row += [e.term, yuan(e.amount_fen if e.kind == DONATION else -e.amount_fen), yuan(e.balance_fen)]
            rows.append(row)
        return Ledger(columns=columns, rows=rows)
