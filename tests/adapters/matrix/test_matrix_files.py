"""Matrix file and location events as attachments."""

from __future__ import annotations

from linli.adapters.matrix.mapping import RoomFacts, attachment_of, to_inbound
from linli.core.events import Attachment


def event(content: dict) -> dict:
    return {"type": "m.room.message", "sender": "@a:x", "event_id": "$1", "content": content}


def test_an_image_with_a_caption_apart_from_its_filename_carries_both():
    content = {
        "msgtype": "m.image",
        "body": "楼道灯坏了",
        "filename": "IMG_1.jpg",
        "url": "mxc://x/abc",
        "info": {"mimetype": "image/jpeg", "size": 1234},
    }
    inbound = to_inbound(event(content), "!r:x", bot="@bot:x", facts=RoomFacts())
    assert inbound is not None and inbound.text == "楼道灯坏了"
    assert inbound.attachments == (Attachment("photo", "IMG_1.jpg", "image/jpeg", 1234, ref="mxc://x/abc"),)


def test_a_location_a_voice_note_and_music_are_told_apart():
    place, _ = attachment_of({"msgtype": "m.location", "body": "here", "geo_uri": "geo:31.23,-121.4;u=35"})
    assert place == Attachment("location", latitude=31.23, longitude=-121.4)
    voice, _ = attachment_of(
        {"msgtype": "m.audio", "body": "v.ogg", "url": "mxc://x/v", "org.matrix.msc3245.voice": {}}
    )
    music, _ = attachment_of({"msgtype": "m.audio", "body": "song.mp3", "url": "mxc://x/m"})
    assert voice is not None and voice.kind == "voice"
    assert music is not None and music.kind == "file"


def test_an_encrypted_file_or_a_bad_geo_uri_is_ignored():
    assert attachment_of({"msgtype": "m.file", "body": "a", "file": {"url": "mxc://x/e"}}) == (None, "")
    assert attachment_of({"msgtype": "m.location", "geo_uri": "nowhere"}) == (None, "")
    assert to_inbound(event({"msgtype": "m.file", "body": "a"}), "!r:x", bot="@bot:x", facts=RoomFacts()) is None
