"""Tracks, units and rules as an organiser writes them (a TOML or XLSX file, or a draft edited in
chat), checked into the scoring module's records. No database here either: the CLI and the chat
handlers both read through :func:`parse`, so a file and a chat edit are refused for the same
reasons, in the same words.

A definition is plain data::

    {"units": [{"code": "HP", "name": "和平区", "kind": "district"}],
     "tracks": [{"code": "T01", "name": "…", "topic": "…", "units": ["HP"], "start": "2026Q1",
                 "end": "2026Q4", "from": "2026Q1", "max_bonus": 5, "max_penalty": 10,
                 "indicators": [{"code": "I1", "name": "…", "unit": "项", "weight": 40,
                                 "target": 10, "rule": "linear", "evidence": ["text"],
                                 "onsite": false, "bands": [[6, 0.6], [10, 1]]}],
                 "items": [{"code": "B1", "name": "…", "kind": "bonus", "points": 2, "cap": 4}]}]}
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

from attrs import frozen

from linli.core.plugin import N_
from linli.plugins.tracks.scoring import HUNDRED, RULES, Band, Indicator, Item, Rules, decimal_of

__all__ = [
    "EVIDENCE",
    "KINDS",
    "DefinitionError",
    "Quarter",
    "TrackDef",
    "UnitDef",
    "indicator_of",
    "item_of",
    "parse",
    "parse_track",
    "quarter_of",
    "rules_to_data",
]

#: kinds of evidence a result can carry; "photo" is accepted in rules and waits for attachments
EVIDENCE = ("text", "link", "number", "photo")
#: kinds of unit
KINDS = {
    "district": N_("district or county"),
    "department": N_("department"),
    "street": N_("township or street"),
    "community": N_("community"),
    "office": N_("internal office"),
}
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,15}$")
QUARTER = re.compile(r"^(\d{4})\s*[Qq-]?\s*([1-4])$")


class DefinitionError(Exception):
    """A definition that cannot be used: ``msgid`` with ``values``, to translate where it is shown."""

    def __init__(self, msgid: str, **values: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.values = values


@frozen(order=True)
class Quarter:
    """A calendar quarter (``2026Q1``)."""

    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter | None:
        m = QUARTER.match(text.strip())
        if not m or not 2000 <= int(m.group(1)) <= 2999:
            return None
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> dt.date:
        """The quarter's last day."""
        return self.next().start - dt.timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + self.q // 4, self.q % 4 + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"


def quarter_of(day: dt.date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


@frozen
class UnitDef:
    code: str
    name: str
    kind: str


@frozen
class TrackDef:
    code: str
    name: str
    topic: str
    units: tuple[str, ...]
    start: Quarter | None
    end: Quarter | None
    first: Quarter | None  # the quarter these rules apply from ("from"); None: the loader decides
    rules: Rules


def _text(row: Mapping[str, Any], key: str, where: str, *, required: bool = True, limit: int = 200) -> str:
    value = row.get(key)
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise DefinitionError(N_("{where}: “{key}” is missing."), where=where, key=key)
    if len(text) > limit:
        raise DefinitionError(N_("{where}: “{key}” is too long."), where=where, key=key)
    return text


def _code(row: Mapping[str, Any], where: str) -> str:
    code = _text(row, "code", where)
    if not CODE.match(code):
        raise DefinitionError(
            N_("{where}: the code “{code}” should be up to 16 Latin letters, digits, “-”, “_” or “.”."),
            where=where,
            code=code,
        )
    return code


def _number(row: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> Decimal | None:
    value = row.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DefinitionError(N_("{where}: “{key}” is missing."), where=where, key=key)
        return None
    number = decimal_of(value)
    if number is None:
        raise DefinitionError(
            N_("{where}: “{key}” should be a number, not “{value}”."), where=where, key=key, value=value
        )
    if number < 0:
        raise DefinitionError(N_("{where}: “{key}” cannot be negative."), where=where, key=key)
    return number


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p for p in re.split(r"[,，、;；\s]+", value.strip()) if p]
    if isinstance(value, Sequence):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def _quarter(row: Mapping[str, Any], key: str, where: str) -> Quarter | None:
    value = row.get(key)
    if value is None or not str(value).strip():
        return None
    quarter = Quarter.parse(str(value))
    if quarter is None:
        raise DefinitionError(
            N_("{where}: “{key}” should be a quarter such as 2026Q1, not “{value}”."), where=where, key=key, value=value
        )
    return quarter


def indicator_of(row: Mapping[str, Any], where: str) -> Indicator:
    """One indicator from its plain data, checked on its own (weights are checked by track)."""
    return _indicator(row, where)


def item_of(row: Mapping[str, Any], where: str) -> Item:
    """One bonus or penalty item from its plain data, checked."""
    return _item(row, where)


def _indicator(row: Mapping[str, Any], where: str) -> Indicator:
    code = _code(row, where)
    where = f"{where} {code}"
    rule = _text(row, "rule", where).lower()
    if rule not in RULES:
        raise DefinitionError(
            N_("{where}: the rule should be linear, bands or yesno, not “{rule}”."), where=where, rule=rule
        )
    weight = _number(row, "weight", where)
    assert weight is not None
    target = _number(row, "target", where, required=rule == "linear")
    if rule == "linear" and not target:
        raise DefinitionError(N_("{where}: a linear indicator needs a target above 0."), where=where)
    bands: list[Band] = []
    raw_bands = row.get("bands") or []
    if isinstance(raw_bands, str):  # "60:0.6, 80:0.8" in a spreadsheet cell
        raw_bands = [p.split(":") for p in _list(raw_bands)]
    for pair in raw_bands:
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise DefinitionError(N_("{where}: each band is a pair: from what value, what share."), where=where)
        at, share = decimal_of(pair[0]), decimal_of(pair[1])
        if at is None or share is None or not 0 <= share <= 1:
            raise DefinitionError(N_("{where}: a band's share is a number from 0 to 1."), where=where)
        bands.append(Band(at, share))
    if rule == "bands" and not bands:
        raise DefinitionError(N_("{where}: a banded indicator needs its bands."), where=where)
    evidence = tuple(e.lower() for e in _list(row.get("evidence")))
    for kind in evidence:
        if kind not in EVIDENCE:
            raise DefinitionError(
                N_("{where}: evidence is text, link, number or photo, not “{kind}”."), where=where, kind=kind
            )
    onsite = row.get("onsite", False)
    if isinstance(onsite, str):
        onsite = onsite.strip().lower() in ("1", "true", "yes", "是", "y")
    return Indicator(
        code=code,
        name=_text(row, "name", where),
        unit=_text(row, "unit", where, required=False, limit=16),
        weight=weight,
        rule=rule,
        target=target,
        bands=tuple(sorted(bands, key=lambda b: b.at)),
        evidence=evidence,
        onsite=bool(onsite),
    )


def _item(row: Mapping[str, Any], where: str) -> Item:
    code = _code(row, where)
    where = f"{where} {code}"
    kind = _text(row, "kind", where).lower()
    kind = {"加分": "bonus", "减分": "penalty", "扣分": "penalty"}.get(kind, kind)
    if kind not in ("bonus", "penalty"):
        raise DefinitionError(N_("{where}: an item is a bonus or a penalty, not “{kind}”."), where=where, kind=kind)
    points = _number(row, "points", where)
    assert points is not None
    return Item(code, _text(row, "name", where), kind, points, _number(row, "cap", where, required=False))


def parse_track(row: Mapping[str, Any], known_units: Collection[str] | None = None) -> TrackDef:
    """A track from its plain data, checked: codes unique, weights adding up to 100, its units
    known (when ``known_units`` is given).

    Raises: DefinitionError: the first thing wrong.
    """
    code = _code(row, "track")
    where = code
    indicators = [_indicator(r, where) for r in row.get("indicators") or []]
    items = [_item(r, where) for r in row.get("items") or []]
    if not indicators:
        raise DefinitionError(N_("{track}: a track needs at least one indicator."), track=code)
    seen: set[str] = set()
    for c in [i.code for i in indicators] + [i.code for i in items]:
        if c in seen:
            raise DefinitionError(N_("{track}: the code {code} is used twice."), track=code, code=c)
        seen.add(c)
    total = sum((i.weight for i in indicators), Decimal(0))
    if total != HUNDRED:
        raise DefinitionError(N_("{track}: the weights add up to {total}, not 100."), track=code, total=_plain(total))
    units = tuple(dict.fromkeys(_list(row.get("units"))))
    if known_units is not None:
        for u in units:
            if u not in known_units:
                raise DefinitionError(N_("{track}: there is no unit {unit}."), track=code, unit=u)
    start, end = _quarter(row, "start", where), _quarter(row, "end", where)
    if start and end and end < start:
        raise DefinitionError(N_("{track}: the period ends before it starts."), track=code)
    return TrackDef(
        code=code,
        name=_text(row, "name", where),
        topic=_text(row, "topic", where, required=False, limit=500),
        units=units,
        start=start,
        end=end,
        first=_quarter(row, "from", where),
        rules=Rules(
            tuple(indicators),
            tuple(items),
            _number(row, "max_bonus", where, required=False),
            _number(row, "max_penalty", where, required=False),
        ),
    )


def parse(data: Mapping[str, Any], known_units: Collection[str] = ()) -> tuple[list[UnitDef], list[TrackDef]]:
    """Units and tracks of a whole file; ``known_units`` are those already in the database.

    Raises: DefinitionError: the first thing wrong.
    """
    units: list[UnitDef] = []
    seen: set[str] = set()
    for row in data.get("units") or []:
        code = _code(row, "unit")
        kind = _text(row, "kind", code, required=False) or "department"
        if kind not in KINDS:
            raise DefinitionError(
                N_("{where}: the kind of unit should be one of {kinds}, not “{kind}”."),
                where=code,
                kinds=", ".join(KINDS),
                kind=kind,
            )
        if code in seen:
            raise DefinitionError(N_("The unit {unit} is listed twice."), unit=code)
        seen.add(code)
        units.append(UnitDef(code, _text(row, "name", code), kind))
    tracks: list[TrackDef] = []
    names = set(known_units) | seen
    for row in data.get("tracks") or []:
        track = parse_track(row, names)
        if any(t.code == track.code for t in tracks):
            raise DefinitionError(N_("The track {track} is listed twice."), track=track.code)
        tracks.append(track)
    if not units and not tracks:
        raise DefinitionError(N_("There are no units or tracks in it."))
    return units, tracks


def _plain(number: Decimal | None) -> str:
    if number is None:
        return ""
    text = format(number.normalize(), "f")
    return text


def rules_to_data(rules: Rules) -> dict[str, Any]:
    """Rules as plain JSON data (numbers as text: exact), the inverse of :func:`parse_track`'s."""
    return {
        "indicators": [
            {
                "code": i.code,
                "name": i.name,
                "unit": i.unit,
                "weight": _plain(i.weight),
                "target": _plain(i.target),
                "rule": i.rule,
                "bands": [[_plain(b.at), _plain(b.share)] for b in i.bands],
                "evidence": list(i.evidence),
                "onsite": i.onsite,
            }
            for i in rules.indicators
        ],
        "items": [
            {"code": i.code, "name": i.name, "kind": i.kind, "points": _plain(i.points), "cap": _plain(i.cap)}
            for i in rules.items
        ],
        "max_bonus": _plain(rules.max_bonus),
        "max_penalty": _plain(rules.max_penalty),
    }
