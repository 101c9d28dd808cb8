"""The per-room delivery lock: one deliverer per room at a time, so a room's
messages go out in order.

A deliverer that finds the room taken leaves its messages to the holder. So that
the holder need not ask the database after every drain whether something was
committed meanwhile, a refused attempt leaves a mark on the room, atomically with
the refusal; the holder, when it lets go, learns whether the room was marked and
only then looks again. With Redis, taking and letting go are one script call each
(Dramatiq's ``ConcurrentRateLimiter``, used here before, needed a WATCH/MULTI
transaction for each step, which cost more than the delivery itself). Without
Redis the lock lives in this process (the embedded default and the tests: every
deliverer is in it). The TTL frees a room whose holder died.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, Protocol

__all__ = ["Hold", "LocalRoomLocks", "RedisRoomLocks", "RoomLocks", "build_room_locks"]

#: how long a room stays taken when its holder dies (a drain never waits on a platform)
TTL_MS = 30_000


class Hold:
    """One attempt at a room.

    ``held``: whether this caller got the room. ``missed``, once the hold is let go:
    whether someone was refused the room meanwhile (their messages may be pending).
    """

    __slots__ = ("held", "missed")

    def __init__(self, held: bool) -> None:
        self.held = held
        self.missed = True


class RoomLocks(Protocol):
    def hold(self, room_key: str) -> Any:
        """A context manager yielding a :class:`Hold`."""

    def close(self) -> None:
        """Let go of what the locks keep open (the runtime's end)."""


class LocalRoomLocks:
    """Room locks kept in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[str] = set()
        self._missed: set[str] = set()

    def close(self) -> None:
        """Nothing is kept open."""

    @contextmanager
    def hold(self, room_key: str) -> Iterator[Hold]:
        with self._lock:
            hold = Hold(room_key not in self._held)
            if hold.held:
                self._held.add(room_key)
                self._missed.discard(room_key)  # what was refused before is in the rows we read now
            else:
                self._missed.add(room_key)
        try:
            yield hold
        finally:
            if hold.held:
                with self._lock:
                    self._held.discard(room_key)
                    hold.missed = room_key in self._missed
                    self._missed.discard(room_key)


# KEYS: the lock, the room's "someone was refused" mark; ARGV: our token, the TTL in ms
_TAKE = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('del', KEYS[2])
  return 1
end
redis.call('set', KEYS[2], '1', 'PX', ARGV[2])
return 0
"""
# let go only of our own hold (after a TTL ran out the room may be someone else's, and
# their mark theirs): then say whether we were marked, else answer "maybe" (1)
_LET_GO = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[1])
  return redis.call('del', KEYS[2])
end
return 1
"""


class RedisRoomLocks:
    """Room locks in Redis, shared by every worker process.

    Each thread calls the scripts on a connection of its own, kept for the thread's
    life: checking one out of the client's pool and back in cost a third of a call.

    Parameters:
      client: a ``redis.Redis`` client (its connection pool is used).
      ttl_ms: how long a dead holder keeps the room.
    """

    def __init__(self, client: Any, ttl_ms: int = TTL_MS) -> None:
        import redis

        self._client = client
        self._ttl_ms = ttl_ms
        self._take = _Script(_TAKE)
        self._let_go = _Script(_LET_GO)
        self._thread = threading.local()
        self._own_client = partial(redis.Redis, connection_pool=client.connection_pool, single_connection_client=True)
        self._no_script = redis.exceptions.NoScriptError

    def _call(self, script: _Script, keys: list[str], *args: Any) -> Any:
        client = getattr(self._thread, "client", None)
        if client is None:
            client = self._thread.client = self._own_client()
        try:
            return client.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
        except self._no_script:  # Redis restarted or its scripts were flushed: EVAL caches it again
            return client.execute_command("EVAL", script.source, len(keys), *keys, *args)

    def close(self) -> None:
        """Close the connections of every thread, which each keeps out of the pool."""
        self._client.connection_pool.disconnect()

    @contextmanager
    def hold(self, room_key: str) -> Iterator[Hold]:
        keys = [f"linli-room-lock:{room_key}", f"linli-room-missed:{room_key}"]
        token = os.urandom(8).hex()
        hold = Hold(bool(self._call(self._take, keys, token, self._ttl_ms)))
        try:
            yield hold
        finally:
            if hold.held:
                hold.missed = bool(self._call(self._let_go, keys, token))


class _Script:
    __slots__ = ("sha", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()


def build_room_locks(redis_url: str) -> RoomLocks:
    """Parameters: redis_url: where the locks live; empty: in this process."""
    if not redis_url:
        return LocalRoomLocks()
    import redis

    return RedisRoomLocks(redis.Redis.from_url(redis_url))
