"""Benchmark (b): the embedded default, sequential command round trips per second.

What ``linli run`` does for each line: submit one event to the in-process broker
and wait until every message it caused is handled, with durable SQLite writes
(WAL) and the real dispatcher, handlers and outbox. The reply goes to a recording
adapter instead of the terminal. The loop is timed in five rounds of 2,000 in one
process; the best round counts, as ``timeit`` takes the best of its runs (other work
on a shared machine only ever slows a round down: on a virtual disk the writeback
of SQLite's file moves rounds by a third), and the median is reported beside it.
Then the same loop again under cProfile, across all threads, to show where the time
goes.

    python bench/embedded_roundtrips.py [--count 2000] [--rounds 5] [--profile-count 500]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import consent_people, latency_summary, positive, write_result


def build(folder: Path, synchronous: str = "normal") -> Any:
    from linli.core.settings import DistrictSettings, Settings, StorageSettings
    from linli.testing import RecordingAdapter
    from linli.workers.runtime import Runtime

    settings = Settings(  # the embedded defaults: memory broker, 4 threads, SQLite file
        storage=StorageSettings(url=f"sqlite:///{folder / 'linli.db'}", sqlite_synchronous=synchronous),
        districts=(DistrictSettings(id="bench", name="基准社区", rooms=("test:group",), plugins=("basics",)),),
    )
    rt = Runtime(settings, adapters={"test": RecordingAdapter()})
    rt.prepare_database()
    consent_people(rt, 10)
    gc.collect()
    gc.freeze()  # as linli run does once it has started
    return rt


def round_trips(rt: Any, count: int, start: int = 0) -> list[float]:
    """As ``linli run`` reads lines: submit, wait for idle, with the console thread's kept connection."""
    from linli.core.events import Address, Inbound, Sender

    out = []
    with rt.store.session():
        for n in range(start, start + count):
            who = f"p{n % 10}"
            begin = time.perf_counter()
            rt.submit(Inbound(f"e{n}", Address("test", "group"), Sender("test", who, who), text="/whoami"))
            rt.wait_idle()
            out.append((time.perf_counter() - begin) * 1000)
    return out


def measure(count: int, rounds: int, synchronous: str = "normal") -> dict[str, Any]:
    # beside the checkout, not in /tmp: on tmpfs a flush to disk would cost nothing
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent) as tmp:
        rt = build(Path(tmp), synchronous)
        worker = rt.worker()
        worker.start()
        runs: list[dict[str, Any]] = []
        try:
            round_trips(rt, 200)  # warm-up
            for r in range(rounds):
                begin = time.perf_counter()
                ms = round_trips(rt, count, start=200 + r * count)
                seconds = time.perf_counter() - begin
                runs.append(
                    {
                        "seconds": round(seconds, 3),
                        "per_second": round(count / seconds, 1),
                        "latency": latency_summary(ms),
                    }
                )
            assert len(rt.adapters["test"].sent) == 200 + rounds * count
        finally:
            worker.stop()
            rt.close()
    best = max(runs, key=lambda r: r["per_second"])
    rates = [r["per_second"] for r in runs]
    return {"n": count, **best, "median_per_second": statistics.median(rates), "rounds_per_second": rates}


def profile(count: int) -> str:
    profilers: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_thread_profiler(*_: Any) -> None:
        # the first event of a new thread: hand it over to its own cProfile
        profiler = cProfile.Profile()
        with lock:
            profilers.append(profiler)
        sys.setprofile(None)
        profiler.enable()

    with tempfile.TemporaryDirectory() as tmp:
        rt = build(Path(tmp))
        round_trips_before = 100
        threading.setprofile(start_thread_profiler)
        worker = rt.worker()
        worker.start()
        threading.setprofile(None)  # type: ignore[arg-type]
        main = cProfile.Profile()
        try:
            # the worker threads' profilers run from their start: profile the warm-up too, count it in
            main.enable()
            round_trips(rt, round_trips_before)
            round_trips(rt, count, start=round_trips_before)
            main.disable()
        finally:
            for p in profilers:
                p.disable()
            worker.stop()
            rt.close()
    stats = pstats.Stats(main, stream=io.StringIO())
    for p in profilers:
        stats.add(p)
    return hot_spots(stats, round_trips_before + count)


#: where threads wait for each other: their time is idle, not work
_WAITING = ("acquire' of '_thread.lock", "threading.py", "queue.py", "idle.py", "wait_idle")


def hot_spots(stats: pstats.Stats, count: int) -> str:
    """The functions that take the time, per round trip, idle waiting left out."""
    rows = [
        (f"{Path(file).name}:{line}({name})" if file != "~" else name, nc, tt, ct, file)
        for (file, line, name), (_, nc, tt, ct, _) in stats.stats.items()  # type: ignore[attr-defined]
        if not any(w in f"{file}{name}" for w in _WAITING)
    ]
    busy = sum(r[2] for r in rows)
    lines = [f"busy CPU under the profiler: {busy / count * 1000:.2f} ms per round trip", "self time (top 25):"]
    lines += [
        f"  {tt / busy:6.1%}  {nc / count:6.1f} calls/rt  {where}"
        for where, nc, tt, _, _ in sorted(rows, key=lambda r: -r[2])[:25]
    ]
    lines.append("linli functions by time including callees (top 20):")
    lines += [
        f"  {ct / busy:6.1%}  {nc / count:6.1f} calls/rt  {where}"
        for where, nc, _, ct, file in sorted(rows, key=lambda r: -r[3])
        if "/linli/" in file
    ][:20]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=positive, default=5, help="timed rounds of --count; the best one counts")
    parser.add_argument("--profile-count", type=int, default=500)
    parser.add_argument(
        "--synchronous",
        choices=("normal", "full"),
        default="normal",
        help="[storage] sqlite_synchronous; full flushes the WAL to disk at every commit",
    )
    args = parser.parse_args()
    figures = measure(args.count, args.rounds, args.synchronous)
    report = profile(args.profile_count)
    lat = figures["latency"]
    summary = "\n".join(
        [
            f"embedded (in-process broker, 4 threads, SQLite WAL, synchronous={args.synchronous}): "
            f"{figures['per_second']} round trips/s "
            f"sequential /whoami (target >= 4000/s), best of {figures['rounds_per_second']}, median "
            f"{figures['median_per_second']}/s; p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms (n={lat['n']})",
            "cProfile of the same loop, all threads (the profiler slows it; read the shares, not the times):",
            report,
        ]
    )
    write_result("embedded_roundtrips", {"figures": figures, "profile": report}, summary)


if __name__ == "__main__":
    main()
