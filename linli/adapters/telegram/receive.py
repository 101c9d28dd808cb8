"""Receiving updates: long polling (getUpdates) or a webhook (aiohttp), each update
put on the queue before Telegram is told it was received.

Long polling moves the offset, kept in the database, only past updates that are on
the queue: after a crash the same updates come again and their event ids, made from
the update ids, let the workers drop what was handled. The library's ``Updater`` is
not used because it confirms updates before they are handled.

A webhook answers 200 only once the update is on the queue; any other answer makes
Telegram send it again. Its body is read within limits (1 MiB, 64 levels of nesting,
:mod:`linli.adapters._json`): anything else answers 400 or 413, never a 500.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hmac
import random
from collections.abc import Callable
from typing import Any

import structlog
from telegram import Update
from telegram.error import InvalidToken, TelegramError

from linli.adapters._json import MAX_BODY_BYTES, JsonRefused, loads_limited
from linli.adapters.telegram.api import LinliBot
from linli.adapters.telegram.mapping import to_inbound
from linli.adapters.telegram.send import KEY_MARK
from linli.adapters.telegram.state import TelegramState
from linli.core.adapter import Submit

__all__ = ["ALLOWED_UPDATES", "SECRET_HEADER", "Backoff", "Receiver"]

log = structlog.get_logger("linli.gateway.telegram")

#: the updates linli asks for.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
#: the header Telegram sends the webhook's secret token in.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Backoff:
    """Exponential waits with full jitter after a failure, reset by a success: a
    gateway that cannot reach Telegram or the broker neither busy-loops nor gives up."""

    def __init__(self, *, first: float = 0.5, most: float = 30.0) -> None:
        self.first, self.most = first, most
        self.failures = 0

    def next(self) -> float:
        self.failures += 1
        return random.uniform(0, min(self.most, self.first * 2 ** (self.failures - 1)))

    def reset(self) -> None:
        self.failures = 0


class Receiver:
    """One bot's updates onto the queue.

    Parameters:
      bot: the library's bot, on this event loop.
      state: where the offset and the stored choice values are.
      submit: puts an event on the queue; returns once the broker has it.
      poll_timeout: seconds a getUpdates call is held open.
      backoff_first: the first wait after a failure, in seconds.
    """

    def __init__(
        self, bot: LinliBot, state: TelegramState, submit: Submit, *, poll_timeout: int = 25, backoff_first: float = 0.5
    ) -> None:
        self.bot = bot
        self.state = state
        self.submit = submit
        self.poll_timeout = poll_timeout
        self.backoff = Backoff(first=backoff_first)
        self.bot_id = ""
        self.username = ""
        self._stopping: asyncio.Event | None = None
        self._recent: collections.deque[int] = collections.deque(maxlen=1000)

    def stop_soon(self) -> None:
        """Ask the receive loop to return (call on the loop's thread)."""
        if self._stopping is not None:
            self._stopping.set()

    @property
    def stopping(self) -> asyncio.Event:
        if self._stopping is None:
            self._stopping = asyncio.Event()
        return self._stopping

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def _retrying(self, what: str, call: Callable[[], Any]) -> Any:
        """``await call()`` until it works or the gateway stops (``None`` then)."""
        while not self.stopping.is_set():
            try:
                result = await call()
            except InvalidToken:
                raise
            except TelegramError as exc:
                wait = self.backoff.next()
                log.warning("telegram call failed; retrying", call=what, error=str(exc), wait=round(wait, 2))
                await self._sleep(wait)
                continue
            self.backoff.reset()
            return result
        return None

    async def identify(self) -> bool:
        """Learn the bot's id and username (commands for other bots are ignored); False: stopped."""
        # initialize() calls getMe, and without it the bot's shutdown() would leave connections open
        if await self._retrying("getMe", lambda: self._initialized()) is None:
            return False
        self.bot_id, self.username = str(self.bot.id), self.bot.username
        return True

    async def _initialized(self) -> bool:
        await self.bot.initialize()
        return True

    def _resolve(self, data: str) -> str | None:
        return self.state.choice(data) if data.startswith(KEY_MARK) else data

    async def handle(self, raw: dict[str, Any]) -> None:
        """Put one update on the queue and answer its button press.

        An update linli cannot read is logged and skipped; a failure to enqueue raises,
        so that the update is not confirmed.
        """
        update_id = raw.get("update_id")
        update: Update | None = None
        inbound = None
        try:
            update = Update.de_json(raw, self.bot)
            inbound = await asyncio.to_thread(
                to_inbound, update, bot_id=self.bot_id, username=self.username, resolve=self._resolve
            )
        except Exception as exc:  # one bad update must not stop the gateway
            log.exception("update skipped: it could not be read", update_id=update_id, error=str(exc))
        if inbound is not None and update_id not in self._recent:
            await asyncio.to_thread(self.submit, inbound)
        if isinstance(update_id, int):
            self._recent.append(update_id)
        if update is not None and update.callback_query is not None:
            try:  # the button stops spinning; the answer itself comes as a message
                await self.bot.answer_callback_query(update.callback_query.id)
            except TelegramError as exc:
                log.info("callback query not answered", update_id=update_id, error=str(exc))

    # --- long polling ---------------------------------------------------------------------

    async def poll(self) -> None:
        """Long-poll until stopped. Polling and a webhook exclude each other: the webhook goes."""
        if not await self.identify():
            return
        if await self._retrying("deleteWebhook", lambda: self.bot.delete_webhook(drop_pending_updates=False)) is None:
            return
        offset = await asyncio.to_thread(self.state.offset)
        log.info("polling telegram", bot=self.username, offset=offset)
        while not self.stopping.is_set():
            updates = await self._next_batch(offset)
            for raw in updates or ():
                update_id = raw.get("update_id")
                if not isinstance(update_id, int):
                    # its kinds only: the update itself holds what a resident wrote and their name
                    log.error("update without an update_id skipped", keys=sorted(map(str, raw))[:10])
                    continue
                if offset is not None and update_id < offset:
                    continue  # confirmed before: a duplicate
                try:
                    await self.handle(raw)
                    await asyncio.to_thread(self.state.save_offset, update_id + 1)
                except Exception as exc:  # the broker or the database is down: fetch it again later
                    wait = self.backoff.next()
                    log.warning(
                        "update not queued; will fetch it again",
                        update_id=update_id,
                        error=str(exc),
                        wait=round(wait, 2),
                    )
                    await self._sleep(wait)
                    break
                self.backoff.reset()
                offset = update_id + 1

    async def _next_batch(self, offset: int | None) -> list[dict[str, Any]] | None:
        """One getUpdates call, given up when the gateway is stopped meanwhile."""
        call = asyncio.ensure_future(
            self._retrying(
                "getUpdates",
                lambda: self.bot.get_update_dicts(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                ),
            )
        )
        stop = asyncio.ensure_future(self.stopping.wait())
        done, _ = await asyncio.wait({call, stop}, return_when=asyncio.FIRST_COMPLETED)
        if call not in done:
            call.cancel()
            await asyncio.gather(call, return_exceptions=True)
            return None
        stop.cancel()
        result: list[dict[str, Any]] | None = call.result()
        return result

    # --- webhook --------------------------------------------------------------------------

    async def serve_webhook(self, *, url: str, secret: str, host: str, port: int, path: str) -> None:
        """Receive updates on ``host:port/path`` behind ``url`` until stopped.

        Parameters:
          url: the public HTTPS URL Telegram posts to (a reverse proxy forwards to ``host:port``).
          secret: the token Telegram sends in every request's header; others get 403.
          host, port, path: where this process listens.
        """
        from aiohttp import web

        if not await self.identify():
            return

        async def receive(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                log.warning("webhook request refused: wrong secret token", peer=request.remote)
                return web.Response(status=403)
            try:
                raw = loads_limited(await request.read())
            except web.HTTPRequestEntityTooLarge:
                log.warning("webhook request refused: body too large", limit=MAX_BODY_BYTES)
                return web.Response(status=413)
            except JsonRefused as exc:
                log.warning("webhook request refused: not an update", reason=str(exc)[:200])
                return web.Response(status=400)
            if not isinstance(raw, dict):
                log.warning("webhook request refused: not an update")
                return web.Response(status=400)
            try:
                await self.handle(raw)
            except Exception as exc:  # not on the queue: Telegram sends it again after a non-200
                log.warning(
                    "update not queued; telegram will send it again", update_id=raw.get("update_id"), error=str(exc)
                )
                return web.Response(status=503)
            return web.Response(status=200)

        # aiohttp refuses a larger body itself (413) before reading it into memory
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(path, receive)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        try:
            registered = await self._retrying(
                "setWebhook", lambda: self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            )
            if registered is not None:
                log.info("webhook registered", bot=self.username, listen=f"{host}:{port}{path}")
                await self.stopping.wait()
        finally:
            await runner.cleanup()
