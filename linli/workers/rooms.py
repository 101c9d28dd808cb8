"""Rooms whose deliverer died: delivered by the next worker once their lock runs out.

A deliverer refused a room leaves its messages to the holder (:mod:`linli.pipeline.locks`).
If the holder was killed mid-delivery, nobody lets go and nobody reads the room
again; the refusal therefore filed the room under the moment the dead holder's lock
runs out. Every worker process asks Redis once a second for the rooms whose moment
has passed (:meth:`RoomLocks.due`: each room goes to one asker) and delivers them,
so they wait for the lock's TTL and at most a second more, not for the next event
in the room nor for ``linli scheduler``'s sweep.
"""

from __future__ import annotations

import threading
from typing import Any

import dramatiq
import structlog
from dramatiq.middleware import Middleware

from linli.pipeline.locks import RoomLocks
from linli.pipeline.next import Next
from linli.transport.base import Transport

__all__ = ["INTERVAL", "DueRooms", "deliver_due"]

log = structlog.get_logger("linli.worker")

#: seconds between two looks for rooms whose holder died
INTERVAL = 1.0


def deliver_due(locks: RoomLocks, transport: Transport) -> list[str]:
    """Deliver the rooms whose dead holder's lock has run out (here, or through their
    queue when this process does not deliver for their platform); returns them."""
    rooms = locks.due()
    if rooms:
        log.warning("delivering rooms whose deliverer did not let go", rooms=len(rooms))
        transport.send(Next(rooms=rooms))
    return rooms


class DueRooms(Middleware):
    """Runs :func:`deliver_due` every :data:`INTERVAL` seconds while a Dramatiq worker of
    this process runs (``linli worker``; a gateway runs none).

    Parameters:
      locks: the room locks (in Redis: shared by every worker).
      transport: what delivers a room (the in-process transport of the runtime).
      interval: seconds between two looks.
    """

    def __init__(self, locks: RoomLocks, transport: Transport, interval: float = INTERVAL) -> None:
        self.locks = locks
        self.transport = transport
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="linli-due-rooms", daemon=True)
            self._thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                deliver_due(self.locks, self.transport)
            except Exception as exc:  # Redis or the database away: look again next time
                log.warning("cannot look for rooms whose deliverer died", error=type(exc).__name__)
