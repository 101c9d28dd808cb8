"""Whether the broker's Redis keeps linli's queues across a restart: asked, not assumed.

Each case runs against a redis-server of its own, started here on a free port in a
temporary folder (the shared Redis is never reconfigured); the machine's own Redis is
checked as it is.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from linli.core.i18n import translator
from linli.workers.durability import persistence_report, redis_persistence

t = translator("en")
zh = translator("zh_CN")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start a redis-server with the given options; returns its URL. Stopped after the test."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    started: list[subprocess.Popen[bytes]] = []

    def start(*options: str) -> str:
        port = _free_port()
        folder = tmp_path / f"redis-{port}"
        folder.mkdir()
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(proc)
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 20  # a bound for a broken start, not a timing
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()
        return url

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_redis_that_keeps_nothing_on_disk_is_a_warning_that_says_what_is_lost_and_how_to_keep_it(own_redis):
    url = own_redis("--appendonly", "no", "--save", "")
    found = redis_persistence(url)
    assert (found.appendonly, found.save, found.keeps_nothing) == (False, "", True)
    status, line = persistence_report(url, "broker", t) or ("", "")
    assert status == "warn"
    assert line.startswith(f"broker: Redis at {url} keeps nothing on disk")
    assert "platform updates that the gateway has already confirmed" in line and "appendonly yes" in line
    assert persistence_report(url, "中间件", zh) is not None
    assert "磁盘" in persistence_report(url, "中间件", zh)[1]  # type: ignore[index]


def test_a_redis_with_its_append_only_file_is_fine(own_redis):
    url = own_redis("--appendonly", "yes", "--appendfsync", "everysec", "--save", "")
    assert persistence_report(url, "broker", t) == (
        "ok",
        f"broker: Redis at {url} writes its queues to its append-only file (appendfsync everysec)",
    )


def test_a_redis_with_snapshots_only_is_a_warning_that_names_them(own_redis):
    url = own_redis("--appendonly", "no", "--save", "3600 1 300 100")
    status, line = persistence_report(url, "broker", t) or ("", "")
    assert status == "warn" and "keeps only snapshots (save 3600 1 300 100)" in line


def test_a_redis_that_cannot_be_asked_is_a_warning_not_a_crash_and_hides_the_password():
    status, line = persistence_report("redis://:hunter2@127.0.0.1:1/0", "broker", t) or ("", "")
    assert status == "unknown" and "cannot tell whether Redis at redis://:***@127.0.0.1:1/0" in line
    assert "hunter2" not in line


def test_another_broker_is_not_checked():
    assert persistence_report("amqp://guest@127.0.0.1", "broker", t) is None
    assert persistence_report("memory://", "broker", t) is None


def test_the_machines_redis_is_reported_as_it_is(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        aof = client.config_get("appendonly")["appendonly"] == "yes"
        save = client.config_get("save")["save"]
    finally:
        client.close()
    status, line = persistence_report(redis_url, "broker", t) or ("", "")
    if aof:
        assert status == "ok", line
    else:
        assert status == "warn" and ("keeps nothing on disk" in line if not save else "snapshots" in line)


def test_a_managed_redis_that_refuses_config_get_is_unknown_not_a_loss(own_redis):
    url = own_redis("--appendonly", "yes", "--rename-command", "CONFIG", "")
    status, line = persistence_report(url, "broker", t) or ("", "")
    assert status == "unknown" and line.startswith(f"broker: cannot tell whether Redis at {url} keeps its queues")
