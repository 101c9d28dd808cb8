"""The S3-compatible blob store against a real S3 server: moto's, started by the tests on
a free loopback port (no skipping: it is a test dependency)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import boto3
import pytest

from linli.core.blobs import BlobNotFound, BlobStore, blob_key, open_blob_store
from linli.core.blobs_s3 import S3BlobStore, S3Unavailable, parse_s3_url
from linli.core.errors import SettingsError

pytestmark = pytest.mark.s3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def bucket(s3_endpoint: str, credentials: None, request: pytest.FixtureRequest) -> str:
    name = "linli-" + request.node.name.replace("_", "-")[:40].strip("-").lower()
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


def _objects(endpoint: str, bucket: str) -> list[str]:
    answer = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in answer.get("Contents", [])]


def test_a_photo_put_twice_is_one_object_under_its_hash(s3_endpoint, bucket):
    store = S3BlobStore(bucket, "prod", endpoint=s3_endpoint, addressing="path")
    key = store.put(b"\xff\xd8 a stair light")
    assert key == blob_key(b"\xff\xd8 a stair light")
    assert store.put(b"\xff\xd8 a stair light") == key
    assert _objects(s3_endpoint, bucket) == [f"prod/{key[:2]}/{key[2:4]}/{key}"]
    assert store.get(key) == b"\xff\xd8 a stair light"
    assert store.exists(key)


def test_a_deleted_blob_is_gone_and_deleting_it_again_changes_nothing(s3_endpoint, bucket):
    store = S3BlobStore(bucket, endpoint=s3_endpoint, addressing="path")
    key = store.put(b"evidence")
    other = store.put(b"another")
    store.delete(key)
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(BlobNotFound):
        store.get(key)
    assert store.get(other) == b"another"


def test_the_s3_address_in_the_settings_opens_the_s3_store(s3_endpoint, bucket):
    store = open_blob_store(f"s3://{bucket}/files/?endpoint={s3_endpoint}&addressing=path")
    assert isinstance(store, S3BlobStore) and isinstance(store, BlobStore)
    assert store.prefix == "files"
    assert store.get(store.put(b"ledger")) == b"ledger"


def test_the_endpoint_may_come_from_the_standard_aws_variable(s3_endpoint, bucket, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    store = open_blob_store(f"s3://{bucket}")
    key = store.put(b"from the environment")
    assert _objects(s3_endpoint, bucket) == [f"{key[:2]}/{key[2:4]}/{key}"]


def test_a_missing_bucket_is_an_os_error_naming_the_bucket(s3_endpoint, credentials):
    store = S3BlobStore("no-such-bucket", endpoint=s3_endpoint, addressing="path")
    with pytest.raises(S3Unavailable, match="no-such-bucket") as caught:
        store.put(b"x")
    assert isinstance(caught.value, OSError)


def test_an_unreachable_store_is_an_os_error(credentials):
    store = S3BlobStore("linli", endpoint=f"http://127.0.0.1:{_free_port()}", addressing="path")
    with pytest.raises(S3Unavailable):
        store.exists(blob_key(b"x"))


def test_a_key_that_is_not_a_hash_is_refused_before_any_request(credentials):
    store = S3BlobStore("linli", endpoint="http://127.0.0.1:9", addressing="path")
    with pytest.raises(ValueError):
        store.get("../other-bucket/secret")


@pytest.mark.parametrize(
    ("where", "message"),
    [("s3://", "not s3://bucket"), ("s3://b/p?secret=x", "unknown option 'secret'"), ("s3://b?addressing=odd", "path")],
)
def test_a_wrong_s3_address_is_a_clear_settings_error(where, message):
    with pytest.raises(SettingsError, match=message):
        parse_s3_url(where)
