"""Benchmark: exporting a ledger of 100,000 rows to CSV and to XLSX (issue 18).

Fills the suggestion box of one district in a SQLite database with ``--rows`` suggestions
(Chinese text, half of them answered), then runs ``export_ledger`` — the code behind
``linli export`` — once per format, each in a child process of its own so that its peak
resident memory (``ru_maxrss`` of the child) is the export's alone. Targets: each
format ≤ 5 s and ≤ 100 MiB peak RSS.

    python bench/ledger_export.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import positive, write_result

LEDGER = "suggestions.suggestions"
DISTRICT = "qinghe"
TARGET_S = 5.0
TARGET_MIB = 100.0
_WORDS = "楼道灯坏了请尽快修理小区门口垃圾桶满了健身器材松动停车位不够希望增加绿化晚上噪音太大"


def fill(url: str, rows: int, seed: int = 18) -> None:
    """A district with the suggestions plugin and ``rows`` suggestions in it."""
    import sqlalchemy as sa

    from linli.core.registry import PluginRegistry, load_entry_points
    from linli.core.storage import Store
    from linli.core.storage import schema as s
    from linli.core.storage.migrate import migration_dirs
    from linli.plugins.suggestions.tables import suggestions

    registry = PluginRegistry(load_entry_points())
    store = Store(url, migration_dirs=migration_dirs(registry.packages()))
    store.upgrade()
    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    with store.begin() as conn:
        conn.execute(sa.insert(s.districts).values(id=DISTRICT, name="清河", config={}))
        conn.execute(sa.insert(s.district_plugins).values(district_id=DISTRICT, plugin="suggestions"))
        batch: list[dict[str, Any]] = []
        for n in range(1, rows + 1):
            created = start + dt.timedelta(minutes=5 * n)
            answered = rng.random() < 0.5
            text = "".join(rng.choice(_WORDS) for _ in range(rng.randint(10, 60)))
            batch.append(
                {
                    "district_id": DISTRICT,
                    "number": n,
                    "person_id": None,
                    "category": rng.choice(("environment", "repairs", "safety")),
                    "text": text if n % 97 else "=" + text,  # some look like formulas
                    "status": "answered" if answered else "open",
                    "answer": "已转物业处理，谢谢您的建议。" if answered else None,
                    "created_at": created,
                    "answered_at": created + dt.timedelta(days=1) if answered else None,
                }
            )
            if len(batch) == 5000:
                conn.execute(sa.insert(suggestions), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(suggestions), batch)
    store.dispose()


def _child(url: str, fmt: str, path: str) -> None:
    """Run in the child process: export, then print seconds, rows and peak RSS (KiB)."""
    from linli.core.export import export_ledger
    from linli.core.registry import PluginRegistry, load_entry_points
    from linli.core.storage import Store
    from linli.core.storage.migrate import migration_dirs

    registry = PluginRegistry(load_entry_points())
    store = Store(url, migration_dirs=migration_dirs(registry.packages()))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, start_cpu = time.perf_counter(), time.process_time()
    result = export_ledger(store, registry, LEDGER, DISTRICT, actor="bench", fmt=fmt, path=Path(path))  # type: ignore[arg-type]
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{seconds:.3f} {cpu:.3f} {result.rows} {before} {peak}")


def one_export(url: str, fmt: str, folder: Path) -> dict[str, Any]:
    path = folder / f"ledger.{fmt}"
    out = subprocess.run(
        [sys.executable, __file__, "--child", url, fmt, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    seconds, cpu, rows, before, peak = float(out[0]), float(out[1]), int(out[2]), int(out[3]), int(out[4])
    return {
        "seconds": round(seconds, 2),
        # the child's own CPU time: on a busy shared machine the wall time also counts waits for a core
        "cpu_s": round(cpu, 2),
        "rows": rows,
        "bytes": path.stat().st_size,
        "rss_before_export_mib": round(before / 1024, 1),
        "peak_rss_mib": round(peak / 1024, 1),
        "holds": seconds <= TARGET_S and peak / 1024 <= TARGET_MIB,
    }


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(*sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=positive, default=100_000)
    args = parser.parse_args()
    results: dict[str, Any] = {"rows": args.rows, "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'linli.db'}"
        start = time.perf_counter()
        fill(url, args.rows)
        print(f"filled {args.rows} suggestions in {time.perf_counter() - start:.1f} s", flush=True)
        for fmt in ("csv", "xlsx"):
            results[fmt] = one_export(url, fmt, folder)
            print(f"{fmt}: {results[fmt]}", flush=True)
    lines = [f"ledger export, {args.rows} rows (targets ≤ {TARGET_S:g} s, ≤ {TARGET_MIB:g} MiB peak RSS):"]
    for fmt in ("csv", "xlsx"):
        r = results[fmt]
        lines.append(
            f"  {fmt}: {r['seconds']} s (cpu {r['cpu_s']} s), peak RSS {r['peak_rss_mib']} MiB "
            f"({r['rss_before_export_mib']} MiB before the export), {r['bytes'] // 1024} KiB: "
            + ("holds" if r["holds"] else "MISSED")
        )
    write_result("ledger_export", results, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
