"""Telegram's flood limits, shared by every worker process through the rate-limit
backend (Redis in a deployment): about 30 messages a second per bot, one a second per
chat with short bursts, 20 a minute per group.

A worker thread waits a moment for the bot's or the chat's next slot; beyond that (a
group's minute used up) :class:`FloodLimits` raises :class:`~linli.core.errors.DeliveryError`
with ``retry_after``, and the delivery actor retries the room later, its order kept.
A 429 from Telegram pauses the chat for the time it asked, for every process; a second
429 within a second (whichever chat it came from) means the bot as a whole is over
Telegram's limit, and pauses every chat of the bot for that time.
"""

from __future__ import annotations

import random
import time
from typing import Any

from dramatiq.rate_limits import BucketRateLimiter, WindowRateLimiter

from linli.core.errors import DeliveryError

__all__ = ["FloodLimits"]

#: the pause key of the whole bot (chat ids are numbers, so no chat has this name)
BOT = "bot"


class FloodLimits:
    """The limits one bot's messages are held to.

    Parameters:
      backend: a Dramatiq rate-limiter backend (``rt.rate_backend``).
      bot: the bot's id or another key unique per bot token.
      per_second: messages a second for the whole bot.
      per_chat: messages per ``chat_window`` seconds in one chat.
      per_group: messages a minute in one group.
    """

    def __init__(self, backend: Any, bot: str, *, per_second: int = 30, per_chat: int = 3, chat_window: int = 3,
                 per_group: int = 20, bot_wait: float = 1.0, chat_wait: float = 1.5) -> None:
        self.backend = backend
        self.bot = bot
        # one message per 1/30 s bucket, not 30 per calendar second: thirty at the end of one
        # second and thirty at the start of the next would be 60 within one second
        self._bot = BucketRateLimiter(backend, f"linli-tg:{bot}:bot",  # type: ignore[no-untyped-call]
                                      limit=1, bucket=-(-1000 // per_second))
        self.bot_wait, self.chat_wait = bot_wait, chat_wait
        self.per_chat, self.chat_window, self.per_group = per_chat, chat_window, per_group

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

    def acquire(self, chat: str) -> None:
        """Take one message's place under every limit, or say how long to wait.

        Raises:
          DeliveryError: a limit is reached; ``retry_after`` is when to try again.
        """
        jitter = random.uniform(0, 0.2)
        if self._paused(BOT):
            raise DeliveryError("telegram bot paused after 429s in several chats", retry_after=1.0 + jitter)
        if self._paused(chat):
            raise DeliveryError(f"telegram chat {chat} paused after a 429", retry_after=1.0 + jitter)
        per_chat = WindowRateLimiter(self.backend, f"linli-tg:{self.bot}:chat:{chat}",  # type: ignore[no-untyped-call]
                                     limit=self.per_chat, window=self.chat_window)
        # a chat's next slot is at most a second or so away, and the room is locked to this
        # thread meanwhile anyway: wait for it here. Handing the message back to the broker
        # instead sends the room's other delivery messages into Dramatiq's growing backoff
        if not _wait_for(per_chat, self.chat_wait):
            raise DeliveryError(f"telegram chat {chat}: {self.per_chat} messages in {self.chat_window} s",
                                retry_after=1.0 + jitter)
        if chat.startswith("-"):  # groups and supergroups have negative ids
            group = WindowRateLimiter(self.backend, f"linli-tg:{self.bot}:group:{chat}",  # type: ignore[no-untyped-call]
                                      limit=self.per_group, window=60)
            if not _take(group):  # seconds away: the broker retries the room later, in order
                raise DeliveryError(f"telegram group {chat}: {self.per_group} messages a minute",
                                    retry_after=3.0 + jitter)
        if not _wait_for(self._bot, self.bot_wait):
            raise DeliveryError("telegram bot: messages a second", retry_after=0.1 + jitter)


def _wait_for(limiter: WindowRateLimiter | BucketRateLimiter, seconds: float) -> bool:
    """Take a place under ``limiter``, trying for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while not _take(limiter):
        if time.monotonic() >= deadline:
            return False
        time.sleep(random.uniform(0.005, 0.05))
    return True

def _take(limiter: WindowRateLimiter | BucketRateLimiter) -> bool:
    with limiter.acquire(raise_on_failure=False) as acquired:
        return bool(acquired)
