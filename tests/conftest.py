"""Shared fixtures: real Redis and PostgreSQL when they run here.

Without the server a test that needs it is skipped locally and fails on CI
(``CI`` set): a skipped Redis test on CI would hide a broken set-up.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from linli.core import directory, people
from linli.core.calendar import WorkingDays
from linli.core.clock import FrozenClock
from linli.core.directory import DirectoryCache
from linli.core.dispatcher import Dispatcher
from linli.core.events import Address, Inbound, Sender
from linli.core.plugin import N_, Manifest, Plugin, PluginContext, command
from linli.core.registry import PluginRegistry
from linli.core.settings import DistrictSettings
from linli.core.storage import Store
from linli.core.storage.migrate import migration_dirs
from linli.pipeline import Deliver, Dispatch, Handle
from linli.pipeline.locks import LocalRoomLocks
from linli.testing import RecordingAdapter

REDIS_URL = os.environ.get("LINLI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RABBITMQ_URL = os.environ.get("LINLI_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_URL = os.environ.get("LINLI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def need(service: str, port: int) -> None:
    if not _reachable(port):
        if os.environ.get("CI"):
            pytest.fail(f"{service} is not running on 127.0.0.1:{port}, and CI needs it")
        pytest.skip(f"{service} is not running on 127.0.0.1:{port}")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database emptied before and after the test."""
    need("Redis", 6379)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema of its own, dropped after the test."""
    need("PostgreSQL", 5432)
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def rabbitmq_url() -> str:
    """The RabbitMQ server."""
    need("RabbitMQ", 5672)
    return RABBITMQ_URL


# --- the pipeline's steps built by hand, without a broker or a runtime (tests/pipeline, tests/transport)

GROUP = Address("test", "group")


class Echo(Plugin):
    """Answers, refuses, crashes, fails for now or publishes, and counts its runs."""

    manifest = Manifest(name="echo", version="1.0")
    runs = 0

    @command("echo", help=N_("Say it back"))
    def echo(self, ctx: PluginContext) -> None:
        type(self).runs += 1
        ctx.reply(f"echo: {ctx.argtext}")

    @command("refuse", help=N_("Refuse"))
    def refuse(self, ctx: PluginContext) -> None:
        type(self).runs += 1
        ctx.reply("you should not read this")
        raise ctx.fail("No.")

    @command("locked", help=N_("Fail for now"))
    def locked(self, ctx: PluginContext) -> None:
        import sqlalchemy as sa

        type(self).runs += 1
        raise sa.exc.OperationalError("UPDATE x", {}, Exception("database is locked"))

    @command("shout", help=N_("Publish"))
    def shout(self, ctx: PluginContext) -> None:
        ctx.publish("echo.shouted", {"text": ctx.argtext})
        ctx.reply("shouted")


class Steps:
    """The three steps over one database, and what they share."""

    def __init__(self, url: str) -> None:
        Echo.runs = 0
        self.clock = FrozenClock(dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC))
        # no basics plugin: the steps need none, and the people here have consented already
        self.registry = PluginRegistry([Echo])
        self.store = Store(url, migration_dirs=migration_dirs(self.registry.packages()))
        self.store.upgrade()
        district = DistrictSettings(id="test", name="Test", language="en", rooms=("test:group",), plugins=("echo",))
        with self.store.begin() as conn:
            directory.seed_districts(conn, [district])
            person = people.person_for(conn, "test:张三", "张三")
            assert person is not None
            people.record_consent(conn, person.id, 1, True)
        cache = DirectoryCache()
        self.adapter = RecordingAdapter()
        self.adapters = {"test": self.adapter}
        self.locks = LocalRoomLocks()
        self.dispatch = Dispatch(
            self.store, Dispatcher(self.store, self.registry, cache, self.clock, 1, "en"), self.registry, self.clock
        )
        self.handle = Handle(self.store, self.registry, cache, self.clock, WorkingDays(), 1)
        self.deliver = Deliver(self.store, self.adapters, self.locks, self.clock, max_retries=3)

    def says(self, text: str, event_id: str = "e1", who: str = "张三") -> Inbound:
        return Inbound(event_id, GROUP, Sender("test", who, who), text=text)

    def sent(self) -> list[str]:
        return [m.text for m in self.adapter.sent]


@pytest.fixture
def steps(tmp_path: Path) -> Iterator[Steps]:
    s = Steps(f"sqlite:///{tmp_path / 'linli.db'}")
    yield s
    s.store.dispose()
