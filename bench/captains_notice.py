"""Benchmark: a captains' notice to the rooms of 681 buildings on Telegram (issue 15: within
1.1 × the flood-limit floor, no 429).

A community worker sends ``/notice all …`` in their private chat with the bot; real ``linli
worker`` processes on the Redis broker and PostgreSQL handle the command (the captains plugin
looks up the 681 buildings of the register and their rooms, writes one outbox row per room) and
deliver the rows to the fake Bot API (``linli.testing.telegram.FakeBotApi``), which accepts 30
messages a second from the bot (sliding window), 20 a minute in a group, and answers 429 beyond.
The floor is 681 / 30 = 22.7 s. Measured: from the worker's command entering the queue to the
last building room's message accepted, and how many 429s the fake had to answer.

    python bench/captains_notice.py [--buildings 681] [--processes 2] [--threads 8]
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
    positive,
    postgres_schema,
    redis_client,
    wait_for_heartbeats,
    write_result,
)

DISTRICT = "bench"
GRIDS = 24
STAFF_CHAT = 4242  # the worker's private chat with the bot


def settings_text(database: str, api_url: str, groups: list[int], threads: int, per_second: int) -> str:
    """The deployment: one district with the captains plugin, a Telegram group per building."""
    rooms = ", ".join(f'"telegram:{g}"' for g in groups)
    building_rooms = ", ".join(f'"{n + 1}号楼" = "telegram:{g}"' for n, g in enumerate(groups))
    return (
        f'[storage]\nurl = "{database}"\n'
        f'[queue]\nbroker = "{REDIS_URL}"\nworker_threads = {threads}\nworker_timeout_ms = 50\n'
        '[logging]\nlevel = "warning"\nformat = "json"\n'
        f'[platforms.telegram]\napi_url = "{api_url}"\nper_second = {per_second}\n'
        f'[districts.{DISTRICT}]\nname = "清河社区"\nlanguage = "zh_CN"\nrooms = [{rooms}]\n'
        'plugins = ["basics", "captains"]\n'
        f"[districts.{DISTRICT}.config.captains]\nbuilding_rooms = {{ {building_rooms} }}\n"
    )


def register(rt: object, buildings: int) -> None:
    """The register's 681 buildings in 24 grids, and the community worker (staff, consented)."""
    import sqlalchemy as sa

    from linli.core import people
    from linli.core.register import Registry
    from linli.core.storage import schema as s

    with rt.store.begin() as conn:  # type: ignore[attr-defined]
        reg = Registry(conn, DISTRICT, actor="cli:bench")
        for n in range(buildings):
            reg.add_building(f"{n + 1}号楼", grid=f"第{n % GRIDS + 1}网格")
        worker = people.person_for(conn, f"telegram:{STAFF_CHAT}", "王主任")
        assert worker is not None
        people.grant_role(conn, worker.id, DISTRICT, "staff", by="bench")
        people.record_consent(conn, worker.id, rt.settings.privacy.notice_version, True)  # type: ignore[attr-defined]
        conn.execute(sa.update(s.persons).where(s.persons.c.id == worker.id).values(home_district=DISTRICT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=positive, default=681)
    parser.add_argument("--processes", type=positive, default=2)
    parser.add_argument("--threads", type=positive, default=8)
    parser.add_argument("--per-second", type=positive, default=30, help="the bot's limit linli keeps to")
    args = parser.parse_args()

    from linli.core.events import Address, Inbound, Sender
    from linli.core.settings import load_settings
    from linli.testing.telegram import FakeBotApi
    from linli.workers.runtime import Runtime

    client = redis_client()
    groups = [-1_000_000_000_000 - n for n in range(args.buildings)]
    wanted = set(groups)
    with FakeBotApi(per_second=30) as api, postgres_schema() as database, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings_path = folder / "settings.toml"
        settings_path.write_text(
            settings_text(database, api.url, groups, args.threads, args.per_second), encoding="utf-8"
        )
        rt = Runtime(load_settings(settings_path, env={}))
        rt.prepare_database()
        register(rt, args.buildings)
        workers = linli_worker(
            settings_path,
            processes=args.processes,
            threads=args.threads,
            log=folder / "worker.log",
            env={"LINLI_TELEGRAM_TOKEN": api.token},
        )

        def delivered() -> list[dict[str, object]]:
            with api.lock:
                return [m for m in api.sent if int(m["chat_id"]) in wanted]

        try:
            wait_for_heartbeats(client, args.processes, workers)
            notice = "【通知】本周六上午九点，社区广场开展垃圾分类宣传活动，欢迎居民参加。"
            command = Inbound(
                "bench-notice-1",
                Address("telegram", str(STAFF_CHAT)),
                Sender("telegram", str(STAFF_CHAT), "王主任"),
                text=f"/通知 全社区 {notice}",
                private=True,
            )
            start = time.perf_counter()
            rt.submit(command)
            first = None
            deadline = time.monotonic() + max(120.0, args.buildings / 30 * 4)
            while (count := len(delivered())) < len(groups):
                if first is None and count:
                    first = time.perf_counter() - start
                if time.monotonic() > deadline or workers.proc.poll() is not None:
                    replies = [m["text"] for m in api.sent if int(m["chat_id"]) == STAFF_CHAT]
                    raise SystemExit(
                        f"{count} of {len(groups)} sent; the bot answered the worker {replies!r}; workers said:\n"
                        f"{(folder / 'worker.log').read_text(errors='replace')[-3000:]}"
                    )
                time.sleep(0.02)
            elapsed = time.perf_counter() - start
            told = time.monotonic() + 10  # the worker's answer goes out after the rooms' (same outbox)
            while not (reply := next((m["text"] for m in api.sent if int(m["chat_id"]) == STAFF_CHAT), "")):
                if time.monotonic() > told:
                    break
                time.sleep(0.05)
            sample = delivered()[0]["text"]
        finally:
            workers.stop()
            rt.close()
    floor = len(groups) / 30
    data = {
        "buildings": len(groups),
        "processes": args.processes,
        "threads": args.threads,
        "per_second": args.per_second,
        "seconds": round(elapsed, 2),
        "first_room_seconds": round(first or 0.0, 3),
        "floor_seconds": round(floor, 2),
        "over_floor": round(elapsed / floor, 3),
        "messages_per_second": round(len(groups) / elapsed, 2),
        "http_429": api.too_many,
        "send_calls": api.calls["sendMessage"],
        "reply": reply,
        "notice": sample,
    }
    write_result(
        "captains_notice",
        data,
        f"/notice to {len(groups)} building rooms in {elapsed:.1f} s (floor {floor:.1f} s, x{elapsed / floor:.2f}), "
        f"first room after {first or 0.0:.2f} s, {api.too_many} 429s, {api.calls['sendMessage']} sendMessage calls; "
        f"the worker was told: {reply}",
    )


if __name__ == "__main__":
    main()
