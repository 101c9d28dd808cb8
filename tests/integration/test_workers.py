"""``linli worker`` processes on Redis and PostgreSQL: answers, redelivery, crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]


def test_a_worker_process_answers_help(deployment):
    with deployment.worker():
        event = deployment.say("u1", "/help")
        [reply] = deployment.replies_to(event)
    assert "/whoami" in reply["text"]
    assert reply["address"] == {"platform": "test", "room": "group", "thread": None}


def test_an_event_submitted_twice_is_answered_once(deployment):
    event = deployment.inbound("u1", "/whoami")
    with deployment.worker():
        deployment.rt.submit(event)
        deployment.rt.submit(event)
        deployment.replies_to(event.event_id)
        deployment.wait_idle()
    assert [m["key"] for m in deployment.all_replies()] == [f"{event.event_id}:basics.whoami:m0"]


def test_a_suggestion_filed_through_worker_processes_is_stored_once_in_postgresql(deployment):
    from linli.plugins.suggestions.tables import suggestions

    with deployment.worker():
        [prompt] = deployment.replies_to(deployment.say("u2", "/suggest 楼道灯坏了"))
        repairs = next(c for c in prompt["choices"] if c["value"].endswith(":repairs"))
        pick = deployment.inbound("u2", repairs["label"], kind="choice", choice=repairs["value"])
        deployment.rt.submit(pick)
        deployment.rt.submit(pick)  # redelivered by the platform: the same event id
        [thanks] = deployment.replies_to(pick.event_id)
        deployment.wait_idle()
    with deployment.rt.store.connect() as conn:
        rows = conn.execute(sa.select(suggestions.c.district_id, suggestions.c.category, suggestions.c.text)).all()
    assert [tuple(r) for r in rows] == [("t", "repairs", "楼道灯坏了")]
    assert [m["key"] for m in deployment.all_replies() if m["key"].startswith(pick.event_id)] == [thanks["key"]]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def test_a_worker_killed_mid_stream_loses_no_event(deployment):
    # Worker A handles events and plugin calls only, worker B everything: killing A while it
    # holds unacknowledged messages tests their redelivery. (A worker killed while delivering
    # would hold the room's delivery lock until its TTL; see docs/operations.md.)
    recovery = {"LINLI_QUEUE_HEARTBEAT_TIMEOUT_MS": "2000", "LINLI_QUEUE_MAINTENANCE_CHANCE": "100000"}
    a = deployment.start_worker("--queues", "linli.events,linli.plugin.basics,linli.plugin.suggestions", **recovery)
    [a_id] = deployment.wait_for_heartbeats(1)
    deployment.start_worker(**recovery)
    deployment.wait_for_heartbeats(2)

    def held_by_a() -> int:
        return sum(deployment.redis.scard(key) for key in deployment.redis.scan_iter(f"dramatiq:__acks__.{a_id}.*"))

    events = [deployment.say(f"u{n % 10}", "/whoami") for n in range(200)]
    # kill A the moment it holds messages: it dispatches and handles each event inline, so
    # waiting for a first reply could find it idle again
    deadline = time.monotonic() + 30
    while not held_by_a() and time.monotonic() < deadline:
        time.sleep(0.001)
    [child] = a.children()
    os.kill(child, signal.SIGKILL)
    while not _gone(child):
        time.sleep(0.01)
    unacked = held_by_a()

    for event in events:
        deployment.replies_to(event)
    stream = {f"{e}:basics.whoami:m0" for e in events}
    keys = [m["key"] for m in deployment.all_replies() if m["key"] in stream]
    assert unacked > 0, "worker A held no message when it was killed: the test proved nothing"
    assert sorted(keys) == sorted(stream)  # each once: worker A never delivered, so nothing twice


def test_the_console_gateway_prints_the_replies_to_piped_input(deployment):
    with deployment.worker():
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "linli",
                "--settings",
                str(deployment.settings_path),
                "gateway",
                "--platform",
                "console",
                "--as",
                "王五",
            ],
            input=b"/help\n/whoami\n",
            capture_output=True,
            env=deployment.env(),
            timeout=60,
        )
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    # each line's replies are printed before the next line is read, the last ones before it exits
    assert out.index("/whoami —") < out.index("王五> /whoami") < out.rindex("linli ›")
