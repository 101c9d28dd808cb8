"""How often a Redis worker asks for the messages of each queue it consumes.

Dramatiq's Redis consumer polls: one consumer per queue and per delay queue in
every worker process, each calling a Lua script up to every ``worker_timeout``
while its queue is empty. With four plugins that is twelve consumers per process,
over a thousand calls a second for two idle processes at 20 ms, and under load
they take CPU from the work itself.

Most of those queues see a message only when something is late anyway. When a
process consumes ``linli.events``, the plugin queues and outbox queues it also
consumes are reached in the thread that produced their hop
(:mod:`linli.transport.inprocess`); what arrives on them through Redis is a retry, a
scheduled job, a sweep of the stale outbox, or work sent by a process that does
not serve them (``linli worker -Q``). A delay queue holds retries, each waiting
out a backoff. Those consumers poll at most every :func:`quiet_timeout`; the
queues a process is entered by keep polling at ``worker_timeout``.
"""

from __future__ import annotations

import sys
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from linli.transport.dramatiq import LocalQueues
from linli.transport.queues import EVENTS_QUEUE, outbox_queue, plugin_queue

__all__ = ["QuietPolling", "is_quiet", "polls_redis", "quiet_timeout"]

#: the longest a quiet queue's message waits for its poll, in milliseconds
QUIET_MAX_MS = 1000


def quiet_timeout(worker_timeout_ms: int) -> int:
    """The poll interval of a quiet queue: ten times ``worker_timeout_ms``, at most a
    second (never less than ``worker_timeout_ms``)."""
    return max(worker_timeout_ms, min(10 * worker_timeout_ms, QUIET_MAX_MS))


def polls_redis(broker: dramatiq.Broker) -> bool:
    """Whether ``broker``'s consumers poll Redis (a Redis broker can only exist once its
    module is imported: the in-process broker's process need not import it)."""
    module = sys.modules.get("dramatiq.brokers.redis")
    return module is not None and isinstance(broker, module.RedisBroker)


def is_quiet(queue_name: str, consumed: frozenset[str]) -> bool:
    """Whether ``queue_name`` gets messages through the broker only when they are late
    anyway, in a process whose workers consume ``consumed``."""
    if queue_name.endswith(".DQ"):
        return True
    if queue_name.startswith(plugin_queue("")):
        return EVENTS_QUEUE in consumed
    if queue_name.startswith(outbox_queue("")):
        return EVENTS_QUEUE in consumed or any(q.startswith(plugin_queue("")) for q in consumed)
    return False


class QuietPolling(Middleware):
    """Makes the consumers of quiet queues poll every :func:`quiet_timeout` instead of
    every ``worker_timeout``.

    Parameters:
      local: the queues this process's workers consume (known before their consumers start).
    """

    def __init__(self, local: LocalQueues) -> None:
        self.local = local

    def after_consumer_thread_boot(self, broker: dramatiq.Broker, thread: Any) -> None:
        # the consumer thread reads its timeout after this hook, when it starts consuming
        if is_quiet(thread.queue_name, self.local.queues):
            thread.worker_timeout = quiet_timeout(thread.worker_timeout)
