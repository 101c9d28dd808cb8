"""The events on linli's queues: what an inbound event may carry once it is made."""

from __future__ import annotations

import pytest

from linli.core.events import Address, Inbound, Sender, clean_text, from_json, to_json


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("楼道灯坏了", "楼道灯坏了"),
        ("a\ud800b", "ab"),
        ("\udfff", ""),
        ("a\x00b\x1bc\x7fd\x85e", "abcde"),
        ("line one\r\nline two\rthree", "line one\nline two\nthree"),
        ("tab\tand\nnewline stay", "tab\tand\nnewline stay"),
        ("😀 an emoji is one code point", "😀 an emoji is one code point"),
    ],
)
def test_lone_surrogates_and_control_characters_are_taken_out(raw, clean):
    assert clean_text(raw) == clean


def test_an_inbound_event_never_holds_text_that_cannot_be_encoded():
    inbound = Inbound(
        "1",
        Address("test", "group"),
        Sender("test", "u1", "张\ud800三\x07"),
        text="/comment 1 \ud800好\x00",
        choice="x\udc00",
    )

    assert (inbound.text, inbound.sender.display_name, inbound.choice) == ("/comment 1 好", "张三", "x")
    inbound.text.encode("utf-8")


def test_an_inbound_event_read_back_from_the_queue_is_cleaned_too():
    raw = to_json(Inbound("1", Address("test", "group"), Sender("test", "u1"), text="ok"))
    raw["text"] = "o\ud800k"

    assert from_json(raw, Inbound).text == "ok"
