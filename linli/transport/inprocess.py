"""The in-process transport: the next step runs at once, in the thread that produced its work.

When this process serves a step (``linli run`` serves them all; a ``linli worker``
the queues it consumes), putting its work on a queue only for this process to take
it off again costs a broker round trip, thread hand-offs and the message's
encoding, for nothing. So the step runs here, as the first try of the message that
was not sent. What this process does not serve, and every try that failed here, goes
to the queue behind it (:class:`~linli.transport.base.Queue`), which retries it as
its own policy says: Dramatiq's Retries middleware for the Dramatiq transport.

One choice is this transport's own, made explicit by ``fused``: a platform event's
dispatch and the handlers it routes to that this process serves run in **one
transaction** (the dispatcher's writes, each handler's writes, outbox rows and
processed mark commit together: a handler's own guarantee, only wider), and on
PostgreSQL the command handler's mark is claimed in the statement that finds the
sender (:meth:`Dispatch.claim <linli.pipeline.dispatch.Dispatch.claim>`). If
anything in it fails, all of it rolls back and the event goes hop by hop: the
dispatch commits on its own, and the handler that failed is answered or retried
without running a second time.

The guarantees do not move: effects and marks commit before anything is sent, a
redelivered event finds its marks, a room is delivered by whoever holds its lock,
oldest first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from linli.core.events import DomainEvent, HandlerCall, Inbound, Outbound
from linli.core.logging import bound_context
from linli.core.storage import Store
from linli.pipeline.deliver import Deliver
from linli.pipeline.dispatch import Dispatch
from linli.pipeline.fetch import Fetch, pending
from linli.pipeline.handle import Handle, describe
from linli.pipeline.next import Next
from linli.transport.base import Hop, Queue, Serves

__all__ = ["MAX_DEPTH", "InProcessTransport"]

#: how many hops may nest in one thread (an event that publishes an event that ...);
#: deeper ones go to the queue
MAX_DEPTH = 8


class InProcessTransport:
    """Runs the pipeline's steps in this thread, when this process serves them.

    Parameters:
      dispatch, handle, deliver: the pipeline's steps.
      store: the database: each hop keeps one connection (:meth:`Store.session`).
      serves: which steps this process runs.
      queue: where the rest goes, and every try that failed here.
      fused: dispatch a platform event and run the handlers this process serves in one
        transaction (see the module's documentation); False: hop by hop.
      busy: entered while a hop runs here (the in-process broker's idle tracker, so
        that waiting for idle also waits for these).
      fetch: the step that stores an event's attachments before it is dispatched.
    """

    def __init__(
        self,
        dispatch: Dispatch,
        handle: Handle,
        deliver: Deliver,
        *,
        store: Store,
        serves: Serves,
        queue: Queue,
        fused: bool = True,
        busy: Callable[[], AbstractContextManager[Any]] | None = None,
        fetch: Fetch | None = None,
    ) -> None:
        self.dispatch = dispatch
        self.handle = handle
        self.deliver = deliver
        self.store = store
        self.serves = serves
        self.queue = queue
        self.fused = fused
        self._busy = busy or nullcontext
        self.fetch = fetch
        self._depth = threading.local()

    # --- Transport: run here what this process serves, queue the rest -----------------------

    def submit(self, inbound: Inbound) -> None:
        """Dispatch, handle and deliver ``inbound`` before returning, as far as this process
        serves those steps; the rest is queued."""
        if not (self.serves.dispatches() and self._here(inbound, self._first_inbound, inbound)):
            self.queue.submit(inbound)

    def send(self, work: Next) -> None:
        serves = self.serves
        rest: Next | None = None
        for room in work.rooms:
            if not (serves.delivers(room.partition(":")[0]) and self._here(room, self.run_room, room, work.known)):
                rest = rest or Next()
                rest.rooms.append(room)
        for call in work.calls:
            if not (serves.handles(call.plugin) and self._here(call, self._first_call, call)):
                rest = rest or Next()
                rest.calls.append(call)
        if work.events:
            routed = []
            for event in work.events:
                if serves.dispatches() and self._here(event, self.run_event, event):
                    routed.append(event)
                else:
                    rest = rest or Next()
                    rest.events.append(event)
            # routed (their calls handled or queued): the outbox sweep need not send them again
            self.dispatch.events_sent(routed)
        if rest is not None:
            self.queue.send(rest)

    def _here(self, hop: Hop, run: Callable[..., None], *args: Any) -> bool:
        """Run ``hop`` now; a failure goes to the queue as a retry. False when hops nest too
        deep in this thread (the caller queues it)."""
        depth = getattr(self._depth, "n", 0)
        if depth >= MAX_DEPTH:
            return False
        self._depth.n = depth + 1
        try:
            with self._busy():
                run(*args)
        except Exception as exc:  # the hop's first try failed: its queue retries it
            self.queue.retry(hop, exc)
        finally:
            self._depth.n = depth
        return True

    # --- Runner: one hop now, its work sent on ----------------------------------------------------

    def _first_inbound(self, inbound: Inbound) -> None:
        self.run_inbound(inbound, last_try=not self.queue.will_retry(inbound))

    def run_inbound(self, inbound: Inbound, *, last_try: bool = True) -> None:
        with self.store.session(), bound_context(event_id=inbound.event_id, room=inbound.address.room_key):
            if self.fetch is not None and pending(inbound):
                # the attachments' content first, outside any transaction (fetch.py); a
                # download failing for now raises, and the queue tries the event again
                fetched, refused = self.fetch.inbound(inbound, last_try=last_try)
                if refused.rooms:
                    self.send(refused)
                if fetched is None:
                    return
                inbound = fetched
            failed = None
            if self.fused:
                work, failed = self._dispatch_and_handle(inbound)
                if work is not None:
                    self.send(work)
                    return
            # hop by hop: the dispatch commits on its own, each handler in its own transaction
            work = self.dispatch.inbound(inbound)
            self.send(Next(rooms=work.rooms))
            for call in work.calls:
                if failed is not None and call.key == failed[0].key:
                    # its first try was the one that failed: no second run of the handler now
                    if not self._here(call, self._run_failed, call, failed[1]):
                        self.queue.send(Next(calls=[call]))
                else:
                    self.send(Next(calls=[call]))

    def _dispatch_and_handle(self, inbound: Inbound) -> tuple[Next | None, tuple[HandlerCall, Exception] | None]:
        """Dispatch ``inbound`` and run the handlers this process serves in one transaction.

        Returns: the work left, or None when nothing was committed, then with the call whose
          handler failed and its error (None when the dispatch itself failed).
        """
        handles = self.serves.handles
        claim = self.dispatch.claim(inbound, handles)
        call: HandlerCall | None = None
        messages: list[Outbound] = []
        events: list[DomainEvent] = []
        again: list[str] = []
        try:
            with self.store.begin() as conn:
                routed = self.dispatch.route(conn, inbound, claim)
                claimed = claim.inserted if claim is not None else None
                rest = []
                for call in routed.calls:
                    if not handles(call.plugin):
                        rest.append(call)
                        continue
                    marked = None
                    if claim is not None and call.key == claim.key:
                        marked, claimed = claimed, None
                    with bound_context(**describe(call)):
                        effects = self.handle.run_in(conn, call, marked=marked)
                    if effects is not None:
                        messages += effects.messages
                        events += effects.events
                    elif call.address is not None:
                        # handled before: what that run committed may still wait for delivery
                        again.append(call.address.room_key)
                call = None
                if claim is not None and claimed:  # the event did not reach that handler here
                    self.handle.unmark(conn, claim.key)
        except Exception as exc:  # nothing was committed; the caller goes hop by hop
            return None, ((call, exc) if call is not None else None)
        rooms = [*routed.rooms, *(m.address.room_key for m in messages), *again]
        return Next(calls=rest, rooms=rooms, known={m.key: m for m in messages}, events=events), None

    def run_event(self, event: DomainEvent) -> None:
        with self.store.session(), bound_context(event_id=event.event_id, district=event.district_id):
            self.send(self.dispatch.event(event))

    def run_call(self, call: HandlerCall, *, last_try: bool) -> None:
        with self.store.session(), bound_context(**describe(call)):
            work = self.handle.run(call, last_try=last_try)
            if work is not None:
                self.send(work)

    def _first_call(self, call: HandlerCall) -> None:
        self.run_call(call, last_try=not self.queue.will_retry(call))

    def _run_failed(self, call: HandlerCall, exc: Exception) -> None:
        with self.store.session(), bound_context(**describe(call)):
            work = self.handle.failed(call, exc, last_try=not self.queue.will_retry(call))
            if work is not None:
                self.send(work)

    def run_room(self, room: str, known: Mapping[str, Outbound] | None = None) -> None:
        with self.store.session():
            self.deliver.room(room, known)
