"""Attachments: the photos, files and voice notes people send, checked, stored and kept with
the records they belong to.

- :func:`check` decides whether content may be kept: its size within the limits of its kind
  (``[attachments]``), its type sniffed from the bytes (never from the name), images
  re-encoded without EXIF (a resident's photo carries the GPS position of their home).
  A refusal is a :class:`Refused` whose message names the reason and the limit.
- The ``attachments`` table has a row per stored file and per record it belongs to
  (``plugin``, ``subject``); a row without a plugin is a file fetched for an event and
  not attached to anything (yet). :func:`attach`, :func:`stored_of`, :func:`of_person`,
  :func:`detach` and :func:`forget_person` are what the plugin API (``ctx.attach`` …) and
  the privacy commands use.
- A blob is deleted only once no row refers to it, after the deleting transaction
  committed: deleting rows queues their keys in ``blob_releases``, and
  :func:`release_blobs` (the scheduler's housekeeping) deletes what nothing uses.
"""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import warnings
import zipfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
import structlog
from attrs import evolve, frozen

from linli.core import outbox
from linli.core.blobs import BlobStore
from linli.core.errors import LinliError
from linli.core.events import Attachment
from linli.core.i18n import N_, Translator
from linli.core.settings import AttachmentSettings
from linli.core.storage import schema as s

__all__ = [
    "Checked",
    "Refused",
    "StoredAttachment",
    "attach",
    "check",
    "describe",
    "detach",
    "event_prefix",
    "forget_person",
    "from_data",
    "limit_bytes",
    "of_person",
    "prune",
    "release_blobs",
    "stored_of",
    "to_data",
]

log = structlog.get_logger("linli.attachments")

MB = 1024 * 1024

IMAGES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
AUDIO = frozenset({"audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr", "audio/x-wav", "audio/x-flac"})
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
#: an Office document is a zip archive: its main part says which
_OFFICE_PARTS = {"word/document.xml": DOCX, "xl/workbook.xml": XLSX, "ppt/presentation.xml": PPTX}
DOCUMENTS = frozenset({"application/pdf", DOCX, XLSX, PPTX, "text/plain", "text/csv"})
#: content that runs: refused whatever its name says
EXECUTABLES = frozenset(
    {
        "application/x-msdownload",
        "application/x-executable",
        "application/x-mach-binary",
        "application/vnd.android.package-archive",
        "application/x-sh",
        "application/wasm",
        "application/x-google-chrome-extension",
        "application/x-shockwave-flash",
        "application/x-deb",
        "application/x-rpm",
    }
)
#: a zip whose parts add up to more than this is refused (a "zip bomb" dressed as a document)
MAX_UNPACKED = 200 * MB
#: the most pixels an image may have (a small file can decode to gigabytes)
MAX_PIXELS = 50_000_000

#: how each kind is called in messages (msgids)
KIND_NAMES = {"photo": N_("photo"), "file": N_("file"), "voice": N_("voice note"), "location": N_("location")}


class Refused(LinliError):
    """Content that is not kept; its message (a msgid with values) says why, to the sender."""

    def __init__(self, reason: str, message: str, /, **values: Any) -> None:
        super().__init__(message, **values)
        #: a short word for logs (``too_big``, ``executable``, ``disguised``, ``type``, ``corrupt``)
        self.reason = reason


@frozen
class Checked:
    """Content that may be kept: possibly re-encoded, with its type as sniffed."""

    data: bytes
    mime: str
    name: str


def limit_bytes(kind: str, limits: AttachmentSettings) -> int:
    """The largest content of ``kind`` that is accepted, in bytes."""
    mb = {"photo": limits.max_photo_mb, "voice": limits.max_voice_mb}.get(kind, limits.max_file_mb)
    return mb * MB


def too_big(attachment: Attachment, size: int, limits: AttachmentSettings) -> Refused | None:
    """A refusal when ``size`` bytes exceed the limit of the attachment's kind."""
    limit = limit_bytes(attachment.kind, limits)
    if size <= limit:
        return None
    return Refused(
        "too_big",
        N_("This {kind} is too large ({size} MB); the limit is {limit} MB. Nothing was kept."),
        kind=_KindName(attachment.kind),
        size=f"{size / MB:.1f}",
        limit=limit // MB,
    )


class _KindName:
    """A kind's name, translated when the refusal is."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def translated(self, t: Callable[..., str]) -> str:
        return t(KIND_NAMES.get(self.kind, N_("file")))

    def __str__(self) -> str:
        return KIND_NAMES.get(self.kind, "file")


def sniff(data: bytes) -> str:
    """The MIME type of ``data`` from its content; ``application/octet-stream`` when unknown."""
    import filetype

    if data[:2] == b"#!":
        return "application/x-sh"
    if data[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xfe\xed\xfa\xce"):
        return "application/x-mach-binary"
    kind = filetype.guess(data)
    if kind is not None:
        mime = str(kind.mime)
        if mime in (DOCX, XLSX, PPTX, "application/zip", "application/epub+zip"):
            return _zip_type(data)
        return mime
    if data[:2] == b"PK":
        return _zip_type(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain" if "\x00" not in text else "application/octet-stream"


def _zip_type(data: bytes) -> str:
    """An Office document's type when the zip is one (and carries no macros), else ``application/zip``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return "application/octet-stream"
    names = {i.filename for i in infos}
    if sum(i.file_size for i in infos) > MAX_UNPACKED:
        return "application/zip"
    if "[Content_Types].xml" not in names or any(n.lower().endswith("vbaproject.bin") for n in names):
        return "application/zip"
    if any(n.lower().endswith((".exe", ".dll", ".bat", ".cmd", ".js", ".vbs", ".ps1")) for n in names):
        return "application/zip"
    for part, mime in _OFFICE_PARTS.items():
        if part in names:
            return mime
    return "application/zip"


def _same_type(named: str, sniffed: str) -> bool:
    """Whether a name's type and the content's agree (any image for an image, CSV for text)."""
    if named == sniffed:
        return True
    family = named.partition("/")[0]
    if family in ("image", "audio") and sniffed.partition("/")[0] == family:
        return True
    return {named, sniffed} <= {"text/plain", "text/csv"}


def check(attachment: Attachment, data: bytes, limits: AttachmentSettings) -> Checked:
    """Whether ``data``, fetched for ``attachment``, may be kept, and in which form.

    Raises:
      Refused: too large for its kind, an executable, not what its name or kind says, a
        type that is not accepted, or a corrupt image.
    """
    refusal = too_big(attachment, len(data), limits)
    if refusal is not None:
        raise refusal
    mime = sniff(data)
    named = mimetypes.guess_type(attachment.name)[0] if attachment.name else None
    if mime in EXECUTABLES or (mime == "application/zip" and named in (DOCX, XLSX, PPTX)):
        # a document with macros or programs inside counts as a program
        raise Refused("executable", N_("Programs and scripts are never accepted, whatever their name says."))
    accepted = set(IMAGES) | DOCUMENTS | AUDIO
    if named is not None and named in accepted and not _same_type(named, mime):
        raise Refused(
            "disguised",
            N_("The content of “{name}” is not what its name says, so it was not accepted."),
            name=attachment.name,
        )
    wanted = {"photo": set(IMAGES), "voice": AUDIO}.get(attachment.kind, accepted)
    if mime not in wanted:
        if attachment.kind == "photo":
            raise Refused("type", N_("This is not a photo I can read (JPEG, PNG, WebP or GIF)."))
        raise Refused(
            "type",
            N_(
                "This kind of file is not accepted. I accept photos, PDF files, Word, Excel and "
                "PowerPoint documents, text files and voice notes."
            ),
        )
    name = attachment.name
    if mime in IMAGES:
        data = _clean_image(data, IMAGES[mime])
    if not name:
        name = f"{attachment.kind}{mimetypes.guess_extension(mime) or ''}"
    return Checked(data, mime, name)


def _clean_image(data: bytes, fmt: str) -> bytes:
    """The image re-encoded in its format, without EXIF or other metadata, turned upright
    as its EXIF orientation said.

    Raises: Refused: Pillow cannot decode it, or it is too large once decoded."""
    from PIL import Image, ImageOps

    corrupt = Refused("corrupt", N_("This image is damaged or cannot be read, so it was not kept."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise corrupt
                out = io.BytesIO()
                if fmt == "GIF":
                    image.save(out, "GIF", save_all=True)
                    return out.getvalue()
                image.load()
                upright = ImageOps.exif_transpose(image)
                clean = upright.copy()
                clean.info = {}
                if fmt == "JPEG":
                    if clean.mode not in ("RGB", "L"):
                        clean = clean.convert("RGB")
                    clean.save(out, "JPEG", quality=90, optimize=True, exif=b"")
                elif fmt == "WEBP":
                    clean.save(out, "WEBP", quality=90, exif=b"")
                else:
                    clean.save(out, "PNG", optimize=True)
                return out.getvalue()
        except Refused:
            raise
        except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError, Warning) as exc:
            raise corrupt from exc


# --- the plugin API's storage -----------------------------------------------------------


@frozen
class StoredAttachment:
    """A stored file as the attachments table knows it."""

    id: int
    kind: str
    name: str
    mime: str
    size: int
    sha256: str
    plugin: str
    subject: str
    district_id: str | None
    person_id: int | None
    created_at: dt.datetime

    @property
    def attachment(self) -> Attachment:
        """As an :class:`Attachment` (to send it on, when a plugin can send files)."""
        kind: Any = self.kind
        return Attachment(kind, self.name, self.mime, self.size, self.sha256)


def describe(item: StoredAttachment | Attachment, t: Translator) -> str:
    """``photo.jpg (photo, 120 KB)``: how ledgers, ``/mydata`` and confirmations name a file."""
    size = item.size
    shown = f"{size / MB:.1f} MB" if size >= MB else f"{max(1, round(size / 1024))} KB"
    return t("{name} ({kind}, {size})", name=item.name, kind=t(KIND_NAMES.get(item.kind, N_("file"))), size=shown)


def _stored(row: Any) -> StoredAttachment:
    return StoredAttachment(
        row.id,
        row.kind,
        row.name,
        row.mime,
        row.size,
        row.sha256,
        row.plugin,
        row.subject,
        row.district_id,
        row.person_id,
        row.created_at,
    )


def event_prefix(platform: str, event_id: str) -> str:
    """The start of the ``event_key`` of the attachments of one event."""
    return f"{platform}:{event_id}:"


def fetched_rows(conn: sa.Connection, keys: Sequence[str]) -> dict[str, Any]:
    """The rows already stored for these event keys (a redelivered event), by key."""
    if not keys:
        return {}
    rows = conn.execute(
        sa.select(s.attachments).where(s.attachments.c.event_key.in_(list(keys))).order_by(s.attachments.c.id)
    )
    found: dict[str, Any] = {}
    for row in rows:
        found.setdefault(row.event_key, row)
    return found


def record_fetched(
    conn: sa.Connection,
    *,
    event_key: str,
    attachment: Attachment,
    district_id: str | None,
    person_id: int | None,
    now: dt.datetime,
) -> None:
    """A file fetched for an event and stored (not attached to anything yet); the blob's
    key is no longer to be released."""
    conn.execute(
        sa.insert(s.attachments).values(
            district_id=district_id,
            person_id=person_id,
            event_key=event_key,
            sha256=attachment.sha256,
            kind=attachment.kind,
            name=attachment.name[:300],
            mime=attachment.mime[:100],
            size=attachment.size,
            created_at=now,
        )
    )
    conn.execute(sa.delete(s.blob_releases).where(s.blob_releases.c.sha256 == attachment.sha256))


def attach(
    conn: sa.Connection,
    attachments: Iterable[Attachment],
    *,
    district_id: str,
    person_id: int | None,
    plugin: str,
    subject: str,
    event: tuple[str, str] | None,
    now: dt.datetime,
    adopt_only: bool = False,
) -> int:
    """Attach stored files to a plugin's record; returns how many.

    The event's own row (fetched, not attached yet) becomes the record's; a file attached
    a second time gets a row of its own.

    Parameters:
      event: (platform, event id) of the message that carried the files, if any.
      adopt_only: attach only files of the event not attached yet (a redelivered event
        attaches nothing twice).
    """
    count = 0
    for a in attachments:
        if not a.sha256:
            continue
        adopted = 0
        unclaimed = (s.attachments.c.sha256 == a.sha256, s.attachments.c.plugin == "")
        row_id = None
        if event is not None:
            prefix = event_prefix(*event)
            row_id = conn.execute(
                sa.select(s.attachments.c.id)
                .where(*unclaimed, s.attachments.c.event_key.startswith(prefix, autoescape=True))
                .limit(1)
            ).scalar()
        if row_id is None and adopt_only:
            continue
        if row_id is None and person_id is not None:
            # sent earlier by the same person (kept in a dialog until the record existed)
            row_id = conn.execute(
                sa.select(s.attachments.c.id)
                .where(*unclaimed, s.attachments.c.person_id == person_id)
                .order_by(s.attachments.c.id.desc())
                .limit(1)
            ).scalar()
        if row_id is not None:
            adopted = conn.execute(
                sa.update(s.attachments)
                .where(s.attachments.c.id == row_id)
                .values(plugin=plugin, subject=subject, district_id=district_id, person_id=person_id)
            ).rowcount
        if not adopted:
            conn.execute(
                sa.insert(s.attachments).values(
                    district_id=district_id,
                    person_id=person_id,
                    sha256=a.sha256,
                    kind=a.kind,
                    name=a.name[:300],
                    mime=a.mime[:100],
                    size=a.size,
                    plugin=plugin,
                    subject=subject,
                    created_at=now,
                )
            )
        count += 1
    return count


def stored_of(conn: sa.Connection, district_id: str, plugin: str, subject: str | None = None) -> list[StoredAttachment]:
    """The files attached to a plugin's record (every record of the plugin when ``subject`` is None)."""
    where = [s.attachments.c.district_id == district_id, s.attachments.c.plugin == plugin]
    if subject is not None:
        where.append(s.attachments.c.subject == subject)
    rows = conn.execute(sa.select(s.attachments).where(*where).order_by(s.attachments.c.id))
    return [_stored(r) for r in rows]


def of_person(conn: sa.Connection, person_id: int) -> list[StoredAttachment]:
    """Every stored file a person sent (``/mydata``)."""
    rows = conn.execute(
        sa.select(s.attachments).where(s.attachments.c.person_id == person_id).order_by(s.attachments.c.id)
    )
    return [_stored(r) for r in rows]


def _delete(conn: sa.Connection, where: Any, now: dt.datetime) -> int:
    """Delete rows; their blobs are queued for release (deleted once nothing refers to them)."""
    keys = set(conn.execute(sa.select(s.attachments.c.sha256).where(where)).scalars())
    if not keys:
        return 0
    deleted = conn.execute(sa.delete(s.attachments).where(where)).rowcount
    for key in sorted(keys):
        s.insert_ignore(conn, s.blob_releases, {"sha256": key, "since": now}, "sha256")
    return int(deleted or 0)


def detach(conn: sa.Connection, district_id: str, plugin: str, subject: str, now: dt.datetime) -> int:
    """Remove the files of a plugin's record (deleted with it); returns how many rows went."""
    where = sa.and_(
        s.attachments.c.district_id == district_id,
        s.attachments.c.plugin == plugin,
        s.attachments.c.subject == subject,
    )
    return _delete(conn, where, now)


def forget_person(conn: sa.Connection, person_id: int, now: dt.datetime) -> int:
    """Remove every file a person sent (``/forgetme``) and where their next one would go."""
    conn.execute(sa.delete(s.attachment_targets).where(s.attachment_targets.c.person_id == person_id))
    return _delete(conn, s.attachments.c.person_id == person_id, now)


def merge_person(conn: sa.Connection, old: int, new: int) -> None:
    """Two persons became one: the files of ``old`` are ``new`` 's."""
    conn.execute(sa.update(s.attachments).where(s.attachments.c.person_id == old).values(person_id=new))
    conn.execute(sa.delete(s.attachment_targets).where(s.attachment_targets.c.person_id == old))


def prune(conn: sa.Connection, before: dt.datetime, now: dt.datetime) -> int:
    """Retention: files fetched before ``before`` that were never attached to anything, and
    targets that have expired. Returns how many files went."""
    conn.execute(sa.delete(s.attachment_targets).where(s.attachment_targets.c.until <= now))
    return _delete(conn, sa.and_(s.attachments.c.plugin == "", s.attachments.c.created_at < before), now)


def in_use(conn: sa.Connection, key: str) -> bool:
    """Whether any row still refers to the blob ``key``: a stored attachment, or an outbox
    message (waiting, or sent and not pruned yet) that sends it."""
    if conn.execute(sa.select(s.attachments.c.id).where(s.attachments.c.sha256 == key).limit(1)).first() is not None:
        return True
    return bool(outbox.files_in_use(conn, [key]))


def release_blobs(begin: Callable[[], Any], blobs: BlobStore, *, limit: int = 500) -> int:
    """Delete the queued blobs nothing refers to any more; returns how many were deleted.

    Each key in its own transaction, its queue row locked (PostgreSQL) while it is decided:
    a fetch storing the same content again removes that row after writing its own, and so
    waits, then finds the blob gone and stores it again (:func:`record_fetched`).

    Parameters:
      begin: opens a transaction (``Store.begin``).
    """
    with begin() as conn:
        keys = list(conn.execute(sa.select(s.blob_releases.c.sha256).limit(limit)).scalars())
    deleted = 0
    for key in keys:
        with begin() as conn:
            row = conn.execute(
                sa.select(s.blob_releases.c.sha256).where(s.blob_releases.c.sha256 == key).with_for_update()
            ).first()
            if row is None:
                continue
            if not in_use(conn, key):
                try:
                    blobs.delete(key)
                except Exception as exc:  # kept queued: tried again next time
                    log.error("blob could not be deleted", key=key, error=type(exc).__name__)
                    continue
                deleted += 1
            conn.execute(sa.delete(s.blob_releases).where(s.blob_releases.c.sha256 == key))
    return deleted


# --- the follow-up window ---------------------------------------------------------------


def set_target(
    conn: sa.Connection,
    *,
    room_key: str,
    person_id: int,
    district_id: str,
    plugin: str,
    subject: str,
    label: str,
    until: dt.datetime,
) -> None:
    """The person's next photos and files in this room go to this record, until ``until``."""
    values = {"district_id": district_id, "plugin": plugin, "subject": subject, "label": label[:300], "until": until}
    where = (s.attachment_targets.c.room_key == room_key, s.attachment_targets.c.person_id == person_id)
    if not conn.execute(sa.update(s.attachment_targets).where(*where).values(**values)).rowcount:
        conn.execute(sa.insert(s.attachment_targets).values(room_key=room_key, person_id=person_id, **values))


def target(conn: sa.Connection, room_key: str, person_id: int, now: dt.datetime) -> Any | None:
    """Where the person's photo in this room goes now, if anywhere (a row: plugin, subject, label)."""
    row = conn.execute(
        sa.select(s.attachment_targets).where(
            s.attachment_targets.c.room_key == room_key, s.attachment_targets.c.person_id == person_id
        )
    ).first()
    return row if row is not None and row.until > now else None


def expects(conn: sa.Connection, room_key: str, identity: str, now: dt.datetime) -> bool:
    """Whether the sender ``identity`` has an open dialog or a record waiting for files in this
    room: only then is a photo sent without a command fetched from a group."""
    person = sa.select(s.identities.c.person_id).where(s.identities.c.identity == identity).scalar_subquery()
    waiting = conn.execute(
        sa.select(s.attachment_targets.c.until).where(
            s.attachment_targets.c.room_key == room_key, s.attachment_targets.c.person_id == person
        )
    ).scalar()
    if waiting is not None and waiting > now:
        return True
    dialog = conn.execute(
        sa.select(s.dialogs.c.room_key).where(s.dialogs.c.room_key == room_key, s.dialogs.c.person_id == person)
    ).first()
    return dialog is not None


def to_data(attachments: Iterable[Attachment]) -> list[dict[str, Any]]:
    """Stored attachments as plain data, to keep in a dialog's data until the record exists."""
    return [
        {"kind": a.kind, "name": a.name, "mime": a.mime, "size": a.size, "sha256": a.sha256}
        for a in attachments
        if a.sha256
    ]


def from_data(data: Any) -> tuple[Attachment, ...]:
    """What :func:`to_data` made, back; anything malformed is left out."""
    out = []
    for item in data if isinstance(data, list) else []:
        try:
            out.append(
                Attachment(item["kind"], str(item["name"]), str(item["mime"]), int(item["size"]), str(item["sha256"]))
            )
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


def filled(attachment: Attachment, *, sha256: str, mime: str, size: int, name: str) -> Attachment:
    """``attachment`` once stored."""
    return evolve(attachment, sha256=sha256, mime=mime, size=size, name=name)
