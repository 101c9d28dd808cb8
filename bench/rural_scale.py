"""Benchmark: a county's worth of rural data (issue 16): 200 villages, 60,000 households, 5 years
of pairing visits; the weekly overdue-pairs scan and the monthly monitoring summary for one village,
each ≤ 1 s, on SQLite and PostgreSQL.

Every household is paired with one unit (a village's 300 pairs), each pair visited about every
three months for five years (some pairs lapse: their last visit is months ago), and a village has
about 20 monitoring cases in every state with their history and measures. The scan is the query of
the Monday job (``overdue_pairs``: one GROUP BY over the village's visits and its pairs, through the
scoped store); the summary is ``monitoring_summary`` on a plain connection, as the monthly report
calls it.

    python bench/rural_scale.py [--villages 200] [--households 60000] [--years 5] [--runs 20]
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import latency_summary, positive, postgres_schema, write_result

TODAY = dt.date(2026, 12, 7)  # a Monday
STATES = ("lead", "visited", "notice", "appraised", "monitored", "monitored", "monitored", "eliminated", "declined")
UNITS = [f"单位{i}" for i in range(25)]


def fill(store: Any, villages: int, households: int, years: int) -> dict[str, int]:
    from linli.plugins.rural.tables import case_events, cases, measures, pairs, visits

    rng = random.Random(16)
    now = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)
    per_village = households // villages
    counts = {"pairs": 0, "visits": 0, "cases": 0}
    pair_id = visit_id = case_id = 0
    with store.begin() as conn:
        for v in range(villages):
            district = f"village{v:03d}"
            pair_rows, visit_rows, case_rows, event_rows, measure_rows = [], [], [], [], []
            for h in range(per_village):
                household = v * per_village + h + 1
                pair_id += 1
                start = TODAY - dt.timedelta(days=365 * years)
                pair_rows.append(
                    {
                        "id": pair_id,
                        "district_id": district,
                        "number": h + 1,
                        "unit": rng.choice(UNITS),
                        "household_id": household,
                        "helper_id": None,
                        "start_on": start,
                        "paired_at": now,
                    }
                )
                # every ~90 days for `years` years; one pair in ten stopped being visited 2–8 months ago
                stop = TODAY - dt.timedelta(days=rng.randint(60, 240)) if rng.random() < 0.1 else TODAY
                day = start + dt.timedelta(days=rng.randint(0, 60))
                while day <= stop:
                    visit_id += 1
                    visit_rows.append(
                        {
                            "id": visit_id,
                            "district_id": district,
                            "pair_id": pair_id,
                            "household_id": household,
                            "visited_on": day,
                            "visitor_id": None,
                            "logged_by": None,
                            "note": "",
                            "at": now,
                        }
                    )
                    day += dt.timedelta(days=rng.randint(60, 120))
            for c in range(20):
                case_id += 1
                state = rng.choice(STATES)
                lead_at = now - dt.timedelta(days=rng.randint(0, 365 * years))
                case_rows.append(
                    {
                        "id": case_id,
                        "district_id": district,
                        "number": c + 1,
                        "household_id": v * per_village + rng.randint(1, per_village),
                        "state": state,
                        "source": "grid",
                        "lead_at": lead_at,
                        "income": rng.randint(4000, 12000),
                        "year": 2026,
                        "decided_at": lead_at + dt.timedelta(days=12) if state in ("monitored", "eliminated") else None,
                        "eliminated_at": lead_at + dt.timedelta(days=300) if state == "eliminated" else None,
                        "late_flagged_on": TODAY - dt.timedelta(days=3) if rng.random() < 0.1 else None,
                    }
                )
                event_rows += [
                    {"district_id": district, "case_id": case_id, "kind": k, "detail": "", "by_id": 1, "at": lead_at}
                    for k in ("lead", "visit", "notice", "appraised")
                ]
                measure_rows += [
                    {
                        "district_id": district,
                        "household_id": 1,
                        "case_id": case_id,
                        "kind": "industry",
                        "note": "",
                        "by_id": 1,
                        "at": lead_at + dt.timedelta(days=30 * i),
                    }
                    for i in range(3)
                ]
            conn.execute(pairs.insert(), pair_rows)
            for i in range(0, len(visit_rows), 20_000):
                conn.execute(visits.insert(), visit_rows[i : i + 20_000])
            conn.execute(cases.insert(), case_rows)
            conn.execute(case_events.insert(), event_rows)
            conn.execute(measures.insert(), measure_rows)
            counts["pairs"] += len(pair_rows)
            counts["visits"] += len(visit_rows)
            counts["cases"] += len(case_rows)
    return counts


def measure(url: str, villages: int, households: int, years: int, runs: int) -> dict[str, object]:
    import sqlalchemy as sa

    from linli.core.storage import ScopedStore, Store
    from linli.plugins.rural.pairing import overdue_pairs
    from linli.plugins.rural.summary import monitoring_summary

    folder = Path(__file__).resolve().parent.parent / "linli" / "plugins" / "rural" / "migrations"
    store = Store(url, migration_dirs=[folder])
    store.upgrade()
    start = time.perf_counter()
    counts = fill(store, villages, households, years)
    filled = time.perf_counter() - start
    if store.engine.dialect.name == "postgresql":
        with store.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    district = f"village{villages // 2:03d}"
    scan_ms, summary_ms = [], []
    overdue: list[Any] = []
    figures: dict[str, int] = {}
    for _ in range(runs):
        with store.connect() as conn:
            ctx = SimpleNamespace(store=ScopedStore(conn, "rural", district))
            t0 = time.perf_counter()
            overdue = overdue_pairs(ctx, TODAY, 30)  # type: ignore[arg-type]
            scan_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            figures = monitoring_summary(conn, district, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
            summary_ms.append((time.perf_counter() - t0) * 1000)
    store.dispose()
    return {
        "fill_s": round(filled, 1),
        "rows": counts,
        "overdue_pairs_in_village": len(overdue),
        "summary": figures,
        "scan": latency_summary(scan_ms),
        "monthly_summary": latency_summary(summary_ms),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--villages", type=positive, default=200)
    parser.add_argument("--households", type=positive, default=60_000)
    parser.add_argument("--years", type=positive, default=5)
    parser.add_argument("--runs", type=positive, default=20)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    results: dict[str, object] = {"villages": args.villages, "households": args.households, "years": args.years}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{tmp}/bench.db", args.villages, args.households, args.years, args.runs)
    if not args.skip_postgres:
        with postgres_schema() as url:
            results["postgresql"] = measure(url, args.villages, args.households, args.years, args.runs)
    lines = [f"rural: {args.villages} villages, {args.households} households, {args.years} years of visits:"]
    for db in ("sqlite", "postgresql"):
        if db in results:
            r = results[db]
            assert isinstance(r, dict)
            lines.append(
                f"  {db}: overdue-pairs scan p50 {r['scan']['p50_ms']} ms, p99 {r['scan']['p99_ms']} ms "
                f"({r['overdue_pairs_in_village']} overdue); monthly summary p50 {r['monthly_summary']['p50_ms']} ms, "
                f"p99 {r['monthly_summary']['p99_ms']} ms; rows {r['rows']}"
            )
    write_result("rural_scale", results, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
