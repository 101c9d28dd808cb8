"""Benchmark: one notice to 681 groups through the fake Bot API, which accepts 30
messages a second from the bot (sliding window) and answers 429 beyond.

Real ``linli worker`` processes on the Redis broker and PostgreSQL deliver the 681
outbox rows; the flood limits they share through Redis should keep them just under
Telegram's rate. The floor is 681 / 30 = 22.7 s. Measured: the time from enqueueing to
the last accepted message, and how many 429s the fake had to answer.

    python bench/telegram_broadcast.py [--groups 681] [--processes 2] [--threads 8]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    REDIS_URL,
    linli_worker,
    postgres_schema,
    redis_client,
    wait_for_heartbeats,
    write_result,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=681)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--per-second", type=int, default=30, help="the bot's limit linli keeps to")
    args = parser.parse_args()

    from linli.core import outbox
    from linli.core.events import Address, Outbound
    from linli.core.settings import load_settings
    from linli.testing.telegram import FakeBotApi
    from linli.workers.runtime import Runtime

    client = redis_client()
    groups = [-1_000_000_000_000 - n for n in range(args.groups)]
    with FakeBotApi(per_second=30) as api, postgres_schema() as database, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rooms = ", ".join(f'"telegram:{g}"' for g in groups)
        settings_path = folder / "settings.toml"
        settings_path.write_text(
            f'[storage]\nurl = "{database}"\n'
            f'[queue]\nbroker = "{REDIS_URL}"\nworker_threads = {args.threads}\nworker_timeout_ms = 50\n'
            '[logging]\nlevel = "warning"\nformat = "json"\n'
            f'[platforms.telegram]\napi_url = "{api.url}"\nper_second = {args.per_second}\n'
            f'[districts.bench]\nname = "基准社区"\nrooms = [{rooms}]\nplugins = ["basics"]\n',
            encoding="utf-8",
        )
        rt = Runtime(load_settings(settings_path, env={}))
        rt.prepare_database()
        workers = linli_worker(
            settings_path,
            processes=args.processes,
            threads=args.threads,
            log=folder / "worker.log",
            env={"LINLI_TELEGRAM_TOKEN": api.token},
        )
        try:
            wait_for_heartbeats(client, args.processes, workers)
            notice = "【通知】本周六上午九点，社区广场开展垃圾分类宣传活动，欢迎居民参加。"
            with rt.store.begin() as conn:
                for n, group in enumerate(groups):
                    outbox.add_message(
                        conn, Outbound(Address("telegram", str(group)), notice, key=f"bench:{n}"), "bench"
                    )
            start = time.perf_counter()
            for group in groups:
                rt.queue.delivery_actors["telegram"].send(f"telegram:{group}")
            deadline = time.monotonic() + max(120.0, args.groups / 30 * 4)
            while len(api.sent) < len(groups):
                if time.monotonic() > deadline or workers.proc.poll() is not None:
                    raise SystemExit(
                        f"{len(api.sent)} of {len(groups)} sent; workers said:\n"
                        f"{(folder / 'worker.log').read_text(errors='replace')[-3000:]}"
                    )
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
        finally:
            workers.stop()
            rt.close()
    floor = len(groups) / 30
    data = {
        "groups": len(groups),
        "processes": args.processes,
        "threads": args.threads,
        "per_second": args.per_second,
        "seconds": round(elapsed, 2),
        "floor_seconds": round(floor, 2),
        "over_floor": round(elapsed / floor, 3),
        "messages_per_second": round(len(groups) / elapsed, 2),
        "http_429": api.too_many,
        "send_calls": api.calls["sendMessage"],
    }
    write_result(
        "telegram_broadcast",
        data,
        f"{len(groups)} groups in {elapsed:.1f} s (floor {floor:.1f} s, x{elapsed / floor:.2f}), "
        f"{len(groups) / elapsed:.1f} msg/s, {api.too_many} 429s, "
        f"{api.calls['sendMessage']} sendMessage calls",
    )


if __name__ == "__main__":
    main()
