"""Outbound messages as Matrix ``m.room.message`` contents: a plain ``body`` and an
``org.matrix.custom.html`` ``formatted_body`` escaped here, long texts split, replies and
threads as relations, choices as numbered options with the keycap emoji to react with.
"""

from __future__ import annotations

import hashlib
import html
import unicodedata
import uuid
from typing import Any

from linli.core.adapter import split_text
from linli.core.events import Outbound

__all__ = ["KEYCAPS", "MAX_TEXT", "PLATFORM", "choice_number", "render", "txn_id"]

PLATFORM = "matrix"
#: characters per message. An event may be 64 KiB: the body (3 bytes a Chinese character)
#: and its HTML form (``&`` grows to ``&amp;``) both fit well under that.
MAX_TEXT = 8000
#: the reactions that pick choice 1 to 10.
KEYCAPS = (*(f"{n}\ufe0f\u20e3" for n in range(1, 10)), "\U0001f51f")


def txn_id(key: str, part: int) -> str:
    """The transaction id of part ``part`` of the outbox message ``key``: the same message
    sent again (a retry, a second worker) is the same transaction, which the homeserver
    posts once. A message without a key gets a random one."""
    base = hashlib.sha256(key.encode()).hexdigest()[:32] if key else uuid.uuid4().hex
    return f"linli.{base}.{part}"


def _option(n: int, label: str) -> str:
    mark = KEYCAPS[n - 1] if n <= len(KEYCAPS) else f"{n}."
    return f"{mark} {label}"


def _html(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def render(message: Outbound, *, limit: int = MAX_TEXT) -> list[dict[str, Any]]:
    """The ``m.room.message`` content of each part of ``message``, in order.

    The last part lists the choices, numbered; the first part replies to ``reply_to``
    when it is a Matrix event (``matrix:$...``); every part stays in the thread of
    ``message.address``.

    Parameters:
      message: what to send.
      limit: characters per part.
    """
    text = message.text
    if message.choices:
        options = "\n".join(_option(n, c.label) for n, c in enumerate(message.choices, 1))
        text = f"{text}\n\n{options}" if text else options
    parts = [p.lstrip("\n") or p for p in split_text(text, limit)] if text else [""]
    reply = message.reply_to.removeprefix(f"{PLATFORM}:") if message.reply_to else None
    if reply is not None and not reply.startswith("$"):
        reply = None
    thread = message.address.thread
    contents = []
    for n, part in enumerate(parts):
        content: dict[str, Any] = {
            "msgtype": "m.notice",
            "body": part,
            "format": "org.matrix.custom.html",
            "formatted_body": _html(part),
            "m.mentions": {},
        }
        in_reply_to = reply if n == 0 else None
        if thread:
            # clients without threads show it as a reply to the thread's latest event
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": thread,
                "is_falling_back": in_reply_to is None,
                "m.in_reply_to": {"event_id": in_reply_to or thread},
            }
        elif in_reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": in_reply_to}}
        contents.append(content)
    return contents


def choice_number(text: str) -> int | None:
    """The option a message or a reaction picks: ``2``, ``２``, ``2.``, ``2️⃣``; ``None``
    when it picks none."""
    stripped = text.strip()
    if stripped in KEYCAPS:
        return KEYCAPS.index(stripped) + 1
    plain = unicodedata.normalize("NFKC", stripped).rstrip(".。)").replace("\ufe0f\u20e3", "")
    if plain.isascii() and plain.isdigit() and len(plain) <= 3:
        return int(plain) or None
    return None
