"""The Matrix adapter: matrix-nio's client for the requests, linli's own sync loop
(:mod:`.sync`), transaction ids derived from the outbox so that a retried send posts once.

Settings (``[platforms.matrix]``; the environment wins)::

    [platforms.matrix]
    homeserver = "https://matrix.example.org"   # LINLI_MATRIX_HOMESERVER
    user_id = "@linli:example.org"              # LINLI_MATRIX_USER_ID
    device_id = "LINLIBOT"                      # the device of the token (optional)
    # the token: only in the environment, LINLI_MATRIX_ACCESS_TOKEN; or LINLI_MATRIX_PASSWORD,
    # whose login (token and device) is stored in the database and reused
    allow_rooms = ["!abc:example.org"]          # rooms to join when invited, besides the bound ones
    accept_direct = true                        # join direct chats residents open with the bot
    sync_timeout = 30                           # seconds one /sync is held open
    timeline_limit = 50                         # events per room and sync before paging back
    catch_up_limit = 1000                       # the most events read back per room after downtime
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Callable, Mapping
from typing import Any

import structlog

from linli.adapters.ids import is_matrix_room
from linli.adapters.matrix.api import LoopThread, MatrixApi, MatrixError, delivery_error
from linli.adapters.matrix.mapping import MSGTYPES
from linli.adapters.matrix.render import MAX_TEXT, PLATFORM, render, txn_id
from linli.adapters.matrix.state import MatrixState
from linli.adapters.matrix.sync import RoomPolicy, Syncer, mark_direct
from linli.core.adapter import ChatAdapter, Submit, stored_bytes
from linli.core.blobs import BlobStore
from linli.core.errors import PermanentDeliveryError, SettingsError
from linli.core.events import Attachment, Outbound
from linli.core.i18n import N_, translator

__all__ = ["ENCRYPTED_NOTICE", "MatrixAdapter", "MatrixConfig", "RoomPolicy"]

log = structlog.get_logger("linli.adapters.matrix")

#: what an encrypted room is told (in its district's language): the bot cannot read it
ENCRYPTED_NOTICE = N_(
    "I cannot read encrypted messages, so I did not see what was written here. "
    "Please talk to me in a room without encryption (an administrator can bind one "
    "to the community), or in a private chat without encryption."
)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class MatrixConfig:
    """``[platforms.matrix]`` with its environment overrides, checked.

    Parameters:
      config: the settings table.
      env: the environment (``os.environ`` when ``None``).

    Raises:
      SettingsError: the homeserver, the user or both secrets are missing, or a value is wrong.
    """

    def __init__(self, config: Mapping[str, Any], env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.homeserver = (env.get("LINLI_MATRIX_HOMESERVER") or str(config.get("homeserver", ""))).rstrip("/")
        self.user_id = env.get("LINLI_MATRIX_USER_ID") or str(config.get("user_id", ""))
        self.device_id = env.get("LINLI_MATRIX_DEVICE_ID") or str(config.get("device_id", ""))
        self.access_token = env.get("LINLI_MATRIX_ACCESS_TOKEN", "")
        self.password = env.get("LINLI_MATRIX_PASSWORD", "")
        if not self.homeserver.startswith(("http://", "https://")):
            raise SettingsError(
                "[platforms.matrix] homeserver: the homeserver's URL, such as "
                "https://matrix.example.org (LINLI_MATRIX_HOMESERVER)"
            )
        if not (self.user_id.startswith("@") and ":" in self.user_id):
            raise SettingsError("[platforms.matrix] user_id: the bot's full user id, such as @linli:example.org")
        if not self.access_token and not self.password:
            raise SettingsError(
                "[platforms.matrix]: set the bot's access token in LINLI_MATRIX_ACCESS_TOKEN "
                "(or its password in LINLI_MATRIX_PASSWORD)"
            )
        rooms = config.get("allow_rooms", ())
        if isinstance(rooms, str) or not all(isinstance(r, str) for r in rooms):
            raise SettingsError('[platforms.matrix] allow_rooms: a list of room ids, such as ["!abc:example.org"]')
        self.allow_rooms = frozenset(str(r).removeprefix(f"{PLATFORM}:") for r in rooms)
        if not all(is_matrix_room(r) for r in self.allow_rooms):
            wrong = ", ".join(sorted(r for r in self.allow_rooms if not is_matrix_room(r)))
            raise SettingsError(
                f"[platforms.matrix] allow_rooms: {wrong}: room ids are written !abc:example.org, or "
                "!FZzPps5Mak8xjI8fwqgT2cX-wXdq74PPDBK2uknozVc from room version 12 on (not an #alias)"
            )
        self.accept_direct = _flag(config.get("accept_direct", True))
        try:
            self.sync_timeout = float(config.get("sync_timeout", 30))
            self.timeline_limit = int(config.get("timeline_limit", 50))
            self.catch_up_limit = int(config.get("catch_up_limit", 1000))
            self.request_timeout = float(config.get("request_timeout", 30))
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"[platforms.matrix]: {exc}") from None
        if self.timeline_limit < 1 or self.catch_up_limit < 1 or self.sync_timeout < 0:
            raise SettingsError("[platforms.matrix]: timeline_limit and catch_up_limit must be positive")


class MatrixAdapter(ChatAdapter):
    """One Matrix bot account.

    Parameters:
      config: the checked settings.
      storage_url: the deployment's database (the sync token, direct rooms, choices).
      policy: which invites the gateway accepts and the language it speaks in a room
        (the gateway's; a worker that only sends needs none).
      encrypted_notice: the text telling an encrypted room that its messages cannot be read,
        in a language (by default :data:`ENCRYPTED_NOTICE`, translated).
      blobs: where the files to send are stored (:attr:`Outbound.attachments` name them).
    """

    platform = PLATFORM
    max_text_length = MAX_TEXT

    def __init__(
        self,
        config: MatrixConfig,
        *,
        storage_url: str,
        policy: RoomPolicy | None = None,
        encrypted_notice: Callable[[str], str] | None = None,
        blobs: BlobStore | None = None,
    ) -> None:
        self.config = config
        self.blobs = blobs
        self.state = MatrixState(storage_url, config.user_id)
        self.policy = policy or RoomPolicy(lambda room: room in config.allow_rooms, accept_direct=config.accept_direct)
        self.encrypted_notice = encrypted_notice or (lambda language: translator(language)(ENCRYPTED_NOTICE))
        self._client = LoopThread(self._api, timeout=config.request_timeout + 5)
        self._credentials: tuple[str, str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._syncer: Syncer | None = None
        self._stop_requested = threading.Event()

    def _api(self) -> MatrixApi:
        token, device = self._credentials or (self.config.access_token, self.config.device_id)
        return MatrixApi(
            self.config.homeserver, self.config.user_id, token, device, timeout=self.config.request_timeout
        )

    async def logged_in(self, api: MatrixApi) -> None:
        """Give ``api`` a token: the environment's, a stored login's, or a new password login
        (stored, so that its device, and with it the transaction ids, stay the same).

        Raises:
          MatrixError: the password login failed.
        """
        if self.config.access_token:
            return
        stored = await asyncio.to_thread(self.state.login)
        if stored is None:
            token, device = await api.login(self.config.password)
            await asyncio.to_thread(self.state.save_login, token, device)
            log.info("logged in with the password; the token is stored for reuse", device=device)
            stored = token, device
        api.client.access_token, api.client.device_id = stored
        self._credentials = stored

    # --- sending ----------------------------------------------------------------------

    def send(self, message: Outbound) -> str | None:
        """Send ``message`` as one or more events; returns the last one's event id.

        A message to ``matrix:@user:server`` goes to the direct room with that person,
        made (and marked as direct) when there is none. Its text goes first, then each
        attachment: uploaded from the blob store and sent as ``m.image``, ``m.file`` or
        ``m.audio``, a location as ``m.location``. Each event's transaction id comes from the
        outbox row and the part's place, so a retry posts no event twice.

        Raises:
          DeliveryError: rate limited (``retry_after`` as the homeserver asked), a timeout, a 5xx.
          PermanentDeliveryError: the bot may not post there, the homeserver refused the
            message, or a file to send is not in the blob store.
        """
        try:
            return self._client.run(lambda api: self._send(api, message))
        except MatrixError as exc:
            raise delivery_error(exc, f"send to {message.address.room}") from None

    async def _send(self, api: MatrixApi, message: Outbound) -> str | None:
        if not api.client.access_token:
            await self.logged_in(api)
        try:
            return await self._send_parts(api, message)
        except MatrixError as exc:
            if not (exc.status == 401 and await self.logged_in_again(api)):
                raise
        return await self._send_parts(api, message)

    async def logged_in_again(self, api: MatrixApi) -> bool:
        """After the homeserver refused the token: with a password, take the login another process
        stored meanwhile, or log in again; ``False`` without a password (the token is the deployer's).

        Raises:
          MatrixError: the new login failed.
        """
        if not self.config.password:
            return False
        stale = api.client.access_token
        stored = await asyncio.to_thread(self.state.login)
        if stored is None or stored[0] == stale:
            await asyncio.to_thread(self.state.forget_login)
            log.warning("the homeserver refused the stored token; logging in again with the password")
            self._credentials = None
            await self.logged_in(api)
        else:
            api.client.access_token, api.client.device_id = stored
            self._credentials = stored
        return True

    async def _send_parts(self, api: MatrixApi, message: Outbound) -> str | None:
        room = message.address.room
        if room.startswith("!") and (gone := await asyncio.to_thread(self.state.gone_direct_user, room)):
            room = gone  # the person left that direct room: a new one is opened
        if room.startswith("@"):
            room = await self._direct_room(api, room)
        contents: list[dict[str, Any] | Attachment] = []
        if message.text or message.choices or not message.attachments:
            contents.extend(render(message))
        contents.extend(message.attachments)
        values = [c.value for c in message.choices]
        split = len(contents) > 1 and bool(message.key)
        last: str | None = None
        for n, content in enumerate(contents):
            if split and (done := await asyncio.to_thread(self.state.sent_part, message.key, n)) is not None:
                last = done
                continue
            if values and n == len(contents) - 1:  # a number may answer them as soon as they are seen
                await asyncio.to_thread(self.state.save_choices, room, values)
            if isinstance(content, Attachment):
                content = await self._file_content(api, content, message)
            last = await api.send(room, content, txn_id(message.key, n))
            if split:
                await asyncio.to_thread(self.state.mark_part, message.key, n, last)
        if values and last:
            await asyncio.to_thread(self.state.save_choices, room, values, last)
        if split:
            await asyncio.to_thread(self.state.forget_parts, message.key, len(contents))
        return last

    async def _file_content(self, api: MatrixApi, attachment: Attachment, message: Outbound) -> dict[str, Any]:
        """The event content of one attachment; a file is uploaded from the blob store first."""
        if attachment.kind == "location":
            lat, lon = attachment.latitude, attachment.longitude
            content: dict[str, Any] = {"msgtype": "m.location", "body": f"{lat},{lon}", "geo_uri": f"geo:{lat},{lon}"}
        else:
            data = await asyncio.to_thread(stored_bytes, self.blobs, attachment)
            name = attachment.name or f"{attachment.kind}.bin"
            mime = attachment.mime or "application/octet-stream"
            uri = await api.upload(data, name, mime)
            content = {
                "msgtype": MSGTYPES[attachment.kind],
                "body": name,
                "filename": name,
                "url": uri,
                "info": {"mimetype": mime, "size": len(data)},
            }
            if attachment.kind == "voice":
                content["org.matrix.msc3245.voice"] = {}
        if message.address.thread:
            thread = message.address.thread
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": thread,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": thread},
            }
        return content

    def fetch(self, attachment: Attachment) -> bytes:
        """The content of an image, file or audio someone sent (``ref``: its ``mxc://`` URI),
        by authenticated media, or the legacy download on an older homeserver.

        Raises:
          DeliveryError: a timeout, a rate limit, a 5xx: try again later.
          PermanentDeliveryError: not a media URI, or the homeserver refused (gone, too big).
        """
        if not attachment.ref.startswith("mxc://"):
            raise PermanentDeliveryError(f"a {attachment.kind} without a media URI to download")

        async def download(api: MatrixApi) -> bytes:
            if not api.client.access_token:
                await self.logged_in(api)
            try:
                return await api.download(attachment.ref)
            except MatrixError as exc:
                if not (exc.status == 401 and await self.logged_in_again(api)):
                    raise
            return await api.download(attachment.ref)

        try:
            return self._client.run(download)
        except MatrixError as exc:
            raise delivery_error(exc, f"download of a {attachment.kind}") from None

    async def _direct_room(self, api: MatrixApi, user: str) -> str:
        room = await asyncio.to_thread(self.state.direct_room, user)
        if room is None:
            room = await api.create_direct_room(user)
            await asyncio.to_thread(self.state.save_direct, user, room)
            await mark_direct(api, user, room)
            log.info("direct room made", room=room)
        return room

    # --- receiving --------------------------------------------------------------------

    def run_gateway(self, submit: Submit) -> None:
        """Sync until :meth:`stop` (or SIGTERM/SIGINT), submitting each event."""
        asyncio.run(self._receive(submit))

    async def _receive(self, submit: Submit) -> None:
        c = self.config
        api = self._api()
        syncer = Syncer(
            api,
            self.state,
            submit,
            self.policy,
            encrypted_notice=self.encrypted_notice,
            timeout_ms=int(c.sync_timeout * 1000),
            timeline_limit=c.timeline_limit,
            catch_up_limit=c.catch_up_limit,
        )
        self._loop, self._syncer = asyncio.get_running_loop(), syncer
        if self._stop_requested.is_set():
            self._stop_requested.clear()
            return
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, syncer.stop_soon)
        try:
            while not syncer.stopping.is_set():
                try:
                    await self.logged_in(api)
                    break
                except MatrixError as exc:
                    await syncer.retry_later("login", exc)
            syncer.relogin = lambda: self.logged_in_again(api)
            await syncer.run()
        finally:
            self._loop = self._syncer = None
            self._stop_requested.clear()
            await api.close()

    def stop(self) -> None:
        """Ask the gateway to return, from any thread."""
        self._stop_requested.set()
        loop, syncer = self._loop, self._syncer
        if loop is not None and syncer is not None and not loop.is_closed():
            loop.call_soon_threadsafe(syncer.stop_soon)

    def close(self) -> None:
        self._client.close()
        self.state.close()
