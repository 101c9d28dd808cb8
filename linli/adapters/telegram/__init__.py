"""The Telegram adapter: python-telegram-bot's ``Bot`` for the API calls, linli's own
receive loop (:mod:`.receive`), flood limits shared by all workers (:mod:`.limits`).

Settings (``[platforms.telegram]``; the environment wins)::

    [platforms.telegram]
    api_url = "https://api.telegram.org"    # LINLI_TELEGRAM_API_URL; a local Bot API server or a test fake
    # token: only in the environment, LINLI_TELEGRAM_TOKEN
    poll_timeout = 25                        # seconds a long poll is held open
    webhook_url = "https://bot.example.org/telegram"   # LINLI_TELEGRAM_WEBHOOK_URL
    webhook_listen = "127.0.0.1:8443"        # where `linli gateway --webhook` listens
    webhook_secret = "..."                   # LINLI_TELEGRAM_WEBHOOK_SECRET
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from telegram import Bot, InputFile, Message
from telegram.error import TelegramError

from linli.adapters.telegram.api import SyncBot, make_bot, translate_error
from linli.adapters.telegram.limits import FloodLimits
from linli.adapters.telegram.mapping import PLATFORM
from linli.adapters.telegram.send import MAX_TEXT, METHODS, Part, plan
from linli.adapters.telegram.state import TelegramState
from linli.core.adapter import ChatAdapter, Submit, stored_bytes
from linli.core.blobs import BlobStore
from linli.core.errors import DeliveryError, PermanentDeliveryError, SettingsError
from linli.core.events import Attachment, Outbound

__all__ = ["DEFAULT_API_URL", "TelegramAdapter", "TelegramConfig"]

log = structlog.get_logger("linli.adapters.telegram")

DEFAULT_API_URL = "https://api.telegram.org"
#: messages a second the bot keeps to: Telegram's 30. A slot is held until a second after
#: the request came back (see :mod:`.limits`), so no margin is needed for requests that
#: arrive closer together than they left
PER_SECOND = 30


class TelegramConfig:
    """``[platforms.telegram]`` with its environment overrides, checked.

    Parameters:
      config: the settings table.
      env: the environment (``os.environ`` when ``None``).

    Raises:
      SettingsError: there is no token, or a value is wrong.
    """

    def __init__(self, config: Mapping[str, Any], env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.token = env.get("LINLI_TELEGRAM_TOKEN") or str(config.get("token", ""))
        if not self.token or ":" not in self.token:
            raise SettingsError("[platforms.telegram]: set the bot's token (from BotFather) in LINLI_TELEGRAM_TOKEN")
        self.api_url = env.get("LINLI_TELEGRAM_API_URL") or str(config.get("api_url", DEFAULT_API_URL))
        try:
            self.poll_timeout = int(config.get("poll_timeout", 25))
            self.per_second = int(config.get("per_second", PER_SECOND))
            host, _, port = str(config.get("webhook_listen", "127.0.0.1:8443")).rpartition(":")
            self.webhook_host, self.webhook_port = host or "127.0.0.1", int(port)
        except ValueError as exc:
            raise SettingsError(f"[platforms.telegram]: {exc}") from None
        self.webhook_url = env.get("LINLI_TELEGRAM_WEBHOOK_URL") or str(config.get("webhook_url", ""))
        self.webhook_secret = env.get("LINLI_TELEGRAM_WEBHOOK_SECRET") or str(config.get("webhook_secret", ""))
        self.webhook_path = str(config.get("webhook_path", "/telegram"))

    @property
    def bot_id(self) -> str:
        """The bot's user id: the token's first part (no API call needed)."""
        return self.token.partition(":")[0]


class TelegramAdapter(ChatAdapter):
    """One Telegram bot.

    Parameters:
      config: the checked settings.
      storage_url: the deployment's database (the offset, long callback data).
      rate_backend: the Dramatiq rate-limiter backend shared by the workers.
      blobs: where the files to send are stored (:attr:`Outbound.attachments` name them).
    """

    platform = PLATFORM
    max_text_length = MAX_TEXT

    def __init__(
        self, config: TelegramConfig, *, storage_url: str, rate_backend: Any, blobs: BlobStore | None = None
    ) -> None:
        self.config = config
        self.blobs = blobs
        self.state = TelegramState(storage_url, config.bot_id)
        self.limits = FloodLimits(rate_backend, config.bot_id, per_second=config.per_second)
        self._bot = SyncBot(lambda: make_bot(config.token, config.api_url))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._receiver: Any = None
        self._stop_requested = threading.Event()

    # --- sending ----------------------------------------------------------------------

    def send(self, message: Outbound) -> str | None:
        """Send ``message`` as one or more messages; returns the last one's id.

        Its text goes first, then its attachments, each uploaded from the blob store
        (a photo, a file, a voice note by multipart upload; a location by its coordinates).
        A message in several parts that fails halfway goes on from the part that failed
        when it is retried: the parts that went out are remembered under ``message.key``.

        Raises:
          DeliveryError: a flood limit, a 429, a timeout or a 5xx: retry later.
          PermanentDeliveryError: the bot was removed or blocked, Telegram refused the
            message, or a file to send is not in the blob store.
        """
        parts, choices = plan(message)
        if choices:
            self.state.store_choices(choices)
        chat = message.address.room
        split = len(parts) > 1 and bool(message.key)
        last: str | None = None
        for n, part in enumerate(parts):
            if split and (done := self.state.sent_part(message.key, n)) is not None:
                last = done
                continue
            call = self._call(part)
            try:
                with self.limits.slot(chat):
                    sent = self._bot.run(call)
            except TelegramError as exc:
                error = translate_error(exc, f"{part.method} to {chat}")
                if isinstance(error, DeliveryError) and error.retry_after:
                    self.limits.pause(chat, error.retry_after)
                raise error from None
            last = str(sent.message_id)
            if split:
                self.state.mark_part(message.key, n, last)
        if split:
            self.state.forget_parts(message.key, len(parts))
        return last

    def _call(self, part: Part) -> Callable[[Bot], Awaitable[Message]]:
        """The call that sends ``part``; a file's bytes are read from the store now."""
        if part.method == "sendMessage":
            return _send_message(part.request)
        if part.attachment is None:  # a location
            return _send_media(part.method, part.request)
        a = part.attachment
        data = stored_bytes(self.blobs, a)
        _, parameter = METHODS[a.kind]
        upload = InputFile(data, filename=a.name or f"{a.kind}.bin", attach=False)
        return _send_media(part.method, {**part.request, parameter: upload})

    def fetch(self, attachment: Attachment) -> bytes:
        """The content of a photo, file or voice note someone sent: getFile, then its download.

        Raises:
          DeliveryError: Telegram could not be reached or answered 429/5xx: try again later.
          PermanentDeliveryError: the file is unknown, or too big for the Bot API (20 MB).
        """
        if not attachment.ref or attachment.kind == "location":
            raise PermanentDeliveryError(f"a {attachment.kind} without a file to download")

        async def download(bot: Bot) -> bytes:
            file = await bot.get_file(attachment.ref)
            return bytes(await file.download_as_bytearray())

        try:
            return self._bot.run(download)
        except TelegramError as exc:
            raise translate_error(exc, f"getFile {attachment.kind}") from None

    # --- receiving --------------------------------------------------------------------

    def run_gateway(self, submit: Submit) -> None:
        """Long-poll Telegram until :meth:`stop` (or SIGTERM/SIGINT), submitting each update."""
        self._run(submit, webhook=False)

    def run_webhook(self, submit: Submit) -> None:
        """Serve the webhook until :meth:`stop` (or SIGTERM/SIGINT).

        Raises:
          SettingsError: ``webhook_url`` or ``webhook_secret`` is not set.
        """
        if not self.config.webhook_url or not self.config.webhook_secret:
            raise SettingsError(
                "[platforms.telegram]: a webhook needs webhook_url and webhook_secret "
                "(LINLI_TELEGRAM_WEBHOOK_URL, LINLI_TELEGRAM_WEBHOOK_SECRET)"
            )
        self._run(submit, webhook=True)

    def _run(self, submit: Submit, *, webhook: bool) -> None:
        asyncio.run(self._receive(submit, webhook=webhook))

    async def _receive(self, submit: Submit, *, webhook: bool) -> None:
        from linli.adapters.telegram.receive import Receiver

        c = self.config
        bot = make_bot(c.token, c.api_url)
        receiver = Receiver(bot, self.state, submit, poll_timeout=c.poll_timeout)
        self._loop, self._receiver = asyncio.get_running_loop(), receiver
        if self._stop_requested.is_set():
            self._stop_requested.clear()
            return
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, receiver.stop_soon)
        # no `async with bot`: its initialize() calls getMe once and fails when Telegram is
        # unreachable, where the receiver retries with backoff instead
        try:
            if webhook:
                await receiver.serve_webhook(
                    url=c.webhook_url,
                    secret=c.webhook_secret,
                    host=c.webhook_host,
                    port=c.webhook_port,
                    path=c.webhook_path,
                )
            else:
                await receiver.poll()
        finally:
            self._loop = self._receiver = None
            self._stop_requested.clear()
            await bot.shutdown()

    def stop(self) -> None:
        """Ask the gateway to return, from any thread."""
        self._stop_requested.set()
        loop, receiver = self._loop, self._receiver
        if loop is not None and receiver is not None and not loop.is_closed():
            loop.call_soon_threadsafe(receiver.stop_soon)

    def close(self) -> None:
        self._bot.close()
        self.state.close()


def _send_message(request: dict[str, Any]) -> Callable[[Bot], Awaitable[Message]]:
    async def call(bot: Bot) -> Message:
        return await bot.send_message(**request)

    return call


#: the library's method for each Bot API method a file is sent with
_MEDIA = {
    "sendPhoto": "send_photo",
    "sendDocument": "send_document",
    "sendVoice": "send_voice",
    "sendLocation": "send_location",
}


def _send_media(method: str, request: dict[str, Any]) -> Callable[[Bot], Awaitable[Message]]:
    async def call(bot: Bot) -> Message:
        sent: Message = await getattr(bot, _MEDIA[method])(**request)
        return sent

    return call
