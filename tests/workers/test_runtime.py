"""The runtime wires the steps and transports: a hop runs in the thread that produced it
when this process serves its queue, else it goes through the broker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from linli.core import people
from linli.core.clock import FrozenClock
from linli.core.events import Address, Inbound, Sender
from linli.core.plugin import N_, CommandContext, EventContext, Manifest, Plugin, command, on_event
from linli.core.registry import PluginRegistry
from linli.core.settings import DistrictSettings, Settings, StorageSettings
from linli.core.storage import schema as s
from linli.plugins.basics import BasicsPlugin
from linli.testing import ChatHarness, RecordingAdapter
from linli.transport.queues import EVENTS_QUEUE, outbox_queue, plugin_queue
from linli.workers.runtime import Runtime


class Echo(Plugin):
    """Counts its runs; refuses, crashes or publishes when asked."""

    manifest = Manifest(name="echo", version="1.0")
    runs = 0
    heard: list[str] = []  # noqa: RUF012 - reset by the fixture

    @command("echo", help=N_("Say it back"))
    def echo(self, ctx: CommandContext) -> None:
        type(self).runs += 1
        ctx.reply(f"echo: {ctx.argtext}")

    @command("refuse", help=N_("Refuse"))
    def refuse(self, ctx: CommandContext) -> None:
        type(self).runs += 1
        ctx.reply("you should not read this")
        raise ctx.fail("No.")

    @command("shout", help=N_("Publish"))
    def shout(self, ctx: CommandContext) -> None:
        ctx.publish("echo.shouted", {"text": ctx.argtext})
        ctx.reply("shouted")

    @on_event("echo.shouted")
    def hear(self, ctx: EventContext) -> None:
        type(self).heard.append(ctx.event.payload["text"])
        ctx.reply(f"heard: {ctx.event.payload['text']}")


@pytest.fixture
def chat(tmp_path) -> Iterator[ChatHarness]:
    Echo.runs = 0
    Echo.heard = []
    harness = ChatHarness(tmp_path, plugins=[BasicsPlugin, Echo], language="en")
    yield harness
    harness.close()


def texts(adapter: RecordingAdapter) -> list[str]:
    return [m.text for m in adapter.sent]


def test_an_event_is_dispatched_handled_and_delivered_before_submit_returns_when_this_process_serves_every_queue(
    chat,
):
    chat.say("张三", "/whoami")  # consented and known
    before = len(chat.adapter.sent)

    chat.runtime.submit(Inbound("e-inline", chat.address(), Sender("test", "张三", "张三"), text="/echo hi"))

    assert texts(chat.adapter)[before:] == ["echo: hi"]  # no wait_idle: it is done already


def test_a_handler_that_refuses_runs_once_and_the_dispatchers_writes_are_kept(chat):
    chat.say("李四", "/refuse")

    assert Echo.runs == 1
    assert chat.last() == "No."
    with chat.runtime.store.connect() as conn:
        home = conn.execute(sa.select(s.persons.c.home_district).where(s.persons.c.display_name == "李四")).scalar()
    assert home == "test"  # the dispatcher's record of where they spoke survived the handler's failure


def test_a_published_event_is_handled_in_the_same_thread_and_marked_sent(chat):
    assert chat.say("张三", "/shout hello") == ["shouted", "heard: hello"]

    assert Echo.heard == ["hello"]
    with chat.runtime.store.connect() as conn:
        status = conn.execute(sa.select(s.outbox.c.status).where(s.outbox.c.kind == "event")).scalar_one()
    assert status == "sent"


def test_a_redelivered_event_changes_nothing_and_sends_nothing_twice_when_run_in_place(chat):
    chat.say("张三", "/whoami")
    event = Inbound("same-event", chat.address(), Sender("test", "张三", "张三"), text="/echo once")

    chat.submit(event)
    chat.submit(event)

    assert Echo.runs == 1
    assert texts(chat.adapter).count("echo: once") == 1


# --- a process that serves only some queues -----------------------------------------------------------


@pytest.fixture
def runtime(tmp_path) -> Iterator[Runtime]:
    yield from _runtime(f"sqlite:///{tmp_path / 'linli.db'}")


def _runtime(url: str) -> Iterator[Runtime]:
    Echo.runs = 0
    district = DistrictSettings(
        id="test", name="Test", language="en", rooms=("test:group",), plugins=("basics", "echo")
    )
    settings = Settings(storage=StorageSettings(url=url), districts=(district,))
    rt = Runtime(
        settings,
        registry=PluginRegistry([BasicsPlugin, Echo]),
        adapters={"test": RecordingAdapter()},
        clock=FrozenClock(dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC)),
    )
    rt.prepare_database()
    with rt.store.begin() as conn:
        person = people.person_for(conn, "test:张三", "张三")
        assert person is not None
        people.record_consent(conn, person.id, 1, True)
    yield rt
    rt.close()


def queued(rt: Runtime, queue: str) -> int:
    return rt.broker.queues[queue].qsize()  # type: ignore[attr-defined]


def test_a_hop_whose_queue_no_worker_here_consumes_goes_through_the_broker(runtime):
    dispatcher = runtime.worker(queues={EVENTS_QUEUE}, threads=1)
    dispatcher.start()
    try:
        runtime.submit(Inbound("e1", Address("test", "group"), Sender("test", "张三", "张三"), text="/echo hi"))
        runtime.broker.join(EVENTS_QUEUE)  # type: ignore[attr-defined]
        assert queued(runtime, plugin_queue("echo")) == 1
        assert runtime.adapters["test"].sent == []  # type: ignore[attr-defined]
    finally:
        dispatcher.stop()
    everything = runtime.worker(threads=1)
    everything.start()
    try:
        runtime.wait_idle()
    finally:
        everything.stop()
    assert texts(runtime.adapters["test"]) == ["echo: hi"]  # type: ignore[arg-type]


def test_delivery_goes_through_the_broker_when_this_process_has_no_adapter_for_the_platform(runtime):
    adapter = runtime.adapters.pop("test")
    worker = runtime.worker(threads=1)
    worker.start()
    try:
        runtime.submit(Inbound("e1", Address("test", "group"), Sender("test", "张三", "张三"), text="/echo hi"))
        assert queued(runtime, outbox_queue("test")) + queued(runtime, outbox_queue("test") + ".DQ") == 1
    finally:
        worker.stop()
    assert adapter.sent == []  # type: ignore[attr-defined]


def test_without_a_worker_in_this_process_submit_only_enqueues(runtime):
    runtime.submit(Inbound("e1", Address("test", "group"), Sender("test", "张三", "张三"), text="/echo hi"))

    assert queued(runtime, EVENTS_QUEUE) == 1
    assert Echo.runs == 0


# --- on PostgreSQL the command's mark is claimed in the statement that finds the sender ---------------


@pytest.fixture
def pg_runtime(postgres_url) -> Iterator[Runtime]:
    rt = next(gen := _runtime(postgres_url))
    worker = rt.worker(threads=1)
    worker.start()
    yield rt
    worker.stop()
    next(gen, None)


def marks(rt: Runtime) -> set[str]:
    with rt.store.connect() as conn:
        return set(conn.execute(sa.select(s.processed.c.key)).scalars())


def test_on_postgresql_a_redelivered_command_finds_the_mark_claimed_with_the_sender_and_runs_once(pg_runtime):
    event = Inbound("pg-1", Address("test", "group"), Sender("test", "张三", "张三"), text="/echo once")

    pg_runtime.submit(event)
    pg_runtime.submit(event)

    assert Echo.runs == 1
    assert texts(pg_runtime.adapters["test"]) == ["echo: once"]  # type: ignore[arg-type]
    assert "pg-1:echo.echo" in marks(pg_runtime)


def test_on_postgresql_a_mark_claimed_for_a_handler_the_event_does_not_reach_is_removed(pg_runtime):
    # a stranger's first message brings the privacy notice instead of /echo
    pg_runtime.submit(Inbound("pg-2", Address("test", "group"), Sender("test", "王五", "王五"), text="/echo hi"))

    assert Echo.runs == 0
    assert "pg-2:echo.echo" not in marks(pg_runtime)
    assert any(key.startswith("pg-2:") for key in marks(pg_runtime))  # the notice's handler was marked


# --- a room whose deliverer died --------------------------------------------------------------------


def test_a_room_whose_deliverer_died_is_delivered_by_a_worker_of_this_runtime_without_the_scheduler(
    tmp_path, redis_url
):
    import time

    import redis

    from linli.core.settings import QueueSettings
    from linli.pipeline.locks import RedisRoomLocks

    district = DistrictSettings(id="test", name="Test", language="en", rooms=("test:group",), plugins=("echo",))
    settings = Settings(
        storage=StorageSettings(url=f"sqlite:///{tmp_path / 'linli.db'}"),
        queue=QueueSettings(broker="memory://", rate_limit_url=redis_url),
        districts=(district,),
    )
    adapter = RecordingAdapter()
    rt = Runtime(settings, registry=PluginRegistry([BasicsPlugin, Echo]), adapters={"test": adapter})
    rt.prepare_database()
    with rt.store.begin() as conn:
        person = people.person_for(conn, "test:张三", "张三")
        assert person is not None
        people.record_consent(conn, person.id, 1, True)
    # another process took the room and was killed: it never lets go, its lock runs out
    other = RedisRoomLocks(redis.Redis.from_url(redis_url), ttl_ms=3000)
    dead = other.hold("test:group")  # kept: a collected hold would let go
    assert dead.__enter__().held
    worker = rt.worker(threads=1)
    worker.start()
    try:
        rt.submit(Inbound("e1", Address("test", "group"), Sender("test", "张三", "张三"), text="/echo hi"))
        assert adapter.sent == []  # refused: the room is the dead deliverer's
        deadline = time.monotonic() + 20  # only stops a broken test from hanging
        while not adapter.sent and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
        other.close()
        rt.close()
    assert texts(adapter) == ["echo: hi"]
