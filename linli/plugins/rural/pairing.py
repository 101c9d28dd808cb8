"""Pairing (结对帮扶): departments and units paired with households, many to many. Each visit and
measure is logged by the helper from chat, or for them by the village work team; pairs without a
visit for longer than the district's limit (``pair_visit_days``) go to the first secretary each
week."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import N_, CommandContext, HandlerGroup, Household, JobContext, PluginContext, command, scheduled
from linli.plugins.rural._common import (
    HELPER,
    MEASURE_WORDS,
    MEASURES,
    SECRETARY,
    TEAM,
    TOWNSHIP,
    code_of,
    helper_units,
    household_label,
    is_team,
    labels,
    require_household,
    today,
    who,
)
from linli.plugins.rural.tables import measures, pairs, visits

__all__ = ["Pairing", "overdue_pairs"]

MAX_LISTED = 50


def overdue_pairs(ctx: PluginContext, day: dt.date, limit_days: int) -> list[Any]:
    """The pairs in force without a visit in the last ``limit_days`` days (counted from the pairing
    when never visited): ``number``, ``unit``, ``household_id``, ``helper_id``, ``last`` (or None).
    One GROUP BY over the district's pairs and their visits (``ix_rural_visits_pair_day``)."""
    cutoff = day - dt.timedelta(days=limit_days)
    last = (
        sa.select(visits.c.pair_id, sa.func.max(visits.c.visited_on).label("last"))
        .group_by(visits.c.pair_id)
        .subquery()
    )
    stmt = (
        sa.select(pairs.c.number, pairs.c.unit, pairs.c.household_id, pairs.c.helper_id, last.c.last)
        .select_from(pairs.outerjoin(last, last.c.pair_id == pairs.c.id))
        .where(
            pairs.c.end_on.is_(None),
            sa.func.coalesce(last.c.last, pairs.c.start_on) < cutoff,
        )
        .order_by(pairs.c.unit, pairs.c.number)
    )
    return list(ctx.store.execute(stmt))


def _pairs_of(ctx: PluginContext, household: Household, person_id: int) -> list[Any]:
    """The pairs in force of a household that a person helps in: as its named helper, or as a
    helper of its unit."""
    roles = ctx.roles if ctx.person and person_id == ctx.person.id else ctx.roles_of(person_id)
    units = {s.split(":", 1)[1] for s in roles.get(HELPER, frozenset()) if s.startswith("unit:")}
    return [
        p
        for p in ctx.store.select(pairs, pairs.c.household_id == household.id, pairs.c.end_on.is_(None))
        if p.helper_id == person_id or p.unit in units
    ]


def _visit_day(ctx: CommandContext, words: list[str], found: list[Any]) -> tuple[dt.date, list[str]]:
    """The day of a visit logged after the fact (``on=2026-12-01``, ``日期=…``), else today; never
    in the future nor before the pairing."""
    day, rest = today(ctx), []
    for word in words:
        key, sep, value = word.replace("＝", "=").partition("=")
        if sep and key.casefold() in ("on", "日期"):
            try:
                day = dt.date.fromisoformat(value.strip())
            except ValueError:
                raise ctx.fail(ctx.t("Please write the day as YYYY-MM-DD, for example 2026-12-01.")) from None
        else:
            rest.append(word)
    if day > today(ctx) or any(day < p.start_on for p in found):
        raise ctx.fail(ctx.t("A visit is logged between the day of the pairing and today."))
    return day, rest


class Pairing(HandlerGroup):
    """``/pair``, ``/unpair``, ``/pairs``, ``/helpvisit``, ``/pairmeasure``; the weekly overdue flag."""

    @command(
        "pair",
        help=N_("Pair a department or unit with a household"),
        usage=N_("UNIT HOUSEHOLD [HELPER]"),
        roles=(SECRETARY, TEAM),
        aliases=("结对",),
    )
    def pair(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /pair UNIT HOUSEHOLD [HELPER], for example /pair 区财政局 一组/12 李干部"))
        unit = ctx.args[0][:128]
        household = require_household(ctx, ctx.args[1])
        helper_id = None
        if len(ctx.args) > 2:
            name = " ".join(ctx.args[2:])
            helper_id = ctx.person_named(name)
            if helper_id is None:
                raise ctx.fail(
                    ctx.t(
                        "I do not know one person called {name} here; they must have talked to the bot once.", name=name
                    )
                )
        label = household_label(ctx, household)
        if ctx.store.get(pairs, pairs.c.unit == unit, pairs.c.household_id == household.id, pairs.c.end_on.is_(None)):
            raise ctx.fail(ctx.t("{unit} is already paired with household {household}.", unit=unit, household=label))
        number = int(ctx.store.execute(sa.select(sa.func.max(pairs.c.number))).scalar() or 0) + 1
        ctx.store.insert(
            pairs,
            number=number,
            unit=unit,
            household_id=household.id,
            helper_id=helper_id,
            start_on=today(ctx),
            paired_by=ctx.person.id,
            paired_at=ctx.clock.now(),
        )
        ctx.audit("rural.paired", f"pair:{number}")
        ctx.reply(ctx.t("Pair {number}: {unit} with household {household}.", number=number, unit=unit, household=label))

    @command("unpair", help=N_("End a pair"), usage=N_("PAIR"), roles=(SECRETARY, TEAM), aliases=("解除结对",))
    def unpair(self, ctx: CommandContext) -> None:
        number = ctx.number(ctx.args[0] if ctx.args else None)
        changed = ctx.store.update(pairs, pairs.c.number == number, pairs.c.end_on.is_(None), end_on=today(ctx))
        if not changed:
            raise ctx.fail(ctx.t("There is no pair {number} in force.", number=number))
        ctx.audit("rural.unpaired", f"pair:{number}")
        ctx.reply(ctx.t("Pair {number} has ended; its visits are kept.", number=number))

    @command(
        "pairs",
        help=N_("The pairs in force and their last visits (in private)"),
        roles=(SECRETARY, TEAM, TOWNSHIP, HELPER),
        where="private",
        aliases=("结对名单",),
    )
    def pairs_list(self, ctx: CommandContext) -> None:
        rows = overdue_pairs(ctx, today(ctx), -36500)  # every pair in force, with its last visit
        if not (is_team(ctx) or ctx.has_role(TOWNSHIP)):
            units = helper_units(ctx)
            rows = [r for r in rows if r.unit in units or r.helper_id == ctx.person.id]
        if not rows:
            ctx.reply(ctx.t("No pairs in force."))
            return
        limit = int(ctx.config.get("pair_visit_days", 30))
        cutoff = today(ctx) - dt.timedelta(days=limit)
        reg = ctx.registry
        lines = [ctx.t("Pairs in force (a visit is due every {days} days):", days=limit)]
        for r in rows[:MAX_LISTED]:
            last = r.last.isoformat() if r.last else ctx.t("never visited")
            mark = " ⚠" if r.last is None or r.last < cutoff else ""
            lines.append(
                f"{r.number}. {r.unit} — {household_label(ctx, reg.household_by_id(r.household_id))} · {last}{mark}"
            )
        if len(rows) > MAX_LISTED:
            lines.append(ctx.t("… and {n} more; see the pairs ledger.", n=len(rows) - MAX_LISTED))
        ctx.reply("\n".join(lines))

    # --- visits and measures -----------------------------------------------------------------------

    def _logged(self, ctx: CommandContext, usage: str) -> tuple[Household, int, list[Any], list[str]]:
        """The household, the helper the entry is for, their pairs with it and the rest of the words.
        ``for=NAME`` (``代=NAME``) lets the team log for a helper."""
        if not ctx.args:
            raise ctx.fail(usage)
        household = require_household(ctx, ctx.args[0])
        rest: list[str] = []
        visitor = ctx.person.id
        for word in ctx.args[1:]:
            key, sep, value = word.replace("＝", "=").partition("=")
            if sep and key.casefold() in ("for", "代", "代记"):
                if not is_team(ctx):
                    raise ctx.fail(ctx.t("Only the village work team logs visits for a helper."))
                found = ctx.person_named(value)
                if found is None:
                    raise ctx.fail(
                        ctx.t(
                            "I do not know one person called {name} here; they must have talked to the bot once.",
                            name=value,
                        )
                    )
                visitor = found
            else:
                rest.append(word)
        found_pairs = _pairs_of(ctx, household, visitor)
        if not found_pairs:
            raise ctx.fail(
                ctx.t(
                    "No pair in force links household {household} with that helper.",
                    household=household_label(ctx, household),
                )
            )
        return household, visitor, found_pairs, rest

    @command(
        "helpvisit",
        help=N_("Log a pairing visit to a household"),
        usage=N_("HOUSEHOLD [for=HELPER] [on=YYYY-MM-DD] [NOTE]"),
        roles=(HELPER, SECRETARY, TEAM),
        aliases=("帮扶走访",),
    )
    def helpvisit(self, ctx: CommandContext) -> None:
        household, visitor, found, rest = self._logged(
            ctx,
            ctx.t(
                "Usage: /helpvisit HOUSEHOLD [for=HELPER] [on=YYYY-MM-DD] [NOTE], "
                "for example /helpvisit 一组/12 了解春耕"
            ),
        )
        day, rest = _visit_day(ctx, rest, found)
        note = " ".join(rest)[:500]
        now = ctx.clock.now()
        for p in found:
            ctx.store.insert(
                visits,
                pair_id=p.id,
                household_id=household.id,
                visited_on=day,
                visitor_id=visitor,
                logged_by=ctx.person.id,
                note=note,
                at=now,
            )
        ctx.audit("rural.pair_visit", f"household:{household.id}", helper=visitor)
        label = household_label(ctx, household)
        if visitor != ctx.person.id:
            name = who(ctx, [visitor]).get(visitor, "?")
            ctx.reply(ctx.t("Visit to household {household} logged for {name}.", household=label, name=name))
        else:
            ctx.reply(ctx.t("Visit to household {household} logged. Thank you.", household=label))

    @command(
        "pairmeasure",
        help=N_("Log a pairing measure for a household (in private)"),
        usage=N_("HOUSEHOLD KIND [for=HELPER] [NOTE]"),
        roles=(HELPER, SECRETARY, TEAM),
        where="private",
        aliases=("结对措施",),
    )
    def pairmeasure(self, ctx: CommandContext) -> None:
        usage = ctx.t(
            "Usage: /pairmeasure HOUSEHOLD KIND [for=HELPER] [NOTE]. Kinds: {kinds}", kinds=labels(ctx, MEASURES)
        )
        household, visitor, found, rest = self._logged(ctx, usage)
        kind = code_of(ctx, rest[0], MEASURES, MEASURE_WORDS) if rest else None
        if kind is None:
            raise ctx.fail(usage)
        ctx.store.insert(
            measures,
            household_id=household.id,
            pair_id=found[0].id,
            kind=kind,
            note=" ".join(rest[1:])[:500],
            by_id=ctx.person.id,
            for_id=visitor if visitor != ctx.person.id else None,
            at=ctx.clock.now(),
        )
        ctx.reply(
            ctx.t(
                "Measure for household {household} logged: {kind}.",
                household=household_label(ctx, household),
                kind=ctx.t(MEASURES[kind]),
            )
        )

    # --- the weekly flag --------------------------------------------------------------------------

    @scheduled("pairs_overdue", "0 9 * * mon")
    def pairs_overdue(self, ctx: JobContext) -> None:
        """Each Monday: the pairs without a visit for longer than the limit, to the first secretary."""
        limit = int(ctx.config.get("pair_visit_days", 30))
        rows = overdue_pairs(ctx, today(ctx), limit)
        if not rows:
            return
        self.log.info("overdue pairs", count=len(rows))
        reg = ctx.registry
        listed = [
            f"{r.number}. {r.unit} — {household_label(ctx, reg.household_by_id(r.household_id))}"
            + (f" · {r.last.isoformat()}" if r.last else "")
            for r in rows[:MAX_LISTED]
        ]
        for pid in ctx.holders_of(SECRETARY):
            tr = ctx.translator_for(pid)
            text = tr.plural(
                "{n} pair has had no visit for more than {days} days:",
                "{n} pairs have had no visit for more than {days} days:",
                len(rows),
                days=limit,
            )
            more = (
                [tr("… and {n} more; see the pairs ledger.", n=len(rows) - MAX_LISTED)]
                if len(rows) > MAX_LISTED
                else []
            )
            ctx.send_private(pid, "\n".join([text, *listed, *more]))
