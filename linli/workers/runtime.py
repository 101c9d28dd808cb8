"""The composition root: settings in; the pipeline's steps, the transports and the broker out.

Entry points (``linli run``, ``linli worker``, the gateways, tests) build one
:class:`Runtime` explicitly and pass it down; importing this module builds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import dramatiq
import sqlalchemy as sa

from linli.core import directory
from linli.core.adapter import ChatAdapter
from linli.core.blobs import BlobStore, open_blob_store
from linli.core.calendar import WorkingDays
from linli.core.clock import Clock, SystemClock
from linli.core.config import check_districts
from linli.core.directory import DirectoryCache
from linli.core.dispatcher import Dispatcher
from linli.core.errors import LinliError
from linli.core.events import Inbound
from linli.core.i18n import Message
from linli.core.registry import PluginRegistry, load_entry_points
from linli.core.settings import Settings
from linli.core.storage import Store
from linli.core.storage.migrate import migration_dirs
from linli.pipeline import Deliver, Dispatch, Handle
from linli.pipeline.fetch import Fetch
from linli.pipeline.locks import RedisRoomLocks, build_room_locks
from linli.transport.dramatiq import ConsumedHere, DramatiqTransport, LocalQueues
from linli.transport.inprocess import InProcessTransport
from linli.transport.queues import EVENTS_QUEUE, outbox_queue, plugin_queue
from linli.workers.broker import build_broker, build_rate_backend, shared_redis_url
from linli.workers.idle import IdleTracker
from linli.workers.polling import QuietPolling, polls_redis
from linli.workers.rooms import DueRooms

__all__ = ["PLATFORMS", "Runtime"]

#: the platforms whose outbox queues are declared (an adapter may be absent in a process).
PLATFORMS = ("console", "telegram", "matrix", "test")


class Runtime:
    """One process's linli: the pieces built from settings, wired together.

    - ``dispatch``, ``handle``, ``deliver``: the pipeline's steps (:mod:`linli.pipeline`);
    - ``queue``: the Dramatiq transport, linli's queues and their actors;
    - ``transport``: the in-process transport in front of it, which runs at once what
      this process's workers consume, and queues the rest (:mod:`linli.transport`).

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
            sqlite_synchronous=settings.storage.sqlite_synchronous,
        )
        self.clock: Clock = clock or SystemClock()
        self.directory = DirectoryCache()
        self.calendar = WorkingDays.from_settings(settings.scheduler)
        #: the adapters this process delivers for (``linli run`` adds the console's later)
        self.adapters: dict[str, ChatAdapter] = dict(adapters or {})
        self.broker = broker or build_broker(settings.queue)
        self.rate_backend = build_rate_backend(settings.queue)
        self.room_locks = build_room_locks(shared_redis_url(settings.queue))
        q = settings.queue

        self.dispatcher = Dispatcher(
            self.store,
            self.registry,
            self.directory,
            self.clock,
            settings.privacy.notice_version,
            settings.i18n.default_language,
        )
        self.dispatch = Dispatch(self.store, self.dispatcher, self.registry, self.clock)
        #: where the photos and files sent and received are kept (``[storage] blobs``)
        self.blobs: BlobStore = open_blob_store(settings.storage.blobs, settings.base_dir)
        self.handle = Handle(
            self.store,
            self.registry,
            self.directory,
            self.clock,
            self.calendar,
            settings.privacy.notice_version,
            dt.timedelta(minutes=settings.attachments.follow_up_minutes),
            blobs=self.blobs,
            web_url=settings.web.url(),
            web_link_minutes=settings.web.link_minutes,
        )
        self.deliver = Deliver(self.store, self.adapters, self.room_locks, self.clock, q.max_retries)
        self.fetch = Fetch(
            self.store,
            self.blobs,
            self.adapters,
            self.directory,
            settings.attachments,
            self.clock,
            settings.i18n.default_language,
            settings.privacy.notice_version,
        )

        local = LocalQueues()
        self.broker.add_middleware(local)
        if polls_redis(self.broker):
            self.broker.add_middleware(QuietPolling(local))
        self.queue = DramatiqTransport(
            self.broker,
            plugins=self.registry.plugins,
            platforms=PLATFORMS,
            max_retries=q.max_retries,
            events_sent=self.dispatch.events_sent,
        )
        tracker = self._idle_tracker()
        self.transport = InProcessTransport(
            self.dispatch,
            self.handle,
            self.deliver,
            store=self.store,
            serves=ConsumedHere(local, self.adapters),
            queue=self.queue,
            busy=tracker.running if tracker is not None else None,
            fetch=self.fetch,
        )
        self.queue.runner = self.transport
        if isinstance(self.room_locks, RedisRoomLocks):
            # a room whose deliverer died is delivered by the next worker once its lock runs out
            self.broker.add_middleware(DueRooms(self.room_locks, self.transport))

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

    def queues_for(self, platforms: Iterable[str]) -> set[str]:
        """The queues a worker serving these platforms' outboxes consumes."""
        names = {EVENTS_QUEUE, *(plugin_queue(n) for n in self.registry.plugins)}
        return names | {outbox_queue(p) for p in platforms}

    def submit(self, inbound: Inbound) -> None:
        """Have a platform event handled; returns once it cannot be lost.

        When a worker of this process consumes ``linli.events`` (``linli run``), the
        event is dispatched, handled and delivered here, before this returns
        (:mod:`linli.transport.inprocess`); else it is put on the queue."""
        self.transport.submit(inbound)

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
