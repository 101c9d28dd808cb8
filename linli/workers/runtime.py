"""The composition root: settings in, store, registry, dispatcher, broker and actors out.

Entry points (``linli run``, ``linli worker``, tests) build one :class:`Runtime`
explicitly and pass it down; importing this module builds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import dramatiq
import sqlalchemy as sa
import structlog

from linli.core import directory
from linli.core.adapter import ChatAdapter
from linli.core.calendar import WorkingDays
from linli.core.clock import Clock, SystemClock
from linli.core.config import check_districts
from linli.core.directory import DirectoryCache
from linli.core.dispatcher import Dispatcher, parse_command
from linli.core.errors import DeliveryError, LinliError
from linli.core.events import DomainEvent, HandlerCall, Inbound, Outbound, from_json, to_json
from linli.core.i18n import Message
from linli.core.logging import bound_context
from linli.core.outbox import has_pending, mark_events_sent
from linli.core.people import Claim
from linli.core.registry import PluginRegistry, load_entry_points
from linli.core.settings import Settings
from linli.core.storage import Store
from linli.core.storage.migrate import migration_dirs
from linli.workers import handlers
from linli.workers.broker import (
    EVENTS_QUEUE,
    build_broker,
    build_rate_backend,
    outbox_queue,
    plugin_queue,
    shared_redis_url,
)
from linli.workers.hops import Hops, LocalQueues
from linli.workers.idle import IdleTracker
from linli.workers.locks import build_room_locks
from linli.workers.polling import QuietPolling, polls_redis

__all__ = ["PLATFORMS", "Runtime"]

log = structlog.get_logger("linli.worker")

#: the platforms whose outbox queues are declared (an adapter may be absent in a process).
PLATFORMS = ("console", "telegram", "matrix", "test")


def _message(kind: str | None, obj: Any) -> tuple[Any, ...]:
    """An actor's arguments for an event class: its JSON form, after the kind for ``linli.events``."""
    return (to_json(obj),) if kind is None else (kind, to_json(obj))


class Runtime:
    """One process's linli: the pieces built from settings, and the actors on the broker.

    Parameters:
      settings: the loaded settings.
      registry: the plugins; by default those installed under the ``linli.plugins`` entry points.
      adapters: the chat adapters this process delivers for, by platform.
      clock: the time source (tests pass a :class:`FrozenClock`).
      broker: a ready broker; by default built from ``settings.queue``.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        registry: PluginRegistry | None = None,
        adapters: Mapping[str, ChatAdapter] | None = None,
        clock: Clock | None = None,
        broker: dramatiq.Broker | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry or PluginRegistry(load_entry_points())
        # a wrong plugin name or config value stops every process at start-up, in one line
        # naming the file and the key, instead of failing each event that reads it
        check_districts(settings, self.registry)
        self.store = Store(
            settings.storage.url,
            migration_dirs=migration_dirs(self.registry.packages()),
            echo=settings.storage.echo,
        )
        self.clock: Clock = clock or SystemClock()
        self.directory = DirectoryCache()
        self.calendar = WorkingDays.from_settings(settings.scheduler)
        self.dispatcher = Dispatcher(
            self.store,
            self.registry,
            self.directory,
            self.clock,
            settings.privacy.notice_version,
            settings.i18n.default_language,
        )
        #: the plugins that have dialogs (their handlers look up the person's open dialog)
        self.dialog_plugins = frozenset(plugin for plugin, _ in self.registry.dialogs)
        self.adapters: dict[str, ChatAdapter] = dict(adapters or {})
        self.broker = broker or build_broker(settings.queue)
        self.rate_backend = build_rate_backend(settings.queue)
        self.room_locks = build_room_locks(shared_redis_url(settings.queue))
        local = LocalQueues()
        self.broker.add_middleware(local)
        if polls_redis(self.broker):
            self.broker.add_middleware(QuietPolling(local))
        tracker = self._idle_tracker()
        self.hops = Hops(local, tracker.running if tracker is not None else None)
        self._declare_actors()

    # --- set-up ------------------------------------------------------------------

    def prepare_database(self) -> tuple[list[str], list[str]]:
        """Apply migrations and write the districts the database lacks.

        Returns: the migrations applied and the districts written.
        """
        applied = self.store.upgrade()
        with self.store.begin() as conn:
            seeded = directory.seed_districts(conn, self.settings.districts)
        return applied, seeded

    def settings_drift(self) -> list[Message]:
        """The districts of the settings file that differ from the database's copy (which is
        the one used): what start-up and ``linli doctor`` point out. Empty before migrations."""
        try:
            with self.store.connect() as conn:
                return directory.settings_drift(conn, self.settings.districts)
        except (sa.exc.SQLAlchemyError, LinliError):
            return []

    def _declare_actors(self) -> None:
        b = self.broker
        max_retries = self.settings.queue.max_retries
        self.dispatch_actor: dramatiq.Actor[..., None] = dramatiq.actor(
            broker=b, actor_name="linli.dispatch", queue_name=EVENTS_QUEUE, max_retries=max_retries
        )(self._dispatch)
        self.plugin_actors: dict[str, dramatiq.Actor[..., None]] = {
            name: dramatiq.actor(
                broker=b, actor_name=f"linli.handle.{name}", queue_name=plugin_queue(name), max_retries=max_retries
            )(self._handle)
            for name in self.registry.plugins
        }

        def retry_delivery(retries: int, exc: BaseException) -> bool:
            # a platform asking us to wait is not a failure: keep trying, in order
            return isinstance(exc, dramatiq.Retry) or retries < max_retries

        self.delivery_actors: dict[str, dramatiq.Actor[..., None]] = {
            platform: dramatiq.actor(
                broker=b,
                actor_name=f"linli.deliver.{platform}",
                queue_name=outbox_queue(platform),
                retry_when=retry_delivery,
                min_backoff=50,
                max_backoff=30_000,
            )(self._deliver)
            for platform in PLATFORMS
        }

    def queues_for(self, platforms: Iterable[str]) -> set[str]:
        """The queues a worker serving these platforms' outboxes consumes."""
        names = {EVENTS_QUEUE, *(plugin_queue(n) for n in self.registry.plugins)}
        return names | {outbox_queue(p) for p in platforms}

    # --- sending work ---------------------------------------------------------------

    def submit(self, inbound: Inbound) -> None:
        """Put a platform event on ``linli.events``; returns once the broker has it.

        When a worker of this process consumes ``linli.events`` (``linli run``), the
        event is dispatched, handled and delivered here instead, before this returns
        (see :mod:`linli.workers.hops`)."""
        self.hops.run(
            self.dispatch_actor, partial(self._dispatch_inbound, inbound), partial(_message, "inbound", inbound)
        )

    def _enqueue_calls(self, calls: Iterable[HandlerCall]) -> None:
        for call in calls:
            self.hops.run(
                self.plugin_actors[call.plugin],
                partial(self._handle_call, call, retries=0),
                partial(_message, None, call),
            )

    def _enqueue_rooms(self, rooms: Iterable[str], known: Mapping[str, Outbound] | None = None) -> None:
        for room in dict.fromkeys(rooms):
            platform = room.partition(":")[0]
            actor = self.delivery_actors.get(platform)
            if actor is None:
                log.error("no outbox queue for platform", room=room)
                continue
            self.hops.run(
                actor, partial(self._deliver, room, known), partial(tuple, (room,)), local=platform in self.adapters
            )

    def _enqueue_messages(self, messages: Sequence[Outbound]) -> None:
        """Deliver the rooms of messages just committed: a delivery run in this thread sends
        these as they are instead of decoding their rows again."""
        if messages:
            self._enqueue_rooms((m.address.room_key for m in messages), {m.key: m for m in messages})

    def _enqueue_events(self, events: list[DomainEvent]) -> None:
        for event in events:
            self.hops.run(
                self.dispatch_actor, partial(self._dispatch_domain, event), partial(_message, "domain", event)
            )
        if events:
            # routed (their calls handled or queued) or on the queue: the sweep need not re-send them
            with self.store.begin() as conn:
                mark_events_sent(conn, [e.event_id for e in events], self.clock.now())

    # --- the actors -------------------------------------------------------------------

    def _dispatch(self, kind: str, body: dict[str, Any]) -> None:
        if kind == "inbound":
            self._dispatch_inbound(from_json(body, Inbound))
        elif kind == "domain":
            self._dispatch_domain(from_json(body, DomainEvent))
        else:
            log.error("unknown message on linli.events dropped", kind=kind)

    def _dispatch_inbound(self, inbound: Inbound) -> None:
        with self.store.session(), bound_context(event_id=inbound.event_id, room=inbound.address.room_key):
            failed = self._dispatch_and_handle(inbound)
            if failed is None:
                return
            # hop by hop: the dispatch commits on its own, each handler in its own transaction
            calls, rooms = self.dispatcher.dispatch(inbound)
            self._enqueue_rooms(rooms)
            call, exc = failed
            for c in calls:
                if call is not None and exc is not None and c.key == call.key:
                    # its first try was the one that failed: no second run of the handler now
                    self.hops.run(
                        self.plugin_actors[c.plugin],
                        partial(self._handle_call, c, retries=0, failed=exc),
                        partial(_message, None, c),
                    )
                else:
                    self._enqueue_calls([c])

    def _dispatch_and_handle(self, inbound: Inbound) -> tuple[HandlerCall | None, Exception | None] | None:
        """Dispatch ``inbound`` and run the handlers this process serves in one transaction.

        The dispatcher's writes, each handler's writes, messages and mark commit together
        (a handler's own guarantee, only wider), which saves a transaction per event.

        Returns: None when done; else nothing was committed, and the call whose handler
          failed with its error (both None when the dispatch itself failed).
        """
        served = self.hops.serves
        call: HandlerCall | None = None
        claim = self._claim(inbound)
        try:
            with self.store.begin() as conn:
                calls, rooms = self.dispatcher.route(conn, inbound, claim)
                claimed = claim.inserted if claim is not None else None
                done = []
                for call in calls:
                    if served(plugin_queue(call.plugin)):
                        marked = None
                        if claim is not None and call.key == claim.key:
                            marked, claimed = claimed, None
                        with bound_context(**handlers.describe(call)):
                            done.append((call, handlers.handle_in(self, conn, call, marked=marked)))
                call = None
                if claim is not None and claimed:  # the event did not reach that handler here
                    handlers.unmark(conn, claim.key)
        except Exception as exc:  # nothing was committed; the caller goes hop by hop
            return (call, exc) if call is not None else (None, None)
        self._enqueue_rooms(rooms)
        self._enqueue_calls(c for c in calls if not served(plugin_queue(c.plugin)))
        for _, effects in done:
            if effects is not None:
                self._enqueue_messages(effects.messages)
                self._enqueue_events(effects.events)
        return None

    def _claim(self, inbound: Inbound) -> Claim | None:
        """The processed mark of the command handler ``inbound`` names, to claim while the
        sender is looked up, when this process runs that handler and the database can
        (PostgreSQL): a round trip less for most events."""
        if inbound.kind != "message" or self.store.dialect != "postgresql":
            return None
        parsed = parse_command(inbound.text)
        handler = self.registry.command(parsed.name) if parsed is not None else None
        if handler is None or not self.hops.serves(plugin_queue(handler.plugin)):
            return None
        return Claim(f"{inbound.event_id}:{handler.plugin}.{handler.name}")

    def _dispatch_domain(self, event: DomainEvent) -> None:
        with self.store.session(), bound_context(event_id=event.event_id, district=event.district_id):
            self._enqueue_calls(self.dispatcher.route_event(event))

    def _handle(self, body: dict[str, Any]) -> None:
        self._handle_call(from_json(body, HandlerCall))

    def _handle_call(self, call: HandlerCall, *, retries: int | None = None, failed: Exception | None = None) -> None:
        with self.store.session(), bound_context(**handlers.describe(call)):
            if failed is None:
                effects = handlers.run_handler(self, call, retries=retries)
            else:
                effects = handlers.handler_failed(self, call, failed, retries=retries)
            if effects is None:
                return
            self._enqueue_messages(effects.messages)
            self._enqueue_events(effects.events)

    def _deliver(self, room_key: str, known: Mapping[str, Outbound] | None = None) -> None:
        """Send a room's pending messages, in order, one worker per room at a time.

        A message that finds the room busy leaves its rows to the worker holding it,
        and a mark on the room: that one, if marked, looks for pending rows again after
        letting go, and delivers what was committed meanwhile (or leaves it to whoever
        took the room since, who reads after letting go too). So no row waits for a
        retry because its room was busy.

        Parameters:
          known: messages this thread has just committed, by key (not decoded again).
        """
        # the lock's TTL frees the room if a worker dies while delivering; a drain never sleeps
        # on a platform's rate limit (it raises Retry and the room's rows wait, in order)
        # no room bound to the log context: deliver_room names the room in each of its lines
        with self.store.session(), self.store.autocommit() as conn:
            while True:
                with self.room_locks.hold(room_key) as hold:
                    if not hold.held:
                        return
                    try:
                        handlers.deliver_room(self, room_key, conn, known)
                    except DeliveryError as exc:
                        delay = int(exc.retry_after * 1000) if exc.retry_after else None
                        raise dramatiq.Retry(str(exc), delay=delay) from None
                if not hold.missed or not has_pending(conn, room_key):
                    return

    # --- in-process running -------------------------------------------------------------

    def worker(self, *, queues: set[str] | None = None, threads: int | None = None) -> dramatiq.Worker:
        """A Dramatiq worker over this runtime's broker (started by the caller)."""
        return dramatiq.Worker(
            self.broker,
            queues=queues,
            worker_threads=threads or self.settings.queue.worker_threads,
            worker_timeout=self.settings.queue.worker_timeout_ms,
        )

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until the in-process broker has handled every message, retries included.

        Raises: TimeoutError: work is still going on after ``timeout`` seconds.
        """
        tracker = self._idle_tracker()
        if tracker is None:
            raise TypeError("wait_idle() needs the in-process broker")
        if not tracker.wait(timeout):
            raise TimeoutError(f"{tracker.busy} message(s) still being handled after {timeout} s")

    def _idle_tracker(self) -> IdleTracker | None:
        return next((m for m in self.broker.middleware if isinstance(m, IdleTracker)), None)

    def close(self) -> None:
        for adapter in self.adapters.values():
            adapter.close()
        self.broker.close()
        self.room_locks.close()
        self.store.dispose()
