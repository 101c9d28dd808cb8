"""The events on linli's queues: each survives a trip through plain JSON unchanged, and
addresses are read the way rooms are bound."""

from __future__ import annotations

import json
from typing import Any

import pytest

from linli.core.events import (
    SCHEMA_VERSION,
    Address,
    Choice,
    DomainEvent,
    HandlerCall,
    Inbound,
    Outbound,
    PersonInfo,
    Sender,
    clean_text,
    from_json,
    to_json,
)

GROUP = Address("telegram", "-100123", thread="7")
ZHANG = Sender("telegram", "12345", "张三")
INBOUND = Inbound(
    "update-9",
    GROUP,
    ZHANG,
    text="/suggest 楼道灯坏了",
    kind="choice",
    private=False,
    choice="suggestions:tag:维修",
    reply_to="m-3",
    platform_roles=("moderator", "room_admin"),
    private_address="matrix:@zhang:example.org",
)
EVENT = DomainEvent(
    "ev-1",
    "mediation.case_opened",
    "heping",
    {"case": 42, "parties": ["张三", "李四"], "nested": {"ok": True, "note": None}},
    source_plugin="mediation",
    person_id=3,
    address=GROUP,
)


def through_the_queue(obj: Any) -> Any:
    """``obj`` as a queue carries it: to JSON text and back."""
    return from_json(json.loads(json.dumps(to_json(obj), ensure_ascii=False)), type(obj))


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(INBOUND, id="inbound"),
        pytest.param(Inbound("1", Address("console", "demo"), Sender("console", "alice")), id="bare inbound"),
        pytest.param(
            Outbound(GROUP, "请选择：", (Choice("好", "core:ok"), Choice("不好", "core:no")), "m-3", "e1:m0"),
            id="outbound with choices",
        ),
        pytest.param(EVENT, id="domain event"),
        pytest.param(DomainEvent("ev-2", "x.y", "heping"), id="bare domain event"),
        pytest.param(PersonInfo(3, "张三", "zh_CN", "heping", 2), id="person"),
        pytest.param(
            HandlerCall(
                "update-9:suggestions.suggest",
                "suggestions",
                "suggest",
                "command",
                "heping",
                person_id=3,
                address=GROUP,
                inbound=INBOUND,
                args=("楼道灯坏了",),
                argtext="楼道灯坏了",
                language="en",
                person=PersonInfo(3, "张三"),
                roles={"captain": ["building:12", "building:13"], "staff": [""]},
            ),
            id="handler call for a command",
        ),
        pytest.param(
            HandlerCall("ev-1:council.on_case", "council", "on_case", "event", "heping", domain_event=EVENT),
            id="handler call for a domain event",
        ),
        pytest.param(
            HandlerCall("job:1", "council", "remind", "job", "heping", fire_time="2026-12-04T09:00:00+08:00"),
            id="handler call for a job",
        ),
    ],
)
def test_every_event_comes_back_equal_after_a_trip_through_json_text(obj):
    assert through_the_queue(obj) == obj


def test_tuples_come_back_as_tuples_so_the_event_stays_hashable():
    out = through_the_queue(Outbound(GROUP, "x", (Choice("好", "core:ok"),)))
    inbound = through_the_queue(INBOUND)

    assert isinstance(out.choices, tuple) and isinstance(out.choices[0], Choice)
    assert inbound.platform_roles == ("moderator", "room_admin")
    assert hash(out) == hash(Outbound(GROUP, "x", (Choice("好", "core:ok"),)))


def test_the_json_form_is_plain_data_with_nested_objects_as_objects():
    data = to_json(EVENT)

    assert data["address"] == {"platform": "telegram", "room": "-100123", "thread": "7"}
    assert data["payload"]["parties"] == ["张三", "李四"]
    assert data["v"] == SCHEMA_VERSION
    assert json.loads(json.dumps(data)) == data


def test_a_field_added_by_a_newer_version_is_ignored_by_an_older_reader():
    data = to_json(INBOUND)
    data["mood"] = "happy"
    data["sender"]["avatar"] = "https://example.org/a.png"

    assert from_json(data, Inbound) == INBOUND


def test_an_event_missing_a_field_with_a_default_gets_the_default():
    data = to_json(Outbound(GROUP, "你好", key="k"))
    del data["choices"], data["reply_to"]

    assert from_json(data, Outbound) == Outbound(GROUP, "你好", key="k")


# --- addresses and senders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "address"),
    [
        ("console:demo", Address("console", "demo")),
        ("telegram:-1001234567890", Address("telegram", "-1001234567890")),
        ("matrix:!abc:example.org", Address("matrix", "!abc:example.org")),
    ],
)
def test_a_room_key_is_read_as_platform_and_room_and_written_back_the_same(key, address):
    assert Address.parse(key) == address
    assert address.room_key == key


@pytest.mark.parametrize("key", ["demo", ":demo", "console:", ""])
def test_a_room_key_without_platform_or_room_is_refused_with_an_example(key):
    with pytest.raises(ValueError, match="console:demo"):
        Address.parse(key)


def test_the_thread_is_not_part_of_the_room_key():
    assert Address("telegram", "-100123", thread="7").room_key == "telegram:-100123"


def test_a_senders_identity_is_platform_and_user():
    assert ZHANG.identity == "telegram:12345"


# --- what an inbound event may carry ----------------------------------------------------------------


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
