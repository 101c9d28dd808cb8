"""Running plugin handlers exactly once in effect, and delivering their messages after commit."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
import structlog
from structlog.testing import capture_logs

from linli.core.clock import FrozenClock
from linli.core.errors import DeliveryError, PermanentDeliveryError
from linli.core.events import Address, Inbound, Outbound, Sender
from linli.core.plugin import N_, Manifest, Plugin, PluginContext, command, plugin_table
from linli.core.registry import PluginRegistry
from linli.core.settings import DistrictSettings, Settings, StorageSettings
from linli.core.storage import schema as s
from linli.plugins.basics import BasicsPlugin
from linli.testing import ChatHarness, RecordingAdapter
from linli.workers.runtime import Runtime

APOLOGY = N_(
    "Sorry, something went wrong on my side and nothing was changed. "
    "The problem has been logged; please try again later."
)

md = sa.MetaData()
notes = plugin_table(
    "probe",
    "notes",
    md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("text", sa.String(200), nullable=False),
)


class Probe(Plugin):
    """Writes a note, replies, and then does what the command says."""

    manifest = Manifest(name="probe", version="1.0", tables=md)

    def __init__(self, *, log: object = None) -> None:
        super().__init__(log=log)
        self.adapter: RecordingAdapter | None = None
        self.sent_while_running: list[int] = []

    @command("note", help=N_("Keep a note"))
    def note(self, ctx: PluginContext) -> None:
        ctx.store.insert(notes, text=ctx.argtext)
        ctx.reply(f"noted: {ctx.argtext}")
        if self.adapter is not None:
            self.sent_while_running.append(len(self.adapter.sent))

    @command("refuse", help=N_("Write, then refuse"))
    def refuse(self, ctx: PluginContext) -> None:
        ctx.store.insert(notes, text="written before refusing")
        ctx.reply("you should not read this")
        raise ctx.fail("That is not a valid note.")

    @command("crash", help=N_("Write, then fail unexpectedly"))
    def crash(self, ctx: PluginContext) -> None:
        ctx.store.insert(notes, text="written before crashing")
        ctx.reply("you should not read this either")
        raise ZeroDivisionError("a bug in the plugin")

    @command("count", help=N_("Say one to five"))
    def count(self, ctx: PluginContext) -> None:
        for n in range(1, 6):
            ctx.reply(str(n))


PLUGINS = [BasicsPlugin, Probe]


@pytest.fixture
def chat(tmp_path) -> Iterator[ChatHarness]:
    harness = ChatHarness(tmp_path, plugins=PLUGINS, language="en")
    md.create_all(harness.runtime.store.engine)
    yield harness
    harness.close()


@pytest.fixture
def worker_logs(monkeypatch) -> Iterator[list[dict]]:
    """What the worker logs, with the context bound to each line (district, plugin, event id).

    The worker's module-level logger is swapped for a fresh one: an earlier test that ran
    ``configure_logging`` (which caches loggers on first use) would otherwise keep it from
    ``capture_logs``.
    """
    from linli.pipeline import handle

    monkeypatch.setattr(handle, "log", structlog.get_logger("linli.worker"))
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        yield logs


def stored_notes(store_owner: ChatHarness | Runtime) -> list[str]:
    store = store_owner.runtime.store if isinstance(store_owner, ChatHarness) else store_owner.store
    with store.connect() as conn:
        return list(conn.execute(sa.select(notes.c.text).order_by(notes.c.id)).scalars())


def outbox_rows(chat: ChatHarness) -> list[tuple[str, str]]:
    with chat.runtime.store.connect() as conn:
        rows = conn.execute(sa.select(s.outbox.c.payload, s.outbox.c.status).order_by(s.outbox.c.id))
        return [(r.payload["text"], r.status) for r in rows if r.payload.get("text") is not None]


# --- one transaction: writes, messages and the mark ---------------------------------------------


def test_a_handlers_write_and_reply_both_happen(chat):
    assert chat.say("张三", "/note 楼道灯坏了") == ["noted: 楼道灯坏了"]
    assert stored_notes(chat) == ["楼道灯坏了"]


def test_a_reply_is_delivered_only_after_the_handler_has_committed(chat):
    plugin = chat.runtime.registry.plugins["probe"]
    assert isinstance(plugin, Probe)
    plugin.adapter = chat.adapter

    chat.say("张三", "/note one")

    assert plugin.sent_while_running == [0]
    assert [m.text for m in chat.sent] == ["noted: one"]
    assert outbox_rows(chat) == [("noted: one", "sent")]


def test_bad_input_keeps_no_write_and_no_reply_and_tells_the_person_why(chat):
    assert chat.say("张三", "/refuse") == ["That is not a valid note."]
    assert stored_notes(chat) == []
    assert "you should not read this" not in [m.text for m in chat.sent]


def test_an_unexpected_error_keeps_no_write_and_no_reply_and_apologises(chat):
    answer = chat.say("张三", "/crash")

    assert answer == [APOLOGY]
    assert stored_notes(chat) == []
    assert [text for text, _ in outbox_rows(chat)] == [APOLOGY]


def test_the_worker_keeps_working_after_a_handler_fails(chat):
    chat.say("张三", "/crash")
    chat.say("李四", "/refuse")

    assert chat.say("张三", "/note still here") == ["noted: still here"]
    assert stored_notes(chat) == ["still here"]


def test_an_unexpected_error_is_logged_with_its_district_plugin_and_event(chat, worker_logs):
    chat.say("张三", "/crash")

    failures = [e for e in worker_logs if e["event"] == "handler failed"]
    assert len(failures) == 1
    entry = failures[0]
    assert entry["log_level"] == "error"
    assert entry["district"] == "test"
    assert entry["plugin"] == "probe"
    assert entry["event_id"].endswith(":probe.crash")
    assert entry["error"] == "ZeroDivisionError"


def test_a_failed_event_is_marked_handled_so_a_redelivery_does_not_apologise_twice(chat):
    chat.say("张三", "/note consent first")
    crash = Inbound("tg-9", Address("test", "group"), Sender("test", "张三", "张三"), text="/crash")

    chat.submit(crash)
    chat.submit(crash)

    assert [m.text for m in chat.sent].count(APOLOGY) == 1


# --- delivery -------------------------------------------------------------------------------------


def test_several_replies_to_one_room_arrive_in_the_order_they_were_written(chat):
    assert chat.say("张三", "/count") == ["1", "2", "3", "4", "5"]


def test_replies_to_several_commands_keep_the_order_of_the_commands(chat):
    for n in range(5):
        chat.say("张三", f"/note {n}")

    assert chat.in_room() == [f"noted: {n}" for n in range(5)]


def test_a_message_that_can_never_be_delivered_is_marked_failed_and_the_next_still_goes_out(chat):
    chat.say("张三", "/note before")
    chat.adapter.fail_with = PermanentDeliveryError("the bot was removed from the group")

    assert chat.say("张三", "/note lost") == []

    chat.adapter.fail_with = None
    assert chat.say("张三", "/note after") == ["noted: after"]
    assert outbox_rows(chat)[-3:] == [("noted: before", "sent"), ("noted: lost", "failed"), ("noted: after", "sent")]
    assert stored_notes(chat) == ["before", "lost", "after"]


class WaitOnce(RecordingAdapter):
    """Asks linli to wait (a 429) on the first message, then sends normally."""

    def __init__(self, inner: RecordingAdapter) -> None:
        super().__init__()
        self.inner = inner
        self.refused = threading.Event()

    def send(self, message: Outbound) -> str | None:
        if not self.refused.is_set():
            self.refused.set()
            raise DeliveryError("Too Many Requests", retry_after=0.01)
        return self.inner.send(message)


def test_a_platform_asking_to_wait_delays_the_rooms_messages_but_keeps_their_order(chat):
    chat.say("张三", "/note consent first")
    slow = WaitOnce(chat.adapter)
    chat.runtime.adapters["test"] = slow

    chat.say("张三", "/count")

    assert slow.refused.is_set()
    assert chat.in_room()[-5:] == ["1", "2", "3", "4", "5"]


# --- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture
def pg_runtime(postgres_url) -> Iterator[Runtime]:
    district = DistrictSettings(id="test", name="Test", language="en", rooms=("test:group",), plugins=("core", "probe"))
    settings = Settings(storage=StorageSettings(url=postgres_url), districts=(district,))
    runtime = Runtime(
        settings,
        registry=PluginRegistry(PLUGINS),
        adapters={"test": RecordingAdapter()},
        clock=FrozenClock(dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC)),
    )
    runtime.prepare_database()
    md.create_all(runtime.store.engine)
    worker = runtime.worker(threads=2)
    worker.start()
    yield runtime
    worker.stop()
    runtime.close()


def sent_texts(runtime: Runtime) -> list[str]:
    adapter = runtime.adapters["test"]
    assert isinstance(adapter, RecordingAdapter)
    return [m.text for m in adapter.sent]


def test_a_redelivered_event_changes_nothing_and_sends_nothing_twice_on_postgresql(pg_runtime):
    from linli.core import people

    with pg_runtime.store.begin() as conn:
        person = people.person_for(conn, "test:张三", "张三")
        assert person is not None
        people.record_consent(conn, person.id, 1, True)
    event = Inbound("tg-1", Address("test", "group"), Sender("test", "张三", "张三"), text="/note 楼道灯坏了")

    pg_runtime.submit(event)
    pg_runtime.wait_idle()
    pg_runtime.submit(event)
    pg_runtime.wait_idle()

    assert stored_notes(pg_runtime) == ["楼道灯坏了"]
    assert sent_texts(pg_runtime) == ["noted: 楼道灯坏了"]


def test_a_handler_on_postgresql_commits_its_write_and_reply_together(pg_runtime):
    from linli.core import people

    with pg_runtime.store.begin() as conn:
        person = people.person_for(conn, "test:张三", "张三")
        assert person is not None
        people.record_consent(conn, person.id, 1, True)
    group = Address("test", "group")

    pg_runtime.submit(Inbound("tg-1", group, Sender("test", "张三", "张三"), text="/note kept"))
    pg_runtime.wait_idle()
    pg_runtime.submit(Inbound("tg-2", group, Sender("test", "张三", "张三"), text="/crash"))
    pg_runtime.wait_idle()

    assert stored_notes(pg_runtime) == ["kept"]
    assert sent_texts(pg_runtime) == ["noted: kept", APOLOGY]


def test_a_message_that_keeps_failing_is_given_up_after_max_retries_and_its_room_goes_on(tmp_path, monkeypatch):
    from attrs import evolve

    from linli.pipeline import deliver

    monkeypatch.setattr(deliver, "_backoff", lambda attempts: 0.05)
    settings = Settings()
    chat = ChatHarness(
        tmp_path, plugins=[BasicsPlugin], settings=evolve(settings, queue=evolve(settings.queue, max_retries=3))
    )
    try:
        chat.adapter.fail_with = DeliveryError("HTTP 502 from the platform")
        chat.say("张三", "/whoami")
        chat.adapter.fail_with = None
        assert chat.say("张三", "/lang en") == ["From now on I will answer you in English."]
        with chat.runtime.store.connect() as conn:
            rows = conn.execute(sa.select(s.outbox.c.status, s.outbox.c.attempts).order_by(s.outbox.c.id)).all()
        assert [tuple(r) for r in rows] == [("failed", 3), ("sent", 1)]
    finally:
        chat.close()


def test_a_message_the_platform_holds_back_waits_without_counting_as_a_failure(tmp_path, monkeypatch):
    chat = ChatHarness(tmp_path, plugins=[BasicsPlugin])
    calls = []
    real_send = chat.adapter.send

    def send(message):
        calls.append(message.text)
        if len(calls) <= 4:
            raise DeliveryError("429 Too Many Requests", retry_after=0.01)
        return real_send(message)

    monkeypatch.setattr(chat.adapter, "send", send)
    try:
        assert len(chat.say("张三", "/whoami")) == 1
        with chat.runtime.store.connect() as conn:
            assert conn.execute(sa.select(s.outbox.c.status, s.outbox.c.attempts)).one() == ("sent", 1)
    finally:
        chat.close()


def test_a_handler_failing_for_now_on_every_try_ends_with_an_apology_not_silence(tmp_path):
    from attrs import evolve

    class Flaky(Plugin):
        manifest = Manifest(name="flaky", version="1")
        tries = 0

        @command("flaky", help=N_("Fail for now"))
        def flaky(self, ctx: PluginContext) -> None:
            type(self).tries += 1
            raise sa.exc.OperationalError("UPDATE x", {}, Exception("database is locked"))

    settings = Settings()
    chat = ChatHarness(
        tmp_path, plugins=[BasicsPlugin, Flaky], settings=evolve(settings, queue=evolve(settings.queue, max_retries=1))
    )
    monkey_backoff = chat.runtime.broker.get_actor("linli.handle.flaky")
    monkey_backoff.options.update(min_backoff=1, max_backoff=5)
    try:
        replies = chat.say("张三", "/flaky")
        assert Flaky.tries == 2
        assert len(replies) == 1 and replies[0].startswith("抱歉")
    finally:
        chat.close()


class Leaky(Plugin):
    """Fails on a write whose parameters are the resident's words, on every try."""

    manifest = Manifest(name="probe", version="1.0", tables=md)

    @command("note", help=N_("Keep a note"))
    def note(self, ctx: PluginContext) -> None:
        ctx.store.insert(notes, id=1, text=ctx.argtext)
        ctx.store.insert(notes, id=1, text=ctx.argtext)  # IntegrityError: retried, then given up


@contextlib.contextmanager
def logged_as_json() -> Iterator[io.StringIO]:
    """What linli's logging writes inside the block (JSON, info and up); restored after."""
    from linli.core.logging import configure_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in ("dramatiq", "alembic")}
    stream = io.StringIO()
    configure_logging("info", "json", stream)
    try:
        yield stream
    finally:
        structlog.reset_defaults()
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in quiet.items():
            logging.getLogger(name).setLevel(old)


def assert_no_resident_in(logged: str) -> None:
    # both the worker's retry and linli's own failure line were written, with their tracebacks
    assert "Failed to process message linli.handle.probe[" in logged
    assert "handler failed" in logged and "IntegrityError" in logged and "INSERT INTO probe_notes" in logged
    for private in ("楼上漏水三天了", "王秀英", "test:王秀英"):
        assert private not in logged


def test_a_failing_handler_leaves_no_residents_words_name_or_identity_in_the_logs(tmp_path):
    from attrs import evolve

    settings = Settings()
    chat = ChatHarness(
        tmp_path, plugins=[BasicsPlugin, Leaky], settings=evolve(settings, queue=evolve(settings.queue, max_retries=2))
    )
    md.create_all(chat.runtime.store.engine)
    chat.runtime.broker.get_actor("linli.handle.probe").options.update(min_backoff=1, max_backoff=5)
    try:
        chat.say("王秀英", "/whoami")  # the privacy notice is out of the way
        with logged_as_json() as stream:
            replies = chat.say("王秀英", "/note 楼上漏水三天了")
    finally:
        chat.close()
    assert len(replies) == 1 and replies[0].startswith("抱歉")
    assert_no_resident_in(stream.getvalue())


def test_a_failing_handler_on_postgresql_leaves_no_residents_words_name_or_identity_in_the_logs(postgres_url):
    from linli.core import people
    from linli.core.settings import QueueSettings

    district = DistrictSettings(id="test", name="Test", language="en", rooms=("test:group",), plugins=("core", "probe"))
    settings = Settings(
        storage=StorageSettings(url=postgres_url), queue=QueueSettings(max_retries=2), districts=(district,)
    )
    runtime = Runtime(settings, registry=PluginRegistry([BasicsPlugin, Leaky]), adapters={"test": RecordingAdapter()})
    runtime.prepare_database()
    md.create_all(runtime.store.engine)
    runtime.broker.get_actor("linli.handle.probe").options.update(min_backoff=1, max_backoff=5)
    worker = runtime.worker(threads=2)
    worker.start()
    try:
        with runtime.store.begin() as conn:
            person = people.person_for(conn, "test:王秀英", "王秀英")
            assert person is not None
            people.record_consent(conn, person.id, 1, True)
        with logged_as_json() as stream:
            runtime.submit(
                Inbound(
                    "tg-1", Address("test", "group"), Sender("test", "王秀英", "王秀英"), text="/note 楼上漏水三天了"
                )
            )
            runtime.wait_idle()
    finally:
        worker.stop()
        runtime.close()
    assert sent_texts(runtime)[-1].startswith("Sorry")
    assert_no_resident_in(stream.getvalue())
