"""The blob store on an S3-compatible object store (Amazon S3, MinIO, Ceph, Alibaba OSS,
Tencent COS ...), for deployments whose workers run on several machines.

Content-addressed like :class:`linli.core.blobs.FileBlobStore`: an object's name is
``prefix/ab/cd/abcd…`` after its SHA-256, so the same photo twice is one object, and a
``put`` of stored bytes writes nothing. Each upload carries its SHA-256 for the server to
check (``ChecksumSHA256``), so a damaged upload is refused rather than stored.

Where, in ``[storage] blobs``::

    blobs = "s3://linli-files/prod"                       # bucket linli-files, prefix prod
    blobs = "s3://linli-files/prod?endpoint=https://minio.example.org:9000&region=cn-east-1"

The endpoint, region and credentials otherwise come from boto3's usual places: the standard
AWS environment variables (``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``), ``~/.aws/config``, or the
machine's role. Secrets never go in the settings file.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

from linli.core.blobs import BlobNotFound, _checked, blob_key
from linli.core.errors import SettingsError

__all__ = ["S3BlobStore", "S3Unavailable", "parse_s3_url"]

#: options an ``s3://`` address may carry after ``?``
OPTIONS = ("endpoint", "region", "addressing")
_MISSING = ("404", "NoSuchKey", "NotFound")


class S3Unavailable(OSError):
    """The object store could not be reached or refused the request (credentials, a full
    bucket, a 5xx). An ``OSError``, as a full or unreadable disk is for the file store:
    callers that store a file treat both alike (retry later, tell the person)."""


def parse_s3_url(where: str) -> tuple[str, str, dict[str, str]]:
    """``s3://bucket/prefix?endpoint=...&region=...`` as (bucket, prefix, options).

    Raises:
      SettingsError: no bucket, or an unknown option.
    """
    parts = urlsplit(where)
    if parts.scheme != "s3" or not parts.netloc:
        raise SettingsError(
            "[storage] blobs: {where!r} is not s3://bucket/prefix (for example s3://linli-files/prod)", where=where
        )
    options: dict[str, str] = {}
    for name, values in parse_qs(parts.query, keep_blank_values=False).items():
        if name not in OPTIONS:
            raise SettingsError(
                "[storage] blobs: unknown option {name!r} (known: {known})", name=name, known=", ".join(OPTIONS)
            )
        options[name] = values[-1]
    if options.get("addressing", "auto") not in ("auto", "path", "virtual"):
        raise SettingsError("[storage] blobs: addressing is auto, path or virtual")
    return parts.netloc, parts.path.strip("/"), options


class S3BlobStore:
    """Blobs as objects in one bucket, under an optional prefix.

    Parameters:
      bucket: the bucket (it must exist: linli does not create buckets).
      prefix: the folder inside it, without slashes at either end ("" for the top).
      client: a boto3 S3 client; by default one is made from ``endpoint``, ``region`` and
        boto3's usual configuration (environment, ``~/.aws``).
      endpoint: the server's URL, for a store other than Amazon's.
      region: the region name.
      addressing: ``path`` (``endpoint/bucket/key``, what MinIO and most self-hosted stores
        want), ``virtual`` (``bucket.endpoint/key``) or ``auto``.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: Any = None,
        endpoint: str | None = None,
        region: str | None = None,
        addressing: str = "auto",
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                s3={"addressing_style": addressing},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=10,
                read_timeout=60,
            )
            client = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name=region, config=config)
        self.client = client

    @classmethod
    def from_url(cls, where: str) -> S3BlobStore:
        """The store an ``s3://`` address names (see the module's documentation)."""
        bucket, prefix, options = parse_s3_url(where)
        return cls(
            bucket,
            prefix,
            endpoint=options.get("endpoint"),
            region=options.get("region"),
            addressing=options.get("addressing", "auto"),
        )

    def _name(self, key: str) -> str:
        key = _checked(key)
        name = f"{key[:2]}/{key[2:4]}/{key}"
        return f"{self.prefix}/{name}" if self.prefix else name

    def _call(self, what: str, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise BlobNotFound(kwargs.get("Key", "")) from None
            raise S3Unavailable(f"S3 {what} in bucket {self.bucket!r}: {code or exc}") from None
        except BotoCoreError as exc:  # no connection, a timeout, no credentials
            raise S3Unavailable(f"S3 {what} in bucket {self.bucket!r}: {exc}") from None

    def put(self, data: bytes) -> str:
        key = blob_key(data)
        if self.exists(key):
            return key
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        self._call("put", "put_object", Key=self._name(key), Body=data, ChecksumSHA256=digest)
        return key

    def get(self, key: str) -> bytes:
        answer = self._call("get", "get_object", Key=self._name(key))
        data: bytes = answer["Body"].read()
        return data

    def exists(self, key: str) -> bool:
        try:
            self._call("head", "head_object", Key=self._name(key))
        except BlobNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        self._call("delete", "delete_object", Key=self._name(key))
