"""Consumers of queues whose messages are late anyway poll Redis less often."""

from __future__ import annotations

from types import SimpleNamespace

from linli.core.settings import QueueSettings
from linli.transport.dramatiq import LocalQueues
from linli.workers.broker import EVENTS_QUEUE, build_broker, outbox_queue, plugin_queue
from linli.workers.polling import QuietPolling, is_quiet, polls_redis, quiet_timeout

EVERYTHING = frozenset({EVENTS_QUEUE, plugin_queue("basics"), outbox_queue("test")})


def test_the_events_queue_is_never_quiet() -> None:
    assert not is_quiet(EVENTS_QUEUE, EVERYTHING)
    assert not is_quiet(EVENTS_QUEUE, frozenset({EVENTS_QUEUE}))


def test_delay_queues_are_quiet() -> None:
    assert is_quiet(f"{EVENTS_QUEUE}.DQ", frozenset({EVENTS_QUEUE}))
    assert is_quiet(f"{plugin_queue('basics')}.DQ", frozenset({plugin_queue("basics")}))


def test_queues_reached_in_thread_are_quiet_where_their_feeder_is_consumed() -> None:
    assert is_quiet(plugin_queue("basics"), EVERYTHING)
    assert is_quiet(outbox_queue("test"), EVERYTHING)
    assert is_quiet(outbox_queue("test"), frozenset({plugin_queue("basics"), outbox_queue("test")}))


def test_a_queue_a_process_is_entered_by_keeps_polling_fast() -> None:
    assert not is_quiet(plugin_queue("basics"), frozenset({plugin_queue("basics")}))
    assert not is_quiet(outbox_queue("test"), frozenset({outbox_queue("test")}))


def test_quiet_queues_poll_ten_times_less_often_and_at_least_once_a_second() -> None:
    assert quiet_timeout(20) == 200
    assert quiet_timeout(100) == 1000
    assert quiet_timeout(250) == 1000
    assert quiet_timeout(5000) == 5000


def test_the_middleware_slows_only_the_consumer_threads_of_quiet_queues() -> None:
    local = LocalQueues()
    local.queues = EVERYTHING
    middleware = QuietPolling(local)
    events = SimpleNamespace(queue_name=EVENTS_QUEUE, worker_timeout=20)
    basics = SimpleNamespace(queue_name=plugin_queue("basics"), worker_timeout=20)
    middleware.after_consumer_thread_boot(None, events)  # type: ignore[arg-type]
    middleware.after_consumer_thread_boot(None, basics)  # type: ignore[arg-type]
    assert (events.worker_timeout, basics.worker_timeout) == (20, 200)


def test_only_a_redis_broker_polls() -> None:
    memory = build_broker(QueueSettings(broker="memory://"))
    redis = build_broker(QueueSettings(broker="redis://127.0.0.1:6379/15"))
    try:
        assert not polls_redis(memory)
        assert polls_redis(redis)
    finally:
        memory.close()
        redis.close()
