"""Outbound messages become sendMessage calls: escaped, split, with buttons, in the thread."""

from __future__ import annotations

from linli.adapters.telegram.send import CALLBACK_LIMIT, callback_data, render
from linli.core.events import Address, Choice, Outbound

GROUP = Address("telegram", "-100123")


def test_html_is_escaped_and_sent_as_html():
    [request], _ = render(Outbound(GROUP, "<b>a & b</b>"))
    assert request["text"] == "&lt;b&gt;a &amp; b&lt;/b&gt;" and request["parse_mode"] == "HTML"
    assert request["chat_id"] == -100123


def test_a_text_over_4096_characters_is_split_at_a_line_end():
    text = "甲" * 4000 + "\n" + "乙" * 96
    requests, _ = render(Outbound(GROUP, text))
    assert [r["text"] for r in requests] == ["甲" * 4000, "乙" * 96]
    assert len(render(Outbound(GROUP, "x" * 4097))[0]) == 2


def test_the_first_part_replies_and_the_last_part_carries_the_buttons():
    message = Outbound(
        Address("telegram", "-100123", "77"), "a" * 5000, choices=(Choice("是", "p:yes"),), reply_to="12"
    )
    first, last = render(message)[0]
    assert first["reply_parameters"].message_id == 12 and "reply_markup" not in first
    assert "reply_parameters" not in last and last["reply_markup"].inline_keyboard[0][0].callback_data == "p:yes"
    assert first["message_thread_id"] == last["message_thread_id"] == 77


def test_a_reply_to_something_that_is_no_telegram_message_is_left_out():
    [request], _ = render(Outbound(GROUP, "x", reply_to="matrix-event"))
    assert "reply_parameters" not in request


def test_a_long_choice_value_is_sent_as_a_short_key_and_stored():
    value = "mediation:confirm@12:" + "案" * 30
    [request], stored = render(Outbound(GROUP, "x", choices=(Choice("确认", value), Choice("否", "p:no"))))
    keys = [row[0].callback_data for row in request["reply_markup"].inline_keyboard]
    assert keys[1] == "p:no"
    assert keys[0].startswith("#") and len(keys[0].encode()) <= CALLBACK_LIMIT
    assert stored == {keys[0]: value}


def test_the_same_value_always_gets_the_same_key_and_a_hash_mark_is_never_sent_raw():
    assert callback_data("x" * 65) == callback_data("x" * 65)
    assert callback_data("#short")[1] is True
    assert callback_data("é" * 32) == ("é" * 32, False)  # 64 bytes exactly
    assert callback_data("é" * 33)[1] is True
