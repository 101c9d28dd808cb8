"""Photos, files, voice notes and locations on Telegram, against the fake Bot API over
real HTTP: what comes in becomes attachments the worker can download (getFile and the
file download); what goes out is uploaded (sendPhoto, sendDocument, sendVoice by
multipart upload, sendLocation), in order, once, retried on 429/5xx."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from dramatiq.rate_limits.backends import StubBackend

from linli.adapters.telegram import TelegramAdapter, TelegramConfig
from linli.adapters.telegram.send import plan
from linli.core.blobs import FileBlobStore
from linli.core.errors import DeliveryError, PermanentDeliveryError
from linli.core.events import Address, Attachment, Choice, Inbound, Outbound
from linli.core.storage import schema as s
from linli.testing.telegram import FakeBotApi

GROUP = -100123
PHOTO = b"\xff\xd8\xff\xe0 a broken stair light \xff\xd9"


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def blobs(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "blobs")


@pytest.fixture
def adapter(api: FakeBotApi, blobs: FileBlobStore, tmp_path: Path) -> Iterator[TelegramAdapter]:
    url = f"sqlite:///{tmp_path / 'linli.db'}"
    engine = sa.create_engine(url)
    s.metadata.create_all(engine)
    engine.dispose()
    made = TelegramAdapter(
        TelegramConfig({"api_url": api.url, "poll_timeout": 1}, env={"LINLI_TELEGRAM_TOKEN": api.token}),
        storage_url=url,
        rate_backend=StubBackend(),
        blobs=blobs,
    )
    yield made
    made.stop()
    made.close()


def received(adapter: TelegramAdapter, api: FakeBotApi, count: int) -> list[Inbound]:
    """What the gateway submits for the ``count`` updates queued on ``api``."""
    got: list[Inbound] = []
    thread = threading.Thread(target=adapter.run_gateway, args=(got.append,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while len(got) < count:
        assert time.monotonic() < deadline, "the updates were not submitted in time"
        time.sleep(0.02)
    adapter.stop()
    thread.join(10)
    return got


def stored(blobs: FileBlobStore, kind: Any, data: bytes, name: str, mime: str = "") -> Attachment:
    return Attachment(kind, name, mime, len(data), sha256=blobs.put(data))


# --- in --------------------------------------------------------------------------------


def test_a_photo_a_file_a_voice_note_and_a_location_arrive_as_attachments(adapter, api):
    api.push_file(GROUP, PHOTO, caption="/suggest 楼道灯坏了")
    api.push_file(5, b"%PDF-1.7 minutes", kind="document", name="会议纪要.pdf", mime="application/pdf")
    api.push_file(5, b"OggS voice", kind="voice")
    api.push_location(5, 31.2304, 121.4737)
    photo, pdf, voice, place = received(adapter, api, 4)
    assert photo.text == "/suggest 楼道灯坏了"
    assert photo.attachments == (Attachment("photo", "photo.jpg", "image/jpeg", len(PHOTO), ref=api.add_file(PHOTO)),)
    [doc] = pdf.attachments
    assert (doc.kind, doc.name, doc.mime, doc.size, doc.sha256) == ("file", "会议纪要.pdf", "application/pdf", 16, "")
    assert pdf.text == "" and pdf.private
    assert voice.attachments[0].kind == "voice" and voice.attachments[0].mime == "audio/ogg"
    assert place.attachments == (Attachment("location", latitude=31.2304, longitude=121.4737),)


def test_the_largest_size_of_a_photo_is_the_one_downloaded(adapter, api):
    api.push_file(5, PHOTO)
    [inbound] = received(adapter, api, 1)
    assert adapter.fetch(inbound.attachments[0]) == PHOTO
    assert api.calls["getFile"] == 1 and api.calls["download"] == 1


def test_a_download_that_fails_for_now_is_a_delivery_error_to_retry(adapter, api):
    file_id = api.add_file(b"%PDF minutes", "a.pdf")
    api.download_errors = 1
    with pytest.raises(DeliveryError) as caught:
        adapter.fetch(Attachment("file", "a.pdf", ref=file_id))
    assert not isinstance(caught.value, PermanentDeliveryError)
    assert adapter.fetch(Attachment("file", "a.pdf", ref=file_id)) == b"%PDF minutes"


def test_an_unknown_or_too_big_file_is_a_permanent_error(adapter, api):
    with pytest.raises(PermanentDeliveryError):
        adapter.fetch(Attachment("file", "gone.pdf", ref="no-such-file"))
    api.max_download = 4
    with pytest.raises(PermanentDeliveryError, match="too big"):
        adapter.fetch(Attachment("photo", ref=api.add_file(PHOTO)))
    with pytest.raises(PermanentDeliveryError):
        adapter.fetch(Attachment("location", latitude=1.0, longitude=2.0))


# --- out -------------------------------------------------------------------------------


def test_a_photo_with_a_short_text_is_one_upload_with_the_text_as_its_caption(adapter, api, blobs):
    photo = stored(blobs, "photo", PHOTO, "stairs.jpg", "image/jpeg")
    message_id = adapter.send(
        Outbound(
            Address("telegram", str(GROUP), "7"),
            "楼道灯 <已修好>",
            choices=(Choice("好", "p:ok"),),
            attachments=(photo,),
        )
    )
    [sent] = api.sent_to(GROUP)
    assert sent["method"] == "sendPhoto" and sent["file"] == PHOTO and sent["filename"] == "stairs.jpg"
    assert sent["caption"] == "楼道灯 &lt;已修好&gt;" and sent["parse_mode"] == "HTML"
    assert sent["message_thread_id"] == 7 and sent["reply_markup"]["inline_keyboard"][0][0]["text"] == "好"
    assert message_id == str(sent["message_id"])
    assert api.calls["sendMessage"] == 0


def test_a_text_then_a_document_a_voice_note_and_a_location_go_out_in_order(adapter, api, blobs):
    xlsx = stored(blobs, "file", b"PK\x03\x04 ledger", "台账.xlsx")
    voice = stored(blobs, "voice", b"OggS", "note.ogg")
    place = Attachment("location", latitude=31.2, longitude=121.5)
    adapter.limits.per_chat = api.per_chat = 10
    adapter.send(Outbound(Address("telegram", "5"), "本月台账", attachments=(xlsx, voice, place), key="k1"))
    sent = api.sent_to(5)
    assert [m.get("method", "sendMessage") for m in sent] == [
        "sendMessage",
        "sendDocument",
        "sendVoice",
        "sendLocation",
    ]
    assert sent[0]["text"] == "本月台账"
    assert sent[1]["file"] == b"PK\x03\x04 ledger" and sent[1]["filename"] == "台账.xlsx"
    assert (sent[3]["latitude"], sent[3]["longitude"]) == (31.2, 121.5)


def test_an_upload_that_meets_a_429_is_retried_and_each_part_is_sent_once(adapter, api, blobs):
    photo = stored(blobs, "photo", PHOTO, "p.jpg")
    doc = stored(blobs, "file", b"%PDF", "a.pdf")
    message = Outbound(Address("telegram", "5"), "两份材料", attachments=(photo, doc), key="e9:p.h:0")
    adapter.limits.per_chat = 10
    api.per_chat = 2  # the document, third in the chat's window, meets a 429
    with pytest.raises(DeliveryError) as caught:
        adapter.send(message)
    assert caught.value.retry_after
    api.per_chat = 10
    time.sleep(1.05)
    adapter.send(message)
    methods = [m.get("method", "sendMessage") for m in api.sent_to(5)]
    assert methods == ["sendMessage", "sendPhoto", "sendDocument"]


def test_a_file_no_longer_in_the_store_is_a_permanent_error(adapter, api, blobs):
    photo = stored(blobs, "photo", PHOTO, "p.jpg")
    blobs.delete(photo.sha256)
    with pytest.raises(PermanentDeliveryError, match="not in the blob store"):
        adapter.send(Outbound(Address("telegram", "5"), "", attachments=(photo,)))
    assert api.sent_to(5) == []


def test_without_a_text_the_buttons_go_with_the_last_file():
    a = Attachment("photo", "a.jpg", sha256="a" * 64)
    b = Attachment("file", "b.pdf", sha256="b" * 64)
    parts, stored_choices = plan(
        Outbound(Address("telegram", "5"), "", choices=(Choice("是", "x" * 70),), reply_to="3", attachments=(a, b))
    )
    assert [p.method for p in parts] == ["sendPhoto", "sendDocument"]
    assert "reply_parameters" in parts[0].request and "reply_markup" not in parts[0].request
    assert "reply_markup" in parts[1].request and len(stored_choices) == 1


def test_a_long_text_is_not_squeezed_into_a_caption():
    photo = Attachment("photo", "a.jpg", sha256="a" * 64)
    parts, _ = plan(Outbound(Address("telegram", "5"), "长" * 1025, attachments=(photo,)))
    assert [p.method for p in parts] == ["sendMessage", "sendPhoto"]
    assert "caption" not in parts[1].request
