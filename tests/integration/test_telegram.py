"""A Telegram deployment as processes: ``linli gateway --platform telegram`` and
``linli worker`` against the fake Bot API (real HTTP on loopback), the Redis broker and
PostgreSQL. Nothing is lost or doubled across a SIGKILL, a 429 storm only delays,
long replies are split, buttons work, a forged webhook request is refused."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from linli.pipeline import Next
from linli.testing.telegram import FakeBotApi

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

GROUPS = (-1001, -1002, -1003, -1004)
WAIT = 40.0


class TelegramDeployment:
    """Settings, a fake Bot API, the database prepared, and the processes started by the test."""

    def __init__(self, path: Path, api: FakeBotApi, *, redis_url: str, postgres_url: str) -> None:
        from linli.core import people
        from linli.core.settings import load_settings
        from linli.workers.runtime import Runtime

        self.path, self.api = path, api
        self.webhook_port = _free_port()
        rooms = ", ".join(f'"telegram:{g}"' for g in GROUPS)
        self.settings_path = path / "settings.toml"
        self.settings_path.write_text(
            f'[storage]\nurl = "{postgres_url}"\n'
            f'[queue]\nbroker = "{redis_url}"\nworker_threads = 2\nworker_timeout_ms = 50\n'
            '[logging]\nlevel = "warning"\nformat = "json"\n'
            f'[platforms.telegram]\napi_url = "{api.url}"\npoll_timeout = 1\n'
            f'webhook_url = "https://bot.example.invalid/tg"\nwebhook_listen = "127.0.0.1:{self.webhook_port}"\n'
            'webhook_secret = "right-secret"\n'
            f'[districts.t]\nname = "测试社区"\nrooms = [{rooms}]\nplugins = ["core", "suggestions"]\n',
            encoding="utf-8",
        )
        self.settings = load_settings(self.settings_path, env={})
        self.rt = Runtime(self.settings)
        self.rt.prepare_database()
        with self.rt.store.begin() as conn:
            for n in range(5):
                person = people.person_for(conn, f"telegram:{1000 + n}", f"居民{n}")
                assert person is not None
                people.record_consent(conn, person.id, self.settings.privacy.notice_version, True)
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = self.path / f"proc-{len(self.procs)}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
        env["LINLI_TELEGRAM_TOKEN"] = self.api.token
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "linli", "--settings", str(self.settings_path), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        self.procs.append((proc, log))
        return proc

    def worker(self) -> subprocess.Popen[bytes]:
        return self.start("worker", "--processes", "1", "--threads", "4")

    def gateway(self, *args: str) -> subprocess.Popen[bytes]:
        return self.start("gateway", "--platform", "telegram", *args)

    def outputs(self) -> str:
        return "\n".join(f"--- {p.args[4:6]}\n{log.read_text(errors='replace')}" for p, log in self.procs)

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not condition():
            if time.monotonic() > deadline:
                api = self.api
                pytest.fail(
                    f"{what} after {WAIT} s; the fake Bot API: {len(api.sent)} sent, {api.too_many} 429s, "
                    f"calls {dict(api.calls)}, {api.pending()} updates pending; processes said:\n"
                    f"{self.outputs()}"
                )
            time.sleep(0.1)

    def replies_by_event(self) -> dict[str, list[str]]:
        """The outbox rows each Telegram update caused, by event id."""
        from linli.core.storage import schema as s

        with self.rt.store.connect() as conn:
            rows = conn.execute(sa.select(s.outbox.c.key, s.outbox.c.status)).all()
        found: dict[str, list[str]] = {}
        for key, status in rows:
            platform, bot, update, *_ = key.split(":")
            found.setdefault(f"{platform}:{bot}:{update}", []).append(status)
        return found

    def close(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=WAIT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.rt.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def tg(tmp_path: Path, redis_url: str, postgres_url: str) -> Iterator[TelegramDeployment]:
    import redis

    # a database of its own on the same server: another test run's workers on the shared
    # test database would take these tests' messages (and its flushdb their queues). Two below
    # the test database (13 beside the default 15), so that runs given different test
    # databases (LINLI_TEST_REDIS_URL) do not share it either.
    parts = urlsplit(redis_url)
    own = urlunsplit(parts._replace(path=f"/{(int(parts.path.strip('/') or 0) - 2) % 16}"))
    client = redis.Redis.from_url(own)
    client.flushdb()
    with FakeBotApi() as api:
        deployment = TelegramDeployment(tmp_path, api, redis_url=own, postgres_url=postgres_url)
        yield deployment
        deployment.close()
    client.flushdb()
    client.close()


def event_id(api: FakeBotApi, update_id: int) -> str:
    return f"telegram:{api.bot_id}:{update_id}"


def test_no_update_is_lost_or_doubled_when_the_gateway_is_killed_and_restarted(tg):
    api = tg.api
    updates = [api.push_message(GROUPS[n % 4], "/help", user_id=1000 + n % 5) for n in range(16)]
    tg.worker()
    gateway = tg.gateway()
    tg.wait_for(lambda: len(tg.replies_by_event()) >= 3, "no reply")
    gateway.send_signal(signal.SIGKILL)
    gateway.wait()
    updates += [api.push_message(GROUPS[n % 4], "/help", user_id=1000 + n % 5) for n in range(8)]
    tg.gateway()
    wanted = {event_id(api, u) for u in updates}
    tg.wait_for(lambda: wanted <= set(tg.replies_by_event()) and api.pending() == 0, "not every update answered")
    tg.wait_for(lambda: all(s == ["sent"] for s in tg.replies_by_event().values()), "replies not all sent")
    replies = tg.replies_by_event()
    assert set(replies) == wanted
    assert len(api.sent) == len(updates)  # one reply each: nothing doubled on the way out either


def test_a_429_storm_delays_replies_but_loses_none(tg):
    api = tg.api
    api.storm = 12
    updates = [api.push_message(GROUPS[n % 2], "/help", user_id=1000 + n % 5) for n in range(6)]
    tg.worker()
    tg.gateway()
    wanted = {event_id(api, u) for u in updates}
    tg.wait_for(lambda: len(api.sent) == len(updates), "replies missing after the storm")
    assert api.too_many >= 12
    assert set(tg.replies_by_event()) == wanted


def test_a_4097_character_reply_arrives_as_two_messages(tg):
    from linli.core import outbox
    from linli.core.events import Address, Outbound

    tg.worker()
    text = "长" * 4000 + "\n" + "文" * 96
    with tg.rt.store.begin() as conn:
        outbox.add_message(conn, Outbound(Address("telegram", str(GROUPS[0])), text, key="long:1"), "t")
    tg.rt.transport.send(Next(rooms=[f"telegram:{GROUPS[0]}"]))
    tg.wait_for(lambda: len(tg.api.sent_to(GROUPS[0])) == 2, "the long reply did not arrive")
    first, second = tg.api.sent_to(GROUPS[0])
    assert first["text"] + "\n" + second["text"] == text


def test_a_button_press_reaches_the_plugin_and_is_answered(tg):
    api = tg.api
    api.push_message(GROUPS[0], "/privacy", user_id=1001)
    tg.worker()
    tg.gateway()
    tg.wait_for(lambda: len(api.sent_to(GROUPS[0])) == 1, "no privacy notice")
    [notice] = api.sent_to(GROUPS[0])
    press = api.push_press(notice, 0, user_id=1001)
    tg.wait_for(lambda: len(api.sent_to(GROUPS[0])) == 2 and api.answered, "the press was not handled")
    assert event_id(api, press) in tg.replies_by_event()
    assert "/help" in api.sent_to(GROUPS[0])[1]["text"]


def test_a_start_link_alone_opens_no_district_in_a_private_chat(tg):
    """t.me/<bot>?start=t: someone never seen in any group of the district is told how to join
    and sees nothing of it (membership comes from its groups, roles or register, docs/admin.md)."""
    api = tg.api
    api.push_message(4242, "/start t", user_id=4242, name="新居民")
    tg.worker()
    tg.gateway()
    tg.wait_for(lambda: len(api.sent_to(4242)) >= 1, "no answer to /start")
    texts = [m["text"] for m in api.sent_to(4242)]
    assert any("还不是这个社区的成员" in t for t in texts)
    assert not any("/suggest" in t or t.startswith("测试社区") for t in texts)


def test_a_forged_webhook_request_is_refused_and_a_real_one_answered(tg):
    api = tg.api
    tg.worker()
    tg.gateway("--webhook")
    tg.wait_for(lambda: api.webhook is not None, "the webhook was not registered")
    url = f"http://127.0.0.1:{tg.webhook_port}/telegram"
    update = {"update_id": 900, "message": api.message(GROUPS[1], "/help", user_id=1002)}
    assert _post(url, update, "forged") == 403
    assert _post(url, update, "right-secret") == 200
    tg.wait_for(lambda: len(api.sent_to(GROUPS[1])) == 1, "no reply to the webhook update")
    assert set(tg.replies_by_event()) == {event_id(api, 900)}


def _post(url: str, body: dict[str, Any], secret: str) -> int:
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
    deadline = time.monotonic() + WAIT
    while True:
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, json.dumps(body).encode(), headers), timeout=10
            ) as response:
                status: int = response.status
                return status
        except urllib.error.HTTPError as exc:
            return exc.code
        except urllib.error.URLError:  # still starting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
