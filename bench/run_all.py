"""Run every benchmark, one after the other, gather their results in
``bench/results/all.json`` (``make bench`` calls this), and print each target with its
figure (a ratio where the target is one) and whether it holds.

The benchmarks need Redis and PostgreSQL on loopback (see ``bench/_common.py``
for the URLs and their ``LINLI_BENCH_*`` overrides). They report figures; they
assert nothing about speed.

    python bench/run_all.py                       # all of them, then the targets
    python bench/run_all.py --only ledger_export  # some of them (comma-separated)
    python bench/run_all.py --targets             # the targets of the results already there
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
SCRIPTS = [
    "cli_startup",
    "embedded_roundtrips",
    "worker_memory",
    "redis_pipeline",
    "captains_coverage",
    "rural_scale",
    "ledger_export",
    "tracks_scoring",
]


#: (benchmark, target, how the figure is read from its result, the goal, whether it holds)
Target = tuple[str, str, Callable[[dict[str, Any]], float], str, Callable[[float], bool]]
TARGETS: list[Target] = [
    ("cli_startup", "`linli --help`, mean s", lambda r: r["figures"]["mean_s"], "< 0.3", lambda v: v < 0.3),
    (
        "embedded_roundtrips",
        "embedded round trips/s, best round",
        lambda r: r["figures"]["per_second"],
        ">= 4000",
        lambda v: v >= 4000,
    ),
    (
        "redis_pipeline",
        "Redis burst / raw Dramatiq no-op burst",
        lambda r: r["ratios"]["burst_over_raw_noop"],
        ">= 0.4",
        lambda v: v >= 0.4,
    ),
    (
        "redis_pipeline",
        "Redis sporadic p99 / raw three-hop chain p99",
        lambda r: r["linli"]["sporadic"]["p99_ms"] / r["raw"]["three_hops"]["p99_ms"],
        "<= 1.5",
        lambda v: v <= 1.5,
    ),
    (
        "redis_pipeline",
        "Redis sporadic p99, ms",
        lambda r: r["linli"]["sporadic"]["p99_ms"],
        "<= 100",
        lambda v: v <= 100,
    ),
    (
        "worker_memory",
        "worker process RSS at -OO, MiB",
        lambda r: r["after_warm_up_mib"]["O2"]["worker"]["rss"],
        "<= 55",
        lambda v: v <= 55,
    ),
    ("ledger_export", "ledger export CSV, s", lambda r: r["csv"]["seconds"], "<= 5", lambda v: v <= 5),
    ("ledger_export", "ledger export XLSX, s", lambda r: r["xlsx"]["seconds"], "<= 5", lambda v: v <= 5),
    (
        "ledger_export",
        "ledger export peak RSS, MiB",
        lambda r: max(r["csv"]["peak_rss_mib"], r["xlsx"]["peak_rss_mib"]),
        "<= 100",
        lambda v: v <= 100,
    ),
]


def print_targets(results: dict[str, Any]) -> None:
    """One line per target: its figure, its goal, and whether it holds (or why it is missing)."""
    print("\ntargets:")
    for name, what, read, goal, holds in TARGETS:
        result = results.get(name)
        try:
            value = read(result) if result is not None else None
        except (KeyError, TypeError, ZeroDivisionError):
            value = None
        if value is None:
            print(f"  {what:48} {'-':>10}  {goal:>8}  not measured ({name})")
        else:
            print(f"  {what:48} {value:>10.3g}  {goal:>8}  {'holds' if holds(value) else 'MISSED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated benchmarks to run (default: all)")
    parser.add_argument("--targets", action="store_true", help="run nothing; print the targets of bench/results")
    args = parser.parse_args()
    if args.targets:
        print_targets({name: json.loads(p.read_text()) for name in SCRIPTS if (p := RESULTS / f"{name}.json").exists()})
        return 0
    chosen = [n for n in args.only.split(",") if n] or SCRIPTS
    unknown = sorted(set(chosen) - set(SCRIPTS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(SCRIPTS)}")
    failed = []
    for name in chosen:
        print(f"\n=== {name} ===", flush=True)
        start = time.monotonic()
        if subprocess.run([sys.executable, str(BENCH / f"{name}.py")], cwd=BENCH.parent).returncode:
            failed.append(name)
        print(f"({time.monotonic() - start:.0f} s)", flush=True)
    # a partial run (--only) keeps the other benchmarks' last results
    gathered: dict[str, Any] = json.loads(all_json.read_text()) if (all_json := RESULTS / "all.json").exists() else {}
    gathered.update(
        {
            name: json.loads((RESULTS / f"{name}.json").read_text())
            for name in chosen
            if name not in failed and (RESULTS / f"{name}.json").exists()
        }
    )
    all_json.write_text(json.dumps(gathered, ensure_ascii=False, indent=2))
    print_targets(gathered)
    print(f"\nall results: {(RESULTS / 'all.json').relative_to(BENCH.parent)}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
