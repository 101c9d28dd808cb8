"""Benchmark (d): how long ``linli --help`` takes to start and answer (target < 0.3 s).

With hyperfine when it is installed (``apt-get install hyperfine``), otherwise a
loop of runs timed here; both report the mean and the spread.

    python bench/cli_startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import write_result

# the installed console script, as people run it; else the module
_SCRIPT = Path(sys.executable).with_name("linli")
COMMAND = [str(_SCRIPT), "--help"] if _SCRIPT.exists() else [sys.executable, "-m", "linli", "--help"]


def with_hyperfine(runs: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            ["hyperfine", "--warmup", "3", "--runs", str(runs), "--export-json", out.name, "-N", " ".join(COMMAND)],
            check=True,
            capture_output=True,
        )
        result = json.loads(Path(out.name).read_text())["results"][0]
    return {
        "mean_s": result["mean"],
        "stddev_s": result["stddev"],
        "median_s": result["median"],
        "min_s": result["min"],
        "max_s": result["max"],
    }


def with_loop(runs: int) -> dict[str, float]:
    for _ in range(3):
        subprocess.run(COMMAND, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(COMMAND, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return {
        "mean_s": statistics.fmean(times),
        "stddev_s": statistics.stdev(times),
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    tool = "hyperfine" if shutil.which("hyperfine") else "loop"
    figures = with_hyperfine(args.runs) if tool == "hyperfine" else with_loop(args.runs)
    figures = {k: round(v, 4) for k, v in figures.items()}
    summary = (
        f"`linli --help` ({tool}, {args.runs} runs): mean {figures['mean_s']:.3f} s "
        f"± {figures['stddev_s']:.3f}, min {figures['min_s']:.3f} s (target < 0.3 s)"
    )
    write_result("cli_startup", {"tool": tool, "command": COMMAND, "figures": figures}, summary)


if __name__ == "__main__":
    main()
