"""The contest's records read and written through a scoped store: the rules in force for a
quarter, the quarters and their deadlines, and the recomputation of a quarter's scores and
rankings (which calls :mod:`linli.plugins.tracks.scoring`, the only place that counts)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol

import sqlalchemy as sa

from linli.core.plugin import N_
from linli.plugins.tracks import scoring
from linli.plugins.tracks.definitions import DefinitionError, Quarter, parse_track, rules_to_data
from linli.plugins.tracks.tables import (
    enrolments,
    history,
    overall,
    quarters,
    rules,
    scores,
    submissions,
    tracks,
    units,
)

__all__ = [
    "Rows",
    "adopt",
    "deadline_of",
    "enrolled",
    "fmt",
    "quarter_row",
    "recompute",
    "rules_for",
    "rules_of",
    "scoring_results",
]


class Rows(Protocol):
    """What this module needs of a store: the plugin's scoped store (or the CLI's equivalent)."""

    def insert(self, table: sa.Table, values: Any = None, **kw: Any) -> Any: ...
    def insert_many(self, table: sa.Table, rows: Iterable[Mapping[str, Any]]) -> int: ...
    def select(self, table: sa.Table, *where: Any, order_by: Any = (), limit: int | None = None) -> Any: ...
    def get(self, table: sa.Table, *where: Any) -> Any: ...
    def update(self, table: sa.Table, *where: Any, **values: Any) -> int: ...
    def delete(self, table: sa.Table, *where: Any) -> int: ...
    def execute(self, stmt: Any) -> Any: ...


def fmt(number: Decimal | None) -> str:
    """A figure as people read it: ``87.5`` not ``87.5000``, ``100`` not ``1E+2``."""
    if number is None:
        return ""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _stored(number: Decimal) -> str:
    return format(number.quantize(scoring.PLACES), "f")


def rules_of(data: str) -> scoring.Rules:
    """Stored rules (JSON) back as scoring records."""
    parsed = parse_track({"code": "x", "name": "x", **json.loads(data)})
    return parsed.rules


def rules_for(store: Rows, track_id: int, quarter: Quarter) -> tuple[int, scoring.Rules] | None:
    """The version and rules a track's quarter is scored by: the latest version adopted for the
    latest ``from`` quarter at or before it (so rules adopted later never reach back)."""
    row = store.execute(
        sa.select(rules.c.version, rules.c.data)
        .where(rules.c.track_id == track_id, rules.c.from_q <= str(quarter))
        .order_by(rules.c.from_q.desc(), rules.c.version.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return row.version, rules_of(row.data)


def adopt(
    store: Rows,
    track_id: int,
    track_code: str,
    rule_set: scoring.Rules,
    *,
    today: dt.date,
    first: Quarter | None,
    by: int | None,
    source: str,
    now: dt.datetime,
) -> tuple[int, Quarter]:
    """Adopt rules for a track from ``first`` (default: this quarter when the track has no rules
    for it yet, else the next one). A quarter that has begun keeps the rules it began with.

    Raises: DefinitionError: ``first`` has begun and has its rules already.
    """
    current = Quarter(today.year, (today.month - 1) // 3 + 1)
    if first is None:
        first = current if rules_for(store, track_id, current) is None else current.next()
    if first <= current and rules_for(store, track_id, first) is not None:
        raise DefinitionError(
            N_(
                "{track}: {quarter} has begun and is scored by the rules it began with; "
                "new rules can apply from {next} on."
            ),
            track=track_code,
            quarter=str(first),
            next=str(current.next()),
        )
    version = int(
        store.execute(sa.select(sa.func.max(rules.c.version)).where(rules.c.track_id == track_id)).scalar() or 0
    )
    store.insert(
        rules,
        track_id=track_id,
        version=version + 1,
        from_q=str(first),
        data=json.dumps(rules_to_data(rule_set), ensure_ascii=False),
        source=source,
        adopted_by=by,
        adopted_at=now,
    )
    return version + 1, first


def deadline_of(quarter: Quarter, days: int) -> dt.date:
    """The default reporting deadline: ``days`` after the quarter's last day."""
    return quarter.end + dt.timedelta(days=days)


def quarter_row(store: Rows, quarter: Quarter, days: int) -> Any:
    """The quarter's row, made with the default deadline the first time it is needed."""
    row = store.get(quarters, quarters.c.quarter == str(quarter))
    if row is None:
        store.insert(quarters, quarter=str(quarter), deadline=deadline_of(quarter, days), run=0)
        row = store.get(quarters, quarters.c.quarter == str(quarter))
    return row


def enrolled(store: Rows, track_ids: Iterable[int] | None = None) -> dict[int, list[tuple[int, str]]]:
    """(unit id, unit code) of the units enrolled in each track."""
    stmt = sa.select(enrolments.c.track_id, units.c.id, units.c.code).join(units, units.c.id == enrolments.c.unit_id)
    if track_ids is not None:
        stmt = stmt.where(enrolments.c.track_id.in_(list(track_ids)))
    out: dict[int, list[tuple[int, str]]] = {}
    for r in store.execute(stmt):
        out.setdefault(r.track_id, []).append((r.id, r.code))
    return out


def scoring_results(rows: Iterable[Any], onsite: set[str], unit_codes: dict[int, str]) -> list[scoring.Result]:
    """The verified results among submission rows: accepted, and (for an indicator that must be
    checked on site) with its on-site check passed."""
    out = []
    make = scoring.Result
    for r in rows:
        if r.status != "accepted" or (r.code in onsite and r.onsite != "passed"):
            continue
        unit = unit_codes.get(r.unit_id)
        try:  # values are stored as canonical decimal text; anything else is skipped
            value = Decimal(r.value)
        except (ArithmeticError, TypeError, ValueError):
            continue
        if unit is None or not value.is_finite():
            continue
        out.append(make(unit, r.code, value, r.revision))
    return out


def _accepted(rows: Iterable[tuple[Any, ...]], onsite: set[str], unit_codes: dict[int, str]) -> list[scoring.Result]:
    """:func:`scoring_results` of accepted rows as tuples (track, unit, code, value, revision,
    on-site check), the recomputation's fast path: values repeat, so each text is read once."""
    out = []
    make = scoring.Result
    values: dict[str, Decimal | None] = {}
    for _, unit_id, code, text, revision, checked in rows:
        if code in onsite and checked != "passed":
            continue
        unit = unit_codes.get(unit_id)
        if text in values:
            value = values[text]
        else:
            value = values[text] = scoring.decimal_of(text)
        if unit is None or value is None:
            continue
        out.append(make(unit, code, value, revision))
    return out


def recompute(store: Rows, quarter: Quarter, now: dt.datetime, track_ids: Iterable[int] | None = None) -> bool:
    """Score a quarter again from its verified results — every track, or those of
    ``track_ids`` — and the overall ranking; keep the ranking as a new run of the history when it
    differs from the last. Returns whether the ranking changed."""
    q = str(quarter)
    all_tracks = {r.id: r.code for r in store.execute(sa.select(tracks.c.id, tracks.c.code))}
    chosen = sorted(all_tracks) if track_ids is None else sorted(set(track_ids) & set(all_tracks))
    members = enrolled(store, chosen)
    wanted = sa.select(
        submissions.c.track_id,
        submissions.c.unit_id,
        submissions.c.code,
        submissions.c.value,
        submissions.c.revision,
        submissions.c.onsite,
    ).where(submissions.c.quarter == q, submissions.c.status == "accepted")
    if track_ids is not None:
        wanted = wanted.where(submissions.c.track_id.in_(chosen))
    by_track: dict[int, list[tuple[Any, ...]]] = {}
    for r in store.execute(wanted).all():  # all at once, as plain tuples: far faster than row by row
        by_track.setdefault(r[0], []).append(tuple(r))
    fresh: list[dict[str, Any]] = []
    for track_id in chosen:
        found = rules_for(store, track_id, quarter)
        if found is None:
            continue
        version, rule_set = found
        codes = dict(members.get(track_id, []))
        onsite = {i.code for i in rule_set.indicators if i.onsite}
        results = _accepted(by_track.get(track_id, []), onsite, codes)
        cards = scoring.score_track(rule_set, codes.values(), results, explain=False)
        ids = {code: uid for uid, code in codes.items()}
        for placed in scoring.rank(cards.values()):
            card = cards[placed.unit]
            fresh.append(
                {
                    "quarter": q,
                    "track_id": track_id,
                    "unit_id": ids[placed.unit],
                    "base": _stored(card.base),
                    "bonus": _stored(card.bonus),
                    "penalty": _stored(card.penalty),
                    "total": _stored(card.total),
                    "rank": placed.rank,
                    "version": version,
                    "computed_at": now,
                }
            )
    if track_ids is None:
        store.delete(scores, scores.c.quarter == q)
    else:
        store.delete(scores, scores.c.quarter == q, scores.c.track_id.in_(chosen))
    if fresh:
        store.insert_many(scores, fresh)
    # the overall ranking from every track's totals of the quarter
    totals: dict[str, list[Decimal]] = {}
    unit_ids: dict[str, int] = {}
    for r in store.execute(
        sa.select(scores.c.unit_id, scores.c.total, units.c.code)
        .join(units, units.c.id == scores.c.unit_id)
        .where(scores.c.quarter == q)
    ):
        totals.setdefault(r.code, []).append(Decimal(r.total))
        unit_ids[r.code] = r.unit_id
    placed_all = scoring.overall(totals)
    store.delete(overall, overall.c.quarter == q)
    if placed_all:
        store.insert_many(
            overall,
            [
                {
                    "quarter": q,
                    "unit_id": unit_ids[p.unit],
                    "mean": _stored(p.total),
                    "tracks": int(p.base),
                    "rank": p.rank,
                }
                for p in placed_all
            ],
        )
    return _remember(store, quarter, now, placed_all, unit_ids)


def _remember(
    store: Rows, quarter: Quarter, now: dt.datetime, placed_all: list[scoring.Placed], unit_ids: dict[str, int]
) -> bool:
    q = str(quarter)
    current = {
        (r.track_id, r.unit_id): (r.rank, r.total)
        for r in store.execute(
            sa.select(scores.c.track_id, scores.c.unit_id, scores.c.rank, scores.c.total).where(scores.c.quarter == q)
        )
    }
    for p in placed_all:
        current[(0, unit_ids[p.unit])] = (p.rank, _stored(p.total))
    row = store.get(quarters, quarters.c.quarter == q)
    run = row.run if row is not None else 0
    if row is None:
        # a quarter scored before anyone asked for it (the CLI, a benchmark): its row is made here
        store.insert(quarters, quarter=q, deadline=deadline_of(quarter, 10), run=0)
    before = (
        {
            (r.track_id, r.unit_id): (r.rank, r.total)
            for r in store.execute(
                sa.select(history.c.track_id, history.c.unit_id, history.c.rank, history.c.total).where(
                    history.c.quarter == q, history.c.run == run
                )
            )
        }
        if run
        else {}
    )
    if current == before:
        return False
    store.insert_many(
        history,
        [
            {
                "quarter": q,
                "run": run + 1,
                "track_id": t,
                "unit_id": u,
                "rank": rank,
                "total": total,
                "computed_at": now,
            }
            for (t, u), (rank, total) in sorted(current.items())
        ],
    )
    store.update(quarters, quarters.c.quarter == q, run=run + 1)
    return True
