"""Benchmark: recomputing one quarter's scores and rankings of a Shenyang-sized contest (issue
20: at most 2 s on PostgreSQL), on SQLite and PostgreSQL.

12 tracks of 30 indicators each, 500 units enrolled in every track, and ``--quarters`` quarters
of verified results (5 years = 20 by default): 180,000 results a quarter. The measured call is
``contest.recompute`` on the plugin's scoped store: it reads the quarter's accepted results,
scores every unit on every track with the pure Decimal module, ranks, writes 6,000 scores and
500 overall places, and appends a run to the ranking history when the ranking changed (every
run here changes one result first, so every run writes its history).

    python bench/tracks_scoring.py [--units 500] [--tracks 12] [--indicators 30] [--quarters 20] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import latency_summary, positive, postgres_schema, write_result

DISTRICT = "bench"


def fill(store: object, units_n: int, tracks_n: int, indicators_n: int, quarters_n: int) -> str:
    """Units, tracks, rules and ``quarters_n`` quarters of accepted results; returns the last quarter."""
    from linli.plugins.tracks.definitions import Quarter, rules_to_data
    from linli.plugins.tracks.scoring import Indicator, Rules
    from linli.plugins.tracks.tables import enrolments, quarters, rules, submissions, tracks, units

    now = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)
    rng = random.Random(20)
    weights = [3] * (indicators_n - 1)
    weights.append(100 - sum(weights))
    rule_set = Rules(
        tuple(
            Indicator(f"I{i}", f"指标{i}", "项", Decimal(w), "linear", target=Decimal(100))
            for i, w in enumerate(weights, start=1)
        )
    )
    data = json.dumps(rules_to_data(rule_set), ensure_ascii=False)
    first = Quarter(2022, 1)
    with store.begin() as conn:  # type: ignore[attr-defined]
        d = {"district_id": DISTRICT}
        conn.execute(
            units.insert(),
            [
                {**d, "id": u, "code": f"U{u:03d}", "name": f"单位{u}", "kind": "department", "created_at": now}
                for u in range(1, units_n + 1)
            ],
        )
        conn.execute(
            tracks.insert(),
            [
                {**d, "id": t, "code": f"T{t:02d}", "name": f"赛道{t}", "created_at": now}
                for t in range(1, tracks_n + 1)
            ],
        )
        conn.execute(
            enrolments.insert(),
            [{**d, "track_id": t, "unit_id": u} for t in range(1, tracks_n + 1) for u in range(1, units_n + 1)],
        )
        conn.execute(
            rules.insert(),
            [
                {
                    **d,
                    "track_id": t,
                    "version": 1,
                    "from_q": str(first),
                    "data": data,
                    "source": "file",
                    "adopted_at": now,
                }
                for t in range(1, tracks_n + 1)
            ],
        )
        number = 0
        q = first
        for _ in range(quarters_n):
            conn.execute(quarters.insert().values(**d, quarter=str(q), deadline=q.end, run=0))
            rows = []
            for t in range(1, tracks_n + 1):
                for u in range(1, units_n + 1):
                    for i in range(1, indicators_n + 1):
                        number += 1
                        rows.append(
                            {
                                **d,
                                "number": number,
                                "quarter": str(q),
                                "track_id": t,
                                "unit_id": u,
                                "code": f"I{i}",
                                "kind": "indicator",
                                "value": str(rng.randint(0, 120)),
                                "status": "accepted",
                                "submitted_at": now,
                            }
                        )
                if len(rows) >= 20_000:
                    conn.execute(submissions.insert(), rows)
                    rows = []
            if rows:
                conn.execute(submissions.insert(), rows)
            last = q
            q = q.next()
    return str(last)


def measure(url: str, args: argparse.Namespace) -> dict[str, object]:
    import sqlalchemy as sa

    from linli.core.storage import ScopedStore, Store
    from linli.plugins.tracks.contest import recompute
    from linli.plugins.tracks.definitions import Quarter
    from linli.plugins.tracks.tables import submissions

    folder = Path(__file__).resolve().parent.parent / "linli" / "plugins" / "tracks" / "migrations"
    store = Store(url, migration_dirs=[folder])
    store.upgrade()
    start = time.perf_counter()
    last = fill(store, args.units, args.tracks, args.indicators, args.quarters)
    filled = time.perf_counter() - start
    if store.engine.dialect.name == "postgresql":
        with store.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    quarter = Quarter.parse(last)
    assert quarter is not None
    times = []
    for n in range(args.runs):
        with store.begin() as conn:
            scoped = ScopedStore(conn, "tracks", DISTRICT)
            # a verified result changes between runs, as it does when an assessor decides
            scoped.update(submissions, submissions.c.quarter == last, submissions.c.number == 1 + n, value="0")
            t0 = time.perf_counter()
            recompute(scoped, quarter, dt.datetime.now(dt.UTC))
            times.append((time.perf_counter() - t0) * 1000)
    store.dispose()
    return {"fill_s": round(filled, 1), "recompute": latency_summary(times)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=positive, default=500)
    parser.add_argument("--tracks", type=positive, default=12)
    parser.add_argument("--indicators", type=positive, default=30)
    parser.add_argument("--quarters", type=positive, default=20)
    parser.add_argument("--runs", type=positive, default=5)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    results: dict[str, object] = {k: getattr(args, k) for k in ("units", "tracks", "indicators", "quarters")}
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = measure(f"sqlite:///{tmp}/bench.db", args)
    if not args.skip_postgres:
        with postgres_schema() as url:
            results["postgresql"] = measure(url, args)
    lines = [
        f"recompute one quarter: {args.tracks} tracks × {args.units} units × {args.indicators} indicators, "
        f"{args.quarters} quarters stored:"
    ]
    for db in ("sqlite", "postgresql"):
        if db in results:
            r = results[db]
            assert isinstance(r, dict)
            lines.append(
                f"  {db}: p50 {r['recompute']['p50_ms']} ms, max {r['recompute']['max_ms']} ms "
                f"(filled in {r['fill_s']} s)"
            )
    write_result("tracks_scoring", results, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
