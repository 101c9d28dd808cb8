"""python-telegram-bot's ``Bot`` for linli: built from the settings' API URL and token,
its errors turned into linli's, and a synchronous face for the delivery actor.

The library is async. The gateway runs its ``Bot`` on its own event loop; a worker's
delivery threads are synchronous, so :class:`SyncBot` keeps one event loop per adapter
in a background thread and hands it calls. A loop per call (``asyncio.run``) needs a
new ``Bot`` and HTTP connection for every message: against the fake Bot API on loopback
it took 83 ms a message, the background loop 3.3 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from linli.core.errors import DeliveryError, LinliError, PermanentDeliveryError

__all__ = ["LinliBot", "SyncBot", "make_bot", "retry_after_of", "translate_error"]

T = TypeVar("T")


class LinliBot(Bot):
    """The library's ``Bot`` plus getUpdates without parsing: ``Bot.get_updates`` parses a
    whole batch at once, so one update it cannot read would fail every poll after it."""

    async def get_update_dicts(
        self, *, offset: int | None, timeout: int, allowed_updates: list[str]
    ) -> list[dict[str, Any]]:
        """The next updates as the JSON objects Telegram sent.

        Parameters:
          offset: the first update id wanted; every update before it is confirmed.
          timeout: seconds Telegram holds the call open when there is nothing new.
          allowed_updates: the kinds of update wanted.
        """
        data: dict[str, Any] = {"timeout": timeout, "allowed_updates": allowed_updates}
        if offset is not None:
            data["offset"] = offset
        read_timeout = (self._request[0].read_timeout or 0) + timeout
        result = await self._post("getUpdates", data, read_timeout=read_timeout)
        return [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []


def make_bot(token: str, api_url: str, *, timeout: float = 10.0) -> LinliBot:
    """A ``Bot`` speaking to ``api_url`` (``https://api.telegram.org`` or a local Bot API server).

    Parameters:
      token: the bot's token from BotFather.
      api_url: the Bot API base URL, without ``/bot<token>``.
      timeout: seconds to connect, write and read an ordinary call.
    """
    # durations as timedelta, PTB's coming default: with the old int form every 429
    # (RetryAfter) warns as deprecated, and warnings are errors in linli's tests
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    base = api_url.rstrip("/")
    request = HTTPXRequest(
        connection_pool_size=8,
        connect_timeout=timeout,
        read_timeout=timeout,
        write_timeout=timeout,
        pool_timeout=timeout,
    )
    # getUpdates reads for its long-poll timeout plus this one
    polling = HTTPXRequest(
        connection_pool_size=1,
        connect_timeout=timeout,
        read_timeout=timeout,
        write_timeout=timeout,
        pool_timeout=timeout,
    )
    return LinliBot(
        token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot", request=request, get_updates_request=polling
    )


def retry_after_of(exc: RetryAfter) -> float:
    """The seconds a 429 asked us to wait."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def translate_error(exc: TelegramError, what: str) -> LinliError:
    """The linli error for a Bot API failure: may it work later or never.

    Parameters:
      exc: what python-telegram-bot raised.
      what: the call and the chat, for the message (``sendMessage to -100123``).
    """
    if isinstance(exc, RetryAfter):
        return DeliveryError(
            f"{what}: flood limit, retry after {retry_after_of(exc):g} s", retry_after=retry_after_of(exc)
        )
    if isinstance(exc, Forbidden | InvalidToken | ChatMigrated):
        # kicked from the group, blocked by the user, revoked token, group became a supergroup
        return PermanentDeliveryError(f"{what}: {exc}")
    if isinstance(exc, BadRequest):  # a subclass of NetworkError: this message will never be accepted
        return PermanentDeliveryError(f"{what}: {exc}")
    if isinstance(exc, NetworkError | Conflict):  # timeouts, connection errors, 5xx
        return DeliveryError(f"{what}: {exc}")
    return DeliveryError(f"{what}: {exc}")


class SyncBot:
    """A ``Bot`` on an event loop of its own, in a daemon thread, called synchronously.

    Parameters:
      factory: builds the ``Bot``; called once, on first use (building the adapter does no I/O).
      timeout: the most seconds one call may take before the caller gives up.
    """

    def __init__(self, factory: Callable[[], Bot], *, timeout: float = 30.0) -> None:
        self._factory = factory
        self._timeout = timeout
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._bot: Bot | None = None

    def _started(self) -> tuple[asyncio.AbstractEventLoop, Bot]:
        with self._lock:
            if self._loop is None or self._bot is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="linli-telegram-loop", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
                self._bot = self._factory()
            return self._loop, self._bot

    def run(self, call: Callable[[Bot], Awaitable[T]]) -> T:
        """Run ``call(bot)`` on the loop and wait for its result.

        Raises:
          DeliveryError: a timeout; whatever ``call`` raises otherwise.
        """
        loop, bot = self._started()

        async def _go() -> T:
            return await call(bot)

        future: Future[T] = asyncio.run_coroutine_threadsafe(_go(), loop)
        try:
            return future.result(timeout=self._timeout)
        except TimeoutError:
            future.cancel()
            raise DeliveryError(f"the Bot API did not answer within {self._timeout:g} s") from None

    def close(self) -> None:
        """Close the HTTP connections and stop the loop."""
        with self._lock:
            loop, bot, thread = self._loop, self._bot, self._thread
            self._loop = self._bot = self._thread = None
        if loop is None or bot is None or thread is None:
            return
        with contextlib.suppress(Exception):  # closing must not fail a shutdown
            asyncio.run_coroutine_threadsafe(_shutdown(bot), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


async def _shutdown(bot: Bot) -> None:
    await bot.request.shutdown()
    await bot._request[0].shutdown()
