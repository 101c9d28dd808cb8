"""The outbox: messages and domain events written in the handler's transaction,
sent after it commits. A row's ``key`` is unique, so a redelivered event that
writes the same rows again writes nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from linli.core.events import DomainEvent, Outbound, from_json, to_json
from linli.core.storage import schema as s
from linli.core.storage.prepared import Prepared

__all__ = [
    "OutboxRow",
    "add_event",
    "add_message",
    "files_in_use",
    "has_pending",
    "mark_events_sent",
    "mark_failed",
    "mark_sent",
    "pending_for_room",
    "prune",
    "stale_rows",
]


def _insert_ignore(conn: sa.Connection, values: dict[str, Any]) -> bool:
    return s.insert_ignore(conn, s.outbox, values, "key")


def add_message(conn: sa.Connection, out: Outbound, district_id: str | None) -> bool:
    """Queue ``out`` for delivery; returns False when a row with its key exists. Its stored
    files (attachments with a ``sha256``) are listed in ``outbox_files``."""
    added = _insert_ignore(
        conn,
        {
            "key": out.key,
            "kind": "message",
            "district_id": district_id,
            "platform": out.address.platform,
            "room": out.address.room_key,
            "payload": to_json(out),
        },
    )
    files = [
        {"outbox_key": out.key, "position": n, "sha256": a.sha256, "kind": a.kind, "name": a.name[:300], "size": a.size}
        for n, a in enumerate(out.attachments)
        if a.sha256
    ]
    if added and files:
        conn.execute(sa.insert(s.outbox_files), files)
    return added


def files_in_use(conn: sa.Connection, keys: Iterable[str]) -> set[str]:
    """Which of the blob ``keys`` an outbox message (waiting, or sent and not pruned yet)
    sends: a clean-up of the blob store must keep these."""
    wanted = sorted(set(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(
            conn.execute(sa.select(s.outbox_files.c.sha256).where(s.outbox_files.c.sha256.in_(chunk))).scalars()
        )
    return found


def add_event(conn: sa.Connection, event: DomainEvent) -> bool:
    return _insert_ignore(
        conn,
        {
            "key": event.event_id,
            "kind": "event",
            "district_id": event.district_id,
            "platform": "linli",
            "room": "linli:events",
            "payload": to_json(event),
        },
    )


class OutboxRow:
    __slots__ = ("attempts", "id", "message")

    def __init__(self, row: tuple[Any, ...], known: Mapping[str, Outbound]) -> None:
        self.id: int = row[0]
        self.attempts: int = row[1]
        message = known.get(row[2])
        self.message: Outbound = message if message is not None else from_json(json.loads(row[3]), Outbound)


# built once: these run for every message
_PENDING = Prepared(
    # the payload as text: decoded only for a row whose message the caller does not know
    sa.select(s.outbox.c.id, s.outbox.c.attempts, s.outbox.c.key, sa.cast(s.outbox.c.payload, sa.Text))
    .where(s.OUTBOX_PENDING, s.outbox.c.room == sa.bindparam("room"), s.outbox.c.kind == "message")
    .order_by(s.outbox.c.id)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)
_ANY_PENDING = Prepared(
    sa.select(s.outbox.c.id)
    .where(s.OUTBOX_PENDING, s.outbox.c.room == sa.bindparam("room"), s.outbox.c.kind == "message")
    .limit(1)
)
_SENT = Prepared(
    sa.update(s.outbox)
    .where(s.outbox.c.id == sa.bindparam("row_id"))
    .values(
        status="sent", sent_at=sa.bindparam("now", type_=s.UTCDateTime), attempts=s.outbox.c.attempts + 1, error=None
    )
)


def pending_for_room(
    conn: sa.Connection, room_key: str, limit: int = 50, known: Mapping[str, Outbound] | None = None
) -> list[OutboxRow]:
    """Pending messages of one room, oldest first: the order they are sent in.

    Parameters:
      known: messages the caller has just written, by key: their rows are not decoded again.
    """
    return [OutboxRow(r, known or {}) for r in _PENDING.rows(conn, {"room": room_key, "limit": limit})]


def has_pending(conn: sa.Connection, room_key: str) -> bool:
    """Whether a message of the room waits to be sent."""
    return _ANY_PENDING.first(conn, {"room": room_key}) is not None


def mark_sent(conn: sa.Connection, row_id: int, now: dt.datetime) -> None:
    _SENT.rowcount(conn, {"row_id": row_id, "now": now})


def mark_failed(conn: sa.Connection, row_id: int, error: str, *, final: bool) -> None:
    conn.execute(
        sa.update(s.outbox)
        .where(s.outbox.c.id == row_id)
        .values(status="failed" if final else "pending", attempts=s.outbox.c.attempts + 1, error=error[:2000])
    )


def stale_rows(conn: sa.Connection, older_than: dt.datetime) -> list[tuple[str, str, Any]]:
    """Pending rows left behind by a crash between commit and enqueue: (kind, room, payload)."""
    rows = conn.execute(
        sa.select(s.outbox.c.kind, s.outbox.c.room, s.outbox.c.payload)
        .where(s.OUTBOX_PENDING, s.outbox.c.created_at < older_than)
        .order_by(s.outbox.c.id)
        .limit(1000)
    )
    return [(r.kind, r.room, r.payload) for r in rows]


def mark_events_sent(conn: sa.Connection, keys: list[str], now: dt.datetime) -> None:
    if keys:
        conn.execute(sa.update(s.outbox).where(s.outbox.c.key.in_(keys)).values(status="sent", sent_at=now))


def prune(conn: sa.Connection, before: dt.datetime) -> tuple[int, int]:
    """Delete what was sent or given up before ``before``, and the processed-event marks
    as old: message texts are personal data and are kept no longer than needed.

    Returns: how many outbox rows and marks were deleted.
    """
    gone = sa.select(s.outbox.c.key).where(s.outbox.c.status != "pending", s.outbox.c.created_at < before)
    # the foreign key cascades on PostgreSQL and SQLite alike; said here too, for a database
    # opened without SQLite's foreign_keys pragma
    # the files those messages sent are deleted from the store once nothing else refers to them
    # (linli.core.attachments.release_blobs, run by the scheduler's housekeeping)
    sent_files = set(
        conn.execute(sa.select(s.outbox_files.c.sha256).where(s.outbox_files.c.outbox_key.in_(gone))).scalars()
    )
    conn.execute(sa.delete(s.outbox_files).where(s.outbox_files.c.outbox_key.in_(gone)))
    for key in sorted(sent_files):
        s.insert_ignore(conn, s.blob_releases, {"sha256": key, "since": before}, "sha256")
    rows = conn.execute(
        sa.delete(s.outbox).where(s.outbox.c.status != "pending", s.outbox.c.created_at < before)
    ).rowcount
    marks = conn.execute(sa.delete(s.processed).where(s.processed.c.processed_at < before)).rowcount
    return int(rows), int(marks)
