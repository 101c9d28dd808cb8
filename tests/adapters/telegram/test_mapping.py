"""Telegram updates become linli events: groups, topics, private chats, commands, edits, presses."""

from __future__ import annotations

from typing import Any

from telegram import Update

from linli.adapters.telegram.mapping import to_inbound
from linli.core.events import Address
from linli.testing.telegram import FakeBotApi

fake = FakeBotApi()  # only its update builders: never started


def inbound(update: dict[str, Any], **kw: Any) -> Any:
    return to_inbound(Update.de_json({"update_id": 7, **update}), bot_id="42", username="linli_test_bot", **kw)


def test_a_group_message_is_a_message_in_the_group_room():
    event = inbound({"message": fake.message(-100123, "楼道灯坏了", user_id=5, name="李四")})
    assert event.event_id == "telegram:42:7"
    assert event.address == Address("telegram", "-100123")
    assert event.sender.identity == "telegram:5" and event.sender.display_name == "李四"
    assert event.text == "楼道灯坏了" and event.kind == "message" and not event.private


def test_a_forum_topic_keeps_its_thread_id():
    event = inbound({"message": fake.message(-100123, "hi", thread=77)})
    assert event.address == Address("telegram", "-100123", "77")
    assert event.reply_to is None


def test_a_reply_in_an_ordinary_group_is_no_thread():
    message = fake.message(-100123, "same here")
    message["message_thread_id"] = 3
    message["reply_to_message"] = fake.message(-100123, "the light is broken")
    event = inbound({"message": message})
    assert event.address.thread is None
    assert event.reply_to == str(message["reply_to_message"]["message_id"])


def test_a_private_chat_is_private():
    event = inbound({"message": fake.message(5, "/start district-7", user_id=5)})
    assert event.private and event.address.room == "5" and event.text == "/start district-7"


def test_a_command_for_this_bot_loses_its_mention():
    assert inbound({"message": fake.message(-1, "/help@Linli_Test_Bot me")}).text == "/help me"


def test_a_command_for_another_bot_is_ignored():
    assert inbound({"message": fake.message(-1, "/help@other_bot")}) is None


def test_an_edited_message_is_a_new_event():
    event = inbound({"edited_message": {**fake.message(-1, "fixed text"), "edit_date": 1}})
    assert event.text == "fixed text" and event.event_id == "telegram:42:7"


def test_a_caption_is_the_text_and_a_sticker_is_nothing():
    photo = {**fake.message(-1, ""), "caption": "看这里"}
    del photo["text"]
    assert inbound({"message": photo}).text == "看这里"
    sticker = fake.message(-1, "")
    del sticker["text"]
    assert inbound({"message": sticker}) is None


def test_a_join_and_a_leave_are_events_of_the_member():
    join = fake.message(-1, "")
    del join["text"]
    join["new_chat_members"] = [{"id": 9, "is_bot": False, "first_name": "王五"}]
    event = inbound({"message": join})
    assert event.kind == "join" and event.sender.user_id == "9"
    leave = {k: v for k, v in join.items() if k != "new_chat_members"}
    leave["left_chat_member"] = {"id": 9, "is_bot": False, "first_name": "王五"}
    assert inbound({"message": leave}).kind == "leave"


def test_a_button_press_is_a_choice_with_the_stored_value():
    sent = {
        "chat_id": -100123,
        "text": "选一个",
        "message_id": 3,
        "reply_markup": {"inline_keyboard": [[{"text": "是", "callback_data": "#abc"}]]},
    }
    fake.push_press(sent, "是", user_id=5)
    update = fake._updates[-1]
    event = inbound(update, resolve=lambda data: {"#abc": "mediation:agree:12"}.get(data))
    assert event.kind == "choice" and event.choice == "mediation:agree:12"
    assert event.address == Address("telegram", "-100123") and event.sender.user_id == "5"


def test_a_press_of_a_forgotten_key_is_a_choice_of_nothing():
    sent = {
        "chat_id": 5,
        "text": "x",
        "message_id": 3,
        "reply_markup": {"inline_keyboard": [[{"text": "是", "callback_data": "#gone"}]]},
    }
    fake.push_press(sent, "是", user_id=5)
    event = inbound(fake._updates[-1], resolve=lambda data: None)
    assert event.kind == "choice" and event.choice == "" and event.private
