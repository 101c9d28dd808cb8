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

A holder that died never learns of the mark, so a refusal also files the room under
the time its lock runs out (one sorted set, ``linli-rooms-waiting``, in the same
script call); a holder that lets go takes it out again, in its own call. What is
left there belongs to a holder that did not let go: :meth:`RedisRoomLocks.due` hands
each such room, once its lock has run out, to the worker that asks first (every
``linli worker`` process asks once a second, :mod:`linli.workers.rooms`).

The holder also keeps, beside the lock, a record of what it sent but could not mark
sent in the database (:meth:`RedisRoomLocks.record_sent`): the next holder gets it
with the room, in the same call that takes it, and marks those rows sent without
sending them again (:meth:`linli.pipeline.deliver.Deliver.drain`).
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
#: how long a record of a send whose outbox mark failed is kept (the next drain of the room
#: marks the row and drops the record; this only bounds a room that is never delivered again)
SENT_TTL_MS = 86_400_000
#: rooms refused while their holder had not let go, scored by when its lock runs out (ms)
WAITING = "linli-rooms-waiting"


class Hold:
    """One attempt at a room.

    ``held``: whether this caller got the room. ``missed``, once the hold is let go:
    whether someone was refused the room meanwhile (their messages may be pending).
    ``sent``: outbox keys of the room's messages that a holder sent but could not mark
    sent, with the platform's ids. ``clean``: set by the holder when it has read the
    room to its end: letting go then drops those records (their rows are marked now).
    """

    __slots__ = ("clean", "held", "missed", "sent")

    def __init__(self, held: bool, sent: dict[str, str] | None = None) -> None:
        self.held = held
        self.missed = True
        self.sent: dict[str, str] = sent or {}
        self.clean = False


class RoomLocks(Protocol):
    def hold(self, room_key: str) -> Any:
        """A context manager yielding a :class:`Hold`."""

    def record_sent(self, room_key: str, key: str, platform_id: str) -> None:
        """Record, held, that the message ``key`` was sent though its outbox row may say pending."""

    def due(self, limit: int = 100) -> list[str]:
        """Rooms refused while a holder that never let go had them, whose lock has run out
        since: each is handed out once, to be delivered."""

    def close(self) -> None:
        """Let go of what the locks keep open (the runtime's end)."""


class LocalRoomLocks:
    """Room locks kept in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[str] = set()
        self._missed: set[str] = set()
        self._sent: dict[str, dict[str, str]] = {}

    def close(self) -> None:
        """Nothing is kept open."""

    def record_sent(self, room_key: str, key: str, platform_id: str) -> None:
        with self._lock:
            self._sent.setdefault(room_key, {})[key] = platform_id

    def due(self, limit: int = 100) -> list[str]:
        """None: a holder in this process lets go unless the whole process dies."""
        return []

    @contextmanager
    def hold(self, room_key: str) -> Iterator[Hold]:
        with self._lock:
            hold = Hold(room_key not in self._held)
            if hold.held:
                self._held.add(room_key)
                self._missed.discard(room_key)  # what was refused before is in the rows we read now
                if self._sent:
                    hold.sent = dict(self._sent.get(room_key, {}))
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
                    if hold.clean and self._sent:
                        self._sent.pop(room_key, None)


# KEYS: the lock, the room's "someone was refused" mark, the room's record of sends not
# marked, the waiting rooms; ARGV: our token, the TTL in ms, the room.
# Taken: 1, or the record (field, value, ...) when there is one. Refused: 0, with the
# room filed under the time the lock runs out (Redis's clock: one for every worker).
_TAKE = """
redis.replicate_commands()
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('del', KEYS[2])
  local sent = redis.call('hgetall', KEYS[3])
  if #sent == 0 then return 1 end
  return sent
end
redis.call('set', KEYS[2], '1', 'PX', ARGV[2])
local now = redis.call('time')
local ends = now[1] * 1000 + math.floor(now[2] / 1000) + math.max(redis.call('pttl', KEYS[1]), 0)
redis.call('zadd', KEYS[4], ends, ARGV[3])
return 0
"""
# let go only of our own hold (after a TTL ran out the room may be someone else's, and
# their mark theirs): the room is no longer waiting for us, the record goes when the
# holder read the room to its end (ARGV[3] = '1'); then say whether we were marked,
# else answer "maybe" (1)
_LET_GO = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[1])
  redis.call('zrem', KEYS[4], ARGV[2])
  if ARGV[3] == '1' then redis.call('del', KEYS[3]) end
  return redis.call('del', KEYS[2])
end
return 1
"""
# KEYS: the room's record; ARGV: the outbox key, the platform's id, the record's TTL
_RECORD = """
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('pexpire', KEYS[1], ARGV[3])
return 1
"""
# KEYS: the waiting rooms; ARGV: how many at most. The rooms whose lock has run out,
# taken out of the set: each goes to one caller.
_DUE = """
redis.replicate_commands()
local now = redis.call('time')
local rooms = redis.call('zrangebyscore', KEYS[1], '-inf', now[1] * 1000 + math.floor(now[2] / 1000),
  'LIMIT', 0, tonumber(ARGV[1]))
if #rooms > 0 then redis.call('zrem', KEYS[1], unpack(rooms)) end
return rooms
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
        self._record = _Script(_RECORD)
        self._due = _Script(_DUE)
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

    def record_sent(self, room_key: str, key: str, platform_id: str) -> None:
        """Raises: redis.RedisError: the record could not be written."""
        self._call(self._record, [f"linli-room-sent:{room_key}"], key, platform_id, SENT_TTL_MS)

    def due(self, limit: int = 100) -> list[str]:
        return [r.decode() if isinstance(r, bytes) else str(r) for r in self._call(self._due, [WAITING], limit)]

    @contextmanager
    def hold(self, room_key: str) -> Iterator[Hold]:
        keys = [
            f"linli-room-lock:{room_key}",
            f"linli-room-missed:{room_key}",
            f"linli-room-sent:{room_key}",
            WAITING,
        ]
        token = os.urandom(8).hex()
        taken = self._call(self._take, keys, token, self._ttl_ms, room_key)
        if isinstance(taken, list):
            fields = [v.decode() if isinstance(v, bytes) else str(v) for v in taken]
            hold = Hold(True, dict(zip(fields[::2], fields[1::2], strict=True)))
        else:
            hold = Hold(bool(taken))
        try:
            yield hold
        finally:
            if hold.held:
                hold.missed = bool(self._call(self._let_go, keys, token, room_key, "1" if hold.clean else "0"))


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
