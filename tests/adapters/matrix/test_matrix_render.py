"""Outbound messages as Matrix contents: escaped HTML beside the plain body, split texts,
replies and threads as relations, numbered choices, transaction ids from the outbox key."""

from __future__ import annotations

from linli.adapters.matrix.render import KEYCAPS, choice_number, render, txn_id
from linli.core.events import Address, Choice, Outbound

ROOM = Address("matrix", "!r:example.org")


def test_the_body_is_plain_and_the_formatted_body_escaped_html():
    [content] = render(Outbound(ROOM, "<b>楼道</b> & 灯\n第二行"))
    assert content["body"] == "<b>楼道</b> & 灯\n第二行"
    assert content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == "&lt;b&gt;楼道&lt;/b&gt; &amp; 灯<br>第二行"
    assert content["msgtype"] == "m.notice"
    assert content["m.mentions"] == {}


def test_a_long_text_is_split_on_line_ends_at_the_limit():
    text = "一" * 30 + "\n" + "二" * 30
    parts = render(Outbound(ROOM, text), limit=40)
    assert [p["body"] for p in parts] == ["一" * 30, "二" * 30]


def test_the_first_part_replies_to_a_matrix_event_and_others_do_not():
    parts = render(Outbound(ROOM, "甲\n乙", reply_to="matrix:$abc"), limit=2)
    assert parts[0]["m.relates_to"] == {"m.in_reply_to": {"event_id": "$abc"}}
    assert "m.relates_to" not in parts[1]


def test_a_reply_to_something_that_is_no_matrix_event_is_sent_as_a_plain_message():
    [content] = render(Outbound(ROOM, "甲", reply_to="telegram:5"))
    assert "m.relates_to" not in content


def test_a_message_in_a_thread_stays_in_the_thread():
    threaded = Address("matrix", "!r:example.org", "$root")
    [first, second] = render(Outbound(threaded, "甲\n乙", reply_to="matrix:$q"), limit=2)
    assert first["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": "$q"},
    }
    assert second["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$root"},
    }


def test_choices_are_numbered_with_the_keycaps_to_react_with():
    choices = tuple(Choice(f"选项{n}", f"core:x:{n}") for n in range(1, 12))
    [content] = render(Outbound(ROOM, "请选择", choices))
    lines = content["body"].split("\n")
    assert lines[0] == "请选择"
    assert lines[2] == "1\ufe0f\u20e3 选项1"
    assert lines[11] == "\U0001f51f 选项10"
    assert lines[12] == "11. 选项11"


def test_choices_go_under_the_last_part_of_a_split_message():
    parts = render(Outbound(ROOM, "甲" * 10 + "\n" + "乙" * 10, (Choice("好", "v"),)), limit=12)
    assert "1\ufe0f\u20e3 好" not in parts[0]["body"]
    assert parts[-1]["body"].endswith("1\ufe0f\u20e3 好")


def test_a_transaction_id_is_the_same_for_the_same_outbox_row_and_part():
    assert txn_id("matrix:$a:core.help:m0", 0) == txn_id("matrix:$a:core.help:m0", 0)
    assert txn_id("matrix:$a:core.help:m0", 0) != txn_id("matrix:$a:core.help:m0", 1)
    assert txn_id("matrix:$a:core.help:m0", 0) != txn_id("matrix:$a:core.help:m1", 0)
    assert txn_id("", 0) != txn_id("", 0)


def test_numbers_keycaps_and_full_width_digits_pick_an_option():
    assert choice_number("2") == 2
    assert choice_number(" ２ ") == 2
    assert choice_number("3.") == 3
    assert choice_number(KEYCAPS[0]) == 1
    assert choice_number(KEYCAPS[9]) == 10
    assert choice_number("0") is None
    assert choice_number("两") is None
    assert choice_number("2 楼") is None
    assert choice_number("👍") is None
