"""The scheduler: jobs fired onto the workers once, one active scheduler, stale outbox rows re-sent."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from linli.core import outbox, scheduling
from linli.core.clock import FrozenClock
from linli.core.errors import SettingsError, StorageError
from linli.core.events import Address, DomainEvent, Outbound, to_json
from linli.core.plugin import EventContext, JobContext, Manifest, Plugin, on_event, scheduled
from linli.core.registry import PluginRegistry
from linli.core.settings import DistrictSettings, QueueSettings, SchedulerSettings, Settings, StorageSettings
from linli.core.storage import Store
from linli.core.storage import schema as s
from linli.plugins.basics import BasicsPlugin
from linli.plugins.suggestions import SuggestionsPlugin
from linli.testing import ChatHarness
from linli.workers.runtime import Runtime
from linli.workers.scheduler import (
    PostgresLeaderLock,
    RedisLeaderLock,
    Scheduler,
    SoleScheduler,
    leader_lock,
    run_scheduler,
)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
CHIMES = Address("test", "chimes")


class Chime(Plugin):
    """Rings every hour into the ``chimes`` room, and when told to by an event."""

    manifest = Manifest(name="chime", version="1.0")

    @scheduled("hourly", "0 * * * *")
    def hourly(self, ctx: JobContext) -> None:
        ctx.send(CHIMES, f"{ctx.fire_time:%H:%M} in {ctx.district.id}")

    @on_event("chime.ring")
    def ring(self, ctx: EventContext) -> None:
        ctx.send(CHIMES, f"rung by {ctx.event.payload['who']}")


PLUGINS = [BasicsPlugin, SuggestionsPlugin, Chime]


@pytest.fixture(autouse=True)
def plugins_of_a_test_module_have_no_package(monkeypatch):
    """A plugin defined in this (top-level) test module has ``""`` as its package, which
    migration_dirs() cannot import; leave it out."""
    packages = PluginRegistry.packages
    monkeypatch.setattr(PluginRegistry, "packages", lambda self: [p for p in packages(self) if p])


@pytest.fixture
def chimes(tmp_path: Path) -> Iterator[ChatHarness]:
    """A district with the chime plugin, at 08:10 on Thursday 26 November 2026."""
    harness = ChatHarness(
        tmp_path, plugins=PLUGINS, enabled=("basics", "chime"), now=dt.datetime(2026, 11, 26, 8, 10, tzinfo=SHANGHAI)
    )
    yield harness
    harness.close()


def chimed(chat: ChatHarness) -> list[str]:
    return chat.in_room("chimes")


# --- jobs run on the workers, once -----------------------------------------------------------------


def test_a_due_job_runs_on_a_worker_and_its_message_is_delivered(chimes):
    assert chimes.run_jobs() == []

    chimes.advance(hours=1)

    assert chimes.run_jobs() == ["09:00 in test"]


def test_a_job_gets_its_firing_time_in_the_districts_time_zone(chimes):
    chimes.run_jobs()
    chimes.advance(hours=3)

    (text,) = chimes.run_jobs()  # 09:00, 10:00 and 11:00 were due: the latest runs, once

    assert text == "11:00 in test"


def test_a_firing_enqueued_twice_is_handled_once(chimes):
    scheduler = Scheduler(chimes.runtime)
    scheduler.tick()
    chimes.advance(hours=1)

    (call,) = scheduler.tick()
    chimes.runtime.queue.plugin_actors["chime"].send(to_json(call))  # a second scheduler racing
    chimes.runtime.wait_idle()

    assert chimed(chimes) == ["09:00 in test"]


def test_a_crash_between_enqueueing_and_recording_the_firing_does_not_run_it_twice(chimes, monkeypatch):
    scheduler = Scheduler(chimes.runtime)
    scheduler.tick()
    chimes.advance(hours=1)
    save_state = scheduling.save_state

    def crash(*args, **kwargs):
        raise RuntimeError("the scheduler died here")

    monkeypatch.setattr(scheduling, "save_state", crash)
    with pytest.raises(RuntimeError):
        scheduler.tick()
    monkeypatch.setattr(scheduling, "save_state", save_state)
    again = Scheduler(chimes.runtime).tick()
    chimes.runtime.wait_idle()

    assert [c.fire_time for c in again] == ["2026-11-26T09:00:00+08:00"]
    assert chimed(chimes) == ["09:00 in test"]


def test_the_schedule_is_kept_in_the_database_so_a_restarted_scheduler_does_not_fire_again(chimes):
    Scheduler(chimes.runtime).tick()
    chimes.advance(hours=1)
    assert len(Scheduler(chimes.runtime).tick()) == 1

    assert Scheduler(chimes.runtime).tick() == []


def test_a_plugin_enabled_again_does_not_catch_up_on_the_time_it_was_disabled(chimes):
    chimes.run_jobs()
    chimes.enable("chime", False)
    chimes.run_jobs()
    chimes.advance(hours=5)
    chimes.enable("chime")

    assert chimes.run_jobs() == []
    chimes.advance(hours=1)
    assert chimes.run_jobs() == ["14:00 in test"]


# --- the suggestion box's morning digest ---------------------------------------------------------


def digest_harness(tmp_path: Path, day: dt.date) -> ChatHarness:
    chat = ChatHarness(
        tmp_path,
        config={"suggestions": {"staff_room": "test:staff"}},
        now=dt.datetime.combine(day, dt.time(8, 0), SHANGHAI),
    )
    chat.say("张三", "/suggest 楼道灯坏了")
    chat.pick("张三", 2)
    chat.run_jobs()
    chat.advance(minutes=31)
    return chat


def test_the_suggestion_digest_reaches_the_staff_room_at_half_past_eight_on_a_working_day(tmp_path):
    chat = digest_harness(tmp_path, dt.date(2026, 11, 26))
    try:
        texts = chat.run_jobs()

        assert len(texts) == 1
        assert chat.in_room("staff") == texts
        assert "/suggestions" in texts[0]
    finally:
        chat.close()


def test_the_suggestion_digest_is_not_sent_on_national_day(tmp_path):
    chat = digest_harness(tmp_path, dt.date(2026, 10, 1))
    try:
        assert chat.run_jobs() == []
        assert chat.in_room("staff") == []
    finally:
        chat.close()


def test_the_suggestion_digest_is_sent_on_a_make_up_working_sunday(tmp_path):
    chat = digest_harness(tmp_path, dt.date(2026, 9, 20))
    try:
        assert len(chat.run_jobs()) == 1
    finally:
        chat.close()


# --- outbox rows a crash left behind ------------------------------------------------------------


def age(chat: ChatHarness, key: str, seconds: float) -> None:
    with chat.runtime.store.begin() as conn:
        conn.execute(
            sa.update(s.outbox)
            .where(s.outbox.c.key == key)
            .values(created_at=s.utcnow() - dt.timedelta(seconds=seconds))
        )


def test_a_message_left_pending_is_sent_by_the_next_housekeeping(chimes):
    with chimes.runtime.store.begin() as conn:
        outbox.add_message(conn, Outbound(CHIMES, "left behind", key="crash:m0"), "test")
    age(chimes, "crash:m0", 60)

    assert Scheduler(chimes.runtime).tick() == []
    chimes.runtime.wait_idle()

    assert chimed(chimes) == ["left behind"]


def test_a_message_pending_for_a_few_seconds_is_left_to_its_own_delivery(chimes):
    with chimes.runtime.store.begin() as conn:
        outbox.add_message(conn, Outbound(CHIMES, "on its way", key="recent:m0"), "test")
    age(chimes, "recent:m0", 5)

    assert Scheduler(chimes.runtime).housekeep() == 0


def test_an_event_left_pending_is_routed_again_and_marked_sent(chimes):
    event = DomainEvent("crash:e0", "chime.ring", "test", {"who": "the housekeeper"})
    with chimes.runtime.store.begin() as conn:
        outbox.add_event(conn, event)
    age(chimes, "crash:e0", 60)

    assert Scheduler(chimes.runtime).housekeep() == 1
    chimes.runtime.wait_idle()

    assert chimed(chimes) == ["rung by the housekeeper"]
    with chimes.runtime.store.connect() as conn:
        assert conn.execute(sa.select(s.outbox.c.status).where(s.outbox.c.key == "crash:e0")).scalar() == "sent"


def test_an_event_left_pending_that_cannot_be_decoded_is_given_up_and_the_other_rows_are_still_sent(chimes):
    with chimes.runtime.store.begin() as conn:
        # written by an older or newer linli: no name, no district
        conn.execute(
            sa.insert(s.outbox).values(
                key="crash:bad", kind="event", platform="linli", room="linli:events", payload={"event_id": "crash:bad"}
            )
        )
        outbox.add_message(conn, Outbound(CHIMES, "left behind", key="crash:m0"), "test")
    age(chimes, "crash:bad", 60)
    age(chimes, "crash:m0", 60)

    with capture_logs() as logs:
        assert Scheduler(chimes.runtime).housekeep() == 2
    chimes.runtime.wait_idle()

    assert chimed(chimes) == ["left behind"]
    assert [line["key"] for line in logs if line["event"] == "pending event cannot be decoded; given up"] == [
        "crash:bad"
    ]
    with chimes.runtime.store.connect() as conn:
        assert conn.execute(sa.select(s.outbox.c.status).where(s.outbox.c.key == "crash:bad")).scalar() == "failed"


def test_housekeeping_runs_at_most_every_thirty_seconds(chimes):
    scheduler = Scheduler(chimes.runtime)
    scheduler.housekeep()
    with chimes.runtime.store.begin() as conn:
        outbox.add_message(conn, Outbound(CHIMES, "left behind", key="crash:m0"), "test")
    age(chimes, "crash:m0", 60)

    assert scheduler.housekeep() == 0


# --- one active scheduler ---------------------------------------------------------------------------


def test_a_second_scheduler_waits_while_the_first_holds_the_redis_lock_and_takes_over_when_it_expires(
    chimes, redis_url
):
    import redis

    with capture_logs() as logs:
        first = Scheduler(chimes.runtime, lock=RedisLeaderLock(redis_url, ttl=1))
        second = Scheduler(chimes.runtime, lock=RedisLeaderLock(redis_url, ttl=1))
        first.tick()
        assert second.tick() == []
        chimes.advance(hours=1)

        assert second.tick() == []
        assert len(first.tick()) == 1

        client = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 5
        while client.exists("linli:scheduler") and time.monotonic() < deadline:  # the first dies
            time.sleep(0.05)
        client.close()
        chimes.advance(hours=1)

        assert [c.fire_time for c in second.tick()] == ["2026-11-26T10:00:00+08:00"]
        assert first.tick() == []
        second.close()
        first.close()

    waiting = [e for e in logs if e["event"] == "another scheduler is active; waiting"]
    assert len(waiting) == 1
    assert any(e["event"] == "lost the scheduler lock; waiting" for e in logs)


def test_a_scheduler_that_stops_releases_the_redis_lock_at_once(chimes, redis_url):
    first = Scheduler(chimes.runtime, lock=RedisLeaderLock(redis_url, ttl=30))
    second = Scheduler(chimes.runtime, lock=RedisLeaderLock(redis_url, ttl=30))
    first.tick()
    second.tick()
    chimes.advance(hours=1)

    first.close()

    assert len(second.tick()) == 1
    second.close()


def test_run_ticks_until_stopped_and_then_releases_the_lock(tmp_path, redis_url):
    import redis

    fast = Settings(scheduler=SchedulerSettings(tick_seconds=0.02))
    chat = ChatHarness(
        tmp_path,
        plugins=PLUGINS,
        enabled=("basics", "chime"),
        settings=fast,
        now=dt.datetime(2026, 11, 26, 8, 10, tzinfo=SHANGHAI),
    )
    scheduler = Scheduler(chat.runtime, lock=RedisLeaderLock(redis_url, ttl=5))
    scheduler.tick()
    chat.advance(hours=1)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stop,))
    try:
        thread.start()
        deadline = time.monotonic() + 10
        while not chimed(chat) and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        thread.join(10)

        assert chimed(chat) == ["09:00 in test"]
        client = redis.Redis.from_url(redis_url)
        assert not client.exists("linli:scheduler")
        client.close()
    finally:
        stop.set()
        chat.close()


@pytest.fixture
def pg_runtime(postgres_url: str) -> Iterator[Runtime]:
    settings = Settings(
        storage=StorageSettings(url=postgres_url),
        districts=(DistrictSettings(id="test", name="Test", plugins=("chime",)),),
    )
    runtime = Runtime(
        settings,
        registry=PluginRegistry([BasicsPlugin, Chime]),
        clock=FrozenClock(dt.datetime(2026, 11, 26, 8, 10, tzinfo=SHANGHAI)),
    )
    runtime.prepare_database()
    yield runtime
    runtime.close()


def test_a_second_scheduler_waits_while_the_first_holds_the_postgres_lock_and_takes_over_when_it_dies(
    pg_runtime,
):
    clock = pg_runtime.clock
    assert isinstance(clock, FrozenClock)
    first_lock = PostgresLeaderLock(pg_runtime.store.engine.url)
    first = Scheduler(pg_runtime, lock=first_lock)
    second = Scheduler(pg_runtime, lock=PostgresLeaderLock(pg_runtime.store.engine.url))
    try:
        first.tick()
        assert second.tick() == []
        clock.advance(dt.timedelta(hours=1))
        assert second.tick() == []
        assert len(first.tick()) == 1

        with pg_runtime.store.begin() as conn:  # the first scheduler's connection dies
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": first_lock.backend_pid})
        clock.advance(dt.timedelta(hours=1))

        assert [c.fire_time for c in second.tick()] == ["2026-11-26T10:00:00+08:00"]
        assert first.tick() == []

        second.close()
        clock.advance(dt.timedelta(hours=1))
        assert len(first.tick()) == 1
    finally:
        first.close()
        second.close()


# --- which lock, and the process entry -----------------------------------------------------------


def test_the_lock_fits_the_deployment(tmp_path):
    sqlite = Store(f"sqlite:///{tmp_path / 'db'}")
    postgres = Store("postgresql+psycopg://linli@127.0.0.1/linli")
    redis_queue = QueueSettings(broker="redis://127.0.0.1:6379/0")
    amqp = QueueSettings(broker="amqp://127.0.0.1")
    amqp_redis = QueueSettings(broker="amqp://127.0.0.1", rate_limit_url="redis://127.0.0.1:6379/1")
    try:
        assert isinstance(leader_lock(Settings(), postgres), SoleScheduler)
        locks = [leader_lock(Settings(queue=q), postgres) for q in (redis_queue, amqp_redis)]
        assert [type(lock) for lock in locks] == [RedisLeaderLock, RedisLeaderLock]
        for lock in locks:
            lock.release()
        pg_lock = leader_lock(Settings(queue=amqp), postgres)
        assert isinstance(pg_lock, PostgresLeaderLock)
        pg_lock.release()
        with capture_logs() as logs:
            assert isinstance(leader_lock(Settings(queue=amqp), sqlite), SoleScheduler)
        assert "nothing stops a second scheduler" in logs[0]["event"]
    finally:
        sqlite.dispose()
        postgres.dispose()


def test_the_scheduler_process_refuses_the_in_process_broker():
    with pytest.raises(SettingsError, match="shared broker"):
        run_scheduler(Settings())


def test_the_scheduler_process_refuses_a_database_that_needs_migrations(tmp_path):
    settings = Settings(
        storage=StorageSettings(url=f"sqlite:///{tmp_path / 'new.db'}"),
        queue=QueueSettings(broker="redis://127.0.0.1:6379/15"),
    )

    with pytest.raises(StorageError, match="linli db upgrade"):
        run_scheduler(settings)


def test_the_scheduler_process_stops_on_sigterm_and_releases_the_lock(tmp_path, redis_url):
    import redis

    settings = Settings(
        storage=StorageSettings(url=f"sqlite:///{tmp_path / 'linli.db'}"),
        queue=QueueSettings(broker=redis_url),
        scheduler=SchedulerSettings(tick_seconds=0.02),
    )
    setup = Runtime(settings)
    setup.prepare_database()
    setup.close()
    client = redis.Redis.from_url(redis_url)
    before = signal.getsignal(signal.SIGTERM)

    def terminate_once_running() -> None:
        deadline = time.monotonic() + 10
        while not client.exists("linli:scheduler") and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate_once_running)
    killer.start()
    run_scheduler(settings)
    killer.join()

    assert not client.exists("linli:scheduler")
    assert signal.getsignal(signal.SIGTERM) is before
    client.close()


def test_housekeeping_deletes_sent_messages_and_marks_older_than_the_retention_but_keeps_pending_ones(chimes):
    chimes.say("张三", "/help")
    with chimes.runtime.store.begin() as conn:
        outbox.add_message(conn, Outbound(CHIMES, "still to send", key="late:m0"), "test")
        conn.execute(sa.update(s.outbox).values(created_at=s.utcnow() - dt.timedelta(days=31)))
        conn.execute(sa.update(s.processed).values(processed_at=s.utcnow() - dt.timedelta(days=31)))

    Scheduler(chimes.runtime).housekeep()
    chimes.runtime.wait_idle()

    with chimes.runtime.store.connect() as conn:
        keys = conn.execute(sa.select(s.outbox.c.key)).scalars().all()
        marks = conn.execute(sa.select(sa.func.count()).select_from(s.processed)).scalar()
    assert keys == ["late:m0"]
    assert marks == 0
