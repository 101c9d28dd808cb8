"""The scholarship fund (助学金): donations and disbursements with a running balance, per student
and per term.

Students are minors: their names are seen only by staff (the first secretary, the work team, the
township), only in a private chat, and never reach a group room; a group room reads a student's
number (``#3``) at most. The ledger leaves names out unless the export asks for them
(``--include-sensitive``, audited). A disbursement larger than the balance is refused and
nothing changes."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import N_, CommandContext, HandlerGroup, PluginContext, command, parse_number
from linli.plugins.rural._village import STAFF, WORKERS, fen_text, fetch, next_number, parse_fen
from linli.plugins.rural.enterprise_tables import fund_entries, students

__all__ = ["DISBURSEMENT", "DONATION", "Scholarships", "fund_balance"]

DONATION = "donation"
DISBURSEMENT = "disbursement"


def fund_balance(ctx: PluginContext, before: Any = None) -> int:
    """The fund's balance in fen (of the entries dated before ``before``, when given)."""
    signed = sa.case((fund_entries.c.kind == DONATION, fund_entries.c.amount_fen), else_=-fund_entries.c.amount_fen)
    stmt = sa.select(sa.func.coalesce(sa.func.sum(signed), 0))
    if before is not None:
        stmt = stmt.where(fund_entries.c.on_date < before)
    return int(ctx.store.execute(stmt).scalar() or 0)


def _lock_fund(ctx: PluginContext) -> None:
    """Lock the fund's last entry until this transaction ends (PostgreSQL; SQLite writes one at a
    time anyway): two entries at once, from two rooms, read the balance one after the other."""
    ctx.store.execute(sa.select(fund_entries.c.id).order_by(fund_entries.c.id.desc()).limit(1).with_for_update())


def _student(ctx: CommandContext, text: str) -> Any:
    """The student named by number (anywhere) or by name (in a private chat only)."""
    number = parse_number(text.strip())
    row = ctx.store.get(students, students.c.number == number) if number is not None else None
    if row is None and number is None and ctx.private:
        rows = ctx.store.select(students, students.c.name == text.strip())
        row = rows[0] if len(rows) == 1 else None
    if row is None:
        if number is None and not ctx.private:
            raise ctx.fail(ctx.t("In a group, name a student by their number only (#3), never by name."))
        raise ctx.fail(ctx.t("There is no such student. Staff see the students with /students in a private chat."))
    return row


class Scholarships(HandlerGroup):
    """``/donate``, ``/student``, ``/disburse``, ``/fund``, ``/students``."""

    @command(
        "donate",
        help=N_("Record a donation to the scholarship fund"),
        usage=N_("AMOUNT DONOR"),
        roles=WORKERS,
        aliases=("捐赠",),
    )
    def donate(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /donate AMOUNT DONOR, for example /donate 6400 沈阳海关")
        if len(ctx.args) < 2:
            raise ctx.fail(usage)
        amount = parse_fen(ctx.args[0])
        if amount is None:
            raise ctx.fail(ctx.t("{text} is not an amount of money: write it like 3.5 or 6400.", text=ctx.args[0]))
        donor = re.split(r"[\s\u3000]+", ctx.argtext.strip(), maxsplit=1)[1]
        if len(donor) > 128:
            raise ctx.fail(usage)
        _lock_fund(ctx)
        balance = fund_balance(ctx) + amount
        ctx.store.insert(
            fund_entries,
            kind=DONATION,
            amount_fen=amount,
            balance_fen=balance,
            donor=donor,
            on_date=ctx.now().date(),
            recorded_by=ctx.person.id,
            recorded_at=ctx.clock.now(),
        )
        ctx.audit("rural.fund_donation", "fund", amount_fen=amount)
        ctx.reply(
            ctx.t(
                "Donation of {amount} from {donor} recorded. The fund holds {balance}.",
                amount=fen_text(amount),
                donor=donor,
                balance=fen_text(balance),
            )
        )

    @command(
        "student",
        help=N_("Register a student of the scholarship fund (in private)"),
        usage=N_("NAME [SCHOOL]"),
        roles=WORKERS,
        where="private",
        aliases=("登记学生",),
    )
    def student(self, ctx: CommandContext) -> None:
        if not ctx.args or len(ctx.args[0]) > 64:
            raise ctx.fail(ctx.t("Usage: /student NAME [SCHOOL], for example /student 王小明 雅河小学"))
        name = ctx.args[0]
        school = " ".join(ctx.args[1:])
        if len(school) > 128:
            raise ctx.fail(ctx.t("Usage: /student NAME [SCHOOL], for example /student 王小明 雅河小学"))
        number = next_number(ctx, students)
        ctx.store.insert(
            students, number=number, name=name, school=school, added_by=ctx.person.id, added_at=ctx.clock.now()
        )
        ctx.audit("rural.student_added", f"student:{number}")
        ctx.reply(
            ctx.t(
                "Student #{number} {name} is registered. In a group, name them only as #{number}.",
                number=number,
                name=name,
            )
        )

    @command(
        "disburse",
        help=N_("Pay a student a scholarship for a term from the fund"),
        usage=N_("STUDENT AMOUNT TERM"),
        roles=WORKERS,
        aliases=("发放助学金",),
    )
    def disburse(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /disburse STUDENT AMOUNT TERM, for example /disburse #3 300 2026秋")
        if len(ctx.args) != 3:
            raise ctx.fail(usage)
        student = _student(ctx, ctx.args[0])
        amount = parse_fen(ctx.args[1])
        if amount is None:
            raise ctx.fail(ctx.t("{text} is not an amount of money: write it like 3.5 or 6400.", text=ctx.args[1]))
        term = ctx.args[2]
        if len(term) > 32:
            raise ctx.fail(usage)
        _lock_fund(ctx)
        balance = fund_balance(ctx)
        if amount > balance:
            raise ctx.fail(
                ctx.t(
                    "The fund holds only {balance}: a disbursement of {amount} is refused and nothing changed.",
                    balance=fen_text(balance),
                    amount=fen_text(amount),
                )
            )
        ctx.store.insert(
            fund_entries,
            kind=DISBURSEMENT,
            amount_fen=amount,
            balance_fen=balance - amount,
            student_id=student.id,
            term=term,
            on_date=ctx.now().date(),
            recorded_by=ctx.person.id,
            recorded_at=ctx.clock.now(),
        )
        ctx.audit("rural.fund_disbursement", f"student:{student.number}", amount_fen=amount, term=term)
        who = student.name if ctx.private else f"#{student.number}"
        ctx.reply(
            ctx.t(
                "Paid {amount} to student {student} for {term}. The fund holds {balance}.",
                amount=fen_text(amount),
                student=who,
                term=term,
                balance=fen_text(balance - amount),
            )
        )

    @command(
        "fund",
        help=N_("The scholarship fund: balance, donations, and payments per term"),
        roles=STAFF,
        aliases=("助学金",),
    )
    def fund(self, ctx: CommandContext) -> None:
        totals: dict[str, int] = dict(
            fetch(
                ctx,
                sa.select(fund_entries.c.kind, sa.func.sum(fund_entries.c.amount_fen)).group_by(fund_entries.c.kind),
            )
        )
        terms = fetch(
            ctx,
            sa.select(
                fund_entries.c.term,
                sa.func.count(sa.distinct(fund_entries.c.student_id)),
                sa.func.sum(fund_entries.c.amount_fen),
            )
            .where(fund_entries.c.kind == DISBURSEMENT)
            .group_by(fund_entries.c.term)
            .order_by(fund_entries.c.term),
        )
        donated, paid = int(totals.get(DONATION) or 0), int(totals.get(DISBURSEMENT) or 0)
        lines = [
            ctx.t(
                "Scholarship fund: {balance} held; {donated} donated, {paid} paid.",
                balance=fen_text(donated - paid),
                donated=fen_text(donated),
                paid=fen_text(paid),
            )
        ]
        for term, count, amount in terms:
            lines.append(
                ctx.t.plural(
                    "{term}: {n} student, {amount}",
                    "{term}: {n} students, {amount}",
                    int(count),
                    term=term,
                    amount=fen_text(int(amount)),
                )
            )
        ctx.reply("\n".join(lines))

    @command(
        "students",
        help=N_("The students of the scholarship fund and what each received (in private)"),
        roles=STAFF,
        where="private",
        aliases=("学生名单",),
    )
    def list_students(self, ctx: CommandContext) -> None:
        rows = ctx.store.select(students, order_by=[students.c.number])
        if not rows:
            ctx.reply(ctx.t("No students registered yet: /student NAME [SCHOOL] in a private chat."))
            return
        paid: dict[int, list[str]] = {}
        for e in ctx.store.select(
            fund_entries, fund_entries.c.kind == DISBURSEMENT, order_by=[fund_entries.c.on_date, fund_entries.c.id]
        ):
            paid.setdefault(e.student_id, []).append(f"{e.term} {fen_text(e.amount_fen)}")
        lines = [ctx.t("Students:")]
        for s in rows:
            received = "、".join(paid.get(s.id, [])) or ctx.t("nothing yet")
            school = f" · {s.school}" if s.school else ""
            lines.append(f"#{s.number} {s.name}{school} · {received}")
        ctx.audit("rural.students_read", "students", rows=len(rows))
        ctx.reply("\n".join(lines))
