"""The Dramatiq transport: linli's queues, their actors, and retries.

Three kinds of queue, one per step (:mod:`linli.transport.queues`): ``linli.events``
(dispatch), ``linli.plugin.<name>`` (handle) and ``linli.outbox.<platform>``
(deliver). Each has an actor, which decodes the message and has the process's
:class:`~linli.transport.base.Runner` run the step. A try that fails is retried by
Dramatiq's own Retries middleware, under the actor's options (``max_retries``,
``min_backoff``, ``max_backoff``, ``retry_when``); a room the platform asks to wait
raises :class:`dramatiq.Retry` with the delay it named.

Every message is plain JSON: an event class's ``to_json`` form, or a room's key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import dramatiq
import structlog
from dramatiq.broker import MessageProxy
from dramatiq.middleware import CurrentMessage, Middleware, Retries

from linli.core.adapter import ChatAdapter
from linli.core.errors import DeliveryError
from linli.core.events import DomainEvent, HandlerCall, Inbound, from_json, to_json
from linli.pipeline.next import Next
from linli.transport.base import Hop, Runner
from linli.transport.queues import EVENTS_QUEUE, outbox_queue, plugin_queue

__all__ = ["ConsumedHere", "DramatiqTransport", "LocalQueues"]

log = structlog.get_logger("linli.worker")


def as_retry(exc: Exception) -> Exception:
    """A platform's "wait" (a :class:`DeliveryError` with ``retry_after``) as Dramatiq's
    :class:`~dramatiq.Retry` with that delay; a delivery failing for now as a plain Retry
    (the deliver step has counted the attempt and chosen the backoff)."""
    if isinstance(exc, DeliveryError):
        delay = int(exc.retry_after * 1000) if exc.retry_after else None
        return dramatiq.Retry(str(exc), delay=delay)
    return exc


class _NoRunner:
    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("DramatiqTransport.runner is not set: nothing runs the messages it takes")


class DramatiqTransport:
    """Sends work to linli's queues, and declares the actors that take it off.

    Parameters:
      broker: the broker (``linli.workers.broker.build_broker``), with a Retries middleware.
      plugins: the plugin names: a queue and an actor each.
      platforms: the platforms whose outbox queues are declared.
      events_sent: called with published events once they are on ``linli.events``
        (they are then not sent again by the outbox sweep).

    Set :attr:`runner` before a worker starts: it runs what the actors take off their queues.
    """

    def __init__(
        self,
        broker: dramatiq.Broker,
        *,
        plugins: Iterable[str],
        platforms: Iterable[str],
        max_retries: int,
        events_sent: Callable[[list[DomainEvent]], None],
    ) -> None:
        self.broker = broker
        self.runner: Runner = _NoRunner()
        self._events_sent = events_sent
        self._retries = next((m for m in broker.middleware if isinstance(m, Retries)), None)

        def retry_delivery(retries: int, exc: BaseException) -> bool:
            # a platform asking us to wait is not a failure: keep trying, in order
            return isinstance(exc, dramatiq.Retry) or retries < max_retries

        self.dispatch_actor: dramatiq.Actor[..., None] = dramatiq.actor(
            broker=broker, actor_name="linli.dispatch", queue_name=EVENTS_QUEUE, max_retries=max_retries
        )(self._dispatch)
        self.plugin_actors: dict[str, dramatiq.Actor[..., None]] = {
            name: dramatiq.actor(
                broker=broker, actor_name=f"linli.handle.{name}", queue_name=plugin_queue(name), max_retries=max_retries
            )(self._handle)
            for name in plugins
        }
        self.delivery_actors: dict[str, dramatiq.Actor[..., None]] = {
            platform: dramatiq.actor(
                broker=broker,
                actor_name=f"linli.deliver.{platform}",
                queue_name=outbox_queue(platform),
                retry_when=retry_delivery,
                min_backoff=50,
                max_backoff=30_000,
            )(self._deliver)
            for platform in platforms
        }

    # --- sending --------------------------------------------------------------------------

    def submit(self, inbound: Inbound) -> None:
        """Put a platform event on ``linli.events``; returns once the broker has it."""
        self.dispatch_actor.send("inbound", to_json(inbound))

    def send(self, work: Next) -> None:
        for room in work.rooms:
            actor = self.delivery_actors.get(room.partition(":")[0])
            if actor is None:
                log.error("no outbox queue for platform", room=room)
                continue
            actor.send(room)
        for call in work.calls:
            self.plugin_actors[call.plugin].send(to_json(call))
        for event in work.events:
            self.dispatch_actor.send("domain", to_json(event))
        if work.events:
            self._events_sent(work.events)

    def retry(self, hop: Hop, exc: Exception) -> None:
        """Hand ``hop``'s failed first try to Dramatiq's Retries middleware, as a worker
        would have: it puts the message on the delay queue after the actor's backoff
        (counted as retried once), or drops it when the actor allows no retry."""
        actor = self._actor(hop)
        message = MessageProxy(actor.message(*self._args(hop)))
        exc = as_retry(exc)
        if self._retries is not None:
            self._retries.after_process_message(self.broker, message, exception=exc)  # type: ignore[no-untyped-call]
        if self._retries is None or message.failed:
            log.error("hop failed and is not retried", actor=actor.actor_name, error=type(exc).__name__, exc_info=exc)
        elif not isinstance(exc, dramatiq.Retry):
            log.warning(
                "hop failed; retrying it through the queue",
                actor=actor.actor_name,
                error=type(exc).__name__,
                exc_info=exc,
            )

    def will_retry(self, hop: Hop) -> bool:
        actor = self._actor(hop)
        retry_when = actor.options.get("retry_when")
        if retry_when is not None:
            return True  # decided by the failure
        default = self._retries.max_retries if self._retries is not None else 0
        return bool(actor.options.get("max_retries", default) > 0)

    def _actor(self, hop: Hop) -> dramatiq.Actor[..., None]:
        """The actor whose queue ``hop`` goes to."""
        if isinstance(hop, HandlerCall):
            return self.plugin_actors[hop.plugin]
        if isinstance(hop, Inbound | DomainEvent):
            return self.dispatch_actor
        return self.delivery_actors[hop.partition(":")[0]]

    @staticmethod
    def _args(hop: Hop) -> tuple[Any, ...]:
        """``hop`` as its actor's arguments (plain JSON)."""
        if isinstance(hop, HandlerCall):
            return (to_json(hop),)
        if isinstance(hop, Inbound):
            return ("inbound", to_json(hop))
        if isinstance(hop, DomainEvent):
            return ("domain", to_json(hop))
        return (hop,)

    # --- the actors ---------------------------------------------------------------------

    def _dispatch(self, kind: str, body: dict[str, Any]) -> None:
        if kind == "inbound":
            self.runner.run_inbound(from_json(body, Inbound), last_try=self._last_try())
        elif kind == "domain":
            self.runner.run_event(from_json(body, DomainEvent))
        else:
            log.error("unknown message on linli.events dropped", kind=kind)

    def _handle(self, body: dict[str, Any]) -> None:
        self.runner.run_call(from_json(body, HandlerCall), last_try=self._last_try())

    def _deliver(self, room_key: str) -> None:
        try:
            self.runner.run_room(room_key)
        except DeliveryError as exc:
            raise as_retry(exc) from None

    def _last_try(self) -> bool:
        """Whether the message being handled will not be retried if it fails: the test
        Dramatiq's Retries middleware makes after a failure."""
        message = CurrentMessage.get_current_message()
        if message is None:
            return True
        limit = message.options.get("max_retries")
        if limit is None:
            default = self._retries.max_retries if self._retries is not None else 0
            limit = self.broker.get_actor(message.actor_name).options.get("max_retries", default)
        return bool(message.options.get("retries", 0) >= limit)


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


class ConsumedHere:
    """What this process serves: the steps whose queues its Dramatiq workers consume
    (and, to deliver, the platforms it has an adapter for).

    Parameters:
      local: the queues this process's workers consume.
      adapters: this process's chat adapters, by platform.
    """

    def __init__(self, local: LocalQueues, adapters: Mapping[str, ChatAdapter]) -> None:
        self.local = local
        self.adapters = adapters

    def dispatches(self) -> bool:
        return EVENTS_QUEUE in self.local.queues

    def handles(self, plugin: str) -> bool:
        return plugin_queue(plugin) in self.local.queues

    def delivers(self, platform: str) -> bool:
        return platform in self.adapters and outbox_queue(platform) in self.local.queues
