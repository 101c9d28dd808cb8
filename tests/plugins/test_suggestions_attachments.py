"""A resident's photo with their suggestion: fetched once, stripped of its GPS position,
listed in the ledger, and gone from the store when they ask linli to forget them."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from PIL import Image

from linli.core.blobs import blob_key
from linli.core.events import Attachment, Inbound, Sender
from linli.core.export import ledger_table
from linli.core.settings import QueueSettings, Settings
from linli.core.storage import schema as s
from linli.plugins.basics import BasicsPlugin
from linli.plugins.suggestions import SuggestionsPlugin
from linli.testing import ChatHarness

PLUGINS = [BasicsPlugin, SuggestionsPlugin]
GPS = 0x8825  # the EXIF GPS IFD


def photo_with_gps() -> bytes:
    """A small real JPEG whose EXIF says where it was taken."""
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS] = {1: "N", 2: (39.0, 54.0, 26.0), 3: "E", 4: (116.0, 23.0, 29.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS)  # the test's photo does carry a position
    return data


@pytest.fixture
def box(tmp_path) -> Iterator[ChatHarness]:
    settings = Settings(queue=QueueSettings(max_retries=3))
    harness = ChatHarness(tmp_path, plugins=PLUGINS, language="en", settings=settings)
    # retries of an event come after milliseconds, not Dramatiq's default seconds
    harness.runtime.broker.get_actor("linli.dispatch").options.update(min_backoff=1, max_backoff=5)
    yield harness
    harness.close()


def stored_rows(chat: ChatHarness) -> list[tuple]:
    with chat.runtime.store.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(s.attachments.c.plugin, s.attachments.c.subject, s.attachments.c.kind, s.attachments.c.mime)
            )
        ]


def test_a_photo_sent_right_after_a_suggestion_is_attached_to_it_without_its_gps_position(box):
    box.say("张三", "/suggest The stair light on floor 3 is broken")
    replies = box.pick("张三", "Repairs")
    assert "number 1" in replies[0]

    data = photo_with_gps()
    replies = box.send_file("张三", data, "stairs.jpg")

    assert replies == [replies[0]] and replies[0].startswith("Attached to suggestion 1: stairs.jpg (photo,")
    assert stored_rows(box) == [("suggestions", "1", "photo", "image/jpeg")]
    with box.runtime.store.connect() as conn:
        key = conn.execute(sa.select(s.attachments.c.sha256)).scalar_one()
    kept = box.runtime.blobs.get(key)
    assert key != blob_key(data)  # re-encoded, not the bytes that were sent
    assert not Image.open(io.BytesIO(kept)).getexif().get_ifd(GPS)
    assert Image.open(io.BytesIO(kept)).size == (64, 48)


def test_the_ledger_lists_a_suggestions_photo_and_forgetme_removes_it_from_the_store(box):
    box.say("张三", "/suggest Broken bench")
    box.pick("张三", "Repairs")
    box.send_file("张三", photo_with_gps(), "bench.jpg")
    with box.runtime.store.connect() as conn:
        key = conn.execute(sa.select(s.attachments.c.sha256)).scalar_one()

    table = ledger_table(box.runtime.store, box.runtime.registry, "suggestions.suggestions", "test", language="en")
    (row,) = table.rows
    assert table.columns[-1] == "Attachments"
    assert row[-1].startswith("bench.jpg (photo, ") and row[-1].endswith(key)

    mydata = box.say("张三", "/mydata", private=True)
    assert "Files you sent (1):" in mydata[0] and "bench.jpg" in mydata[0] and "suggestions 1" in mydata[0]

    box.say("张三", "/forgetme", private=True)
    box.pick("张三", "Yes", private=True)
    assert stored_rows(box) == []
    assert box.runtime.blobs.exists(key)  # deleted after the commit, by the housekeeping
    assert box.release_blobs() == 1
    assert not box.runtime.blobs.exists(key)


def test_a_photo_with_the_command_as_its_caption_goes_with_the_suggestion(box):
    box.send_file("张三", photo_with_gps(), "light.jpg", text="/suggest The light is broken")
    replies = box.pick("张三", "Repairs")
    assert "1 file(s) attached to it." in replies[0]
    assert stored_rows(box) == [("suggestions", "1", "photo", "image/jpeg")]


def test_a_photo_long_after_the_suggestion_is_not_attached_nor_even_downloaded(box):
    box.say("张三", "/suggest Broken bench")
    box.pick("张三", "Repairs")
    box.advance(minutes=11)

    assert box.send_file("张三", photo_with_gps(), "bench.jpg") == []
    assert box.adapter.fetched == [] and stored_rows(box) == []


def test_a_redelivered_photo_is_fetched_and_stored_once(box):
    box.say("张三", "/suggest Broken bench")
    box.pick("张三", "Repairs")
    box.adapter.files["ref1"] = photo_with_gps()
    event = Inbound(
        "redelivered-1",
        box.address("张三"),
        Sender("test", "张三", "张三"),
        attachments=(Attachment("photo", "bench.jpg", ref="ref1"),),
    )
    box.submit(event)
    box.submit(event)

    assert box.adapter.fetched == ["ref1"]
    assert stored_rows(box) == [("suggestions", "1", "photo", "image/jpeg")]
    assert sum(1 for m in box.sent if m.text.startswith("Attached to suggestion 1")) == 1


def test_a_download_failing_for_now_is_retried_and_then_works(box):
    box.say("张三", "/suggest Broken bench")
    box.pick("张三", "Repairs")
    box.adapter.fetch_failures = 2

    box.send_file("张三", photo_with_gps(), "bench.jpg")

    assert len(box.adapter.fetched) == 3  # a first try and two retries
    assert stored_rows(box) == [("suggestions", "1", "photo", "image/jpeg")]
    assert box.last().startswith("Attached to suggestion 1")


def test_a_download_that_keeps_failing_is_told_and_the_caption_still_reaches_the_handler(box):
    box.adapter.fetch_failures = 1000

    replies = box.send_file("张三", photo_with_gps(), "bench.jpg", text="/suggest The bench is broken")

    assert len(box.adapter.fetched) == 4  # a first try and the three retries
    assert any("could not download your photo after several tries" in r for r in replies)
    assert any("Which kind of suggestion" in r for r in replies)
    assert stored_rows(box) == []


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)


def test_a_photo_the_platform_says_is_too_large_is_refused_without_being_downloaded(box):
    box.say("张三", "/suggest Broken bench")
    box.pick("张三", "Repairs")

    replies = box.send_file("张三", photo_with_gps(), "bench.jpg", size=50 * 1024 * 1024)

    assert replies == ["This photo is too large (50.0 MB); the limit is 10 MB. Nothing was kept."]
    assert box.adapter.fetched == [] and stored_rows(box) == []


def test_a_program_disguised_as_a_photo_is_refused_and_nothing_is_stored(box, tmp_path):
    box.say("张三", "/suggest Broken bench")
    box.pick("张三", "Repairs")

    replies = box.send_file("张三", EXE, "bench.jpg")

    assert replies == ["Programs and scripts are never accepted, whatever their name says."]
    assert stored_rows(box) == []
    assert not any(p.is_file() for p in (tmp_path / "blobs").rglob("*"))


def test_a_corrupt_photo_with_a_command_is_refused_and_the_command_still_runs(box):
    replies = box.send_file("张三", photo_with_gps()[:300], "bench.jpg", text="/suggest The bench is broken")

    assert replies[0] == "This image is damaged or cannot be read, so it was not kept."
    assert "Which kind of suggestion" in replies[1]
    assert stored_rows(box) == []


def test_a_photo_sent_privately_that_belongs_to_nothing_is_explained(box):
    box.say("张三", "Hello everyone")  # the group makes the district theirs
    replies = box.send_file("张三", photo_with_gps(), "bench.jpg", private=True)

    assert replies[0].startswith("I received bench.jpg (photo, ")
    assert "belongs to nothing yet" in replies[0]


def test_a_photo_two_people_sent_stays_in_the_store_until_neither_refers_to_it(box):
    data = photo_with_gps()
    for who in ("张三", "李四"):
        box.say(who, f"/suggest {who}: broken bench")
        box.pick(who, "Repairs")
        box.send_file(who, data, "bench.jpg")
    with box.runtime.store.connect() as conn:
        keys = set(conn.execute(sa.select(s.attachments.c.sha256)).scalars())
    assert len(keys) == 1  # the same content is stored once
    (key,) = keys

    box.say("张三", "/forgetme", private=True)
    box.pick("张三", "Yes", private=True)
    assert box.release_blobs() == 0 and box.runtime.blobs.exists(key)
    assert stored_rows(box) == [("suggestions", "2", "photo", "image/jpeg")]


def test_files_that_never_belonged_to_anything_go_after_the_retention_period(box):
    import datetime as dt

    from linli.workers.scheduler import Scheduler

    box.say("张三", "Hello everyone")
    box.send_file("张三", photo_with_gps(), "stray.jpg", private=True)
    assert stored_rows(box) == [("", "", "photo", "image/jpeg")]
    scheduler = Scheduler(box.runtime)

    scheduler.release_files(box.clock.now() + dt.timedelta(days=29))
    assert len(stored_rows(box)) == 1
    scheduler.release_files(box.clock.now() + dt.timedelta(days=31))
    assert stored_rows(box) == []
    assert not any(p.is_file() for p in box.runtime.blobs.root.rglob("*"))  # type: ignore[attr-defined]


def test_a_download_refused_for_good_is_told_at_once_without_retrying(box):
    from linli.core.errors import PermanentDeliveryError

    box.say("张三", "/suggest Broken bench")
    box.pick("张三", "Repairs")
    box.adapter.fetch_failures = 1
    box.adapter.fetch_error = PermanentDeliveryError("file is too old to download")

    replies = box.send_file("张三", photo_with_gps(), "bench.jpg")

    assert replies == ["I could not get this file from the chat platform, so it was not kept. Please send it again."]
    assert len(box.adapter.fetched) == 1 and stored_rows(box) == []


def test_a_refusal_is_in_the_senders_language(tmp_path):
    chat = ChatHarness(tmp_path, plugins=PLUGINS)  # a Chinese-speaking district
    try:
        chat.say("张三", "/suggest 长椅坏了")
        chat.pick("张三", 2)
        assert chat.send_file("张三", EXE, "长椅.jpg") == ["不接收程序和脚本，无论文件名写的是什么。"]
    finally:
        chat.close()


def test_on_postgresql_a_redelivered_photo_is_stored_once_and_forgetme_releases_it(tmp_path, postgres_url):
    chat = ChatHarness(tmp_path, plugins=PLUGINS, language="en", database_url=postgres_url)
    try:
        chat.say("张三", "/suggest Broken bench")
        chat.pick("张三", "Repairs")
        chat.adapter.files["ref1"] = photo_with_gps()
        event = Inbound(
            "pg-1",
            chat.address("张三"),
            Sender("test", "张三", "张三"),
            attachments=(Attachment("photo", "bench.jpg", ref="ref1"),),
        )
        chat.submit(event)
        chat.submit(event)
        assert chat.adapter.fetched == ["ref1"]
        assert stored_rows(chat) == [("suggestions", "1", "photo", "image/jpeg")]

        chat.say("张三", "/forgetme", private=True)
        chat.pick("张三", "Yes", private=True)
        assert stored_rows(chat) == [] and chat.release_blobs() == 1
    finally:
        chat.close()


def test_nothing_is_downloaded_from_someone_who_has_not_accepted_the_privacy_notice(tmp_path):
    chat = ChatHarness(tmp_path, plugins=PLUGINS, language="en", consented=False)
    try:
        replies = chat.send_file("张三", photo_with_gps(), "me.jpg", text="/suggest hello", private=True)
        assert chat.adapter.fetched == [] and stored_rows(chat) == []
        assert replies  # the privacy notice, as for any first message
    finally:
        chat.close()
