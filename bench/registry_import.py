"""Benchmark: importing a district's register (issue 15's scale), then importing it again.

Generates a register of 100,000 households in 681 buildings (1 to 3 people each, most
with an ID number, heads with a phone) as CSV (or XLSX with ``--format xlsx``), then
times ``linli registry import``'s work — reading, checking, writing in one transaction —
twice on SQLite and, when it is reachable, on PostgreSQL. The second import must change
nothing. Targets: each ≤ 10 s.

    python bench/registry_import.py [--households 100000] [--buildings 681] [--format csv]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import positive, postgres_schema, write_result

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "秀英桂兰玉梅建国志强春华淑珍德明海燕丽娟"


def id_number(rng: random.Random, year: int) -> str:
    body = f"211202{year:04d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    total = sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def generate(path: Path, households: int, buildings: int, seed: int = 15) -> int:
    """Write the register; returns its number of rows (people)."""
    from linli.core.register.tabular import COLUMNS, write_rows

    rng = random.Random(seed)
    rows: list[list[Any]] = []
    per_building = -(-households // buildings)
    n = 0
    for b in range(1, buildings + 1):
        grid = f"第{(b - 1) // 60 + 1}网格"
        for k in range(per_building):
            if n == households:
                break
            n += 1
            unit, door = k % 6 + 1, f"{k // 6 // 2 + 1}{k // 6 % 2 + 1:02d}"
            size = rng.choice((1, 2, 2, 3))
            head = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
            for i in range(size):
                year = rng.randint(1935, 2015)
                name = head if i == 0 else rng.choice(_SURNAMES) + rng.choice(_GIVEN) + str(i)
                ident = id_number(rng, year) if rng.random() < 0.7 else ""
                phone = f"13{rng.randint(0, 999999999):09d}" if i == 0 else ""
                relation = ("户主", "配偶", "子女")[i]
                birth = "" if ident else f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
                rows.append([grid, f"{b}栋", str(unit), door, head, name, relation, "", birth, ident, phone])
    write_rows(path, [c.header for c in COLUMNS], rows)
    return len(rows)


def one_import(url: str, path: Path) -> dict[str, Any]:
    import sqlalchemy as sa

    from linli.core.register.importer import import_rows
    from linli.core.register.tabular import read_rows
    from linli.core.storage import Store
    from linli.core.storage import schema as s

    store = Store(url)
    store.upgrade()
    with store.begin() as conn:
        if not conn.execute(sa.select(s.districts.c.id).where(s.districts.c.id == "qinghe")).first():
            conn.execute(sa.insert(s.districts).values(id="qinghe", name="清河", config={}))
    times = []
    cpu = []
    reports = []
    for _ in range(2):
        start, start_cpu = time.perf_counter(), time.process_time()
        with store.begin() as conn:
            _header, rows = read_rows(path)
            report = import_rows(conn, "qinghe", rows, actor="bench")
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        reports.append(report)
    store.dispose()
    first, second = reports
    return {
        "first_s": round(times[0], 2),
        "reimport_s": round(times[1], 2),
        # this process's CPU time (the database server's excluded): on a busy shared machine
        # the wall time also counts the waits for a core
        "first_cpu_s": round(cpu[0], 2),
        "reimport_cpu_s": round(cpu[1], 2),
        "households": first.households_added,
        "people": first.people_added,
        "errors": len(first.errors),
        "reimport_changed": second.changed,
    }


def _postgres_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=positive, default=100_000)
    parser.add_argument("--buildings", type=positive, default=681)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    args = parser.parse_args()
    results: dict[str, Any] = {"households": args.households, "buildings": args.buildings, "format": args.format}
    results["load_before"] = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"register.{args.format}"
        start = time.perf_counter()
        results["rows"] = generate(path, args.households, args.buildings)
        print(f"generated {results['rows']} rows in {time.perf_counter() - start:.1f} s", flush=True)
        results["sqlite"] = one_import(f"sqlite:///{Path(folder) / 'linli.db'}", path)
        print(f"sqlite: {results['sqlite']}", flush=True)
        if _postgres_up():
            with postgres_schema() as url:
                results["postgresql"] = one_import(url, path)
            print(f"postgresql: {results['postgresql']}", flush=True)
    lines = [f"register import, {args.households} households in {args.buildings} buildings ({args.format}):"]
    for db in ("sqlite", "postgresql"):
        if db in results:
            r = results[db]
            lines.append(
                f"  {db}: first {r['first_s']} s (cpu {r['first_cpu_s']} s), re-import {r['reimport_s']} s "
                f"(cpu {r['reimport_cpu_s']} s) "
                f"(changed {r['reimport_changed']}), {r['households']} households, {r['people']} people"
            )
    write_result("registry_import", results, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
