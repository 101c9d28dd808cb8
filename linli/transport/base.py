"""How work moves between the pipeline's steps.

A step returns a :class:`~linli.pipeline.Next`; a :class:`Transport` takes it to the
next steps: handler calls to the handle step, rooms to the deliver step, published
events back to the dispatch step. Two implementations:

- :class:`~linli.transport.inprocess.InProcessTransport` runs the next step at once,
  in the thread that produced the work, when this process serves it;
- :class:`~linli.transport.dramatiq.DramatiqTransport` puts the work on linli's
  queues, where a worker's actor takes it off and runs it (and retries it).

A process stacks them: the in-process transport in front, handing to the queue what
it does not serve and every try that failed.
"""

from __future__ import annotations

from typing import Protocol

from linli.core.events import DomainEvent, HandlerCall, Inbound
from linli.pipeline.next import Next

__all__ = ["Hop", "Queue", "Runner", "Serves", "Transport"]

#: one piece of work for one step: an event to dispatch, a call to handle, a room (its key) to deliver
Hop = Inbound | DomainEvent | HandlerCall | str


class Transport(Protocol):
    """Moves work to the pipeline's steps."""

    def submit(self, inbound: Inbound) -> None:
        """Have a platform event dispatched; returns once it cannot be lost."""

    def send(self, work: Next) -> None:
        """Have a step's work done: its calls handled, its rooms delivered, its events dispatched
        (and recorded as routed, so that the outbox sweep does not send them again)."""


class Queue(Transport, Protocol):
    """A transport that keeps work until a worker takes it, and can try it again."""

    def retry(self, hop: Hop, exc: Exception) -> None:
        """``hop``'s first try failed in the thread that produced it: queue it as its queue's
        retry policy says, as if a worker had tried it (or drop it, logged, when the policy
        allows no retry). Called in the ``except`` block of that failure."""

    def will_retry(self, hop: Hop) -> bool:
        """Whether a first try of ``hop`` that fails for now is tried again."""


class Serves(Protocol):
    """Which steps this process runs itself."""

    def dispatches(self) -> bool: ...

    def handles(self, plugin: str) -> bool: ...

    def delivers(self, platform: str) -> bool: ...


class Runner(Protocol):
    """Runs one hop now, in this thread, and sends on what it leaves; a queue's worker
    calls it with the work it took off the queue. Exceptions are the try's failure."""

    def run_inbound(self, inbound: Inbound, *, last_try: bool = True) -> None:
        """Dispatch ``inbound`` (its attachments fetched first); ``last_try``: a failure
        to fetch them will not be retried, so the person is told instead."""

    def run_event(self, event: DomainEvent) -> None: ...

    def run_call(self, call: HandlerCall, *, last_try: bool) -> None: ...

    def run_room(self, room: str) -> None: ...
