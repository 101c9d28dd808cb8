"""Knowing when the in-process broker has finished all its work.

Dramatiq acknowledges a message on the consumer thread, which may sleep up to
the worker timeout before it does; waiting on queue acknowledgements would cost
that much per hop. :class:`IdleTracker` counts messages from enqueue to the end
of processing instead, and wakes waiters the moment the count reaches zero.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dramatiq.middleware import Middleware

__all__ = ["IdleTracker"]


class IdleTracker(Middleware):
    """Counts the messages not yet processed, delayed retries included.

    Put it first in the middleware list: ``after_*`` hooks run in reverse order,
    so it then sees a message finished only after Retries has re-enqueued it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: Counter[str] = Counter()
        self._delayed: set[str] = set()
        #: hops running in some thread without a message (see linli.transport.inprocess)
        self._running = 0

    def after_enqueue(self, broker: Any, message: Any, delay: Any) -> None:
        with self._cond:
            if message.queue_name.endswith(".DQ"):
                self._delayed.add(message.message_id)
                self._pending[message.message_id] += 1
            elif message.message_id in self._delayed:
                # a delayed message moved back to its queue: already counted
                self._delayed.discard(message.message_id)
            else:
                self._pending[message.message_id] += 1

    def _done(self, message: Any) -> None:
        with self._cond:
            self._pending[message.message_id] -= 1
            if self._pending[message.message_id] <= 0:
                del self._pending[message.message_id]
            if not self._pending and not self._running:
                self._cond.notify_all()

    @contextmanager
    def running(self) -> Iterator[None]:
        """Count work done without a message (a hop run in the thread that produced it)."""
        with self._cond:
            self._running += 1
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                if not self._pending and not self._running:
                    self._cond.notify_all()

    def after_process_message(self, broker: Any, message: Any, *, result: Any = None, exception: Any = None) -> None:
        self._done(message)

    def after_skip_message(self, broker: Any, message: Any) -> None:
        self._done(message)

    @property
    def busy(self) -> int:
        with self._cond:
            return sum(self._pending.values()) + self._running

    def wait(self, timeout: float) -> bool:
        """Block until nothing is pending; False if ``timeout`` seconds passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._running:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True
