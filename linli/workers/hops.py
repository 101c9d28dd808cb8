"""Running the next hop of an event in the thread that produced it.

An event crosses three queues: ``linli.events`` (dispatch), ``linli.plugin.<name>``
(the handler) and ``linli.outbox.<platform>`` (delivery). When a worker of this
process consumes the next hop's queue anyway, putting the message on the queue
only for this process to take it off again costs a broker round trip, a thread
hand-off and the message's encoding, for nothing. So the hop runs here, at once,
as the first try of the message that was not sent; only when that try fails does
the message go on its queue, exactly as Dramatiq's Retries middleware would have
put it back: counted as retried once, after the actor's backoff.

The guarantees do not move: each hop still commits its effects and its marks in
its own transactions before the next hop starts, a redelivered message still finds
its marks, and a room's messages are still sent by whoever holds the room's lock,
oldest first. A queue a worker here does not consume (``linli worker -Q``, a
gateway's process) is always reached through the broker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import dramatiq
import structlog
from dramatiq.common import compute_backoff
from dramatiq.middleware import Middleware, Retries

__all__ = ["Hops", "LocalQueues"]

log = structlog.get_logger("linli.worker")

#: how many hops may nest in one thread (an event that publishes an event that ...);
#: deeper ones go through the broker
MAX_DEPTH = 8


class LocalQueues(Middleware):
    """Knows which queues the workers of this process consume.

    Dramatiq tells every middleware when a worker boots and shuts down; a worker
    started without a queue list consumes every queue declared on the broker.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._workers: dict[int, frozenset[str]] = {}
        self.queues: frozenset[str] = frozenset()

    def before_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        chosen = worker.consumer_whitelist or broker.get_declared_queues()
        with self._lock:
            self._workers[id(worker)] = frozenset(chosen)
            self.queues = frozenset().union(*self._workers.values())

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        with self._lock:
            self._workers.pop(id(worker), None)
            self.queues = frozenset().union(*self._workers.values())


class Hops:
    """Runs a hop here when this process consumes its queue, else sends it.

    Parameters:
      local: the queues this process's workers consume.
      busy: a context manager entered while a hop runs here (the in-process
        broker's idle tracker, so that waiting for idle also waits for these).
    """

    def __init__(self, local: LocalQueues, busy: Callable[[], AbstractContextManager[Any]] | None = None) -> None:
        self.local = local
        self._busy = busy or nullcontext
        self._depth = threading.local()

    def serves(self, queue_name: str) -> bool:
        """Whether a worker of this process consumes ``queue_name``."""
        return queue_name in self.local.queues

    def run(
        self,
        actor: dramatiq.Actor[..., Any],
        here: Callable[[], None],
        args: Callable[[], tuple[Any, ...]],
        *,
        local: bool = True,
    ) -> None:
        """Run ``here`` now when this process serves ``actor``'s queue (and ``local``);
        otherwise send ``actor`` the message ``args()``.

        Parameters:
          actor: the actor whose message this hop is.
          here: the hop's work, done in this thread.
          args: the message's arguments (plain JSON), built only when it is sent.
          local: False when something else keeps the hop from running here.
        """
        depth = getattr(self._depth, "n", 0)
        if not local or depth >= MAX_DEPTH or actor.queue_name not in self.local.queues:
            actor.send(*args())
            return
        self._depth.n = depth + 1
        try:
            with self._busy():
                here()
        except Exception as exc:  # the hop's first try failed: the queue retries it
            self._retry_later(actor, args(), exc)
        finally:
            self._depth.n = depth

    @staticmethod
    def _retry_later(actor: dramatiq.Actor[..., Any], args: tuple[Any, ...], exc: Exception) -> None:
        """What Dramatiq's Retries middleware does after a failed first try."""
        options = actor.options
        retries = next((m for m in actor.broker.middleware if isinstance(m, Retries)), None)
        max_retries = options.get("max_retries", getattr(retries, "max_retries", 0))
        retry_when = options.get("retry_when")
        if (retry_when is not None and not retry_when(0, exc)) or (retry_when is None and max_retries <= 0):
            log.error("hop failed and is not retried", actor=actor.actor_name, error=type(exc).__name__, exc_info=exc)
            return
        if isinstance(exc, dramatiq.Retry) and exc.delay is not None:
            delay = exc.delay
        else:
            min_backoff = options.get("min_backoff", getattr(retries, "min_backoff", 15_000))
            max_backoff = options.get("max_backoff", getattr(retries, "max_backoff", 604_800_000))
            _, delay = compute_backoff(0, factor=min_backoff, max_backoff=max_backoff)
        if not isinstance(exc, dramatiq.Retry):
            log.warning(
                "hop failed; retrying it through the queue",
                actor=actor.actor_name,
                error=type(exc).__name__,
                delay_ms=delay,
                exc_info=exc,
            )
        actor.send_with_options(args=args, delay=delay, retries=1)
