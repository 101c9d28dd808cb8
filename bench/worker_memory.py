"""Benchmark (c): the memory of one ``linli worker`` process after warm-up, and of
its Dramatiq parent.

One worker process with the default threads on Redis and PostgreSQL handles a
few hundred events; then RSS, PSS and private memory (USS) are read from
``/proc`` for the parent and the worker process. This is done at each
``[queue] worker_optimize`` level asked for: 2 (the default, ``python -OO``) and 0
(plain ``python``) unless told otherwise.

    python bench/worker_memory.py [--events 500] [--optimize 2 0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    REPLIES,
    consent_people,
    linli_worker,
    postgres_schema,
    redis_client,
    rss_kib,
    wait_for_heartbeats,
    write_result,
    write_settings,
)


def measure(
    client: Any,
    database: str,
    folder: Path,
    *,
    events: int,
    threads: int,
    optimize: int,
) -> dict[str, dict[str, float]]:
    """Start one worker process at ``optimize``, send it ``events``; its and its parent's memory, MiB."""
    from linli.core.events import Address, Inbound, Sender
    from linli.core.settings import load_settings
    from linli.workers.runtime import Runtime

    path = write_settings(folder, database, threads=threads, timeout_ms=100, rooms=5)
    rt = Runtime(load_settings(path, env={}))
    rt.prepare_database()
    consent_people(rt, 50)
    client.delete(REPLIES)
    workers = linli_worker(
        path,
        processes=1,
        threads=threads,
        log=folder / f"worker-O{optimize}.log",
        env={"LINLI_QUEUE_WORKER_OPTIMIZE": str(optimize)},
    )
    try:
        wait_for_heartbeats(client, 1, workers)
        texts = ["/whoami", "/help", "/suggest 楼道灯坏了", "/cancel"]
        for n in range(events):
            who = f"p{n % 50}"
            rt.submit(
                Inbound(
                    f"O{optimize}-m{n}",
                    Address("test", f"room-{n % 5}"),
                    Sender("test", who, who),
                    text=texts[n % len(texts)],
                )
            )
        while client.llen(REPLIES) < events:
            time.sleep(0.05)
        time.sleep(1)
        parent, child = workers.pids()[:2]
        warm = {"parent": rss_kib(parent), "worker": rss_kib(child)}
    finally:
        workers.stop()
        rt.close()
    client.delete("dramatiq:__heartbeats__")
    log = (folder / f"worker-O{optimize}.log").read_text(errors="replace")
    if "modules without bytecode" in log:  # compiled at start: a larger process than installed code makes
        print(
            f"warning: at -O{optimize} the worker compiled modules at start; the figure is too high:\n"
            + next(line for line in log.splitlines() if "modules without bytecode" in line),
            file=sys.stderr,
        )
    return {who: {k: round(v / 1024, 1) for k, v in m.items()} for who, m in warm.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--optimize",
        type=int,
        nargs="+",
        choices=(0, 1, 2),
        default=[2, 0],
        help="the [queue] worker_optimize levels to measure, in this order",
    )
    args = parser.parse_args()

    client = redis_client()
    results: dict[str, dict[str, dict[str, float]]] = {}
    for level in dict.fromkeys(args.optimize):
        with tempfile.TemporaryDirectory() as tmp, postgres_schema() as database:
            results[f"O{level}"] = measure(
                client, database, Path(tmp), events=args.events, threads=args.threads, optimize=level
            )
    client.flushdb()
    lines = [f"linli worker, 1 process x {args.threads} threads, after {args.events} events (target < 60 MB):"]
    for level in dict.fromkeys(args.optimize):
        mib = results[f"O{level}"]
        w, p = mib["worker"], mib["parent"]
        lines += [
            f"  worker_optimize = {level}" + (" (the default)" if level == 2 else ""),
            f"    worker process: RSS {w['rss']} MiB ({w['rss'] * 1.048576:.1f} MB), PSS {w.get('pss')} MiB, "
            f"private {w.get('uss')} MiB",
            f"    Dramatiq parent: RSS {p['rss']} MiB, PSS {p.get('pss')} MiB, private {p.get('uss')} MiB",
        ]
    write_result(
        "worker_memory",
        {"after_warm_up_mib": results, "events": args.events, "threads": args.threads},
        "\n".join(lines),
    )


if __name__ == "__main__":
    main()
