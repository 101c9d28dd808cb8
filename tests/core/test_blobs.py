import pytest

from linli.core.blobs import BlobNotFound, BlobStore, FileBlobStore, blob_key, open_blob_store


def test_the_same_bytes_are_stored_once_under_their_hash(tmp_path):
    store = FileBlobStore(tmp_path)
    key = store.put(b"photo")
    assert key == blob_key(b"photo") and len(key) == 64
    assert store.put(b"photo") == key
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [key]
    assert store.get(key) == b"photo" and store.exists(key)


def test_a_deleted_blob_is_gone_and_deleting_again_changes_nothing(tmp_path):
    store = FileBlobStore(tmp_path)
    key = store.put(b"x")
    store.delete(key)
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(BlobNotFound):
        store.get(key)


def test_a_key_that_is_not_a_hash_cannot_reach_outside_the_store(tmp_path):
    store = FileBlobStore(tmp_path / "blobs")
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


def test_the_file_store_is_a_blob_store(tmp_path):
    assert isinstance(FileBlobStore(tmp_path), BlobStore)


def test_a_relative_blob_directory_is_read_from_the_settings_folder(tmp_path):
    store = open_blob_store("var/blobs", base=tmp_path)
    key = store.put(b"a")
    assert (tmp_path / "var" / "blobs" / key[:2] / key[2:4] / key).is_file()
