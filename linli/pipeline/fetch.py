"""Step zero: the content of an event's photos, files and voice notes, into the blob store.

A gateway queues an event with references to its attachments (``ref``: Telegram's
``file_id``, a Matrix ``mxc://`` URI, the console's path), never the bytes. Before the
event is dispatched, this step has the platform's adapter fetch each attachment whose
``sha256`` is empty, checks it (:func:`linli.core.attachments.check`: size, type sniffed
from the content, images re-encoded without EXIF), stores it and records it in the
``attachments`` table, and passes the event on with ``sha256``, the sniffed MIME type
and the size filled in. It runs outside any transaction: a download is slow, a
transaction must not wait for it.

- **Once.** A row per fetched attachment, keyed by ``platform:event id:index``, is
  committed as soon as it is stored: a redelivered event (a retry, a crash) finds it and
  fetches nothing again; the store is content-addressed, so the same bytes are kept once.
- **Only when wanted**, and never before the sender accepted the privacy notice. A photo
  in a group is fetched only when it is sent with a command (its caption), to an open
  dialog, or right after the sender's record that accepts attachments
  (``ctx.accept_attachments``); residents' chatter is never downloaded.
- **Refusals** (too large, an executable, disguised, corrupt) and downloads that failed
  for good are answered at once in the sender's language, and the event goes on
  without that attachment (its text still reaches the handler). A download that fails
  for now (:class:`DeliveryError`) is raised for the transport to retry the event; on
  its last try the person is told instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs
import sqlalchemy as sa
import structlog

from linli.core import attachments as files
from linli.core import outbox
from linli.core.adapter import ChatAdapter
from linli.core.blobs import BlobStore
from linli.core.clock import Clock
from linli.core.commands import parse_command
from linli.core.directory import DirectoryCache
from linli.core.errors import DeliveryError, PermanentDeliveryError
from linli.core.events import Attachment, Inbound, Outbound
from linli.core.i18n import N_, translator
from linli.core.settings import AttachmentSettings
from linli.core.storage import Store
from linli.core.storage import schema as s
from linli.pipeline.next import Next

__all__ = ["Fetch", "pending"]

log = structlog.get_logger("linli.fetch")


def pending(inbound: Inbound) -> bool:
    """Whether ``inbound`` has attachments whose content is not in the store yet."""
    return any(not a.sha256 and a.kind != "location" for a in inbound.attachments)


class Fetch:
    """Fetches, checks and stores an event's attachments before it is dispatched.

    Parameters:
      store: the database.
      blobs: the blob store.
      adapters: the chat adapters of this process, by platform (each has ``fetch``).
      directory: the districts and room bindings (the language of a refusal).
      limits: ``[attachments]``.
      clock: the time source.
      default_language: for rooms of no district.
      notice_version: the privacy notice people must have accepted before anything they
        send is taken in.
    """

    def __init__(
        self,
        store: Store,
        blobs: BlobStore,
        adapters: Mapping[str, ChatAdapter],
        directory: DirectoryCache,
        limits: AttachmentSettings,
        clock: Clock,
        default_language: str = "zh_CN",
        notice_version: int = 1,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.adapters = adapters
        self.directory = directory
        self.limits = limits
        self.clock = clock
        self.default_language = default_language
        self.notice_version = notice_version

    def inbound(self, inbound: Inbound, *, last_try: bool) -> tuple[Inbound | None, Next]:
        """``inbound`` with its attachments stored, and the rooms of the refusals written.

        Returns: the event to dispatch (without the attachments that were refused; None
          when nothing is left of it), and the work of the refusals.

        Raises:
          DeliveryError: a download failed for now and the event will be tried again.
        """
        platform = inbound.address.platform
        prefix = files.event_prefix(platform, inbound.event_id)
        keys = [f"{prefix}{i}" for i in range(len(inbound.attachments))]
        now = self.clock.now()
        with self.store.connect() as conn:
            person = conn.execute(
                sa.select(s.persons.c.id, s.persons.c.language, s.persons.c.consent_version)
                .join(s.identities, s.identities.c.person_id == s.persons.c.id)
                .where(s.identities.c.identity == inbound.sender.identity)
            ).first()
            # nothing is taken in before the person accepted the privacy notice
            consented = person is not None and (person.consent_version or 0) >= self.notice_version
            if not consented or not self._wanted(conn, inbound, now):
                return inbound, Next()
            done = files.fetched_rows(conn, keys)
            answered = set(
                conn.execute(
                    sa.select(s.outbox.c.key).where(
                        s.outbox.c.key.in_([f"{inbound.event_id}:attachment:{i}" for i in range(len(keys))])
                    )
                ).scalars()
            )
            district = self.directory.district_of_room(conn, inbound.address.room_key)
        kept: list[Attachment] = []
        refusals: list[tuple[int, files.Refused]] = []
        for i, a in enumerate(inbound.attachments):
            if a.sha256 or a.kind == "location":
                kept.append(a)
                continue
            row = done.get(keys[i])
            if row is not None:  # fetched on an earlier try
                kept.append(files.filled(a, sha256=row.sha256, mime=row.mime, size=row.size, name=row.name))
                continue
            if f"{inbound.event_id}:attachment:{i}" in answered:  # refused on an earlier try
                continue
            try:
                stored, data = self._fetch(platform, a, last_try=last_try)
            except files.Refused as exc:
                log.info("attachment refused", reason=exc.reason, kind=a.kind, platform=platform)
                refusals.append((i, exc))
                continue
            self._record(keys[i], stored, data, district.id if district else None, person.id if person else None)
            kept.append(stored)
        written: list[Outbound] = []
        if refusals:
            language = (person.language if person else None) or (
                district.language if district else self.default_language
            )
            t = translator(language, kind=district.kind if district else "")
            with self.store.begin() as conn:
                for i, refusal in refusals:
                    out = Outbound(
                        inbound.address,
                        refusal.translated(t),
                        reply_to=None if inbound.private else inbound.event_id,
                        key=f"{inbound.event_id}:attachment:{i}",
                    )
                    if outbox.add_message(conn, out, district.id if district else None):
                        written.append(out)
        work = Next.of(written)
        result = attrs.evolve(inbound, attachments=tuple(kept))
        if refusals and not kept and not inbound.text.strip():
            return None, work  # nothing left to dispatch: the refusal was the answer
        return result, work

    def _wanted(self, conn: sa.Connection, inbound: Inbound, now: dt.datetime) -> bool:
        """Whether the event's files are for the bot: in a private chat, with a command, to
        an open dialog or to a record waiting for them."""
        if inbound.private or parse_command(inbound.text) is not None:
            return True
        return files.expects(conn, inbound.address.room_key, inbound.sender.identity, now)

    def _fetch(self, platform: str, a: Attachment, *, last_try: bool) -> tuple[Attachment, bytes]:
        """The attachment fetched, checked and in the store.

        Raises:
          Refused: not accepted, or not to be had.
          DeliveryError: the download failed for now and will be tried again.
        """
        early = files.too_big(a, a.size, self.limits) if a.size else None
        if early is not None:
            raise early  # the platform said how large: not downloaded at all
        fetch = getattr(self.adapters.get(platform), "fetch", None)
        if fetch is None:
            log.error("no adapter here can fetch attachments", platform=platform)
            raise _unavailable()
        try:
            data = fetch(a)
        except PermanentDeliveryError as exc:
            log.warning("attachment cannot be downloaded", kind=a.kind, error=str(exc))
            raise _unavailable() from None
        except NotImplementedError:
            log.error("adapter cannot fetch attachments", platform=platform)
            raise _unavailable() from None
        except DeliveryError as exc:
            if not last_try:
                raise
            log.warning("attachment download kept failing; given up", kind=a.kind, error=str(exc))
            raise files.Refused(
                "unavailable",
                N_(
                    "I could not download your {kind} after several tries, so it was not kept. "
                    "Please send it again in a while."
                ),
                kind=files._KindName(a.kind),
            ) from None
        if not isinstance(data, bytes | bytearray):
            raise _unavailable()
        checked = files.check(a, bytes(data), self.limits)
        try:
            key = self.blobs.put(checked.data)
        except OSError as exc:
            if not last_try:
                raise DeliveryError("the blob store is unavailable: {error}", error=str(exc)) from exc
            log.error("blob store unavailable; attachment dropped", error=type(exc).__name__)
            raise _unavailable() from None
        stored = files.filled(a, sha256=key, mime=checked.mime, size=len(checked.data), name=checked.name)
        return stored, checked.data

    def _record(
        self, event_key: str, a: Attachment, data: bytes, district_id: str | None, person_id: int | None
    ) -> None:
        """Commit the stored attachment's row; then make sure the blob is there (a release
        of the same content may have deleted it in between: stored again)."""
        with self.store.begin() as conn:
            files.record_fetched(
                conn,
                event_key=event_key,
                attachment=a,
                district_id=district_id,
                person_id=person_id,
                now=self.clock.now(),
            )
        if not self.blobs.exists(a.sha256):
            log.warning("blob released while being stored again; storing it once more", key=a.sha256)
            self.blobs.put(data)


def _unavailable() -> files.Refused:
    return files.Refused(
        "unavailable",
        N_("I could not get this file from the chat platform, so it was not kept. Please send it again."),
    )
