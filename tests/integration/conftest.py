"""A deployment on real servers: ``linli worker`` processes on Redis (or RabbitMQ) and
PostgreSQL, events submitted from the test process, replies read from the ``test``
platform's Redis list.

RabbitMQ, like Redis and PostgreSQL, is skipped when it is not running here and
fails the test on CI (``CI`` set).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPLIES = "linli-test:replies"
GROUP = "group"
#: generous bounds for work to arrive; they only stop a broken test from hanging
WAIT = 30.0


class WorkerProcess:
    """A ``linli worker`` command running in a subprocess (the Dramatiq parent)."""

    def __init__(self, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.proc = proc
        self.log = log

    def children(self) -> list[int]:
        """The worker processes the Dramatiq parent started."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Deployment:
    """The settings file, a runtime in the test process to submit with, the reply list.

    Parameters:
      path: a folder for the settings file and the workers' logs.
      broker: the broker URL.
      redis_url: the Redis database of the reply list (and of the broker, when it is Redis).
      postgres_url: the database.
    """

    def __init__(self, path: Path, *, broker: str, redis_url: str, postgres_url: str) -> None:
        import redis

        from linli.core import people
        from linli.core.settings import load_settings
        from linli.workers.runtime import Runtime

        self.path = path
        self.settings_path = path / "settings.toml"
        self.settings_path.write_text(
            f'[storage]\nurl = "{postgres_url}"\n'
            f'[queue]\nbroker = "{broker}"\nrate_limit_url = "{redis_url}"\n'
            "worker_threads = 2\nworker_timeout_ms = 50\n"
            '[logging]\nlevel = "warning"\nformat = "json"\n'
            f'[platforms.test]\nkind = "redis-list"\nurl = "{redis_url}"\nlist = "{REPLIES}"\n'
            '[districts.t]\nname = "测试社区"\nrooms = ["test:group"]\nplugins = ["core", "suggestions"]\n',
            encoding="utf-8",
        )
        self.settings = load_settings(self.settings_path, env={})
        self.rt = Runtime(self.settings)
        self.rt.prepare_database()
        with self.rt.store.begin() as conn:
            for n in range(10):
                person = people.person_for(conn, f"test:u{n}", f"居民{n}")
                assert person is not None
                people.record_consent(conn, person.id, self.settings.privacy.notice_version, True)
        self.redis = redis.Redis.from_url(redis_url)
        self.workers: list[WorkerProcess] = []
        self._seen: list[dict[str, Any]] = []

    # --- processes ----------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
        return {**env, **extra}

    def start_worker(self, *args: str, **env: str) -> WorkerProcess:
        """``linli worker ARGS`` in a subprocess, started but not necessarily consuming yet."""
        log = self.path / f"worker-{len(self.workers)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "linli",
                    "--settings",
                    str(self.settings_path),
                    "worker",
                    "--processes",
                    "1",
                    "--threads",
                    "2",
                    *args,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env(**env),
            )
        worker = WorkerProcess(proc, log)
        self.workers.append(worker)
        return worker

    def wait_for_heartbeats(self, count: int) -> list[str]:
        """Wait until ``count`` Redis broker processes have polled; returns their broker ids, oldest first."""
        deadline = time.monotonic() + WAIT
        while True:
            ids = [i.decode() for i in self.redis.zrange("dramatiq:__heartbeats__", 0, -1)]
            if len(ids) >= count:
                return ids
            for worker in self.workers:
                if worker.proc.poll() is not None:
                    pytest.fail(f"linli worker exited with {worker.proc.returncode}:\n{worker.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{len(ids)} of {count} worker processes are polling after {WAIT} s")
            time.sleep(0.05)

    @contextmanager
    def worker(self, *args: str) -> Iterator[WorkerProcess]:
        worker = self.start_worker(*args)
        try:
            yield worker
        finally:
            worker.stop()

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.rt.close()
        self.redis.close()

    # --- talking ----------------------------------------------------------------------

    def inbound(self, who: str, text: str, **kw: Any) -> Any:
        from linli.core.events import Address, Inbound, Sender

        return Inbound(f"it:{uuid.uuid4().hex}", Address("test", GROUP), Sender("test", who, who), text=text, **kw)

    def say(self, who: str, text: str, **kw: Any) -> str:
        """Submit what ``who`` says in the group; returns the event id."""
        inbound = self.inbound(who, text, **kw)
        self.rt.submit(inbound)
        return str(inbound.event_id)

    def replies_to(self, event_id: str, count: int = 1) -> list[dict[str, Any]]:
        """Wait for ``count`` replies to ``event_id`` (keys start with it); others are kept for later."""
        deadline = time.monotonic() + WAIT
        while True:
            found = [m for m in self._seen if m["key"].startswith(f"{event_id}:")]
            if len(found) >= count:
                return found
            # in short waits: redis-py gives up reading a socket after 5 s by default
            item = self.redis.blpop([REPLIES], timeout=1)
            if item is not None:
                self._seen.append(json.loads(item[1]))
            elif time.monotonic() > deadline:
                outputs = "\n".join(w.output() for w in self.workers)
                others = [(m["key"], m["text"][:80]) for m in self._seen][-5:]
                pytest.fail(
                    f"{len(found)} of {count} replies to {event_id} after {WAIT} s; last replies: {others}; "
                    f"workers said:\n{outputs}"
                )

    def all_replies(self) -> list[dict[str, Any]]:
        """Every reply delivered so far, read or not."""
        while (item := self.redis.lpop(REPLIES)) is not None:
            self._seen.append(json.loads(item))
        return list(self._seen)

    def wait_idle(self) -> None:
        """Wait until the Redis broker has no message left anywhere (queued, in progress, delayed)."""
        from linli.workers.console_gateway import broker_idle

        deadline = time.monotonic() + WAIT
        while not broker_idle(self.rt.broker):
            if time.monotonic() > deadline:
                pytest.fail(f"the broker is still busy after {WAIT} s")
            time.sleep(0.05)


@pytest.fixture
def deployment(tmp_path: Path, redis_url: str, postgres_url: str) -> Iterator[Deployment]:
    """A deployment on Redis and PostgreSQL; start workers with ``deployment.worker()``."""
    d = Deployment(tmp_path, broker=redis_url, redis_url=redis_url, postgres_url=postgres_url)
    yield d
    d.close()


@pytest.fixture
def rabbitmq_deployment(tmp_path: Path, rabbitmq_url: str, redis_url: str, postgres_url: str) -> Iterator[Deployment]:
    """A deployment on RabbitMQ and PostgreSQL; Redis keeps the reply list and the shared
    delivery locks (``[queue] rate_limit_url``)."""
    d = Deployment(tmp_path, broker=rabbitmq_url, redis_url=redis_url, postgres_url=postgres_url)
    yield d
    d.close()
