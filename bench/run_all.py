"""Run every benchmark, one after the other, and gather their results in
``bench/results/all.json`` (``make bench`` calls this).

The benchmarks need Redis and PostgreSQL on loopback (see ``bench/_common.py``
for the URLs and their ``LINLI_BENCH_*`` overrides). They report figures; they
assert nothing about speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
SCRIPTS = [
    "cli_startup",
    "embedded_roundtrips",
    "worker_memory",
    "redis_pipeline",
    "captains_coverage",
    "ledger_export",
    "tracks_scoring",
]


def main() -> int:
    failed = []
    for name in SCRIPTS:
        print(f"\n=== {name} ===", flush=True)
        start = time.monotonic()
        if subprocess.run([sys.executable, str(BENCH / f"{name}.py")], cwd=BENCH.parent).returncode:
            failed.append(name)
        print(f"({time.monotonic() - start:.0f} s)", flush=True)
    gathered = {
        name: json.loads((RESULTS / f"{name}.json").read_text())
        for name in SCRIPTS
        if name not in failed and (RESULTS / f"{name}.json").exists()
    }
    (RESULTS / "all.json").write_text(json.dumps(gathered, ensure_ascii=False, indent=2))
    print(f"\nall results: {(RESULTS / 'all.json').relative_to(BENCH.parent)}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
