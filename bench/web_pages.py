"""Benchmark: every page of the web dashboard with 100,000 households, 10,000 mediation cases
and five years of records in PostgreSQL (issue 19: each page within 200 ms at p95).

The district has 681 buildings in 24 grids holding the households; 10,000 cases filed over
five years (parties, mediators, agreements for most, their changes of state); five years of
council matters, polls and meetings; 4,000 needs and 20 sweeps (the latest over every
building, four in five households visited); an audit log of 200,000 rows over the five years.
A staff member logs in with a link and each page is fetched through the ASGI app (Starlette's
TestClient: routing, the session, the queries, the templates), ``--runs`` times.

    python bench/web_pages.py [--households 100000] [--cases 10000] [--runs 30] [--sqlite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import latency_summary, percentile, positive, postgres_schema, write_result

DISTRICT = "bench"
GRIDS = 24
BUILDINGS = 681
YEARS = 5
NOW = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)
PAGES = [
    "/",
    f"/d/{DISTRICT}/overview",
    f"/d/{DISTRICT}/mediation/cases",
    f"/d/{DISTRICT}/mediation/cases/1",
    f"/d/{DISTRICT}/council/council",
    f"/d/{DISTRICT}/captains/captains",
    f"/d/{DISTRICT}/wall",
]


def _batches(conn: Any, table: Any, rows: list[dict[str, Any]], size: int = 5000) -> None:
    for i in range(0, len(rows), size):
        conn.execute(table.insert(), rows[i : i + size])


def fill(store: Any, households: int, cases: int) -> int:
    """The district's five years; returns the staff member's person id."""
    from linli.core import people
    from linli.core.storage import schema as s
    from linli.plugins.captains import tables as cap
    from linli.plugins.council import community_tables as com
    from linli.plugins.council import tables as cou
    from linli.plugins.mediation import tables as med

    rng = random.Random(19)
    start = NOW - dt.timedelta(days=365 * YEARS)

    def moment() -> dt.datetime:
        return start + dt.timedelta(seconds=rng.randrange(int((NOW - start).total_seconds())))

    with store.begin() as conn:
        staff = people.person_for(conn, "test:王主任", "王主任")
        assert staff is not None
        people.grant_role(conn, staff.id, DISTRICT, "staff", by="bench")
        persons = [people.person_for(conn, f"test:p{n}", f"居民{n}") for n in range(2000)]
        pids = [p.id for p in persons if p is not None]

        _batches(
            conn, s.grids, [{"district_id": DISTRICT, "code": f"G{g}", "name": f"第{g}网格"} for g in range(GRIDS)]
        )
        grid_ids = list(conn.execute(s.grids.select().with_only_columns(s.grids.c.id)).scalars())
        _batches(
            conn,
            s.buildings,
            [
                {"district_id": DISTRICT, "grid_id": grid_ids[b % GRIDS], "code": f"{b + 1}号楼"}
                for b in range(BUILDINGS)
            ],
        )
        building_ids = list(conn.execute(s.buildings.select().with_only_columns(s.buildings.c.id)).scalars())
        per = [households // BUILDINGS + (1 if b < households % BUILDINGS else 0) for b in range(BUILDINGS)]
        rows = [
            {"district_id": DISTRICT, "building_id": building_ids[b], "unit": "1", "number": str(100 + n)}
            for b, n_b in enumerate(per)
            for n in range(n_b)
        ]
        _batches(conn, s.households, rows)

        # mediation: cases over five years, their people, agreements and changes of state
        case_rows = []
        for n in range(1, cases + 1):
            opened = moment()
            status = rng.choice(["performed"] * 5 + ["ended", "declined", "mediating", "agreement", "escalated"])
            closed = (
                opened + dt.timedelta(days=rng.randint(1, 40)) if status in ("performed", "ended", "declined") else None
            )
            case_rows.append(
                {
                    "id": n,
                    "district_id": DISTRICT,
                    "number": n,
                    "source": "application",
                    "category": rng.choice(["property", "neighbours", "contractor", "family", "other"]),
                    "status": status,
                    "opened_at": opened,
                    "deadline_at": opened + dt.timedelta(days=30),
                    "closed_at": closed,
                }
            )
        _batches(conn, med.cases, case_rows)
        member_rows, deal_rows, record_rows = [], [], []
        for c in case_rows:
            member_rows += [
                {
                    "district_id": DISTRICT,
                    "case_id": c["id"],
                    "person_id": rng.choice(pids),
                    "role": "party",
                    "added_at": c["opened_at"],
                },
                {
                    "district_id": DISTRICT,
                    "case_id": c["id"],
                    "person_id": rng.choice(pids[:30]),
                    "role": "mediator",
                    "added_at": c["opened_at"],
                },
            ]
            if c["status"] in ("performed", "agreement"):
                deal_rows.append(
                    {
                        "district_id": DISTRICT,
                        "case_id": c["id"],
                        "form": "written",
                        "terms": "协议",
                        "responsibilities": "各自负责",
                        "manner": "当面",
                        "deadline": (c["opened_at"] + dt.timedelta(days=20)).date(),
                        "made_at": c["opened_at"] + dt.timedelta(days=rng.randint(1, 20)),
                    }
                )
            for state_from, state_to in (
                ("registered", "accepted"),
                ("accepted", "mediating"),
                ("mediating", c["status"]),
            ):
                record_rows.append(
                    {
                        "district_id": DISTRICT,
                        "case_id": c["id"],
                        "kind": "transition",
                        "state_from": state_from,
                        "state_to": state_to,
                        "at": c["opened_at"] + dt.timedelta(days=1),
                    }
                )
        _batches(conn, med.members, member_rows)
        _batches(conn, med.agreements, deal_rows)
        _batches(conn, med.records, record_rows)

        # council: matters, polls, meetings, attendance, adoptions
        _batches(
            conn,
            cou.matters,
            [
                {
                    "district_id": DISTRICT,
                    "number": n,
                    "title": f"议题{n}",
                    "category": rng.choice(["environment", "facilities", "safety", "property", "other"]),
                    "status": rng.choice(["open", "passed", "rejected", "done", "implementing", "withdrawn"]),
                    "created_at": moment(),
                }
                for n in range(1, 1501)
            ],
        )
        _batches(
            conn,
            cou.polls,
            [
                {
                    "district_id": DISTRICT,
                    "number": n,
                    "question": f"是否同意议题{n}？",
                    "kind": "yesno",
                    "options": ["同意", "反对", "弃权"],
                    "quorum": 0.5,
                    "threshold": 0.5,
                    "status": "closed",
                    "opened_at": (t := moment()),
                    "closes_at": t + dt.timedelta(days=3),
                    "closed_at": t + dt.timedelta(days=3),
                    "electorate": 40,
                    "turnout": rng.randint(10, 40),
                    "outcome": rng.choice(["passed", "rejected", "no_quorum"]),
                }
                for n in range(1, 801)
            ],
        )
        _batches(
            conn,
            com.meetings,
            [
                {
                    "district_id": DISTRICT,
                    "number": n,
                    "starts_at": moment(),
                    "code": "1234",
                    "status": "closed",
                    "created_at": NOW,
                }
                for n in range(1, 241)
            ],
        )
        meeting_ids = list(conn.execute(com.meetings.select().with_only_columns(com.meetings.c.id)).scalars())
        _batches(
            conn,
            com.attendance,
            [
                {"district_id": DISTRICT, "meeting_id": m, "person_id": p, "at": NOW}
                for m in meeting_ids
                for p in rng.sample(pids, 25)
            ],
        )
        _batches(
            conn,
            com.adoptables,
            [
                {"district_id": DISTRICT, "number": n, "kind": "plot", "name": f"绿地{n}", "created_at": NOW}
                for n in range(1, 301)
            ],
        )
        _batches(
            conn,
            com.adoptions,
            [
                {
                    "district_id": DISTRICT,
                    "adoptable_id": n,
                    "person_id": rng.choice(pids),
                    "status": rng.choice(["active", "lapsed", "ended"]),
                    "applied_at": moment(),
                }
                for n in range(1, 301)
            ],
        )

        # captains: two captains for most buildings, twenty sweeps, needs over five years
        _batches(
            conn,
            cap.assignments,
            [
                {
                    "district_id": DISTRICT,
                    "building_id": b,
                    "person_id": pids[i % len(pids)],
                    "kind": kind,
                    "start_on": dt.date(2022, 1, 1),
                    "assigned_at": NOW,
                }
                for i, b in enumerate(building_ids[:-20])
                for kind in ("gov", "resident")
            ],
        )
        household_ids = list(
            conn.execute(s.households.select().with_only_columns(s.households.c.id, s.households.c.building_id)).all()
        )
        for number in range(1, 21):
            sweep_id = conn.execute(
                cap.sweeps.insert()
                .values(
                    district_id=DISTRICT,
                    number=number,
                    reason="排查",
                    scope="district",
                    deadline=dt.date(2026, 12, 3),
                    started_at=NOW - dt.timedelta(days=90 * (20 - number)),
                    state="closed" if number < 20 else "open",
                )
                .returning(cap.sweeps.c.id)
            ).scalar_one()
            _batches(
                conn,
                cap.sweep_buildings,
                [
                    {"district_id": DISTRICT, "sweep_id": sweep_id, "building_id": b, "households": n_b}
                    for b, n_b in zip(building_ids, per, strict=True)
                ],
            )
            if number in (19, 20):  # the two latest with their visits (older ones' visits weigh nothing on a page)
                _batches(
                    conn,
                    cap.visits,
                    [
                        {
                            "district_id": DISTRICT,
                            "sweep_id": sweep_id,
                            "building_id": b,
                            "household_id": h,
                            "outcome": "ok",
                            "captain_id": pids[h % 600],
                            "visited_at": NOW,
                        }
                        for h, b in household_ids
                        if rng.random() < 0.8
                    ],
                    10_000,
                )
        _batches(
            conn,
            cap.needs,
            [
                {
                    "district_id": DISTRICT,
                    "number": n,
                    "building_id": rng.choice(building_ids),
                    "text": "楼道灯坏了",
                    "state": (
                        state := rng.choice(["confirmed"] * 6 + ["reported", "taken", "in_progress", "resolved"])
                    ),
                    "taken_by": rng.choice(pids[:600]),
                    "reported_at": (t := moment()),
                    "due_at": t + dt.timedelta(days=7),
                    "resolved_at": t + dt.timedelta(days=rng.randint(1, 10))
                    if state in ("resolved", "confirmed")
                    else None,
                }
                for n in range(1, 4001)
            ],
        )
        # the audit log's five years, and the outbox's last month
        _batches(
            conn,
            s.audit_log,
            [{"at": moment(), "district_id": DISTRICT, "action": "bench", "detail": {}} for _ in range(200_000)],
            20_000,
        )
        _batches(
            conn,
            s.outbox,
            [
                {
                    "key": f"bench:{n}",
                    "district_id": DISTRICT,
                    "platform": "test",
                    "room": "test:room",
                    "payload": {},
                    "status": "sent",
                    "created_at": NOW - dt.timedelta(seconds=rng.randrange(30 * 86400)),
                }
                for n in range(20_000)
            ],
        )
    return staff.id


def measure(url: str, households: int, cases: int, runs: int) -> dict[str, Any]:
    import sqlalchemy as sa
    from dramatiq.brokers.stub import StubBroker
    from starlette.testclient import TestClient

    from linli.core import weblinks
    from linli.core.clock import FrozenClock
    from linli.core.settings import DistrictSettings, Settings, StorageSettings
    from linli.web import create_app
    from linli.workers.runtime import Runtime

    settings = Settings(
        storage=StorageSettings(url=url),
        districts=(
            DistrictSettings(
                id=DISTRICT,
                name="基准社区",
                rooms=("test:room",),
                plugins=("basics", "mediation", "council", "captains"),
                config={"mediation": {"settled_before": 400}},
            ),
        ),
    )
    clock = FrozenClock(NOW)
    rt = Runtime(settings, broker=StubBroker(), clock=clock)
    rt.prepare_database()
    t0 = time.perf_counter()
    staff = fill(rt.store, households, cases)
    filled = time.perf_counter() - t0
    if rt.store.engine.dialect.name == "postgresql":
        with rt.store.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    app = create_app(settings, store=rt.store, registry=rt.registry, clock=clock)
    browser = TestClient(app, follow_redirects=False)
    with rt.store.begin() as conn:
        token = weblinks.issue_login(conn, staff, now=NOW, minutes=10)
    assert browser.get(f"/login/{token}").status_code == 303
    pages: dict[str, Any] = {}
    for path in PAGES:
        assert browser.get(path).status_code == 200, path  # warm: templates compiled, caches filled
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            answer = browser.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200, (path, answer.status_code)
        pages[path] = {
            **latency_summary(times),
            "p95_ms": round(percentile(times, 95), 2),
            "bytes": len(answer.content),
        }
    rt.close()
    return {"fill_s": round(filled, 1), "pages": pages}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=positive, default=100_000)
    parser.add_argument("--cases", type=positive, default=10_000)
    parser.add_argument("--runs", type=positive, default=30)
    parser.add_argument("--sqlite", action="store_true", help="also measure on SQLite")
    args = parser.parse_args()
    results: dict[str, Any] = {"households": args.households, "cases": args.cases, "years": YEARS}
    with postgres_schema() as url:
        results["postgresql"] = measure(url, args.households, args.cases, args.runs)
    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = measure(f"sqlite:///{tmp}/bench.db", args.households, args.cases, args.runs)
    lines = [f"dashboard pages, {args.households} households, {args.cases} cases, {YEARS} years ({args.runs} runs):"]
    for db in ("postgresql", "sqlite"):
        for path, r in results.get(db, {}).get("pages", {}).items():
            lines.append(
                f"  {db:10} {path:40} p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  max {r['max_ms']:7.1f} ms"
            )
    write_result("web_pages", results, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
