"""Step three: send a room's pending messages to its platform, in order.

One deliverer per room at a time (the room lock, :mod:`linli.pipeline.locks`), the
room's pending outbox rows oldest first, each marked sent as it goes out.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

import sqlalchemy as sa
import structlog

from linli.core import outbox
from linli.core.adapter import ChatAdapter
from linli.core.clock import Clock
from linli.core.errors import DeliveryError, PermanentDeliveryError
from linli.core.events import Outbound
from linli.core.storage import Store
from linli.pipeline.locks import RoomLocks

__all__ = ["BATCH", "Deliver"]

log = structlog.get_logger("linli.worker")

BATCH = 20  # a drain holds its room well within the lock TTL (30 s)


def _backoff(attempts: int) -> float:
    """Seconds to wait before the next try of a message that failed ``attempts`` times."""
    return float(min(2**attempts, 300)) * random.uniform(0.8, 1.2)


class Deliver:
    """Delivers rooms.

    Parameters:
      store: the database (the outbox).
      adapters: the chat adapters of this process, by platform (read at each delivery:
        the caller may add one later, as ``linli run`` adds the console).
      room_locks: one deliverer per room at a time.
      clock: when a message was sent.
      max_retries: how many times a message that fails for now is tried before it is
        given up (``[queue] max_retries``), so that it cannot block its room.
    """

    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, ChatAdapter],
        room_locks: RoomLocks,
        clock: Clock,
        max_retries: int,
    ) -> None:
        self.store = store
        self.adapters = adapters
        self.room_locks = room_locks
        self.clock = clock
        self.max_retries = max_retries

    def room(self, room_key: str, known: Mapping[str, Outbound] | None = None) -> None:
        """Send a room's pending messages, in order, one deliverer per room at a time.

        A deliverer that finds the room busy leaves its rows to the one holding it, and
        a mark on the room: that one, if marked, looks for pending rows again after
        letting go, and delivers what was committed meanwhile (or leaves it to whoever
        took the room since, who reads after letting go too). So no row waits for a
        retry because its room was busy. A holder that died never lets go: the room
        is handed to a worker when its lock runs out (:meth:`RoomLocks.due`).

        Parameters:
          known: messages this thread has just committed, by key (not decoded again).

        Raises:
          DeliveryError: try again after ``retry_after`` seconds; the rest stay pending, in order.
        """
        # the lock's TTL frees the room if a deliverer dies; a drain never sleeps on a
        # platform's rate limit (it raises and the room's rows wait, in order)
        with self.store.autocommit() as conn:
            while True:
                with self.room_locks.hold(room_key) as hold:
                    if not hold.held:
                        return
                    self.drain(room_key, conn, known, hold.sent)
                    hold.clean = True
                if not hold.missed or not outbox.has_pending(conn, room_key):
                    return

    def drain(
        self,
        room_key: str,
        conn: sa.Connection,
        known: Mapping[str, Outbound] | None = None,
        sent_before: Mapping[str, str] | None = None,
    ) -> int:
        """Send a room's pending messages in order, holding its lock; returns how many were sent.

        A message the platform refuses for good is marked failed and the room goes on;
        one that fails for now (a 5xx, a timeout) is tried again later, and marked
        failed after ``max_retries`` tries; one the platform asks to hold back (a rate
        limit) waits as long as it says.

        A message the platform has accepted is marked sent; when that mark fails (the
        database is gone for a moment), the send is recorded beside the room's lock
        (:meth:`RoomLocks.record_sent`, in Redis: nothing there depends on the database)
        and the error raised: the next holder finds the record with the room and marks
        the row sent without sending it again.

        Parameters:
          conn: an autocommit connection (:meth:`Store.autocommit`).
          known: messages this thread has just committed, by key: sent as they are, not decoded again.
          sent_before: outbox keys of rows sent already though still pending, with the
            platform's ids (the room's record, :attr:`Hold.sent`).

        Raises:
          DeliveryError: try again after ``retry_after`` seconds; the rest stay pending, in order.
        """
        sent = 0
        while True:
            rows = outbox.pending_for_room(conn, room_key, limit=BATCH, known=known)
            if not rows:
                return sent
            for row in rows:
                if sent_before and row.message.key in sent_before:
                    log.warning("message sent before its mark failed; marked sent now", room=room_key, outbox_id=row.id)
                    outbox.mark_sent(conn, row.id, self.clock.now())
                    continue
                adapter = self.adapters.get(row.message.address.platform)
                try:
                    if adapter is None:
                        raise DeliveryError(f"no {row.message.address.platform} adapter in this process")
                    platform_id = adapter.send(row.message)
                except PermanentDeliveryError as exc:
                    log.warning("message cannot be delivered", room=room_key, outbox_id=row.id, error=str(exc))
                    outbox.mark_failed(conn, row.id, str(exc), final=True)
                    continue
                except DeliveryError as exc:
                    if exc.retry_after is not None:  # the platform said how long to wait: not a failure
                        raise
                    final = row.attempts + 1 >= self.max_retries
                    outbox.mark_failed(conn, row.id, str(exc), final=final)
                    if final:
                        log.error(
                            "message given up after repeated failures",
                            room=room_key,
                            outbox_id=row.id,
                            attempts=row.attempts + 1,
                            error=str(exc),
                        )
                        continue
                    raise DeliveryError(str(exc), retry_after=_backoff(row.attempts + 1)) from exc
                try:
                    outbox.mark_sent(conn, row.id, self.clock.now())
                except BaseException:
                    self._record(room_key, row, platform_id)
                    raise
                sent += 1
            if len(rows) < BATCH:
                # a row committed after our read is found by the look after the room is let go
                return sent

    def _record(self, room_key: str, row: outbox.OutboxRow, platform_id: str | None) -> None:
        """The platform has the message and its row may still say pending: record it
        where the database's failure cannot reach."""
        try:
            self.room_locks.record_sent(room_key, row.message.key, platform_id or "")
        except Exception as exc:
            log.error(
                "message sent but neither marked nor recorded; it may be sent again",
                room=room_key,
                outbox_id=row.id,
                error=type(exc).__name__,
            )
        else:
            log.warning(
                "message sent but not marked sent; recorded beside the room's lock", room=room_key, outbox_id=row.id
            )
