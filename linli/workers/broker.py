"""The Dramatiq broker and the shared rate-limiter backend, built from settings.

``memory://`` is an in-process broker (the embedded default and the tests);
``redis://`` and ``amqp://`` are for deployments. Nothing here runs at import.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from dramatiq.rate_limits.backends import StubBackend

from linli.core.errors import BrokerError
from linli.core.i18n import N_
from linli.core.settings import QueueSettings
from linli.transport.queues import EVENTS_QUEUE, outbox_queue, plugin_queue

__all__ = ["EVENTS_QUEUE", "build_broker", "build_rate_backend", "outbox_queue", "plugin_queue", "shared_redis_url"]


class InProcessBroker(StubBroker):
    """Dramatiq's stub broker, tuned to be the embedded default's real broker.

    Dramatiq's consumer thread releases a prefetch slot only when it wakes up to
    acknowledge, up to a worker timeout later; in one process there is nothing to
    gain from bounding prefetch, and a sequence of messages on one queue would
    otherwise wait that long per message.
    """

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 100) -> Any:
        return super().consume(queue_name, prefetch=1 << 20, timeout=timeout)


def _middleware(q: QueueSettings) -> list[Any]:
    return [
        AgeLimit(),
        CurrentMessage(),
        TimeLimit(time_limit=300_000),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=q.max_retries, min_backoff=200, max_backoff=60_000),
    ]


def build_broker(q: QueueSettings) -> dramatiq.Broker:
    """Parameters: q: the ``[queue]`` settings.

    Raises: BrokerError: the URL's scheme is not one linli knows.
    """
    url = q.broker
    if url.startswith("memory:"):
        from linli.workers.idle import IdleTracker

        return InProcessBroker(middleware=[IdleTracker(), *_middleware(q)], fail_fast_default=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        # redis-py connects lazily: building the broker does no I/O
        broker = RedisBroker(  # type: ignore[no-untyped-call]
            url=url, middleware=_middleware(q), heartbeat_timeout=q.heartbeat_timeout_ms
        )
        broker.maintenance_chance = q.maintenance_chance
        return broker
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        try:
            return RabbitmqBroker(url=url, middleware=_middleware(q))
        except Exception as exc:  # pika connects at construction
            raise BrokerError(N_("cannot reach the broker {url}: {error}"), url=url, error=str(exc)) from None
    raise BrokerError(N_("[queue] broker {url!r}: use memory://, redis://host:port/db or amqp://host"), url=url)


def shared_redis_url(q: QueueSettings) -> str:
    """Where rate limits and room locks are shared: ``rate_limit_url``, else the broker
    if it is Redis; empty when they can only be kept in this process."""
    return q.rate_limit_url or (q.broker if q.broker.startswith(("redis://", "rediss://", "unix://")) else "")


def build_rate_backend(q: QueueSettings) -> Any:
    """Where rate limiters are kept: Redis when there is one, else in this process
    (fine for one process, not for several)."""
    url = shared_redis_url(q)
    if url:
        import redis
        from dramatiq.rate_limits.backends import RedisBackend

        return RedisBackend(client=redis.Redis.from_url(url))
    return StubBackend()  # type: ignore[no-untyped-call]
