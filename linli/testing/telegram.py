"""A fake Telegram Bot API server for tests, benchmarks and trying linli without Telegram.

It speaks real HTTP on loopback with the Bot API's JSON shapes for the methods linli
uses (getMe, getUpdates held open with ``offset``/``timeout``, sendMessage, sendPhoto,
sendDocument, sendVoice and sendLocation with multipart uploads, getFile and the file
download, answerCallbackQuery, setWebhook, deleteWebhook) and enforces the flood limits
with 429s carrying ``retry_after``. It runs on an event loop in a thread of its own, so that
synchronous tests and other processes can talk to it::

    with FakeBotApi() as api:
        api.push_message(-100123, "/help")
        ...                         # LINLI_TELEGRAM_API_URL=api.url
        assert api.sent_to(-100123)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import threading
import time
from collections import defaultdict, deque
from typing import Any

from aiohttp import web

__all__ = ["FakeBotApi"]

#: parameters whose form value is a plain string even when it looks like JSON.
_STRINGS = {"text", "url", "secret_token", "callback_query_id", "username", "caption", "file_id"}


class FakeBotApi:
    """Parameters:
    token: the bot token it accepts (others get 401).
    per_second: messages a second it accepts from the bot (sliding window).
    per_chat: messages it accepts in one chat per ``chat_window`` seconds.
    per_group: messages a minute it accepts in one group.
    retry_after: the seconds its 429s ask for.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        per_second: int = 30,
        per_chat: int = 3,
        chat_window: float = 3.0,
        per_group: int = 20,
        retry_after: int = 1,
    ) -> None:
        self.token = token
        self.bot_id = int(token.partition(":")[0])
        self.username = "linli_test_bot"
        self.per_second, self.per_chat, self.chat_window, self.per_group = per_second, per_chat, chat_window, per_group
        self.retry_after = retry_after
        self.lock = threading.Lock()
        #: every message accepted, as the parameters it was sent with (plus ``message_id``)
        self.sent: list[dict[str, Any]] = []
        self.answered: list[str] = []
        self.offsets: list[int | None] = []
        self.webhook: dict[str, Any] | None = None
        self.calls: defaultdict[str, int] = defaultdict(int)
        self.too_many = 0
        #: chats that answer 403 (the bot was kicked or blocked)
        self.forbidden: set[int] = set()
        #: the next this many sends (text or file) answer 429; the next this many of any call answer 502
        self.storm = 0
        self.server_errors = 0
        #: the next this many file downloads answer 502
        self.download_errors = 0
        #: the files people sent and the bot uploaded, by file_id: (bytes, file name)
        self.files: dict[str, tuple[bytes, str]] = {}
        #: getFile refuses files larger than this, as the Bot API does (20 MB)
        self.max_download = 20 * 1024 * 1024
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._next_message = 1
        self._stamps: deque[float] = deque()
        self._chat_stamps: defaultdict[int, deque[float]] = defaultdict(deque)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- running ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to give linli (``[platforms.telegram] api_url``)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeBotApi:
        """Listen on an ephemeral loopback port; returns once it accepts connections."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self._start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-bot-api", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Bot API did not start")
        return self

    async def _start(self) -> None:
        self._new_update = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # the ephemeral port is only known here
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what the test does ----------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue one update (its ``update_id`` is added); returns the update id."""
        with self.lock:
            update_id = self._next_update
            self._next_update += 1
            self._updates.append({"update_id": update_id, **update})
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)
        return update_id

    def message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int = 1001,
        name: str = "张三",
        thread: int | None = None,
        chat_type: str | None = None,
    ) -> dict[str, Any]:
        """A ``Message`` object as Telegram sends it."""
        kind = chat_type or ("private" if chat_id > 0 else "supergroup")
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = name
        else:
            chat["title"] = f"group {chat_id}"
        with self.lock:
            message_id = self._next_message
            self._next_message += 1
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": name},
            "text": text,
        }
        if thread is not None:
            message["message_thread_id"] = thread
            message["is_topic_message"] = True
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return message

    def push_message(self, chat_id: int, text: str, **kw: Any) -> int:
        """Queue a message update; returns its update id."""
        return self.push({"message": self.message(chat_id, text, **kw)})

    def add_file(self, data: bytes, name: str = "") -> str:
        """Keep ``data`` as a file Telegram holds; returns its ``file_id``."""
        file_id = "F" + hashlib.sha256(data).hexdigest()[:24]
        with self.lock:
            self.files[file_id] = (data, name)
        return file_id

    def push_file(
        self,
        chat_id: int,
        data: bytes,
        *,
        kind: str = "photo",
        name: str = "",
        mime: str = "",
        caption: str = "",
        **kw: Any,
    ) -> int:
        """Queue a message carrying a photo, a document or a voice note (``kind``: ``photo``,
        ``document``, ``voice``) with an optional caption; returns its update id."""
        message = self.message(chat_id, caption, **kw)
        del message["text"]
        message.pop("entities", None)
        if caption:
            message["caption"] = caption
        file_id = self.add_file(data, name)
        unique = file_id[1:13]
        if kind == "photo":
            # Telegram sends sizes up to the original; the last one is the largest
            message["photo"] = [
                {"file_id": file_id + "s", "file_unique_id": unique + "s", "width": 90, "height": 60, "file_size": 1},
                {"file_id": file_id, "file_unique_id": unique, "width": 1280, "height": 960, "file_size": len(data)},
            ]
        elif kind == "voice":
            message["voice"] = {
                "file_id": file_id,
                "file_unique_id": unique,
                "duration": 3,
                "mime_type": mime or "audio/ogg",
                "file_size": len(data),
            }
        else:
            message["document"] = {
                "file_id": file_id,
                "file_unique_id": unique,
                "file_name": name,
                "mime_type": mime,
                "file_size": len(data),
            }
        return self.push({"message": message})

    def push_location(self, chat_id: int, latitude: float, longitude: float, **kw: Any) -> int:
        """Queue a message carrying a location; returns its update id."""
        message = self.message(chat_id, "", **kw)
        del message["text"]
        message["location"] = {"latitude": latitude, "longitude": longitude}
        return self.push({"message": message})

    def push_press(self, sent: dict[str, Any], label: str | int, *, user_id: int = 1001, name: str = "张三") -> int:
        """Queue the press of a button under a sent message, by its label or its place
        (0: the first); returns the update id."""
        buttons = [b for row in sent["reply_markup"]["inline_keyboard"] for b in row]
        data = (
            buttons[label]["callback_data"]
            if isinstance(label, int)
            else next(b["callback_data"] for b in buttons if b["text"] == label)
        )
        chat_id = int(sent["chat_id"])
        message = self.message(chat_id, sent["text"], user_id=self.bot_id, name="linli")
        message["message_id"] = sent["message_id"]
        return self.push(
            {
                "callback_query": {
                    "id": f"cq{time.monotonic_ns()}",
                    "chat_instance": "1",
                    "data": data,
                    "from": {"id": user_id, "is_bot": False, "first_name": name},
                    "message": message,
                }
            }
        )

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.sent if int(m["chat_id"]) == chat_id]

    def pending(self) -> int:
        """Updates not confirmed by an offset yet."""
        with self.lock:
            return len(self._updates)

    # --- the Bot API -------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        with self.lock:
            self.calls[method] += 1
            if self.server_errors > 0:
                self.server_errors -= 1
                return _error(502, "Bad Gateway")
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        result: web.Response = await handler(params)
        return result

    async def _api_getMe(self, params: dict[str, Any]) -> web.Response:
        return _ok(
            {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": "linli",
                "username": self.username,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    async def _api_getUpdates(self, params: dict[str, Any]) -> web.Response:
        if self.webhook is not None:
            return _error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self.lock:
            self.offsets.append(offset)
        assert self._new_update is not None
        while True:
            with self.lock:
                if offset is not None:  # an offset confirms every update before it
                    self._updates = [u for u in self._updates if u["update_id"] >= int(offset)]
                ready = list(self._updates[: int(params.get("limit") or 100)])
                self._new_update.clear()
            left = deadline - time.monotonic()
            if ready or left <= 0:
                return _ok(ready)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), left)

    def _admit(self, chat_id: int) -> web.Response | None:
        """The flood limits, holding the lock: an error to answer, or None (the send counted)."""
        now = time.monotonic()
        if chat_id in self.forbidden:
            return _error(403, "Forbidden: bot was kicked from the supergroup chat")
        if self.storm > 0:
            self.storm -= 1
            return self._too_many()
        while self._stamps and now - self._stamps[0] > 1.0:
            self._stamps.popleft()
        chat = self._chat_stamps[chat_id]
        window = 60.0 if chat_id < 0 else self.chat_window
        while chat and now - chat[0] > window:
            chat.popleft()
        in_window = sum(1 for t in chat if now - t <= self.chat_window)
        if (
            len(self._stamps) >= self.per_second
            or in_window >= self.per_chat
            or (chat_id < 0 and len(chat) >= self.per_group)
        ):
            return self._too_many()
        self._stamps.append(now)
        chat.append(now)
        return None

    def _message_result(self, chat_id: int, message_id: int, **content: Any) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "linli"},
            **content,
        }

    async def _api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        with self.lock:
            if chat_id in self.forbidden:
                return _error(403, "Forbidden: bot was kicked from the supergroup chat")
            if not params.get("text"):
                return _error(400, "Bad Request: message text is empty")
            if len(params["text"]) > 4096:
                return _error(400, "Bad Request: message is too long")
            refused = self._admit(chat_id)
            if refused is not None:
                return refused
            message_id = self._next_message
            self._next_message += 1
            self.sent.append({**params, "message_id": message_id})
        return _ok(self._message_result(chat_id, message_id, text=params["text"]))

    async def _send_file(self, params: dict[str, Any], method: str, field: str) -> web.Response:
        """sendPhoto, sendDocument, sendVoice: the file uploaded in the multipart form (or an
        earlier file_id); recorded in :attr:`sent` with ``method``, ``file``, ``filename`` and
        ``text`` (the caption)."""
        chat_id = int(params["chat_id"])
        upload = params.get(field)
        if isinstance(upload, str) and upload.startswith("attach://"):
            upload = params.get(upload.removeprefix("attach://"))
        if isinstance(upload, _Upload):
            data, filename = upload.data, upload.filename
        elif isinstance(upload, str) and upload in self.files:
            data, filename = self.files[upload]
        else:
            return _error(400, f"Bad Request: there is no {field} in the request")
        if len(params.get("caption") or "") > 1024:
            return _error(400, "Bad Request: message caption is too long")
        with self.lock:
            refused = self._admit(chat_id)
            if refused is not None:
                return refused
            message_id = self._next_message
            self._next_message += 1
            sent = {**params, field: filename, "method": method, "file": data, "filename": filename}
            self.sent.append({**sent, "text": params.get("caption") or "", "message_id": message_id})
        file_id = self.add_file(data, filename)
        meta = {"file_id": file_id, "file_unique_id": file_id[1:13], "file_size": len(data)}
        if field == "photo":
            content: dict[str, Any] = {"photo": [{**meta, "width": 800, "height": 600}]}
        elif field == "voice":
            content = {"voice": {**meta, "duration": 1}}
        else:
            content = {"document": {**meta, "file_name": filename}}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return _ok(self._message_result(chat_id, message_id, **content))

    async def _api_sendPhoto(self, params: dict[str, Any]) -> web.Response:
        return await self._send_file(params, "sendPhoto", "photo")

    async def _api_sendDocument(self, params: dict[str, Any]) -> web.Response:
        return await self._send_file(params, "sendDocument", "document")

    async def _api_sendVoice(self, params: dict[str, Any]) -> web.Response:
        return await self._send_file(params, "sendVoice", "voice")

    async def _api_sendLocation(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        with self.lock:
            refused = self._admit(chat_id)
            if refused is not None:
                return refused
            message_id = self._next_message
            self._next_message += 1
            self.sent.append({**params, "method": "sendLocation", "text": "", "message_id": message_id})
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        return _ok(self._message_result(chat_id, message_id, location=location))

    async def _api_getFile(self, params: dict[str, Any]) -> web.Response:
        file_id = str(params.get("file_id", ""))
        with self.lock:
            known = self.files.get(file_id)
        if known is None:
            return _error(400, "Bad Request: invalid file_id")
        if len(known[0]) > self.max_download:
            return _error(400, "Bad Request: file is too big")
        return _ok(
            {
                "file_id": file_id,
                "file_unique_id": file_id[1:13],
                "file_size": len(known[0]),
                "file_path": f"files/{file_id}",
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].removeprefix("files/")
        with self.lock:
            self.calls["download"] += 1
            if self.download_errors > 0:
                self.download_errors -= 1
                return web.Response(status=502, text="Bad Gateway")
            known = self.files.get(file_id)
        if known is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=known[0], content_type="application/octet-stream")

    def _too_many(self) -> web.Response:
        self.too_many += 1
        return _error(
            429, f"Too Many Requests: retry after {self.retry_after}", parameters={"retry_after": self.retry_after}
        )

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:
        with self.lock:
            self.answered.append(str(params["callback_query_id"]))
        return _ok(True)

    async def _api_setWebhook(self, params: dict[str, Any]) -> web.Response:
        with self.lock:
            self.webhook = dict(params)
        return _ok(True)

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        with self.lock:
            self.webhook = None
        return _ok(True)


class _Upload:
    """A file uploaded in a multipart form."""

    def __init__(self, data: bytes, filename: str) -> None:
        self.data, self.filename = data, filename


async def _params(request: web.Request) -> dict[str, Any]:
    """The call's parameters: query string, JSON body or form (whose values are JSON unless
    plain strings; uploaded files as :class:`_Upload`)."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
        return params
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = _Upload(value.file.read(), value.filename)
            continue
        text = str(value)
        if key in _STRINGS:
            params[key] = text
            continue
        try:
            params[key] = json.loads(text)
        except ValueError:
            params[key] = text
    return params


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, **extra: Any) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description, **extra}, status=code)
