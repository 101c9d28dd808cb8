"""Benchmark: the monthly report of one village (issue 16: ≤ 1 s) among a county's data — 200
villages with 5 years of sales, households' revenue, the scholarship fund, projects and their
milestones and progress reports, certificates — on SQLite and PostgreSQL.

The report is the one ``/monthreport`` and the township's workbook build: its sections (sales,
certificates due, the fund, projects) each run a few statements scoped to the village. The
monitoring section is not measured here (its module is another part of the plugin).

    python bench/rural_report.py [--villages 200] [--years 5] [--sales-per-month 30] [--runs 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import latency_summary, positive, postgres_schema, write_result

VILLAGE = "v0001"
PRODUCTS = (("大米", "斤", "雅河硕丰"), ("草莓", "斤", ""), ("蜂蜜", "瓶", "联合村"))
BATCH = 20_000


def fill(store: Any, villages: int, years: int, sales_per_month: int) -> dict[str, int]:
    """Every village's five years, month by month; returns how many rows each table got."""
    from linli.plugins.rural.enterprise_tables import (
        certificates,
        enterprises,
        fund_entries,
        milestones,
        products,
        progress_reports,
        projects,
        sale_shares,
        sales,
        students,
    )

    rng = random.Random(16)
    now = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)
    first = dt.date(2026 - years, 12, 1)
    months = [(first.year + (first.month - 1 + m) // 12, (first.month - 1 + m) % 12 + 1) for m in range(12 * years)]
    counts: dict[str, int] = {}
    pending: dict[Any, list[dict[str, Any]]] = {}

    def add(table: Any, row: dict[str, Any]) -> None:
        rows = pending.setdefault(table, [])
        rows.append(row)
        counts[table.name] = counts.get(table.name, 0) + 1
        if len(rows) >= BATCH:
            conn.execute(table.insert(), rows)
            rows.clear()

    sale_id = 0
    with store.begin() as conn:
        for v in range(1, villages + 1):
            district = f"v{v:04d}"
            base = v * 10
            add(enterprises, {"district_id": district, "id": v, "number": 1, "name": "村集体企业", "added_at": now})
            for n in range(1, 6):
                add(
                    certificates,
                    {
                        "district_id": district,
                        "number": n,
                        "enterprise_id": v,
                        "kind": "business_licence",
                        "code": f"L{v}-{n}",
                        "issuer": "市场监督管理局",
                        "expires_on": dt.date(2026, 12, 1) + dt.timedelta(days=rng.randrange(0, 900)),
                        "added_at": now,
                    },
                )
            for p, (name, unit, brand) in enumerate(PRODUCTS, start=1):
                add(
                    products,
                    {
                        "district_id": district,
                        "id": base + p,
                        "name": name,
                        "unit": unit,
                        "brand": brand,
                        "added_at": now,
                    },
                )
            for p in range(1, 6):
                project = base + p
                add(
                    projects, {"district_id": district, "id": project, "number": p, "name": f"项目{p}", "added_at": now}
                )
                for m in range(1, 11):
                    year, month = months[rng.randrange(len(months))]
                    due = dt.date(year, month, rng.randrange(1, 28))
                    add(
                        milestones,
                        {
                            "district_id": district,
                            "project_id": project,
                            "number": m,
                            "title": f"节点{m}",
                            "due_on": due,
                            "done_on": due if rng.random() < 0.8 else None,
                        },
                    )
            for s in range(1, 51):
                add(
                    students,
                    {"district_id": district, "id": v * 100 + s, "number": s, "name": f"学生{s}", "added_at": now},
                )
            balance = 0
            number = 0
            for year, month in months:
                for _ in range(sales_per_month):
                    sale_id += 1
                    number += 1
                    quantity = Decimal(rng.randrange(1, 2000))
                    price = rng.randrange(100, 5000)
                    add(
                        sales,
                        {
                            "district_id": district,
                            "id": sale_id,
                            "number": number,
                            "product_id": base + rng.randrange(1, 4),
                            "buyer": "食堂",
                            "quantity": quantity,
                            "price_fen": price,
                            "amount_fen": int(quantity) * price,
                            "sold_on": dt.date(year, month, rng.randrange(1, 29)),
                            "recorded_at": now,
                        },
                    )
                    if rng.random() < 0.5:
                        add(
                            sale_shares,
                            {
                                "district_id": district,
                                "sale_id": sale_id,
                                "household_id": v * 1000 + rng.randrange(300),
                                "amount_fen": price,
                                "recorded_at": now,
                            },
                        )
                day = dt.date(year, month, 5)
                balance += 100_000
                add(
                    fund_entries,
                    {
                        "district_id": district,
                        "kind": "donation",
                        "amount_fen": 100_000,
                        "balance_fen": balance,
                        "donor": "沈阳海关",
                        "student_id": None,
                        "term": "",
                        "on_date": day,
                        "recorded_at": now,
                    },
                )
                for _ in range(8):
                    balance -= 3_200
                    add(
                        fund_entries,
                        {
                            "district_id": district,
                            "kind": "disbursement",
                            "amount_fen": 3_200,
                            "balance_fen": balance,
                            "donor": "",
                            "student_id": v * 100 + rng.randrange(1, 51),
                            "term": f"{year}{'春' if month < 8 else '秋'}",
                            "on_date": day,
                            "recorded_at": now,
                        },
                    )
                for p in range(1, 6):
                    add(
                        progress_reports,
                        {
                            "district_id": district,
                            "project_id": base + p,
                            "progress": rng.randrange(0, 101),
                            "text": "进展",
                            "reported_at": dt.datetime(year, month, 10, 1, tzinfo=dt.UTC),
                        },
                    )
        for table, rows in pending.items():
            if rows:
                conn.execute(table.insert(), rows)
    return counts


def measure(url: str, villages: int, years: int, sales_per_month: int, runs: int) -> dict[str, object]:
    import sqlalchemy as sa

    from linli.core.i18n import translator
    from linli.core.storage import ScopedStore, Store
    from linli.plugins.rural.reports import monthly_report

    folder = Path(__file__).resolve().parent.parent / "linli" / "plugins" / "rural" / "migrations"
    store = Store(url, migration_dirs=[folder])
    store.upgrade()
    start = time.perf_counter()
    counts = fill(store, villages, years, sales_per_month)
    filled = time.perf_counter() - start
    if store.engine.dialect.name == "postgresql":
        with store.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    t = translator("zh_CN", kind="village")
    now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    times = []
    sections: list[Any] = []
    for _ in range(runs):
        with store.connect() as conn:
            ctx = SimpleNamespace(
                store=ScopedStore(conn, "rural", VILLAGE),
                t=t,
                now=lambda: now,
                district=SimpleNamespace(id=VILLAGE, name="雅河村"),
            )
            t0 = time.perf_counter()
            sections = monthly_report(ctx, dt.date(2026, 11, 1))  # type: ignore[arg-type]
            times.append((time.perf_counter() - t0) * 1000)
    store.dispose()
    return {
        "fill_s": round(filled, 1),
        "rows": counts,
        "sections": [s.title for s in sections],
        "latency": latency_summary(times),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=positive, default=200)
    parser.add_argument("--years", type=positive, default=5)
    parser.add_argument("--sales-per-month", type=positive, default=30)
    parser.add_argument("--runs", type=positive, default=20)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    results: dict[str, object] = {
        "villages": args.villages,
        "years": args.years,
        "sales_per_month": args.sales_per_month,
    }
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(
            f"sqlite:///{tmp}/bench.db", args.villages, args.years, args.sales_per_month, args.runs
        )
    if not args.skip_postgres:
        with postgres_schema() as url:
            results["postgresql"] = measure(url, args.villages, args.years, args.sales_per_month, args.runs)
    lines = [f"monthly report of one village among {args.villages} villages, {args.years} years:"]
    for db in ("sqlite", "postgresql"):
        if db in results:
            r = results[db]
            assert isinstance(r, dict)
            lines.append(
                f"  {db}: p50 {r['latency']['p50_ms']} ms, p99 {r['latency']['p99_ms']} ms, "
                f"max {r['latency']['max_ms']} ms (fill {r['fill_s']} s)"
            )
    write_result("rural_report", results, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
