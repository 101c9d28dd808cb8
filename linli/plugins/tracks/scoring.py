"""The arithmetic of the contest, and nothing else: no database, no chat, no clock.

A unit's quarterly score on a track is the sum of one line per indicator (its weight times how
far the verified result reached the target) plus its bonus items minus its penalty items. Every
figure is a :class:`~decimal.Decimal` rounded to :data:`PLACES` at each line, so a total is an
exact sum and never depends on the order the results arrived in (the property tests in
``tests/plugins/tracks/test_tracks_scoring.py`` show it).

Ranking (documented in docs/tracks.md, "Ties"): a higher total first; at an equal total the
higher indicator score (before bonus and penalty); then the fewer penalty points; units still
equal share a rank (1, 1, 3) and are listed by their code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from attrs import frozen

__all__ = [
    "HUNDRED",
    "PLACES",
    "RULES",
    "Band",
    "Card",
    "Indicator",
    "Item",
    "Line",
    "Placed",
    "Result",
    "Rules",
    "achievement",
    "decimal_of",
    "overall",
    "rank",
    "score",
    "score_track",
]

#: the places every line and total is rounded to (half up)
PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
ONE = Decimal(1)
#: the scoring rules an indicator may use
RULES = ("linear", "bands", "yesno")


def decimal_of(value: object) -> Decimal | None:
    """``value`` (a number, or text as people and files write it) as a finite Decimal, else None.
    Floats go through their shortest text (``0.1`` is ``Decimal("0.1")``, not its binary value)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, int | Decimal):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value.strip().replace(",", "").replace("，", "")
    if not text or len(text) > 40:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _q(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


@frozen
class Band:
    """From ``at`` upwards (until the next band) the indicator reaches ``share`` (0 to 1)."""

    at: Decimal
    share: Decimal


@frozen
class Indicator:
    """One assessed indicator of a track: its weight counts out of 100."""

    code: str
    name: str
    unit: str
    weight: Decimal
    rule: str  # linear | bands | yesno
    target: Decimal | None = None
    bands: tuple[Band, ...] = ()
    evidence: tuple[str, ...] = ()  # text | link | number | photo: what a submission must carry
    onsite: bool = False  # scores only after an on-site check passed


@frozen
class Item:
    """A bonus or penalty item: ``points`` each time it is awarded, at most ``cap`` a quarter."""

    code: str
    name: str
    kind: str  # bonus | penalty
    points: Decimal
    cap: Decimal | None = None


@frozen
class Rules:
    """A track's rules in one version; ``max_bonus``/``max_penalty`` cap the quarter's sums."""

    indicators: tuple[Indicator, ...]
    items: tuple[Item, ...] = ()
    max_bonus: Decimal | None = None
    max_penalty: Decimal | None = None

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)


class Result(NamedTuple):
    """A verified result of ``unit`` for an indicator or an item (``code``).

    For an indicator, ``value`` is the measured value (1 or 0 for yes/no) and only the latest
    ``revision`` counts; for an item, ``value`` is how many times it was awarded and every
    award counts. (A named tuple: a quarter makes hundreds of thousands of them.)
    """

    unit: str
    code: str
    value: Decimal
    revision: int = 0


class Line(NamedTuple):
    """One line of a score's explanation."""

    code: str
    name: str
    kind: str  # indicator | bonus | penalty
    value: Decimal | None  # the result (None: nothing verified), or the awards of an item
    share: Decimal  # how far the target was reached (0 to 1); the count for an item
    points: Decimal  # what the line adds (a penalty's are negative)
    note: str = ""  # "capped" when a cap cut it


@frozen
class Card:
    """A unit's score on a track with the lines it is made of."""

    unit: str
    base: Decimal
    bonus: Decimal
    penalty: Decimal
    lines: tuple[Line, ...]

    @property
    def total(self) -> Decimal:
        return self.base + self.bonus - self.penalty


@frozen
class Placed:
    """A unit's place in a ranking."""

    unit: str
    rank: int
    total: Decimal
    base: Decimal
    penalty: Decimal


def achievement(indicator: Indicator, value: Decimal) -> Decimal:
    """How far ``value`` reaches the indicator's target, from 0 to 1 (rounded to PLACES)."""
    if indicator.rule == "yesno":
        return ONE if value >= ONE else ZERO
    if indicator.rule == "bands":
        reached = ZERO
        for band in sorted(indicator.bands, key=lambda b: b.at):
            if value >= band.at:
                reached = band.share
        return _q(reached)
    target = indicator.target
    if target is None or target <= ZERO or value <= ZERO:
        return ZERO
    return _q(min(value / target, ONE))


def score(
    rules: Rules,
    unit: str,
    results: Iterable[Result],
    memo: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] | None = None,
    *,
    explain: bool = True,
) -> Card:
    """The score of one unit from its verified results (of other units, ignored).

    Parameters:
      memo: the (share, points) of each (indicator, value) already worked out, kept across the
        units of a track.
      explain: False leaves the card's lines out (a ranking needs only the sums).
    """
    memo = {} if memo is None else memo
    latest: dict[str, Result] = {}
    awards: dict[str, Decimal] = {}
    item_codes = {i.code for i in rules.items}
    indicator_codes = {i.code for i in rules.indicators}
    for r in results:
        if r.unit != unit:
            continue
        if r.code in item_codes:
            awards[r.code] = awards.get(r.code, ZERO) + r.value
        elif r.code in indicator_codes:
            kept = latest.get(r.code)
            # the latest revision counts; two of one revision (never stored) keep the larger value
            if kept is None or (r.revision, r.value) > (kept.revision, kept.value):
                latest[r.code] = r
    lines: list[Line] = []
    base = ZERO
    for ind in rules.indicators:
        found = latest.get(ind.code)
        share = points = ZERO
        if found is not None:
            key = (ind.code, found.value)
            worked = memo.get(key)
            if worked is None:
                share = achievement(ind, found.value)
                worked = memo[key] = (share, _q(ind.weight * share))
            share, points = worked
        base += points
        if explain:
            lines.append(Line(ind.code, ind.name, "indicator", found.value if found else None, share, points))
    sums = {"bonus": ZERO, "penalty": ZERO}
    for item in sorted(rules.items, key=lambda i: (i.kind != "bonus", i.code)):
        count = awards.get(item.code, ZERO)
        if not count:
            continue
        points = _q(item.points * count)
        note = ""
        if item.cap is not None and points > item.cap:
            points, note = item.cap, "capped"
        sums[item.kind] += points
        sign = points if item.kind == "bonus" else -points
        if explain:
            lines.append(Line(item.code, item.name, item.kind, count, count, sign, note))
    bonus, penalty = sums["bonus"], sums["penalty"]
    if rules.max_bonus is not None and bonus > rules.max_bonus:
        bonus = rules.max_bonus
        if explain:
            lines.append(Line("", "", "bonus", None, ZERO, ZERO, "bonus capped"))
    if rules.max_penalty is not None and penalty > rules.max_penalty:
        penalty = rules.max_penalty
        if explain:
            lines.append(Line("", "", "penalty", None, ZERO, ZERO, "penalty capped"))
    return Card(unit, base, bonus, penalty, tuple(lines))


def score_track(
    rules: Rules, units: Iterable[str], results: Iterable[Result], *, explain: bool = True
) -> dict[str, Card]:
    """Every enrolled unit's card (a unit with no verified result scores 0); ``explain=False``
    leaves the lines out."""
    by_unit: dict[str, list[Result]] = {u: [] for u in units}
    for r in results:
        if r.unit in by_unit:
            by_unit[r.unit].append(r)
    memo: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = {}
    return {u: score(rules, u, rs, memo, explain=explain) for u, rs in by_unit.items()}


def rank(cards: Iterable[Card]) -> list[Placed]:
    """The track's ranking by the documented rule: total, then indicator score, then fewer penalty
    points; units still equal share the rank and are listed by code."""
    ordered = sorted(cards, key=lambda c: (-c.total, -c.base, c.penalty, c.unit))
    return _placed([(c.unit, c.total, c.base, c.penalty) for c in ordered])


def overall(totals: Mapping[str, Sequence[Decimal]]) -> list[Placed]:
    """The overall ranking: a unit's mean total over the tracks it is scored on (rounded to
    PLACES); at an equal mean, the larger number of tracks; units still equal share the rank."""
    rows = []
    for unit, values in totals.items():
        if not values:
            continue
        mean = _q(sum(values, ZERO) / len(values))
        rows.append((unit, mean, Decimal(len(values)), ZERO))
    rows.sort(key=lambda r: (-r[1], -r[2], r[0]))
    return _placed(rows)


def _placed(rows: Sequence[tuple[str, Decimal, Decimal, Decimal]]) -> list[Placed]:
    out: list[Placed] = []
    for i, (unit, total, base, penalty) in enumerate(rows):
        if out and (total, base, penalty) == (out[-1].total, out[-1].base, out[-1].penalty):
            place = out[-1].rank
        else:
            place = i + 1
        out.append(Placed(unit, place, total, base, penalty))
    return out
