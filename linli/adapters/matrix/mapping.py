"""Matrix room events (the JSON of /sync and /messages) as linli events: messages,
commands, numbered answers and reactions to choices, joins and leaves, and images, files,
audio and locations as :class:`~linli.core.events.Attachment` references (the worker
downloads them)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from attrs import frozen

from linli.adapters.matrix.render import PLATFORM, choice_number
from linli.core.events import Address, Attachment, Inbound, Sender

__all__ = ["MSGTYPES", "RoomFacts", "attachment_of", "event_id_of", "to_inbound"]

#: message types read as text; ``m.notice`` is what bots send, so it is never read
TEXT_TYPES = ("m.text", "m.emote")
#: message types carrying a file, and the kind of attachment each is
FILE_TYPES: Mapping[str, Literal["photo", "file", "voice"]] = {
    "m.image": "photo",
    "m.file": "file",
    "m.audio": "voice",
    "m.video": "file",
}
#: what a file of each kind is sent as
MSGTYPES: Mapping[str, str] = {"photo": "m.image", "file": "m.file", "voice": "m.audio"}
_GEO = re.compile(r"geo:(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)")


def attachment_of(content: Mapping[str, Any]) -> tuple[Attachment | None, str]:
    """The attachment an ``m.room.message`` of a file type or ``m.location`` carries, and
    its caption (the ``body`` when a ``filename`` is given apart from it, as Matrix 1.10 has
    it). ``(None, "")`` for anything else, and for an encrypted file (linli reads no
    encrypted rooms)."""
    msgtype = content.get("msgtype")
    if msgtype == "m.location":
        match = _GEO.match(str(content.get("geo_uri", "")))
        if match is None:
            return None, ""
        return Attachment("location", latitude=float(match[1]), longitude=float(match[2])), ""
    kind: Literal["photo", "file", "voice"] | None = FILE_TYPES.get(str(msgtype))
    url = content.get("url")
    if kind is None or not isinstance(url, str) or not url.startswith("mxc://"):
        return None, ""
    info = content.get("info")
    info = info if isinstance(info, Mapping) else {}
    body = content.get("body") if isinstance(content.get("body"), str) else ""
    filename = content.get("filename") if isinstance(content.get("filename"), str) else ""
    caption = body if filename and body != filename else ""
    mime = info.get("mimetype") if isinstance(info.get("mimetype"), str) else ""
    size = info.get("size")
    size = size if isinstance(size, int) and not isinstance(size, bool) else 0
    if msgtype == "m.audio" and "org.matrix.msc3245.voice" not in content:
        kind = "file"  # a music file, not a voice note
    return Attachment(kind, str(filename or body), str(mime), int(size), ref=url), str(caption)


@frozen
class RoomFacts:
    """What the mapping needs to know about the room an event came from.

    Parameters:
      private: a direct-message room with one person.
      room_choices: the values of the choices offered last in the room (a number answers them).
      event_choices: the values of the choices a message offered, by its event id (a reaction answers them).
      display_name: a user's display name, as far as the gateway knows it.
    """

    private: bool = False
    room_choices: Callable[[], list[str]] = lambda: []
    event_choices: Callable[[str], list[str]] = lambda event_id: []
    display_name: Callable[[str], str] = lambda user: ""


def event_id_of(event_id: str) -> str:
    """The linli event id of a Matrix event: event ids are unique across the federation."""
    return f"{PLATFORM}:{event_id}"


def _relation(content: Mapping[str, Any]) -> Mapping[str, Any]:
    relates = content.get("m.relates_to")
    return relates if isinstance(relates, Mapping) else {}


def strip_reply_fallback(body: str) -> str:
    """The body of a reply without the quoted lines older clients put before it."""
    if not body.startswith("> "):
        return body
    lines = body.split("\n")
    n = 0
    while n < len(lines) and lines[n].startswith(">"):
        n += 1
    return "\n".join(lines[n:]).lstrip("\n")


def _sender(user: str, facts: RoomFacts, name: str = "") -> Sender:
    localpart = user.removeprefix("@").partition(":")[0]
    return Sender(PLATFORM, user, name or facts.display_name(user) or localpart)


def _pick(values: list[str], number: int | None) -> str | None:
    if number is None or not 1 <= number <= len(values):
        return None
    return values[number - 1]


def to_inbound(event: Mapping[str, Any], room: str, *, bot: str, facts: RoomFacts) -> Inbound | None:
    """The linli event for one Matrix room event, or ``None`` when linli has nothing to do with it.

    Parameters:
      event: the event's JSON.
      room: the room id it came in.
      bot: the bot's own user id: its own events are ignored.
      facts: what is known about the room.
    """
    kind, sender, eid = event.get("type"), event.get("sender"), event.get("event_id")
    content = event.get("content")
    if not isinstance(sender, str) or not isinstance(eid, str) or not isinstance(content, Mapping):
        return None
    event_id = event_id_of(eid)
    if kind == "m.room.member":
        return _membership(event, content, room, event_id, bot=bot, facts=facts)
    if sender == bot:
        return None
    relation = _relation(content)
    if kind == "m.reaction":
        if relation.get("rel_type") != "m.annotation" or not isinstance(relation.get("event_id"), str):
            return None
        value = _pick(facts.event_choices(relation["event_id"]), choice_number(str(relation.get("key", ""))))
        if value is None:
            return None
        return Inbound(
            event_id,
            Address(PLATFORM, room),
            _sender(sender, facts),
            kind="choice",
            private=facts.private,
            choice=value,
        )
    if kind != "m.room.message":
        return None
    if relation.get("rel_type") == "m.replace":  # an edit: the original was read already
        return None
    attachment, caption = attachment_of(content)
    if attachment is not None:
        thread = relation.get("event_id") if relation.get("rel_type") == "m.thread" else None
        return Inbound(
            event_id,
            Address(PLATFORM, room, thread if isinstance(thread, str) else None),
            _sender(sender, facts),
            text=caption,
            private=facts.private,
            attachments=(attachment,),
        )
    if content.get("msgtype") not in TEXT_TYPES:
        return None
    body = content.get("body")
    if not isinstance(body, str) or not body.strip():
        return None
    thread = relation.get("event_id") if relation.get("rel_type") == "m.thread" else None
    address = Address(PLATFORM, room, thread if isinstance(thread, str) else None)
    in_reply = relation.get("m.in_reply_to")
    reply_to = in_reply.get("event_id") if isinstance(in_reply, Mapping) else None
    if thread and relation.get("is_falling_back"):
        reply_to = None  # a plain message in a thread, not a reply
    text = strip_reply_fallback(body) if reply_to else body
    stripped = text.lstrip()
    if stripped.startswith("!") and len(stripped) > 1 and not stripped[1].isspace():
        # Matrix clients take "/word" as their own commands: "!word" means linli's "/word"
        text = "/" + stripped[1:]
    value = _pick(facts.room_choices(), choice_number(text))
    if value is not None:
        return Inbound(
            event_id, address, _sender(sender, facts), text=text, kind="choice", private=facts.private, choice=value
        )
    return Inbound(
        event_id,
        address,
        _sender(sender, facts),
        text=text,
        private=facts.private,
        reply_to=reply_to if isinstance(reply_to, str) else None,
    )


def _membership(
    event: Mapping[str, Any], content: Mapping[str, Any], room: str, event_id: str, *, bot: str, facts: RoomFacts
) -> Inbound | None:
    user = event.get("state_key")
    if not isinstance(user, str) or user == bot or facts.private:  # a direct room has no one to greet
        return None
    unsigned = event.get("unsigned")
    previous = unsigned.get("prev_content") if isinstance(unsigned, Mapping) else None
    before = previous.get("membership") if isinstance(previous, Mapping) else None
    now = content.get("membership")
    name = content.get("displayname") if isinstance(content.get("displayname"), str) else ""
    if now == "join" and before != "join":
        return Inbound(
            event_id, Address(PLATFORM, room), _sender(user, facts, str(name or "")), kind="join", private=facts.private
        )
    if now in ("leave", "ban") and before == "join":
        return Inbound(event_id, Address(PLATFORM, room), _sender(user, facts), kind="leave", private=facts.private)
    return None
