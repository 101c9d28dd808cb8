"""A fake Matrix homeserver over real HTTP on loopback, for fast tests of the adapter:
sends with transaction ids (the same id is the same event), scripted sync batches and
/messages pages, scripted failures (a 429 with ``Retry-After`` or ``retry_after_ms``, 5xx)."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import defaultdict
from typing import Any
from urllib.parse import unquote

from aiohttp import web


class FakeHomeserver:
    """Start with ``with FakeHomeserver() as hs:``; ``hs.url`` is its base URL."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []  # {"room", "type", "txn", "content", "event_id"}
        self.txns: dict[tuple[str, str], str] = {}
        self.failures: list[tuple[int, dict[str, Any], dict[str, str]]] = []  # next send answers
        self.sync_failures: list[int] = []
        self.batches: list[dict[str, Any]] = []
        self.pages: dict[str, list[dict[str, Any]]] = {}  # from token -> page
        self.syncs: list[dict[str, str]] = []
        self.messages_asked: list[dict[str, str]] = []
        self.joined: list[str] = []
        self.left: list[str] = []
        self.created: list[dict[str, Any]] = []
        self.account_data: dict[str, Any] = {}
        self.state: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: defaultdict[str, int] = defaultdict(int)
        self.logins: list[dict[str, Any]] = []
        #: the one access token accepted (a password login gets it)
        self.token = "secret-token"
        self._ids = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- running ----------------------------------------------------------------------

    def __enter__(self) -> FakeHomeserver:
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._runner is not None
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    # --- answering --------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        parts = [unquote(p) for p in request.match_info["path"].split("/")]
        route = parts[3:] if parts[:3] == ["_matrix", "client", "v3"] else parts
        body = await request.json() if request.can_read_body else None
        self.calls[route[0] if route else ""] += 1
        if request.headers.get("Authorization") != f"Bearer {self.token}" and route[:1] != ["login"]:
            return _json(401, {"errcode": "M_UNKNOWN_TOKEN", "error": "bad token"})
        if route == ["login"]:
            self.logins.append(body or {})
            if (body or {}).get("password") != "right-password":
                return _json(403, {"errcode": "M_FORBIDDEN", "error": "Invalid password"})
            return _json(200, {"access_token": self.token, "device_id": "LINLIDEV", "user_id": "@linli:fake"})
        if route[:1] == ["rooms"] and len(route) == 5 and route[2] == "send":
            return self._send(route[1], route[3], route[4], body or {})
        if route == ["sync"]:
            answer = self._sync(dict(request.query))
            if answer is None:  # nothing new: hold the call open a little, as a homeserver does
                await asyncio.sleep(min(int(request.query.get("timeout", "0")) / 1000, 0.1))
                answer = _json(200, {"next_batch": request.query.get("since") or "s0"})
            return answer
        if route[:1] == ["rooms"] and route[2:] == ["messages"]:
            self.messages_asked.append(dict(request.query))
            return _json(200, self.pages.get(request.query["from"], {"chunk": []}))
        if route[:1] == ["rooms"] and route[2:] == ["join"]:
            self.joined.append(route[1])
            return _json(200, {"room_id": route[1]})
        if route[:1] == ["rooms"] and route[2:] == ["leave"]:
            self.left.append(route[1])
            return _json(200, {})
        if route[:1] == ["rooms"] and route[2:3] == ["state"]:
            found = self.state.get((route[1], route[3]))
            return _json(200, found) if found is not None else _json(404, {"errcode": "M_NOT_FOUND"})
        if route == ["createRoom"]:
            self.created.append(body or {})
            return _json(200, {"room_id": f"!dm{len(self.created)}:fake"})
        if route[:1] == ["user"] and route[2:3] == ["account_data"]:
            if request.method == "PUT":
                self.account_data[route[3]] = body
                return _json(200, {})
            found = self.account_data.get(route[3])
            return _json(200, found) if found is not None else _json(404, {"errcode": "M_NOT_FOUND"})
        return _json(404, {"errcode": "M_UNRECOGNIZED", "error": "/".join(route)})

    def _send(self, room: str, event_type: str, txn: str, content: dict[str, Any]) -> web.Response:
        if (room, txn) in self.txns:
            return _json(200, {"event_id": self.txns[(room, txn)]})
        if self.failures:
            status, body, headers = self.failures.pop(0)
            return _json(status, body, headers)
        event_id = f"$e{next(self._ids)}"
        self.txns[(room, txn)] = event_id
        self.sent.append({"room": room, "type": event_type, "txn": txn, "content": content, "event_id": event_id})
        return _json(200, {"event_id": event_id})

    def _sync(self, query: dict[str, str]) -> web.Response | None:
        self.syncs.append(query)
        if self.sync_failures:
            return _json(self.sync_failures.pop(0), {"errcode": "M_UNKNOWN", "error": "scripted"})
        if self.batches:
            return _json(200, self.batches.pop(0))
        return None


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type="application/json", headers=headers)


def message(event_id: str, body: str, *, sender: str = "@li:fake", **content: Any) -> dict[str, Any]:
    """A text message event as /sync shows it."""
    return {
        "type": "m.room.message",
        "event_id": event_id,
        "sender": sender,
        "content": {"msgtype": "m.text", "body": body, **content},
    }


def batch(
    next_batch: str,
    rooms: dict[str, list[dict[str, Any]]] | None = None,
    *,
    limited: str | None = None,
    invites: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """A /sync answer: ``rooms`` joined with their timeline events; ``limited`` the prev_batch
    of a cut-short timeline."""
    join = {
        room: {
            "timeline": {
                "events": events,
                "limited": limited is not None,
                **({"prev_batch": limited} if limited else {}),
            }
        }
        for room, events in (rooms or {}).items()
    }
    invite = {room: {"invite_state": {"events": events}} for room, events in (invites or {}).items()}
    return {"next_batch": next_batch, "rooms": {"join": join, "invite": invite}}
