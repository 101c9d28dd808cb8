"""The console as a gateway of a deployment: lines from stdin go onto the shared
broker for the workers, and this process delivers the console's own outbox.

The console's outbox queue is consumed here and nowhere else (workers have no
terminal). With piped input each line waits for the work it caused before the
next line is read, so a scripted session prints in order; see :class:`ReplyWaiter`.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import sqlalchemy as sa
import structlog

from linli.adapters.console import ConsoleAdapter
from linli.core import directory
from linli.core.errors import NotFound
from linli.core.events import Inbound
from linli.core.i18n import N_
from linli.core.settings import Settings
from linli.core.storage import schema as s
from linli.workers.broker import outbox_queue
from linli.workers.deployment import report_drift, require_shared_broker
from linli.workers.runtime import Runtime

__all__ = ["ReplyWaiter", "broker_idle", "console_room", "run_console_gateway"]

log = structlog.get_logger("linli.gateway")


def console_room(rt: Runtime, district: str | None, *, by: str) -> tuple[directory.DistrictInfo, str]:
    """The district to talk in and its console room (``console:<id>``), bound if it was not.

    Raises:
      NotFound: there is no district, or none called ``district``.
    """
    with rt.store.begin() as conn:
        districts = directory.list_districts(conn)
        if not districts:
            raise NotFound(N_("no district is configured: add one under [districts.<id>] in settings.toml"))
        chosen = next((d for d in districts if d.id == district), None) if district else districts[0]
        if chosen is None:
            raise NotFound(
                N_("no district {district!r}; there are: {known}"),
                district=district,
                known=", ".join(d.id for d in districts),
            )
        room = next((r for r in chosen.rooms if r.startswith("console:")), f"console:{chosen.id}")
        if room not in chosen.rooms:
            directory.bind_room(conn, room, chosen.id, by=by)
    return chosen, room


def broker_idle(broker: Any) -> bool:
    """Whether a Redis broker holds no message, queued, in progress or delayed, on any
    queue declared on ``broker``; one atomic snapshot (see :class:`ReplyWaiter`)."""
    pipe = broker.client.pipeline(transaction=True)
    for queue in broker.get_declared_queues():
        for name in (queue, f"{queue}.DQ"):
            pipe.hlen(f"{broker.namespace}:{name}.msgs")
    return not any(pipe.execute())


class ReplyWaiter:
    """Submits events and waits, bounded, until the work they caused is done.

    With the Redis broker "done" is exact: Dramatiq keeps a message in its
    queue's ``.msgs`` hash until it is acknowledged, and an actor enqueues the
    next hop (handler call, delivery, domain event) before its own message is
    acknowledged. So one atomic snapshot in which every linli queue (and its
    delay queue) holds no message means nothing is in flight: every reply has
    been delivered. On a busy deployment that moment may not come, hence the bound.

    With another broker it waits until the outbox rows keyed by the submitted
    events' ids (every reply's key starts with its event id) exist and are all
    sent; an event that causes no reply then costs the whole bound.

    Parameters:
      rt: the runtime whose broker and database to watch.
      timeout: the most seconds one wait lasts.
    """

    def __init__(self, rt: Runtime, *, timeout: float = 10.0) -> None:
        from dramatiq.brokers.redis import RedisBroker

        self.rt = rt
        self.timeout = timeout
        self._pending: list[str] = []
        self._interval = max(rt.settings.queue.worker_timeout_ms / 1000, 0.01)
        self._done = self._broker_idle if isinstance(rt.broker, RedisBroker) else self._replies_sent

    def submit(self, inbound: Inbound) -> None:
        self.rt.submit(inbound)
        self._pending.append(inbound.event_id)

    def wait(self) -> None:
        """Block until the submitted events' work is done, or the bound has passed (logged)."""
        deadline = time.monotonic() + self.timeout
        while not self._done():
            if time.monotonic() > deadline:
                log.warning("still waiting for replies; reading on", events=self._pending, seconds=self.timeout)
                break
            time.sleep(self._interval)
        self._pending.clear()

    def _broker_idle(self) -> bool:
        return broker_idle(self.rt.broker)

    def _replies_sent(self) -> bool:
        if not self._pending:
            return True
        with self.rt.store.connect() as conn:
            statuses = [
                status
                for event_id in self._pending
                for status in conn.execute(
                    sa.select(s.outbox.c.status).where(s.outbox.c.key.startswith(f"{event_id}:", autoescape=True))
                ).scalars()
            ]
        return bool(statuses) and "pending" not in statuses


def run_console_gateway(
    settings: Settings,
    *,
    district: str | None = None,
    speaker: str = "张三",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    reply_timeout: float = 10.0,
) -> None:
    """Read the console until the person quits or the input ends, submitting to the shared broker.

    Parameters:
      settings: the loaded settings (a Redis or RabbitMQ broker, the deployment's database).
      district: the district to talk in (default: the first one).
      speaker: who speaks first.
      stdin, stdout: the terminal or pipes.
      reply_timeout: with piped input, the most seconds to wait for one line's replies.

    Raises:
      SettingsError: the broker is the in-process one.
      NotFound: there is no such district.
    """
    require_shared_broker(settings, "linli gateway")
    rt = Runtime(settings)
    report_drift(rt.settings_drift())
    try:
        chosen, room = console_room(rt, district, by="linli gateway")
        stdin = stdin or sys.stdin
        waiter = ReplyWaiter(rt, timeout=reply_timeout)
        # in a terminal replies print as they come, like a chat; a script reads on only after them
        piped = not stdin.isatty()
        console = ConsoleAdapter(
            room=room.partition(":")[2],
            speaker=speaker,
            stdin=stdin,
            stdout=stdout or sys.stdout,
            after_submit=waiter.wait if piped else None,
            language=chosen.language,
        )
        rt.adapters["console"] = console
        # one thread: the console's messages print in the order they were written
        worker = rt.worker(queues={outbox_queue("console")}, threads=1)
        worker.start()
        try:
            console.stdout.write(f"== {chosen.name} ({chosen.id}) ==\n")
            console.run_gateway(waiter.submit)
            waiter.wait()
        finally:
            worker.stop()
    finally:
        rt.close()
