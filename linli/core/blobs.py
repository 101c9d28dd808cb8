"""The blob store: where the content of photos, files and voice notes is kept.

Content-addressed: a blob's key is the SHA-256 of its bytes in hex, so the same photo sent
twice is stored once, and a key names the same bytes on every machine. The queues and the
database carry keys (in :class:`linli.core.events.Attachment`), never the bytes.

:class:`FileBlobStore` is the embedded default (``[storage] blobs``, a directory); a
deployment on several machines uses an S3-compatible store behind the same protocol.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = ["BlobNotFound", "BlobStore", "FileBlobStore", "blob_key", "open_blob_store"]

_KEY = re.compile(r"[0-9a-f]{64}")


class BlobNotFound(KeyError):
    """No blob has this key (never stored, or deleted)."""


def blob_key(data: bytes) -> str:
    """The key ``data`` is stored under: its SHA-256 in lower-case hex."""
    return hashlib.sha256(data).hexdigest()


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a blob key: {key!r}")
    return key


@runtime_checkable
class BlobStore(Protocol):
    """Content-addressed storage of bytes. Every method is safe to call again: ``put`` of
    stored bytes and ``delete`` of a missing key change nothing."""

    def put(self, data: bytes) -> str:
        """Store ``data`` (once) and return its key."""

    def get(self, key: str) -> bytes:
        """The bytes stored under ``key``; :class:`BlobNotFound` if there are none."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` is stored."""

    def delete(self, key: str) -> None:
        """Remove ``key``'s bytes, if stored."""


class FileBlobStore:
    """Blobs as files under a directory, ``ab/cd/abcd…`` by key. A blob is written to a
    temporary file in the same directory and renamed into place, so a reader never sees half
    a file and two writers of the same bytes both succeed."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        key = _checked(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        key = blob_key(data)
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def open_blob_store(where: str, base: Path | None = None) -> BlobStore:
    """The store ``[storage] blobs`` names: a directory (relative to ``base``, the settings
    file's folder), or ``s3://bucket/prefix`` for an S3-compatible store
    (:mod:`linli.core.blobs_s3`: its options and credentials).

    Raises:
      SettingsError: an ``s3://`` address without a bucket, or with an unknown option."""
    if where.startswith("s3://"):
        from linli.core.blobs_s3 import S3BlobStore

        return S3BlobStore.from_url(where)
    path = Path(where)
    if base is not None and not path.is_absolute():
        path = base / path
    return FileBlobStore(path)
