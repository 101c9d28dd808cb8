"""The scheduler: fires plugin jobs per district onto the plugin queues, and re-sends
outbox rows a crash left behind.

Exactly one scheduler is active at a time. Deployments run ``linli scheduler``
(a second one waits and takes over when the first dies); the embedded default
runs it in a thread of ``linli run``. Which lock keeps the others idle depends on
the services there are: a Redis lock with a TTL renewed at every tick, else a
PostgreSQL session advisory lock; the in-process broker needs none.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
import structlog
from sqlalchemy.pool import NullPool

from linli.core import attachments, outbox, scheduling
from linli.core.calendar import WorkingDays
from linli.core.errors import SettingsError, StorageError
from linli.core.events import DomainEvent, HandlerCall, from_json
from linli.core.settings import Settings
from linli.core.storage import Store
from linli.core.storage import schema as s
from linli.core.storage.schema import utcnow
from linli.pipeline.next import Next
from linli.workers.broker import shared_redis_url

if TYPE_CHECKING:
    from linli.workers.runtime import Runtime

__all__ = [
    "LeaderLock",
    "PostgresLeaderLock",
    "RedisLeaderLock",
    "Scheduler",
    "SoleScheduler",
    "leader_lock",
    "run_scheduler",
]

#: an outbox row still pending this long after its commit lost its queue message
STALE_AFTER = dt.timedelta(seconds=30)
#: ``pg_try_advisory_lock(classid, objid)``: "linl" for linli, and the schema as the object
_PG_LOCK_CLASS = 0x6C696E6C
_REDIS_LOCK_NAME = "linli:scheduler"


# --- one active scheduler -----------------------------------------------------------


class LeaderLock(Protocol):
    """What keeps a second scheduler idle."""

    def hold(self) -> bool:
        """Take the lock, or renew it when this process has it; whether it has it now.

        Raises: Exception: the lock's server cannot be reached (the caller treats it as not held).
        """
        ...

    def release(self) -> None:
        """Let another scheduler take over at once."""
        ...


class SoleScheduler:
    """No lock: the in-process broker has no other scheduler to fear."""

    def hold(self) -> bool:
        return True

    def release(self) -> None:
        pass


class RedisLeaderLock:
    """A Redis lock that expires ``ttl`` seconds after its last renewal, so a
    scheduler that dies hands over within ``ttl``.

    Parameters:
      url: the Redis URL.
      ttl: seconds; renew more often than that.
    """

    def __init__(self, url: str, ttl: float, *, name: str = _REDIS_LOCK_NAME) -> None:
        import redis

        self._client = redis.Redis.from_url(url)
        # not thread-local: run() may renew in another thread than the one that acquired
        self._lock = self._client.lock(name, timeout=ttl, thread_local=False)
        self._held = False

    def hold(self) -> bool:
        from redis.exceptions import LockError

        if self._held:
            try:
                self._lock.reacquire()
                return True
            except LockError:  # expired, perhaps taken by another scheduler meanwhile
                self._held = False
        self._held = bool(self._lock.acquire(blocking=False))
        return self._held

    def release(self) -> None:
        from redis.exceptions import LockError, RedisError

        if self._held:
            self._held = False
            with contextlib.suppress(LockError, RedisError):
                self._lock.release()
        self._client.close()


class PostgresLeaderLock:
    """A PostgreSQL session advisory lock: held as long as this scheduler's
    connection lives, released by the server when the process or its connection dies.

    The lock is per schema, so deployments sharing a database do not block each other.

    Parameters:
      url: the database URL (a connection of its own is kept open).
    """

    def __init__(self, url: str | sa.URL) -> None:
        # no pool: closing the connection must end the session, and the lock with it
        self._engine = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT", hide_parameters=True)
        self._conn: sa.Connection | None = None
        self._held = False

    @property
    def backend_pid(self) -> int | None:
        """The server process of the lock's session (for tests and ``linli doctor``)."""
        if self._conn is None:
            return None
        return int(self._conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())

    def hold(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self._engine.connect()
            if self._held:
                self._conn.execute(sa.text("SELECT 1"))  # the session lives, so the lock is ours
                return True
            self._held = bool(
                self._conn.execute(
                    sa.text("SELECT pg_try_advisory_lock(:c, hashtext(current_schema()))"), {"c": _PG_LOCK_CLASS}
                ).scalar()
            )
            return self._held
        except sa.exc.DBAPIError:
            self._drop()
            raise

    def _drop(self) -> None:
        self._held = False
        if self._conn is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self._conn.close()
            self._conn = None

    def release(self) -> None:
        self._drop()
        self._engine.dispose()


def leader_lock(settings: Settings, store: Store, *, log: Any = None) -> LeaderLock:
    """The lock that fits the deployment: none for the in-process broker, Redis when
    there is one, else PostgreSQL's advisory lock.

    Parameters:
      settings: ``[queue]`` and ``[scheduler]`` are read.
      store: the database (its URL for the advisory lock).
      log: where a deployment without either is warned about.
    """
    q = settings.queue
    if q.broker.startswith("memory:"):
        return SoleScheduler()
    url = shared_redis_url(q)
    if url:
        return RedisLeaderLock(url, settings.scheduler.lock_ttl_seconds)
    if store.dialect == "postgresql":
        return PostgresLeaderLock(store.engine.url)
    (log or structlog.get_logger("linli.scheduler")).warning(
        "no Redis and no PostgreSQL: nothing stops a second scheduler from running; run only one"
    )
    return SoleScheduler()


# --- the scheduler ----------------------------------------------------------------------


class Scheduler:
    """Fires the jobs due, once each, while it holds the leader lock.

    Parameters:
      runtime: the store, registry, directory, clock and actors it works with.
      lock: the leader lock (by default :func:`leader_lock` for the settings).
      calendar: the working days (by default from ``[scheduler]``).
    """

    def __init__(
        self, runtime: Runtime, *, lock: LeaderLock | None = None, calendar: WorkingDays | None = None
    ) -> None:
        self.rt = runtime
        self.settings = runtime.settings.scheduler
        # loggers per instance, so that structlog's logger cache cannot hide them from capture_logs
        self.log = structlog.get_logger("linli.scheduler")
        self.lock = lock if lock is not None else leader_lock(runtime.settings, runtime.store, log=self.log)
        self.calendar = calendar or WorkingDays(
            holidays=self.settings.holidays, workdays=self.settings.workdays, log=self.log
        )
        self.timetable = scheduling.Timetable(self.log)
        self.leading: bool | None = None
        self._next_firing: dt.datetime | None = None
        self._housekept_at: float | None = None

    # --- one tick ---------------------------------------------------------------

    def tick(self) -> list[HandlerCall]:
        """Renew (or try to take) the lock; when held, fire the jobs due and re-send
        stale outbox rows. Returns the calls enqueued."""
        if not self._lead():
            return []
        calls = self.fire_due()
        self.housekeep()
        return calls

    def _lead(self) -> bool:
        try:
            held = self.lock.hold()
        except Exception as exc:
            self.log.warning("cannot reach the scheduler lock; not scheduling", error=str(exc))
            held = False
        if held != self.leading:
            if held:
                self.log.info("this scheduler is active")
            elif self.leading:
                self.log.warning("lost the scheduler lock; waiting")
            else:
                self.log.info("another scheduler is active; waiting")
        self.leading = held
        return held

    def fire_due(self) -> list[HandlerCall]:
        """Enqueue the jobs due at the clock's time, then record their firings.

        Enqueueing comes first: after a crash in between, the next tick enqueues the
        same firing under the same key, and the worker handles it once.
        """
        now = self.rt.clock.now()
        with self.rt.store.connect() as conn:
            districts = self.rt.directory.all(conn)
            state = scheduling.load_state(conn)
        jobs = scheduling.active_jobs(districts, self.rt.registry)
        decisions = scheduling.plan(jobs, state, now, self.timetable, self.calendar)
        calls = []
        for d in decisions:
            where = {"district": d.job.district_id, "plugin": d.job.plugin, "job": d.job.name}
            if d.call is not None:
                self.rt.queue.send(Next(calls=[d.call]))
                self.log.info("job fired", fire_time=d.call.fire_time, **where)
                calls.append(d.call)
            elif not d.first_sight:
                self.log.info("job skipped: not a working day", fire_time=d.last_fire.isoformat(), **where)
        gone = set(state) - {job.key for job in jobs}
        if decisions or gone:
            with self.rt.store.begin() as conn:
                scheduling.save_state(conn, decisions, gone)
        self._next_firing = self._soonest(jobs, now)
        return calls

    def _soonest(self, jobs: list[scheduling.Job], now: dt.datetime) -> dt.datetime | None:
        times = []
        for job in jobs:
            trigger = self.timetable.trigger(job)
            when = scheduling.next_firing(trigger, now) if trigger is not None else None
            if when is not None:
                times.append(when)
        return min(times, default=None)

    def housekeep(self) -> int:
        """Re-send outbox rows left pending for more than 30 seconds (a crash between a
        handler's commit and its enqueue), and delete sent rows and processed marks
        older than ``[storage] retention_days``; at most once per 30 seconds. Returns
        how many rows were re-sent."""
        at = time.monotonic()
        if self._housekept_at is not None and at - self._housekept_at < STALE_AFTER.total_seconds():
            return 0
        self._housekept_at = at
        # created_at is written with the wall clock, so compare with the wall clock
        now = utcnow()
        with self.rt.store.begin() as conn:
            pruned = outbox.prune(conn, now - dt.timedelta(days=self.rt.settings.storage.retention_days))
        if any(pruned):
            self.log.info("old sent messages and marks deleted", messages=pruned[0], marks=pruned[1])
        self.release_files(now)
        with self.rt.store.connect() as conn:
            rows = outbox.stale_rows(conn, now - STALE_AFTER)
        if not rows:
            return 0
        rooms = dict.fromkeys(room for kind, room, _ in rows if kind == "message")
        events = [payload for kind, _, payload in rows if kind == "event"]
        # on the queues, whatever this process serves: the sweep runs beside the work, not in it
        # (sending the events records them as routed)
        self.rt.queue.send(Next(rooms=rooms, events=self._decoded(events)))
        self.log.warning(
            "re-sent outbox rows left pending", messages=len(rows) - len(events), rooms=len(rooms), events=len(events)
        )
        return len(rows)

    def release_files(self, now: dt.datetime) -> None:
        """Files fetched and never attached to anything, after ``[storage] retention_days``;
        then the blobs nothing refers to any more (a record or a person deleted them)."""
        retention = dt.timedelta(days=self.rt.settings.storage.retention_days)
        try:
            with self.rt.store.begin() as conn:
                dropped = attachments.prune(conn, now - retention, now)
            released = attachments.release_blobs(self.rt.store.begin, self.rt.blobs)
        except Exception as exc:  # the rest of the housekeeping goes on; tried again next time
            self.log.error("releasing stored files failed", error=type(exc).__name__, exc_info=exc)
            return
        if dropped or released:
            self.log.info("stored files released", unattached=dropped, blobs=released)

    def _decoded(self, payloads: list[Any]) -> list[DomainEvent]:
        """The pending events that can be decoded; the others are marked failed, logged: one
        written by another version of linli must not stop the sweep of every other row."""
        events, broken = [], []
        for payload in payloads:
            try:
                events.append(from_json(payload, DomainEvent))
            except Exception as exc:
                key = payload.get("event_id") if isinstance(payload, dict) else None
                self.log.error("pending event cannot be decoded; given up", key=key, error=type(exc).__name__)
                if key is not None:
                    broken.append(key)
        if broken:
            with self.rt.store.begin() as conn:
                conn.execute(
                    sa.update(s.outbox)
                    .where(s.outbox.c.key.in_(broken), s.outbox.c.kind == "event")
                    .values(status="failed", error="cannot be decoded")
                )
        return events

    # --- running ----------------------------------------------------------------

    def sleep_time(self) -> float:
        """Seconds until the next tick: the next firing, but at most ``tick_seconds``
        and often enough to renew the lock."""
        cap = max(0.05, min(self.settings.tick_seconds, self.settings.lock_ttl_seconds / 3))
        if not self.leading or self._next_firing is None:
            return cap
        wait = (self._next_firing - self.rt.clock.now()).total_seconds()
        return max(0.01, min(cap, wait))

    def run(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set, then release the lock.

        A failing tick (database or broker unreachable) is logged and tried again at
        the next tick; the scheduler does not stop for it.
        """
        self.log.info("scheduler started", tick_seconds=self.settings.tick_seconds)
        try:
            while not stop.is_set():
                try:
                    self.tick()
                except Exception as exc:
                    self.log.exception("scheduler tick failed; trying again", error=type(exc).__name__)
                stop.wait(self.sleep_time())
        finally:
            self.close()
            self.log.info("scheduler stopped")

    def close(self) -> None:
        """Release the lock so that a waiting scheduler takes over at once."""
        self.lock.release()
        self.leading = None


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_scheduler(settings: Settings, *, stop: threading.Event | None = None) -> None:
    """``linli scheduler``: run the scheduler in this process until SIGTERM or SIGINT
    (or ``stop``), then release the lock and return.

    Parameters:
      settings: the loaded settings; logging is configured by the caller.
      stop: set it to stop (tests); a fresh event by default.

    Raises:
      SettingsError: the broker is the in-process one, which no worker process shares.
      StorageError: the database cannot be reached or needs ``linli db upgrade``.
    """
    if settings.queue.broker.startswith("memory:"):
        raise SettingsError(
            "linli scheduler enqueues jobs for `linli worker` processes, which need a shared broker; "
            "[queue] broker is memory://, and `linli run` schedules by itself"
        )
    from linli.workers.runtime import Runtime

    stop = stop or threading.Event()
    runtime = Runtime(settings)
    try:
        runtime.store.ping()
        pending = runtime.store.pending_migrations()
        if pending:
            raise StorageError(f"the database has {len(pending)} migration(s) to apply: run `linli db upgrade` first")
        with _stop_on_signals(stop):
            Scheduler(runtime).run(stop)
    finally:
        runtime.close()
