"""Telegram's flood limits, shared by every worker process through the rate-limit
backend (Redis in a deployment): 30 messages a second per bot, three in three seconds
per chat (one a second with short bursts), 20 a minute per group.

Each limit is a set of slots. A message takes a slot under each of its limits at once
(all or none) before its request leaves, and keeps it until the request has come back
*and* the limit's window has passed since then. Telegram counts a request when it
arrives, which is after it left and before its answer came back, so however requests
bunch up on the way (a loaded machine, several processes), no window on Telegram's side
can hold more of them than there are slots: at 30 slots the bot gets its full rate
without a 429. (Counting a message when its request leaves, as fixed-rate limiters do,
needs a margin under the rate that load can always exceed.) A slot whose request never
came back (a killed worker) frees itself after :data:`IN_FLIGHT_MS`.

A worker thread waits a moment for its slots; beyond that (a group's minute used up)
:meth:`FloodLimits.slot` raises :class:`~linli.core.errors.DeliveryError` with the exact
``retry_after``, and the delivery actor retries the room later, its order kept. A 429
from Telegram pauses the chat for the time it asked, for every process; a second 429
within a second (whichever chat it came from) means the bot as a whole is over
Telegram's limit, and pauses every chat of the bot for that time.
"""

from __future__ import annotations

import os
import random
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import structlog

from linli.core.errors import DeliveryError

__all__ = ["IN_FLIGHT_MS", "FloodLimits", "LocalSlots", "RedisSlots", "Window"]

log = structlog.get_logger("linli.adapters.telegram")

#: the pause key of the whole bot (chat ids are numbers, so no chat has this name)
BOT = "bot"
#: how long a slot stays taken when its request never comes back (the HTTP timeouts are 10 s)
IN_FLIGHT_MS = 60_000
#: added to each window, for the clocks of Redis and Telegram not ticking quite together
MARGIN_MS = 20
#: when the slot to wait for is still in flight, how soon to look again
POLL_MS = 20


class Window:
    """One limit: at most ``limit`` requests in any ``ms`` milliseconds, counted in ``key``."""

    __slots__ = ("key", "limit", "ms", "what")

    def __init__(self, key: str, limit: int, ms: int, what: str) -> None:
        self.key, self.limit, self.ms, self.what = key, limit, ms, what


class Slots(Protocol):
    def take(self, windows: Sequence[Window], member: str) -> tuple[int, int]:
        """Take a slot under every window, or none: ``(0, -1)``; else how many ms until
        one may be free and the index of the window that is full."""

    def give_back(self, windows: Sequence[Window], member: str) -> None:
        """The request is done: each slot stays taken for its window from now."""


class LocalSlots:
    """Slots kept in this process (no Redis: one process delivers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taken: dict[str, dict[str, float]] = {}  # key -> member -> free at (ms)

    def take(self, windows: Sequence[Window], member: str) -> tuple[int, int]:
        now = time.monotonic() * 1000
        with self._lock:
            for n, w in enumerate(windows):
                taken = self._taken.setdefault(w.key, {})
                for old in [m for m, free in taken.items() if free <= now]:
                    del taken[old]
                if len(taken) >= w.limit:
                    free = sorted(taken.values())[len(taken) - w.limit]
                    return (POLL_MS if free - now > w.ms + MARGIN_MS else max(int(free - now), 1)), n
            for w in windows:
                self._taken[w.key][member] = now + IN_FLIGHT_MS
        return 0, -1

    def give_back(self, windows: Sequence[Window], member: str) -> None:
        now = time.monotonic() * 1000
        with self._lock:
            for w in windows:
                taken = self._taken.get(w.key, {})
                if member in taken:
                    taken[member] = now + w.ms + MARGIN_MS


_LOCAL: weakref.WeakKeyDictionary[Any, LocalSlots] = weakref.WeakKeyDictionary()
_LOCAL_LOCK = threading.Lock()


def _local_slots(backend: Any) -> LocalSlots:
    """The in-process slots of ``backend``: every adapter on one backend shares them."""
    with _LOCAL_LOCK:
        return _LOCAL.setdefault(backend, LocalSlots())


# KEYS: one sorted set per window (member -> when its slot is free, ms on Redis's clock);
# ARGV: member, in-flight ms, margin ms, poll ms, then each window's limit and ms
_TAKE = """
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  redis.call('zremrangebyscore', key, '-inf', now)
  local limit = tonumber(ARGV[3 + 2 * i])
  local count = redis.call('zcard', key)
  if count >= limit then
    local free = tonumber(redis.call('zrange', key, count - limit, count - limit, 'withscores')[2])
    if free - now > tonumber(ARGV[4 + 2 * i]) + tonumber(ARGV[3]) then
      return {tonumber(ARGV[4]), i - 1}
    end
    return {math.max(free - now, 1), i - 1}
  end
end
for i, key in ipairs(KEYS) do
  redis.call('zadd', key, now + tonumber(ARGV[2]), ARGV[1])
  redis.call('pexpire', key, tonumber(ARGV[2]))
end
return {0, -1}
"""
# KEYS: as above; ARGV: member, margin ms, then each window's ms
_GIVE_BACK = """
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  local hold = tonumber(ARGV[2 + i]) + tonumber(ARGV[2])
  if redis.call('zadd', key, 'XX', 'CH', now + hold, ARGV[1]) == 1 and redis.call('pttl', key) < hold then
    redis.call('pexpire', key, hold)  -- the set outlives the slot it now holds longer
  end
end
return 0
"""


class RedisSlots:
    """Slots in Redis, shared by every worker process: one script call to take them
    (under every window at once, on Redis's clock), one to give them back."""

    def __init__(self, client: Any) -> None:
        self._take = client.register_script(_TAKE)
        self._give_back = client.register_script(_GIVE_BACK)

    def take(self, windows: Sequence[Window], member: str) -> tuple[int, int]:
        args: list[Any] = [member, IN_FLIGHT_MS, MARGIN_MS, POLL_MS]
        for w in windows:
            args += [w.limit, w.ms]
        wait, index = self._take(keys=[w.key for w in windows], args=args)
        return int(wait), int(index)

    def give_back(self, windows: Sequence[Window], member: str) -> None:
        self._give_back(keys=[w.key for w in windows], args=[member, MARGIN_MS, *(w.ms for w in windows)])


class FloodLimits:
    """The limits one bot's messages are held to.

    Parameters:
      backend: a Dramatiq rate-limiter backend (``rt.rate_backend``): with Redis
        (its ``client``) the slots are shared by every process, else kept in this one.
      bot: the bot's id or another key unique per bot token.
      per_second: messages a second for the whole bot.
      per_chat: messages per ``chat_window`` seconds in one chat.
      per_group: messages a minute in one group.
      wait: seconds a thread waits for its slots before handing the message back.
    """

    def __init__(
        self,
        backend: Any,
        bot: str,
        *,
        per_second: int = 30,
        per_chat: int = 3,
        chat_window: int = 3,
        per_group: int = 20,
        wait: float = 1.5,
    ) -> None:
        self.backend = backend
        self.bot = bot
        client = getattr(backend, "client", None)
        self.slots: Slots = RedisSlots(client) if client is not None else _local_slots(backend)
        self.per_second, self.per_chat, self.chat_window, self.per_group = per_second, per_chat, chat_window, per_group
        self.wait = wait

    def _paused(self, chat: str) -> bool:
        # the pause key holds 1 while it lives; adding 0 fails only then (and writes nothing).
        # The backends have no plain read: incr() is the one that compares and sets atomically
        return not self.backend.incr(f"linli-tg:{self.bot}:pause:{chat}", 0, 0, 1)

    def pause(self, chat: str, seconds: float) -> None:
        """Hold every message to ``chat`` for ``seconds`` (Telegram answered 429), and
        every message of the bot when another 429 came less than a second ago."""
        ttl = max(int(seconds * 1000), 1)
        # fails, keeping the pause there is, when the chat is paused already
        self.backend.incr(f"linli-tg:{self.bot}:pause:{chat}", 1, 1, ttl)
        if not self.backend.add(f"linli-tg:{self.bot}:recent-429", 1, 1000):
            self.backend.incr(f"linli-tg:{self.bot}:pause:{BOT}", 1, 1, ttl)

    def windows(self, chat: str) -> list[Window]:
        """The limits a message to ``chat`` counts against."""
        prefix = f"linli-tg:{self.bot}"
        windows = [
            Window(
                f"{prefix}:chat:{chat}",
                self.per_chat,
                self.chat_window * 1000,
                f"chat {chat}: {self.per_chat} messages in {self.chat_window} s",
            )
        ]
        if chat.startswith("-"):  # groups and supergroups have negative ids
            windows.append(
                Window(
                    f"{prefix}:group:{chat}",
                    self.per_group,
                    60_000,
                    f"group {chat}: {self.per_group} messages a minute",
                )
            )
        windows.append(Window(f"{prefix}:bot", self.per_second, 1000, f"bot: {self.per_second} messages a second"))
        return windows

    @contextmanager
    def slot(self, chat: str) -> Iterator[None]:
        """Hold a place under every limit while one request to ``chat`` is sent.

        Raises:
          DeliveryError: the bot or the chat is paused, or a limit stays full longer
            than :attr:`wait`; ``retry_after`` is when to try again.
        """
        jitter = random.uniform(0, 0.2)
        if self._paused(BOT):
            raise DeliveryError("telegram bot paused after 429s in several chats", retry_after=1.0 + jitter)
        if self._paused(chat):
            raise DeliveryError(f"telegram chat {chat} paused after a 429", retry_after=1.0 + jitter)
        windows = self.windows(chat)
        member = os.urandom(8).hex()
        deadline = time.monotonic() + self.wait
        while (taken := self.slots.take(windows, member))[0]:
            wait_ms, full = taken
            # a chat's next slot is a second or so away, and the room is locked to this thread
            # meanwhile anyway: wait here. Handing the message back to the broker instead sends
            # the room's other delivery messages into Dramatiq's growing backoff
            if time.monotonic() + wait_ms / 1000 > deadline:
                raise DeliveryError(f"telegram {windows[full].what}", retry_after=wait_ms / 1000 + jitter)
            time.sleep(wait_ms / 1000 + random.uniform(0, 0.003))
        try:
            yield
        finally:
            # also after an error: the request may have reached Telegram and been counted
            try:
                self.slots.give_back(windows, member)
            except Exception:
                # the message went out (or failed) whatever Redis says now: an error here must
                # not make the room send it again. The slots free themselves after IN_FLIGHT_MS
                log.warning("telegram flood slots not given back", chat=chat, exc_info=True)
