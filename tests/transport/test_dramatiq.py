"""The Dramatiq transport: linli's queues, their actors, and retries by Dramatiq's Retries."""

from __future__ import annotations

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries

from linli.core.errors import DeliveryError
from linli.core.events import DomainEvent, HandlerCall, Inbound, from_json, to_json
from linli.pipeline import Next
from linli.transport.dramatiq import DramatiqTransport


@pytest.fixture
def broker():
    b = StubBroker(middleware=[Retries(max_retries=3, min_backoff=200, max_backoff=60_000)])
    yield b
    b.close()


def build(broker, max_retries: int = 3) -> tuple[DramatiqTransport, list]:
    sent_events: list = []
    t = DramatiqTransport(
        broker, plugins=["echo"], platforms=["test"], max_retries=max_retries, events_sent=sent_events.extend
    )
    return t, sent_events


def messages(broker, queue: str) -> list[dramatiq.Message]:
    q = broker.queues[queue]
    return [dramatiq.Message.decode(q.get_nowait()) for _ in range(q.qsize())]


def call() -> HandlerCall:
    return HandlerCall(key="e1:echo.echo", plugin="echo", handler="echo", kind="command", district_id="test")


def test_each_kind_of_work_goes_to_its_own_queue_as_plain_json(broker, steps):
    t, sent_events = build(broker)
    event = DomainEvent(event_id="ev", name="x", district_id="test", payload={}, source_plugin="echo")

    t.submit(steps.says("/echo hi"))
    t.send(Next(calls=[call()], rooms=["test:group"], events=[event]))

    [inbound, domain] = messages(broker, "linli.events")
    assert inbound.args[0] == "inbound" and from_json(inbound.args[1], Inbound).text == "/echo hi"
    assert domain.args[0] == "domain"
    assert [m.args for m in messages(broker, "linli.plugin.echo")] == [(to_json(call()),)]
    assert [m.args for m in messages(broker, "linli.outbox.test")] == [("test:group",)]
    assert sent_events == [event]  # recorded as routed once on the queue


def test_a_failed_first_try_is_put_back_by_dramatiqs_retries_with_the_actors_backoff(broker):
    t, _ = build(broker)
    t.plugin_actors["echo"].options.update(min_backoff=1000, max_backoff=1000)

    try:
        raise RuntimeError("database is locked")
    except RuntimeError as exc:
        t.retry(call(), exc)

    [retry] = messages(broker, "linli.plugin.echo.DQ")
    assert retry.options["retries"] == 1
    assert 0 < retry.options["eta"] - retry.message_timestamp <= 1000 + 100


def test_a_hop_whose_actor_allows_no_retry_is_dropped(broker):
    t, _ = build(broker, max_retries=0)

    t.retry(call(), RuntimeError("boom"))

    assert messages(broker, "linli.plugin.echo.DQ") == []
    assert not t.will_retry(call())


def test_a_platform_asking_to_wait_is_retried_after_the_wait_it_named(broker):
    t, _ = build(broker)

    t.retry("test:group", DeliveryError("429", retry_after=7))

    [retry] = messages(broker, "linli.outbox.test.DQ")
    assert retry.args == ("test:group",)
    assert 6_900 <= retry.options["eta"] - retry.message_timestamp <= 7_100


def test_an_actor_hands_the_call_it_decoded_to_the_runner(broker):
    t, _ = build(broker, max_retries=0)
    ran = []

    class Runner:
        def run_call(self, c, *, last_try):
            ran.append((c.key, last_try))

    t.runner = Runner()  # type: ignore[assignment]
    t._handle(to_json(call()))

    assert ran == [("e1:echo.echo", True)]


def test_a_call_that_keeps_failing_is_retried_by_dramatiq_until_its_last_try_says_so():
    from dramatiq.middleware import CurrentMessage

    broker = StubBroker(middleware=[CurrentMessage(), Retries(max_retries=2, min_backoff=1, max_backoff=5)])
    t, _ = build(broker, max_retries=2)
    tries: list[bool] = []

    class Runner:
        def run_call(self, c, *, last_try):
            tries.append(last_try)
            if not last_try:
                raise RuntimeError("database is locked")

    t.runner = Runner()  # type: ignore[assignment]
    worker = dramatiq.Worker(broker, worker_timeout=10)
    worker.start()
    try:
        t.send(Next(calls=[call()]))
        broker.join("linli.plugin.echo", fail_fast=False)
        worker.join()
    finally:
        worker.stop()
        broker.close()

    assert tries == [False, False, True]
