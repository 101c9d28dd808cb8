"""Benchmark (c): the memory of one ``linli worker`` process after warm-up, and of
its Dramatiq parent.

One worker process with the default threads on Redis and PostgreSQL handles a
few hundred events; then RSS, PSS and private memory (USS) are read from
``/proc`` for the parent and the worker process.

    python bench/worker_memory.py [--events 500]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    from linli.core.events import Address, Inbound, Sender
    from linli.core.settings import load_settings
    from linli.workers.runtime import Runtime

    client = redis_client()
    with tempfile.TemporaryDirectory() as tmp, postgres_schema() as database:
        path = write_settings(Path(tmp), database, threads=args.threads, timeout_ms=100, rooms=5)
        rt = Runtime(load_settings(path, env={}))
        rt.prepare_database()
        consent_people(rt, 50)
        workers = linli_worker(path, processes=1, threads=args.threads, log=Path(tmp) / "worker.log")
        try:
            wait_for_heartbeats(client, 1, workers)
            booted = {pid: rss_kib(pid) for pid in workers.pids()}
            texts = ["/whoami", "/help", "/suggest 楼道灯坏了", "/cancel"]
            for n in range(args.events):
                who = f"p{n % 50}"
                rt.submit(Inbound(f"m{n}", Address("test", f"room-{n % 5}"), Sender("test", who, who),
                                  text=texts[n % len(texts)]))
            while client.llen(REPLIES) < args.events:
                time.sleep(0.05)
            time.sleep(1)
            parent, child = workers.pids()[:2]
            warm = {"parent": rss_kib(parent), "worker": rss_kib(child)}
        finally:
            workers.stop()
            rt.close()
    client.flushdb()
    mib = {who: {k: round(v / 1024, 1) for k, v in m.items()} for who, m in warm.items()}
    total = round(mib["parent"]["rss"] + mib["worker"]["rss"], 1)
    summary = "\n".join([
        f"linli worker, 1 process x {args.threads} threads, after {args.events} events (target < 60 MB):",
        f"  worker process: RSS {mib['worker']['rss']} MiB, PSS {mib['worker'].get('pss')} MiB, "
        f"private {mib['worker'].get('uss')} MiB",
        f"  Dramatiq parent: RSS {mib['parent']['rss']} MiB, PSS {mib['parent'].get('pss')} MiB, "
        f"private {mib['parent'].get('uss')} MiB",
        f"  together: RSS {total} MiB (shared pages counted twice), "
        f"PSS {round(mib['parent'].get('pss', 0) + mib['worker'].get('pss', 0), 1)} MiB",
    ])
    write_result("worker_memory", {"after_warm_up_mib": mib, "rss_together_mib": total, "events": args.events,
                                   "booted_kib": {str(k): v for k, v in booted.items()}}, summary)


if __name__ == "__main__":
    main()
