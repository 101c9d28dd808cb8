"""The client-server API through matrix-nio: its ``AsyncClient`` logs in and carries the
requests; linli reads the JSON itself (a sync is mapped from its JSON, so one event nio
cannot parse never stops the gateway) and turns failures into linli's errors.

nio's own retrying is switched off: the gateway backs off with jitter, the delivery
actor retries through the broker, and both must see every failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from nio import AsyncClient, AsyncClientConfig, LoginResponse

from linli.core.errors import DeliveryError, LinliError, PermanentDeliveryError

__all__ = ["LoopThread", "MatrixApi", "MatrixError", "delivery_error", "retry_after_of"]

T = TypeVar("T")
PREFIX = "/_matrix/client/v3"
#: where media is uploaded (the spec has no authenticated upload path yet)
MEDIA_UPLOAD = "/_matrix/media/v3/upload"
#: authenticated media (Matrix 1.11): what current homeservers require for downloads
MEDIA_DOWNLOAD = "/_matrix/client/v1/media/download"
#: the unauthenticated download of older homeservers
LEGACY_DOWNLOAD = "/_matrix/media/v3/download"
#: seconds to wait after a 429 that did not say how long
DEFAULT_RETRY_AFTER = 5.0


class MatrixError(LinliError):
    """The homeserver refused a request, or could not be reached (``status`` 0).

    Parameters:
      message: what happened.
      status: the HTTP status; 0 when there was no answer (a timeout, a refused connection).
      errcode: the Matrix error code (``M_FORBIDDEN``), if the answer had one.
      retry_after: seconds the homeserver asked us to wait (``M_LIMIT_EXCEEDED``).
    """

    def __init__(
        self, message: str, /, *, status: int = 0, errcode: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.errcode, self.retry_after = status, errcode, retry_after

    @property
    def rate_limited(self) -> bool:
        return self.status == 429 or self.errcode == "M_LIMIT_EXCEEDED"

    @property
    def transient(self) -> bool:
        """It may work later: no answer, a rate limit, a 5xx."""
        return self.status == 0 or self.rate_limited or self.status >= 500


def retry_after_of(headers: Mapping[str, str], body: Mapping[str, Any]) -> float:
    """The seconds a rate-limited answer asked for: the ``Retry-After`` header (seconds),
    else ``retry_after_ms`` in the body, else :data:`DEFAULT_RETRY_AFTER`."""
    header = headers.get("Retry-After")
    if header is not None:
        with contextlib.suppress(ValueError):
            return max(float(header), 0.0)
    millis = body.get("retry_after_ms")
    if isinstance(millis, int | float) and not isinstance(millis, bool):
        return max(float(millis) / 1000, 0.0)
    return DEFAULT_RETRY_AFTER


def delivery_error(exc: MatrixError, what: str) -> LinliError:
    """The delivery error for a failed send: retry later (with the wait a rate limit asked
    for), or never (forbidden, unknown room, a message the server will not take)."""
    if exc.rate_limited:
        return DeliveryError(
            f"{what}: rate limited, retry after {exc.retry_after:g} s",
            retry_after=exc.retry_after or DEFAULT_RETRY_AFTER,
        )
    if exc.transient:
        return DeliveryError(f"{what}: {exc}")
    return PermanentDeliveryError(f"{what}: {exc}")


def _path(*parts: str) -> str:
    return PREFIX + "".join("/" + quote(p, safe="") for p in parts)


class MatrixApi:
    """One account's requests on one event loop.

    Parameters:
      homeserver: the base URL (``https://matrix.example.org``).
      user_id: the bot's user id.
      access_token: its token ("" before :meth:`login`).
      device_id: the device the token belongs to.
      timeout: seconds an ordinary request may take.
    """

    def __init__(
        self, homeserver: str, user_id: str, access_token: str = "", device_id: str = "", *, timeout: float = 30.0
    ) -> None:
        self.homeserver = homeserver.rstrip("/")
        self.user_id = user_id
        self.timeout = timeout
        config = AsyncClientConfig(
            max_limit_exceeded=0,
            max_timeouts=0,
            encryption_enabled=False,
            store_sync_tokens=False,
            request_timeout=timeout,
        )
        self.client = AsyncClient(self.homeserver, user_id, device_id=device_id or None, config=config)
        self.client.access_token = access_token

    @property
    def device_id(self) -> str:
        return str(self.client.device_id or "")

    async def login(self, password: str, device_name: str = "linli") -> tuple[str, str]:
        """Log in with a password; returns the new access token and device id.

        Raises:
          MatrixError: the homeserver refused or could not be reached.
        """
        try:
            answer = await self.client.login(password=password, device_name=device_name)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise MatrixError(f"login: {exc or type(exc).__name__}") from None
        if not isinstance(answer, LoginResponse):
            raise MatrixError(
                f"login refused: {getattr(answer, 'message', answer)}",
                status=403,
                errcode=str(getattr(answer, "status_code", "") or ""),
            )
        return answer.access_token, answer.device_id

    async def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        query: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """One request; the JSON answer.

        Raises:
          MatrixError: any answer but 2xx, or none.
        """
        if query:
            path += "?" + "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query.items())
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.client.access_token}"}
        data = json.dumps(body) if body is not None else None
        what = f"{method} {path.partition('?')[0]}"
        try:
            response = await self.client.send(method, path, data, headers, timeout=timeout or self.timeout)
            async with response:
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
                status, response_headers = response.status, response.headers
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise MatrixError(f"{what}: {type(exc).__name__} {exc}".strip()) from None
        if not isinstance(answer, dict):
            answer = {}
        if 200 <= status < 300:
            return answer
        errcode = str(answer.get("errcode", ""))
        retry = retry_after_of(response_headers, answer) if status == 429 or errcode == "M_LIMIT_EXCEEDED" else None
        raise MatrixError(
            f"{what}: {status} {errcode} {answer.get('error', '')}".strip(),
            status=status,
            errcode=errcode,
            retry_after=retry,
        )

    async def raw(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        *,
        content_type: str = "application/octet-stream",
        timeout: float | None = None,
    ) -> tuple[bytes, dict[str, Any]]:
        """One request whose body (sent or answered) is not JSON: media. Returns the answer's
        bytes and, when it was JSON, its object.

        Raises:
          MatrixError: any answer but 2xx, or none.
        """
        headers = {"Authorization": f"Bearer {self.client.access_token}"}
        if data is not None:
            headers["Content-Type"] = content_type or "application/octet-stream"
        what = f"{method} {path.partition('?')[0]}"
        try:
            response = await self.client.send(method, path, data, headers, timeout=timeout or self.timeout)
            async with response:
                body = await response.read()
                status, response_headers = response.status, response.headers
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise MatrixError(f"{what}: {type(exc).__name__} {exc}".strip()) from None
        answer: Any = None
        if response_headers.get("Content-Type", "").startswith("application/json"):
            with contextlib.suppress(ValueError):
                answer = json.loads(body)
        if not isinstance(answer, dict):
            answer = {}
        if 200 <= status < 300:
            return body, answer
        errcode = str(answer.get("errcode", ""))
        retry = retry_after_of(response_headers, answer) if status == 429 or errcode == "M_LIMIT_EXCEEDED" else None
        raise MatrixError(
            f"{what}: {status} {errcode} {answer.get('error', '')}".strip(),
            status=status,
            errcode=errcode,
            retry_after=retry,
        )

    # --- the calls linli makes ------------------------------------------------------------

    async def upload(self, data: bytes, name: str, mime: str) -> str:
        """Upload a file to the media repository; returns its ``mxc://`` URI."""
        path = f"{MEDIA_UPLOAD}?filename={quote(name, safe='')}" if name else MEDIA_UPLOAD
        _, answer = await self.raw("POST", path, data, content_type=mime, timeout=self.timeout * 4)
        uri = answer.get("content_uri")
        if not isinstance(uri, str) or not uri.startswith("mxc://"):
            raise MatrixError(f"POST {MEDIA_UPLOAD}: no content_uri in the answer", status=502)
        return uri

    async def download(self, mxc: str) -> bytes:
        """The content of ``mxc://server/media``: by authenticated media, or by the legacy
        path when the homeserver does not know the authenticated one.

        Raises:
          MatrixError: the URI is not mxc:// (status 400), or the homeserver refused.
        """
        server, _, media = mxc.removeprefix("mxc://").partition("/")
        if not mxc.startswith("mxc://") or not server or not media or "/" in media:
            raise MatrixError(f"not a media URI: {mxc[:80]!r}", status=400)
        tail = f"/{quote(server, safe='')}/{quote(media, safe='')}"
        try:
            body, _ = await self.raw("GET", MEDIA_DOWNLOAD + tail, timeout=self.timeout * 4)
        except MatrixError as exc:
            # a homeserver older than Matrix 1.11 answers 404 M_UNRECOGNIZED (or a bare 404/405)
            if not (exc.status in (404, 405) and exc.errcode in ("M_UNRECOGNIZED", "")):
                raise
            body, _ = await self.raw("GET", LEGACY_DOWNLOAD + tail, timeout=self.timeout * 4)
        return body

    async def whoami(self) -> dict[str, Any]:
        return await self.call("GET", _path("account", "whoami"))

    async def sync(self, since: str | None, *, timeout_ms: int, filter_: Mapping[str, Any]) -> dict[str, Any]:
        query = {"timeout": str(timeout_ms), "filter": json.dumps(filter_, separators=(",", ":"))}
        if since:
            query["since"] = since
        return await self.call("GET", _path("sync"), query=query, timeout=self.timeout + timeout_ms / 1000)

    async def messages(self, room: str, *, from_: str, to: str | None, limit: int = 100) -> dict[str, Any]:
        """Older events of ``room``, newest first, from ``from_`` back to ``to``."""
        query = {"from": from_, "dir": "b", "limit": str(limit)}
        if to:
            query["to"] = to
        return await self.call("GET", _path("rooms", room, "messages"), query=query)

    async def send(self, room: str, content: Mapping[str, Any], txn: str, event_type: str = "m.room.message") -> str:
        """Send one event; returns its event id. The same ``txn`` again is the same event."""
        answer = await self.call("PUT", _path("rooms", room, "send", event_type, txn), content)
        return str(answer.get("event_id", ""))

    async def join(self, room: str) -> None:
        await self.call("POST", _path("rooms", room, "join"), {})

    async def leave(self, room: str) -> None:
        await self.call("POST", _path("rooms", room, "leave"), {})

    async def state(self, room: str, event_type: str, state_key: str = "", *, event: bool = False) -> dict[str, Any]:
        """A state event's content, or with ``event`` the whole event (its sender too)."""
        return await self.call(
            "GET", _path("rooms", room, "state", event_type, state_key), query={"format": "event"} if event else None
        )

    async def joined_members(self, room: str) -> list[str]:
        answer = await self.call("GET", _path("rooms", room, "joined_members"))
        joined = answer.get("joined")
        return list(joined) if isinstance(joined, dict) else []

    async def create_direct_room(self, user: str) -> str:
        """A new private room with ``user``, invited and marked as a direct chat."""
        answer = await self.call(
            "POST", _path("createRoom"), {"preset": "trusted_private_chat", "is_direct": True, "invite": [user]}
        )
        return str(answer["room_id"])

    async def account_data(self, kind: str) -> dict[str, Any]:
        try:
            return await self.call("GET", _path("user", self.user_id, "account_data", kind))
        except MatrixError as exc:
            if exc.status == 404:
                return {}
            raise

    async def set_account_data(self, kind: str, content: Mapping[str, Any]) -> None:
        await self.call("PUT", _path("user", self.user_id, "account_data", kind), content)

    async def close(self) -> None:
        await self.client.close()


class LoopThread:
    """An event loop of its own in a daemon thread, for synchronous callers (the delivery
    threads of a worker): one loop and one HTTP session serve every send.

    Parameters:
      factory: builds the client on the loop's first use.
      timeout: the most seconds one call may take.
    """

    def __init__(self, factory: Callable[[], MatrixApi], *, timeout: float = 60.0) -> None:
        self._factory = factory
        self._timeout = timeout
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._api: MatrixApi | None = None

    def _started(self) -> tuple[asyncio.AbstractEventLoop, MatrixApi]:
        with self._lock:
            if self._loop is None or self._api is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="linli-matrix-loop", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
                self._api = self._factory()
            return self._loop, self._api

    def run(self, call: Callable[[MatrixApi], Awaitable[T]]) -> T:
        """Run ``call(api)`` on the loop and wait for it.

        Raises:
          MatrixError: it failed, or took longer than the timeout (``status`` 0).
        """
        loop, api = self._started()

        async def _go() -> T:
            return await call(api)

        future: Future[T] = asyncio.run_coroutine_threadsafe(_go(), loop)
        try:
            return future.result(timeout=self._timeout)
        except TimeoutError:
            future.cancel()
            raise MatrixError(f"the homeserver did not answer within {self._timeout:g} s") from None

    def close(self) -> None:
        with self._lock:
            loop, api, thread = self._loop, self._api, self._thread
            self._loop = self._api = self._thread = None
        if loop is None or api is None or thread is None:
            return
        with contextlib.suppress(Exception):  # closing must not fail a shutdown
            asyncio.run_coroutine_threadsafe(api.close(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
