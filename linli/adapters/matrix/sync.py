"""Receiving: /sync in a loop, every event of a batch put on the queue before the batch's
``next_batch`` token is saved.

- The very first sync (no token saved) only takes the token and answers pending invites:
  history from before linli was started is not replayed.
- A timeline the homeserver cut short (``limited``, after downtime) is completed by paging
  back with /messages from its ``prev_batch`` to the token saved before, so nothing is skipped.
- A crash before the token is saved brings the same events again; their event ids let the
  workers do nothing twice.
- Failures (the homeserver unreachable, a 5xx, the broker down) wait with growing, jittered
  pauses of at most 30 s, logged each time: never a busy loop.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
import structlog

from linli.adapters.matrix.api import MatrixApi, MatrixError
from linli.adapters.matrix.mapping import RoomFacts, to_inbound
from linli.adapters.matrix.power import PowerLevels
from linli.adapters.matrix.render import PLATFORM
from linli.adapters.matrix.state import MatrixState
from linli.core.adapter import Submit

__all__ = ["Backoff", "RoomPolicy", "Syncer"]

log = structlog.get_logger("linli.gateway.matrix")


class Backoff:
    """Exponential waits with full jitter after a failure, reset by a success."""

    def __init__(self, *, first: float = 0.5, most: float = 30.0) -> None:
        self.first, self.most = first, most
        self.failures = 0

    def next(self) -> float:
        self.failures += 1
        return random.uniform(self.first / 2, min(self.most, self.first * 2 ** (self.failures - 1)))

    def reset(self) -> None:
        self.failures = 0


class RoomPolicy:
    """Which rooms the bot joins and how it speaks in them.

    Parameters:
      allowed: whether an invite to a room (its id) is to be accepted: a bound room or one
        on the allow list.
      accept_direct: accept invites to direct chats (a resident writing to the bot privately).
      language: the language to tell a room something in (its district's).
    """

    def __init__(
        self,
        allowed: Callable[[str], bool],
        *,
        accept_direct: bool = True,
        language: Callable[[str], str] = lambda room: "zh_CN",
    ) -> None:
        self.allowed = allowed
        self.accept_direct = accept_direct
        self.language = language


#: what a sync asks for: no presence, lazily loaded members
def sync_filter(timeline_limit: int) -> dict[str, Any]:
    return {
        "presence": {"types": []},
        "account_data": {"types": ["m.direct"]},
        "room": {
            "timeline": {"limit": timeline_limit},
            "state": {"lazy_load_members": True},
            "ephemeral": {"types": []},
            "account_data": {"types": []},
        },
    }


#: how often a room is told that the bot cannot read its encrypted messages
ENCRYPTED_NOTICE_EVERY = 24 * 3600


class Syncer:
    """One bot account's events onto the queue.

    Parameters:
      api: the client, on this event loop.
      state: the saved token, direct rooms and choices.
      submit: puts an event on the queue; returns once the broker has it.
      policy: which invites to accept, which language to speak.
      encrypted_notice: the text telling a room that encrypted messages cannot be read, in a language.
      timeout_ms: how long one sync is held open.
      timeline_limit: events per room in one sync; more makes the timeline ``limited``.
      catch_up_limit: the most events read back in one room after downtime.
    """

    def __init__(
        self,
        api: MatrixApi,
        state: MatrixState,
        submit: Submit,
        policy: RoomPolicy,
        *,
        encrypted_notice: Callable[[str], str],
        timeout_ms: int = 30_000,
        timeline_limit: int = 50,
        catch_up_limit: int = 1000,
        backoff_first: float = 0.5,
    ) -> None:
        self.api, self.state, self.submit, self.policy = api, state, submit, policy
        self.encrypted_notice = encrypted_notice
        self.timeout_ms, self.timeline_limit, self.catch_up_limit = timeout_ms, timeline_limit, catch_up_limit
        self.backoff = Backoff(first=backoff_first)
        self.power = PowerLevels(api)
        self._stopping: asyncio.Event | None = None
        self._recent: collections.deque[str] = collections.deque(maxlen=2000)
        self._names: dict[str, str] = {}
        self._direct: dict[str, bool] = {}
        self._noticed: dict[str, float] = {}
        #: called when the homeserver refuses the token; True: there is a new one (a password login)
        self.relogin: Callable[[], Awaitable[bool]] = _no_relogin

    # --- the loop ------------------------------------------------------------------------

    @property
    def stopping(self) -> asyncio.Event:
        if self._stopping is None:
            self._stopping = asyncio.Event()
        return self._stopping

    def stop_soon(self) -> None:
        """Ask :meth:`run` to return (call on the loop's thread)."""
        self.stopping.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def retry_later(self, what: str, exc: BaseException) -> None:
        """Log that ``what`` failed and wait a growing, jittered while (less if stopped meanwhile)."""
        wait = self.backoff.next()
        log.warning(
            f"{what} failed; retrying",
            error=str(exc) or type(exc).__name__,
            wait=round(wait, 2),
            failures=self.backoff.failures,
        )
        await self._sleep(wait)

    async def _until_stopped(self, call: Awaitable[Any]) -> Any:
        """``await call``, given up (``None``) when the gateway is stopped meanwhile."""
        task = asyncio.ensure_future(call)
        stop = asyncio.ensure_future(self.stopping.wait())
        done, _ = await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        if task not in done:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return None
        stop.cancel()
        return task.result()

    async def run(self) -> None:
        """Sync until stopped."""
        since = await asyncio.to_thread(self.state.since)
        log.info(
            "syncing with the homeserver", user=self.api.user_id, homeserver=self.api.homeserver, first=since is None
        )
        while not self.stopping.is_set():
            first = since is None
            try:
                batch = await self._until_stopped(
                    self.api.sync(
                        since,
                        timeout_ms=0 if first else self.timeout_ms,
                        filter_=sync_filter(1 if first else self.timeline_limit),
                    )
                )
            except MatrixError as exc:
                if exc.status == 401:
                    try:
                        if await self.relogin():
                            continue
                    except MatrixError as login_failed:
                        exc = login_failed
                    log.error("the homeserver does not accept the access token", error=str(exc))
                await self.retry_later("sync", exc)
                continue
            if batch is None:
                return
            token = batch.get("next_batch")
            if not isinstance(token, str):
                await self.retry_later("sync", ValueError("the answer has no next_batch"))
                continue
            try:
                await self.handle_batch(batch, since)
                await asyncio.to_thread(self.state.save_since, token)
            except Exception as exc:  # the broker, the database or the homeserver: the batch comes again
                await self.retry_later("handling a sync batch", exc)
                continue
            if first:
                log.info("first sync: earlier history is not replayed", user=self.api.user_id)
            self.backoff.reset()
            since = token

    # --- one batch ---------------------------------------------------------------------------

    async def handle_batch(self, batch: Mapping[str, Any], since: str | None) -> None:
        """Answer the invites and put the batch's events on the queue; with ``since`` ``None``
        (the very first sync) the events are only looked at, not queued.

        Raises:
          Exception: an event could not be queued, or a gap could not be read: the whole
            batch is to be fetched again.
        """
        rooms = batch.get("rooms") if isinstance(batch.get("rooms"), Mapping) else {}
        assert isinstance(rooms, Mapping)
        await asyncio.to_thread(self._direct_from, batch)
        for room, data in _items(rooms.get("invite")):
            await self._invited(room, data)
        for room, data in _items(rooms.get("join")):
            timeline = data.get("timeline") if isinstance(data.get("timeline"), Mapping) else {}
            assert isinstance(timeline, Mapping)
            state_events = _events(data.get("state"))
            events = _events(timeline)
            self._learn(room, state_events + events)
            if since is None:
                continue
            if timeline.get("limited") and isinstance(timeline.get("prev_batch"), str):
                gap = await self._gap(room, timeline["prev_batch"], since)
                self._learn(room, gap)
                events = gap + events
            for event in events:
                await self._event(room, event)
        for room, _ in _items(rooms.get("leave")):
            user = await asyncio.to_thread(self.state.direct_user, room)
            if user is not None:  # the bot left or was removed from a direct room: a new one is made when needed
                await asyncio.to_thread(self.state.forget_direct, user, room)
                self._direct.pop(room, None)

    async def _gap(self, room: str, prev_batch: str, since: str) -> list[dict[str, Any]]:
        """The events between the last saved token and the timeline's start, oldest first."""
        events: list[dict[str, Any]] = []
        token = prev_batch
        while len(events) < self.catch_up_limit:
            page = await self.api.messages(room, from_=token, to=since, limit=100)
            chunk = [e for e in page.get("chunk") or [] if isinstance(e, dict)]
            events.extend(chunk)
            end = page.get("end")
            if not chunk or not isinstance(end, str) or end == token:
                break
            token = end
        if len(events) >= self.catch_up_limit:
            log.warning("catching up: only the latest events of a busy room are read", room=room, read=len(events))
        log.info("caught up on a room after a gap", room=room, events=len(events))
        return events[::-1]

    async def _event(self, room: str, event: Mapping[str, Any]) -> None:
        event_id = event.get("event_id")
        if not isinstance(event_id, str) or event_id in self._recent:
            return
        if event.get("type") == "m.room.encrypted" and event.get("sender") != self.api.user_id:
            await self._cannot_decrypt(room, event_id)
        elif event.get("type") == "m.room.member" and await self._is_direct(room):
            await self._direct_membership(room, event)
        else:
            facts = RoomFacts(
                private=await self._is_direct(room),
                room_choices=lambda: self.state.room_choices(room),
                event_choices=self.state.event_choices,
                display_name=lambda user: self._names.get(user, ""),
            )
            try:
                inbound = await asyncio.to_thread(to_inbound, event, room, bot=self.api.user_id, facts=facts)
            except Exception as exc:  # one event linli cannot read must not stop the gateway
                if isinstance(exc, MatrixError | OSError):
                    raise
                log.exception("event skipped: it could not be read", room=room, event_id=event_id)
                inbound = None
            if inbound is not None:
                if not inbound.private and inbound.kind in ("message", "choice"):
                    roles = await self.power.roles(room, inbound.sender.user_id)
                    # a message to the person's user id goes to their direct room, made when needed
                    inbound = attrs.evolve(
                        inbound, platform_roles=roles, private_address=f"{PLATFORM}:{inbound.sender.user_id}"
                    )
                await asyncio.to_thread(self.submit, inbound)
        self._recent.append(event_id)

    # --- rooms -----------------------------------------------------------------------------

    async def _invited(self, room: str, data: Mapping[str, Any]) -> None:
        invite = next(
            (
                e
                for e in _events(data.get("invite_state"))
                if e.get("type") == "m.room.member" and e.get("state_key") == self.api.user_id
            ),
            {},
        )
        content = invite.get("content") if isinstance(invite.get("content"), Mapping) else {}
        assert isinstance(content, Mapping)
        inviter = str(invite.get("sender", ""))
        direct = bool(content.get("is_direct"))
        allowed = await asyncio.to_thread(self.policy.allowed, room)
        if allowed or (direct and self.policy.accept_direct):
            try:
                await self.api.join(room)
            except MatrixError as exc:
                if exc.transient:
                    raise
                log.warning("invite could not be accepted", room=room, error=str(exc))
                return
            if direct and not allowed and inviter:
                await self._remember_direct(inviter, room)
            log.info("invite accepted", room=room, direct=direct and not allowed)
            return
        try:
            await self.api.leave(room)
        except MatrixError as exc:
            if exc.transient:
                raise
        log.warning(
            "invite declined: the room is not bound to a district (linli rooms bind matrix:ROOM_ID)",
            room=room,
            inviter=inviter,
        )

    async def _direct_membership(self, room: str, event: Mapping[str, Any]) -> None:
        """The person left their direct room: the bot leaves too, and the next private message
        to them opens a new one."""
        content = event.get("content") if isinstance(event.get("content"), Mapping) else {}
        assert isinstance(content, Mapping)
        user = await asyncio.to_thread(self.state.direct_user, room)
        if event.get("state_key") != user or user is None or content.get("membership") not in ("leave", "ban"):
            return
        await asyncio.to_thread(self.state.direct_gone, user, room)
        self._direct.pop(room, None)
        try:
            await self.api.leave(room)
        except MatrixError as exc:
            if exc.transient:
                raise
        log.info("the person left their direct room; the bot left too", room=room)

    async def _remember_direct(self, user: str, room: str) -> None:
        await asyncio.to_thread(self.state.save_direct, user, room)
        self._direct[room] = True
        await mark_direct(self.api, user, room)

    async def _is_direct(self, room: str) -> bool:
        # only a yes is kept: a worker may make a room direct (a new private chat) at any time
        if not self._direct.get(room):
            self._direct[room] = await asyncio.to_thread(self.state.direct_user, room) is not None
        return self._direct[room]

    def _direct_from(self, batch: Mapping[str, Any]) -> None:
        """Rooms other clients of the bot's account marked as direct (``m.direct``)."""
        account = batch.get("account_data") if isinstance(batch.get("account_data"), Mapping) else {}
        assert isinstance(account, Mapping)
        for event in _events(account):
            content = event.get("content")
            if event.get("type") == "m.direct" and isinstance(content, Mapping):
                for user, rooms in content.items():
                    if isinstance(rooms, list) and rooms and isinstance(rooms[-1], str):
                        self._direct[rooms[-1]] = True
                        if self.state.direct_room(user) is None:
                            self.state.save_direct(user, rooms[-1])

    def _learn(self, room: str, events: list[dict[str, Any]]) -> None:
        """Display names and power levels from the state events seen."""
        for event in events:
            kind, content = event.get("type"), event.get("content")
            if not isinstance(content, Mapping):
                continue
            if kind == "m.room.member" and isinstance(event.get("state_key"), str):
                name = content.get("displayname")
                if isinstance(name, str) and name:
                    self._names[event["state_key"]] = name
            elif kind in ("m.room.power_levels", "m.room.create"):
                self.power.forget(room)

    async def _cannot_decrypt(self, room: str, event_id: str) -> None:
        """Say, at most once a day per room, that encrypted messages cannot be read here."""
        now = time.monotonic()
        if now - self._noticed.get(room, -ENCRYPTED_NOTICE_EVERY) < ENCRYPTED_NOTICE_EVERY:
            return
        language = await asyncio.to_thread(self.policy.language, room)
        text = self.encrypted_notice(language)
        txn = "linli.e2ee." + hashlib.sha256(event_id.encode()).hexdigest()[:32]
        content = {
            "msgtype": "m.notice",
            "body": text,
            "m.mentions": {},
            "m.relates_to": {"m.in_reply_to": {"event_id": event_id}},
        }
        try:
            await self.api.send(room, content, txn)
        except MatrixError as exc:
            if exc.transient:
                raise
            log.warning("could not tell an encrypted room that its messages cannot be read", room=room, error=str(exc))
        log.info("encrypted message cannot be read; the room was told", room=room, event_id=event_id)
        self._noticed[room] = now


async def _no_relogin() -> bool:
    return False


async def mark_direct(api: MatrixApi, user: str, room: str) -> None:
    """Add ``room`` to the bot's ``m.direct`` account data as its direct chat with ``user``."""
    direct = await api.account_data("m.direct")
    rooms = (
        [r for r in direct.get(user, []) if isinstance(r, str) and r != room]
        if isinstance(direct.get(user), list)
        else []
    )
    direct[user] = [*rooms, room]
    await api.set_account_data("m.direct", direct)


def _items(value: Any) -> list[tuple[str, Mapping[str, Any]]]:
    if not isinstance(value, Mapping):
        return []
    return [(k, v) for k, v in value.items() if isinstance(k, str) and isinstance(v, Mapping)]


def _events(value: Any) -> list[dict[str, Any]]:
    events = value.get("events") if isinstance(value, Mapping) else None
    return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []
