"""The sales ledger (销售台账): products and brands, sales to buyers with quantities, units, prices
and dates, and each sale's revenue split between the collective and households of the register;
monthly totals in chat (``/sales``, and the village room on the 1st of each month)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from attrs import frozen

from linli.core.plugin import (
    N_,
    Address,
    CommandContext,
    HandlerGroup,
    JobContext,
    PluginContext,
    command,
    scheduled,
)
from linli.plugins.rural._village import (
    MAX_FEN,
    STAFF,
    WORKERS,
    fen_text,
    fetch,
    month_of,
    month_range,
    next_number,
    number_arg,
    parse_date,
    parse_fen,
    parse_quantity,
    quantity_text,
)
from linli.plugins.rural.enterprise_tables import products, sale_shares, sales

__all__ = ["Sales", "SalesTotals", "find_household", "household_text", "sales_totals"]

_SEPARATOR = re.compile(r"[/／:：]")


@frozen
class ProductTotal:
    name: str
    brand: str
    unit: str
    quantity: Decimal
    amount_fen: int


@frozen
class SalesTotals:
    """A month's sales: by product, in all, to households and to the collective (fen)."""

    products: tuple[ProductTotal, ...]
    count: int
    amount_fen: int
    households_fen: int
    households: int

    @property
    def collective_fen(self) -> int:
        return self.amount_fen - self.households_fen


def sales_totals(ctx: PluginContext, start: dt.date, end: dt.date) -> SalesTotals:
    """The sales dated on ``start`` or later and before ``end``, summed in the database."""
    in_range = (sales.c.sold_on >= start, sales.c.sold_on < end)
    by_product = fetch(
        ctx,
        sa.select(
            sales.c.product_id,
            sa.func.count(),
            sa.func.sum(sales.c.quantity),
            sa.func.sum(sales.c.amount_fen),
        )
        .where(*in_range)
        .group_by(sales.c.product_id),
    )
    names = {p.id: p for p in ctx.store.select(products)} if by_product else {}
    items = []
    for product_id, _, quantity, amount in by_product:
        p = names.get(product_id)
        items.append(
            ProductTotal(
                p.name if p else "",
                p.brand if p else "",
                p.unit if p else "",
                Decimal(quantity or 0),
                int(amount or 0),
            )
        )
    items.sort(key=lambda i: (-i.amount_fen, i.name, i.brand))
    shares = fetch(
        ctx,
        sa.select(sa.func.sum(sale_shares.c.amount_fen), sa.func.count(sa.distinct(sale_shares.c.household_id)))
        .select_from(sale_shares.join(sales, sales.c.id == sale_shares.c.sale_id))
        .where(*in_range),
    )[0]
    return SalesTotals(
        products=tuple(items),
        count=sum(int(r[1]) for r in by_product),
        amount_fen=sum(i.amount_fen for i in items),
        households_fen=int(shares[0] or 0),
        households=int(shares[1] or 0),
    )


def household_revenue(ctx: PluginContext, start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    """Each household's part of the sales dated in the range (household id, fen), largest first."""
    rows = fetch(
        ctx,
        sa.select(sale_shares.c.household_id, sa.func.sum(sale_shares.c.amount_fen))
        .select_from(sale_shares.join(sales, sales.c.id == sale_shares.c.sale_id))
        .where(sales.c.sold_on >= start, sales.c.sold_on < end)
        .group_by(sale_shares.c.household_id),
    )
    return sorted(((int(h), int(fen)) for h, fen in rows), key=lambda r: (-r[1], r[0]))


def totals_text(ctx: PluginContext, start: dt.date, totals: SalesTotals) -> str:
    """A month's totals as a chat message (no household is named)."""
    month = start.strftime("%Y-%m")
    if not totals.count:
        return ctx.t("Sales in {month}: none recorded.", month=month)
    first = ctx.t.plural(
        "Sales in {month}: {n} sale, {amount} in all.",
        "Sales in {month}: {n} sales, {amount} in all.",
        totals.count,
        month=month,
        amount=fen_text(totals.amount_fen),
    )
    split = ctx.t(
        "To the collective {collective}; to households {shares} (households paid: {households}).",
        collective=fen_text(totals.collective_fen),
        shares=fen_text(totals.households_fen),
        households=totals.households,
    )
    lines = [f"{first} {split}" if not ctx.t.language.startswith("zh") else f"{first}{split}"]
    for p in totals.products:
        lines.append(
            f"· {product_name(p.name, p.brand)} {quantity_text(p.quantity)} {p.unit} · {fen_text(p.amount_fen)}"
        )
    return "\n".join(lines)


def product_name(name: str, brand: str) -> str:
    """A product with its brand: 大米（雅河硕丰）."""
    return f"{name}（{brand}）" if brand else name


def find_household(ctx: PluginContext, text: str) -> Any:
    """The register's household named ``组/门牌`` (``一组/12``), or by its door alone when only one
    household of the village has it; None when there is none."""
    registry = ctx.registry
    if _SEPARATOR.search(text):
        building, label = _SEPARATOR.split(text.strip(), maxsplit=1)
        return registry.household(building.strip(), label.strip())
    found = [h for b in registry.buildings() if (h := registry.household(b.code, text)) is not None]
    return found[0] if len(found) == 1 else None


def household_text(ctx: PluginContext, household_id: int, codes: dict[int, str] | None = None) -> str:
    """``组/门牌`` of a household of the register."""
    household = ctx.registry.household_by_id(household_id)
    if household is None:
        return str(household_id)
    if codes is None:
        building = ctx.registry.building_by_id(household.building_id)
        code = building.code if building else ""
    else:
        code = codes.get(household.building_id, "")
    return f"{code}/{household.label}" if code else household.label


def _product(ctx: PluginContext, text: str) -> Any:
    """The product named by its name, its brand or ``name/brand``; a clear answer when none or several."""
    parts = _SEPARATOR.split(text.strip(), maxsplit=1)
    if len(parts) == 2:
        rows = ctx.store.select(products, products.c.name == parts[0].strip(), products.c.brand == parts[1].strip())
    else:
        name = text.strip()
        rows = ctx.store.select(products, sa.or_(products.c.name == name, products.c.brand == name))
    if len(rows) == 1:
        return rows[0]
    if not rows:
        raise ctx.fail(ctx.t("There is no product {product}. Add it with /product NAME UNIT [BRAND].", product=text))
    raise ctx.fail(
        ctx.t(
            "Several products are called {product}; write NAME/BRAND: {products}",
            product=text,
            products="、".join(f"{r.name}/{r.brand}" for r in rows),
        )
    )


class Sales(HandlerGroup):
    """``/product``, ``/sale``, ``/share``, ``/sales``; the month's totals in the village room."""

    @command(
        "product",
        help=N_("Add a product the village sells, with its unit and brand"),
        usage=N_("NAME UNIT [BRAND]"),
        roles=WORKERS,
        aliases=("产品",),
    )
    def product(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2 or len(ctx.args) > 3:
            raise ctx.fail(ctx.t("Usage: /product NAME UNIT [BRAND], for example /product 大米 斤 雅河硕丰"))
        name, unit = ctx.args[0], ctx.args[1]
        brand = ctx.args[2] if len(ctx.args) > 2 else ""
        if len(name) > 64 or len(unit) > 16 or len(brand) > 64 or _SEPARATOR.search(name + brand):
            raise ctx.fail(ctx.t("Usage: /product NAME UNIT [BRAND], for example /product 大米 斤 雅河硕丰"))
        if ctx.store.get(products, products.c.name == name, products.c.brand == brand):
            raise ctx.fail(ctx.t("Product {product} is already there.", product=product_name(name, brand)))
        ctx.store.insert(products, name=name, unit=unit, brand=brand, added_at=ctx.clock.now())
        ctx.reply(
            ctx.t(
                "Product {product}, sold by the {unit}. Record a sale with /sale {name} QUANTITY PRICE BUYER [DATE].",
                product=product_name(name, brand),
                unit=unit,
                name="/".join(part for part in (name, brand) if part),
            )
        )

    @command(
        "sale",
        help=N_("Record a sale: product, quantity, price per unit, buyer, date (today if none)"),
        usage=N_("PRODUCT QUANTITY PRICE BUYER [DATE]"),
        roles=WORKERS,
        aliases=("销售",),
    )
    def sale(self, ctx: CommandContext) -> None:
        usage = ctx.t(
            "Usage: /sale PRODUCT QUANTITY PRICE BUYER [DATE], for example /sale 大米 500 3.5 沈阳海关食堂 2026-11-20"
        )
        if len(ctx.args) < 4:
            raise ctx.fail(usage)
        product = _product(ctx, ctx.args[0])
        quantity = parse_quantity(ctx.args[1])
        if quantity is None:
            raise ctx.fail(ctx.t("{text} is not a quantity: a number above zero, like 500 or 12.5.", text=ctx.args[1]))
        price = parse_fen(ctx.args[2])
        if price is None:
            raise ctx.fail(ctx.t("{text} is not an amount of money: write it like 3.5 or 6400.", text=ctx.args[2]))
        rest = list(ctx.args[3:])
        today = ctx.now().date()
        sold_on = today
        if len(rest) > 1 and re.match(r"^\d{4}[-/.年]", rest[-1]):
            parsed = parse_date(rest[-1])
            if parsed is None:
                raise ctx.fail(ctx.t("{text} is not a date; write it as 2029-05-31.", text=rest[-1]))
            sold_on = parsed
            rest = rest[:-1]
        if sold_on > today:
            raise ctx.fail(ctx.t("A sale cannot be dated after today."))
        buyer = " ".join(rest)
        if len(buyer) > 128:
            raise ctx.fail(usage)
        amount = int((quantity * price).to_integral_value(rounding=ROUND_HALF_UP))
        if amount > MAX_FEN:
            raise ctx.fail(ctx.t("That amount is too large; check the quantity and the price."))
        number = next_number(ctx, sales)
        ctx.store.insert(
            sales,
            number=number,
            product_id=product.id,
            buyer=buyer,
            quantity=quantity,
            price_fen=price,
            amount_fen=amount,
            sold_on=sold_on,
            recorded_by=ctx.person.id,
            recorded_at=ctx.clock.now(),
        )
        ctx.audit("rural.sale_recorded", f"sale:{number}", amount_fen=amount)
        ctx.reply(
            ctx.t(
                "Sale #{number} on {date}: {quantity} {unit} of {product} to {buyer} at {price}, {amount} in all, "
                "to the collective. Give households their part with /share {number} HOUSEHOLD AMOUNT.",
                number=number,
                date=sold_on.isoformat(),
                quantity=quantity_text(quantity),
                unit=product.unit,
                product=product_name(product.name, product.brand),
                buyer=buyer,
                price=fen_text(price),
                amount=fen_text(amount),
            )
        )

    @command(
        "share",
        help=N_("Give a household of the register its part of a sale's revenue"),
        usage=N_("SALE HOUSEHOLD AMOUNT"),
        roles=WORKERS,
        aliases=("农户收益",),
    )
    def share(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /share SALE HOUSEHOLD AMOUNT, for example /share 1 一组/12 800")
        if len(ctx.args) != 3:
            raise ctx.fail(usage)
        number = number_arg(ctx, ctx.args[0], usage)
        sale = ctx.store.get(sales, sales.c.number == number)
        if sale is None:
            raise ctx.fail(ctx.t("There is no sale #{number}.", number=number))
        household = find_household(ctx, ctx.args[1])
        if household is None:
            raise ctx.fail(
                ctx.t(
                    "There is no household {household} in the register; write it as GROUP/DOOR, like 一组/12.",
                    household=ctx.args[1],
                )
            )
        amount = parse_fen(ctx.args[2])
        if amount is None:
            raise ctx.fail(ctx.t("{text} is not an amount of money: write it like 3.5 or 6400.", text=ctx.args[2]))
        given = int(
            ctx.store.execute(
                sa.select(sa.func.coalesce(sa.func.sum(sale_shares.c.amount_fen), 0)).where(
                    sale_shares.c.sale_id == sale.id
                )
            ).scalar()
            or 0
        )
        left = sale.amount_fen - given
        if amount > left:
            raise ctx.fail(
                ctx.t(
                    "Sale #{number} has only {left} left to give (of {amount}); nothing was recorded.",
                    number=number,
                    left=fen_text(left),
                    amount=fen_text(sale.amount_fen),
                )
            )
        ctx.store.insert(
            sale_shares,
            sale_id=sale.id,
            household_id=household.id,
            amount_fen=amount,
            recorded_by=ctx.person.id,
            recorded_at=ctx.clock.now(),
        )
        ctx.audit("rural.sale_shared", f"sale:{number}", household=household.id, amount_fen=amount)
        label = household_text(ctx, household.id)
        if ctx.private:
            ctx.reply(
                ctx.t(
                    "Household {household} gets {amount} of sale #{number}; the collective keeps {left}.",
                    household=label,
                    amount=fen_text(amount),
                    number=number,
                    left=fen_text(left - amount),
                )
            )
        else:  # a household's income is not for a group room
            ctx.reply(
                ctx.t(
                    "Recorded: a household's part of sale #{number}; the collective keeps {left}.",
                    number=number,
                    left=fen_text(left - amount),
                )
            )

    @command(
        "sales",
        help=N_("The month's sales: by product, to the collective and to households"),
        usage=N_("[MONTH]"),
        roles=STAFF,
        aliases=("销售统计",),
    )
    def sales_command(self, ctx: CommandContext) -> None:
        if ctx.args:
            first = month_of(ctx.args[0])
            if first is None:
                raise ctx.fail(ctx.t("{text} is not a month; write it as 2026-11.", text=ctx.args[0]))
        else:
            first = ctx.now().date().replace(day=1)
        start, end = month_range(first)
        text = totals_text(ctx, start, sales_totals(ctx, start, end))
        if ctx.private:  # each household's part, for staff only and never in a group room
            paid = household_revenue(ctx, start, end)
            if paid:
                codes = {b.id: b.code for b in ctx.registry.buildings()}
                lines = [ctx.t("To each household:")]
                lines += [f"{household_text(ctx, hid, codes)} · {fen_text(fen)}" for hid, fen in paid]
                text += "\n" + "\n".join(lines)
        ctx.reply(text)

    @scheduled("sales_month", "0 9 1 * *")
    def sales_month(self, ctx: JobContext) -> None:
        """On the 1st: last month's sales totals to the village room (``village_room``), when it has sales."""
        room = str(ctx.config.get("village_room") or "")
        if not room:
            return
        this_month = ctx.now().date().replace(day=1)
        start, end = month_range(this_month - dt.timedelta(days=1))
        totals = sales_totals(ctx, start, end)
        if totals.count:
            ctx.send(Address.parse(room), totals_text(ctx, start, totals))
