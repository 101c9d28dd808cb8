"""Benchmark: the coverage of a sweep across 681 buildings with 100,000 households (issue 15:
answered in chat within 100 ms of database time), on SQLite and PostgreSQL.

The figures are the seed's: Qinghe district has 681 residential buildings; 100,000 households
are spread over them and four in five are already visited. Coverage is one GROUP BY over the
sweep's buildings and their visits (index ``ix_captains_visits_sweep_building``) plus the
building ids of the zero reports, the two statements ``/coverage`` runs.

    python bench/captains_coverage.py [--households 100000] [--buildings 681] [--runs 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import latency_summary, positive, postgres_schema, write_result

DISTRICT = "bench"
GRIDS = 24


def fill(store: object, buildings: int, households: int) -> None:
    """One open sweep over every building; 4 in 5 households visited, a few zero reports."""
    from linli.plugins.captains.tables import sweep_buildings, sweeps, visits, zero_reports

    now = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)
    rng = random.Random(15)
    per_building = [households // buildings + (1 if b < households % buildings else 0) for b in range(buildings)]
    with store.begin() as conn:  # type: ignore[attr-defined]
        # other districts' rows too: the scoped store must find this district's among them
        for district, sweep_id in ((DISTRICT, 1), ("other", 2)):
            conn.execute(
                sweeps.insert().values(
                    id=sweep_id,
                    district_id=district,
                    number=1,
                    reason="冬季供暖排查",
                    scope="district",
                    deadline=dt.date(2026, 12, 3),
                    started_at=now,
                )
            )
        conn.execute(
            sweep_buildings.insert(),
            [
                {
                    "district_id": DISTRICT,
                    "sweep_id": 1,
                    "building_id": b + 1,
                    "grid_id": b % GRIDS + 1,
                    "households": n,
                }
                for b, n in enumerate(per_building)
            ],
        )
        rows = []
        household = 0
        for b, n in enumerate(per_building):
            for _ in range(n):
                household += 1
                if rng.random() < 0.8:
                    rows.append(
                        {
                            "district_id": DISTRICT,
                            "sweep_id": 1,
                            "building_id": b + 1,
                            "household_id": household,
                            "outcome": rng.choice(["ok", "ok", "ok", "absent", "help"]),
                            "captain_id": b + 1,
                            "visited_at": now,
                        }
                    )
                if len(rows) >= 10_000:
                    conn.execute(visits.insert(), rows)
                    rows = []
        if rows:
            conn.execute(visits.insert(), rows)
        conn.execute(
            zero_reports.insert(),
            [{"district_id": DISTRICT, "sweep_id": 1, "building_id": b, "reported_at": now} for b in range(1, 20)],
        )
        # the same number of visits in another district, which coverage must not read
        conn.execute(
            visits.insert(),
            [
                {
                    "district_id": "other",
                    "sweep_id": 2,
                    "building_id": 1,
                    "household_id": h,
                    "outcome": "ok",
                    "visited_at": now,
                }
                for h in range(1, 20_001)
            ],
        )


def measure(url: str, buildings: int, households: int, runs: int) -> dict[str, object]:
    import sqlalchemy as sa

    from linli.core.storage import ScopedStore, Store
    from linli.plugins.captains.sweeps import coverage

    folder = Path(__file__).resolve().parent.parent / "linli" / "plugins" / "captains" / "migrations"
    store = Store(url, migration_dirs=[folder])
    store.upgrade()
    start = time.perf_counter()
    fill(store, buildings, households)
    filled = time.perf_counter() - start
    if store.engine.dialect.name == "postgresql":
        # what autovacuum does soon after a bulk load: statistics, and the visibility map that
        # lets the GROUP BY read the index alone
        with store.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    times = []
    result = None
    for _ in range(runs):
        with store.connect() as conn:
            ctx = SimpleNamespace(store=ScopedStore(conn, "captains", DISTRICT))
            t0 = time.perf_counter()
            result = coverage(ctx, 1)  # type: ignore[arg-type]
            times.append((time.perf_counter() - t0) * 1000)
    assert result is not None
    done, total, bdone, btotal = result.totals()
    store.dispose()
    return {
        "fill_s": round(filled, 1),
        "coverage": {"households_done": done, "households": total, "buildings_done": bdone, "buildings": btotal},
        "latency": latency_summary(times),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=positive, default=100_000)
    parser.add_argument("--buildings", type=positive, default=681)
    parser.add_argument("--runs", type=positive, default=20)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    results: dict[str, object] = {"households": args.households, "buildings": args.buildings}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{tmp}/bench.db", args.buildings, args.households, args.runs)
    if not args.skip_postgres:
        with postgres_schema() as url:
            results["postgresql"] = measure(url, args.buildings, args.households, args.runs)
    lines = [f"coverage of one sweep, {args.buildings} buildings, {args.households} households:"]
    for db in ("sqlite", "postgresql"):
        if db in results:
            r = results[db]
            assert isinstance(r, dict)
            lines.append(f"  {db}: p50 {r['latency']['p50_ms']} ms, p99 {r['latency']['p99_ms']} ms ({r['coverage']})")
    write_result("captains_coverage", results, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
