"""The per-room delivery lock: one deliverer per room at a time, so a room's
messages go out in order.

With Redis it is one ``SET NX PX`` to take and one compare-and-delete to let go
(two round trips); Dramatiq's ``ConcurrentRateLimiter``, used here before, needs
a WATCH/MULTI transaction for each step, which cost more than the delivery
itself. Without Redis the lock lives in this process (the embedded default and
the tests: every deliverer is in it). The TTL frees a room whose holder died.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = ["LocalRoomLocks", "RedisRoomLocks", "RoomLocks", "build_room_locks"]

#: how long a room stays taken when its holder dies (a drain never waits on a platform)
TTL_MS = 30_000


class RoomLocks(Protocol):
    def hold(self, room_key: str) -> Any:
        """A context manager yielding True when this caller now holds the room, False
        when someone else does (then it leaves the room's messages to them)."""


class LocalRoomLocks:
    """Room locks kept in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[str] = set()

    @contextmanager
    def hold(self, room_key: str) -> Iterator[bool]:
        with self._lock:
            taken = room_key not in self._held
            self._held.add(room_key)
        try:
            yield taken
        finally:
            if taken:
                with self._lock:
                    self._held.discard(room_key)


# let go only of our own hold: after a TTL ran out, the room may be someone else's
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class RedisRoomLocks:
    """Room locks in Redis, shared by every worker process.

    Parameters:
      client: a ``redis.Redis`` client.
      ttl_ms: how long a dead holder keeps the room.
    """

    def __init__(self, client: Any, ttl_ms: int = TTL_MS) -> None:
        self._client = client
        self._ttl_ms = ttl_ms
        self._release = client.register_script(_RELEASE)

    @contextmanager
    def hold(self, room_key: str) -> Iterator[bool]:
        key = f"linli-room-lock:{room_key}"
        token = os.urandom(8).hex()
        taken = bool(self._client.set(key, token, nx=True, px=self._ttl_ms))
        try:
            yield taken
        finally:
            if taken:
                self._release(keys=[key], args=[token])


def build_room_locks(redis_url: str) -> RoomLocks:
    """Parameters: redis_url: where the locks live; empty: in this process."""
    if not redis_url:
        return LocalRoomLocks()
    import redis

    return RedisRoomLocks(redis.Redis.from_url(redis_url))
