"""What the village's own work (enterprise, sales, projects, scholarships, the monthly report)
shares: who is staff, money in fen, dates and numbers as people type them, and telling staff."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import Address, PluginContext, Translator, parse_number

__all__ = [
    "MAX_FEN",
    "STAFF",
    "WORKERS",
    "Label",
    "fen_text",
    "fetch",
    "month_of",
    "month_range",
    "next_number",
    "number_arg",
    "parse_date",
    "parse_fen",
    "parse_quantity",
    "quantity_text",
    "tell_staff",
]

SECRETARY = "secretary"
TEAM = "village_team"
TOWNSHIP = "township"
#: who records the village's work: the first secretary and the village work team
WORKERS = (SECRETARY, TEAM)
#: who sees the village's records, students' names among them: workers and the township
STAFF = (SECRETARY, TEAM, TOWNSHIP)

#: the largest amount taken: 100 million yuan
MAX_FEN = 100_000_000 * 100
_MAX_QUANTITY = Decimal("1000000000")
_MONEY = re.compile(r"^(?:¥|￥)?\s*([0-9][0-9,，]*(?:\.[0-9]+)?)\s*(?:元|yuan)?$", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


def parse_fen(text: str) -> int | None:
    """An amount of money people type (``6400``, ``6,400.50``, ``¥32``, ``32元``) in fen; None
    when it is not one, is not above zero, has more than two decimals or is absurdly large."""
    match = _MONEY.match(text.strip().translate(_FULL_WIDTH))
    if match is None:
        return None
    try:
        value = Decimal(match.group(1).replace(",", "").replace("，", ""))
    except InvalidOperation:
        return None
    fen = value * 100
    if fen != fen.to_integral_value() or fen <= 0 or fen > MAX_FEN:
        return None
    return int(fen)


def parse_quantity(text: str) -> Decimal | None:
    """A quantity (``500``, ``12.5``) above zero with at most three decimals; else None."""
    try:
        value = Decimal(text.strip().translate(_FULL_WIDTH).replace(",", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value > _MAX_QUANTITY or value != value.quantize(Decimal("0.001")):
        return None
    return value


def parse_date(text: str) -> dt.date | None:
    """A date people type: ``2026-11-20``, ``2026/11/20``, ``2026年11月20日``; else None."""
    match = _DATE.match(text.strip().translate(_FULL_WIDTH))
    if match is None:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def month_of(text: str) -> dt.date | None:
    """The first day of a month people type (``2026-11``, ``2026年11月``); else None."""
    match = _MONTH.match(text.strip().translate(_FULL_WIDTH))
    if match is None or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        return None
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def month_range(first: dt.date) -> tuple[dt.date, dt.date]:
    """The first day of a month and the first day of the next."""
    first = first.replace(day=1)
    after = dt.date(first.year + 1, 1, 1) if first.month == 12 else dt.date(first.year, first.month + 1, 1)
    return first, after


def fen_text(fen: int) -> str:
    """An amount in fen as people read it: ``¥6,400.00``."""
    sign = "-" if fen < 0 else ""
    value = (Decimal(abs(fen)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{sign}¥{value:,}"


def quantity_text(value: Decimal | int) -> str:
    """A quantity without trailing zeros: ``500``, ``12.5``."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def next_number(ctx: PluginContext, table: sa.Table, *where: object) -> int:
    """The next per-village number of a table with a ``number`` column."""
    stmt = sa.select(sa.func.max(table.c.number))
    for clause in where:
        stmt = stmt.where(clause)  # type: ignore[arg-type]
    return int(ctx.store.execute(stmt).scalar() or 0) + 1


def number_arg(ctx: PluginContext, text: str, usage: str) -> int:
    """A number the person typed (``3``, ``#3``, ``３``), or a clear answer with ``usage``."""
    number = parse_number(text.strip())
    if number is None:
        raise ctx.fail(usage)
    return number


def fetch(ctx: PluginContext, stmt: Any) -> list[Any]:
    """The rows of a query (a sum, a count by group) in this village."""
    return list(ctx.store.execute(stmt))


class Label(str):
    """A value of a message that is itself a msgid (a certificate's kind): :func:`tell_staff`
    translates it for each reader."""

    __slots__ = ()


def tell_staff(ctx: PluginContext, message: str, **values: object) -> None:
    """Tell the first secretary and the work team, each privately in their own language, and the
    staff room when the village has one (``staff_room``). ``message`` is a msgid; a value given
    as a :class:`Label` is translated too."""

    def text(t: Translator) -> str:
        return t(message, **{k: t(v) if isinstance(v, Label) else v for k, v in values.items()})

    for person_id in sorted({*ctx.holders_of(SECRETARY), *ctx.holders_of(TEAM)}):
        ctx.send_private(person_id, text(ctx.translator_for(person_id)))
    room = str(ctx.config.get("staff_room") or "")
    if room:
        ctx.send(Address.parse(room), text(ctx.t))


_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－／：", "0123456789.-/:")
