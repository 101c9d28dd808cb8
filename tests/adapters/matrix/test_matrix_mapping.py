"""Matrix room events as linli events."""

from __future__ import annotations

from typing import Any

from linli.adapters.matrix.mapping import RoomFacts, strip_reply_fallback, to_inbound
from linli.core.events import Address

BOT = "@linli:example.org"
ROOM = "!r:example.org"


def msg(body: str, *, sender: str = "@li:example.org", msgtype: str = "m.text", **content: Any) -> dict[str, Any]:
    return {
        "type": "m.room.message",
        "event_id": "$e1",
        "sender": sender,
        "content": {"msgtype": msgtype, "body": body, **content},
    }


def read(event: dict[str, Any], facts: RoomFacts | None = None) -> Any:
    return to_inbound(event, ROOM, bot=BOT, facts=facts or RoomFacts())


def test_a_text_message_becomes_a_message_event_with_the_matrix_event_id():
    inbound = read(msg("/help"), RoomFacts(display_name=lambda user: "李四"))
    assert inbound.event_id == "matrix:$e1"
    assert inbound.address == Address("matrix", ROOM)
    assert inbound.sender.identity == "matrix:@li:example.org"
    assert inbound.sender.display_name == "李四"
    assert inbound.text == "/help"
    assert inbound.kind == "message"
    assert not inbound.private


def test_a_sender_without_a_known_name_is_called_by_their_localpart():
    assert read(msg("hi")).sender.display_name == "li"


def test_an_exclamation_mark_command_is_read_as_a_slash_command():
    assert read(msg("!propose 楼道灯")).text == "/propose 楼道灯"
    assert read(msg("! 不是命令")).text == "! 不是命令"


def test_the_bots_own_messages_notices_and_edits_are_ignored():
    assert read(msg("/help", sender=BOT)) is None
    assert read(msg("/help", msgtype="m.notice")) is None
    assert read(msg("* /help", **{"m.relates_to": {"rel_type": "m.replace", "event_id": "$e0"}})) is None
    assert read(msg("   ")) is None
    assert read({"type": "m.room.message", "event_id": "$e1", "sender": "@li:x", "content": "bad"}) is None


def test_a_reply_loses_its_quoted_fallback_and_names_the_event_it_answers():
    body = "> <@bot:example.org> 你同意吗？\n> 第二行\n\n同意"
    inbound = read(msg(body, **{"m.relates_to": {"m.in_reply_to": {"event_id": "$q"}}}))
    assert inbound.text == "同意"
    assert inbound.reply_to == "$q"
    assert strip_reply_fallback("> 只有引用") == ""
    assert strip_reply_fallback("没有引用") == "没有引用"


def test_a_message_in_a_thread_is_addressed_to_the_thread():
    relation = {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$latest"},
    }
    inbound = read(msg("/help", **{"m.relates_to": relation}))
    assert inbound.address == Address("matrix", ROOM, "$root")
    assert inbound.reply_to is None


def test_a_number_answers_the_choices_offered_last_in_the_room():
    facts = RoomFacts(room_choices=lambda: ["core:consent@1:yes:1", "core:consent@1:no:1"])
    inbound = read(msg("２"), facts)
    assert inbound.kind == "choice"
    assert inbound.choice == "core:consent@1:no:1"
    assert read(msg("3"), facts).kind == "message"  # out of range: just a message
    assert read(msg("2")).kind == "message"  # nothing offered


def test_a_keycap_reaction_to_a_message_with_choices_picks_that_choice():
    facts = RoomFacts(event_choices=lambda event_id: ["a", "b"] if event_id == "$offer" else [], private=True)
    reaction = {
        "type": "m.reaction",
        "event_id": "$r",
        "sender": "@li:example.org",
        "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$offer", "key": "2\ufe0f\u20e3"}},
    }
    inbound = read(reaction, facts)
    assert (inbound.kind, inbound.choice, inbound.private) == ("choice", "b", True)
    other = {**reaction, "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$x", "key": "1"}}}
    assert read(other, facts) is None
    thumbs = {**reaction, "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$offer", "key": "👍"}}}
    assert read(thumbs, facts) is None


def member(user: str, membership: str, before: str | None, name: str = "") -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "m.room.member",
        "event_id": "$m",
        "sender": user,
        "state_key": user,
        "content": {"membership": membership, **({"displayname": name} if name else {})},
    }
    if before:
        event["unsigned"] = {"prev_content": {"membership": before}}
    return event


def test_joins_and_leaves_of_people_are_events_but_name_changes_and_the_bot_are_not():
    joined = read(member("@wang:example.org", "join", None, "王五"))
    assert (joined.kind, joined.sender.display_name) == ("join", "王五")
    assert read(member("@wang:example.org", "leave", "join")).kind == "leave"
    assert read(member("@wang:example.org", "join", "join", "新名字")) is None
    assert read(member(BOT, "join", None)) is None
    assert read(member("@wang:example.org", "join", None), RoomFacts(private=True)) is None
