"""Outbound messages as Bot API calls: sendMessage with the text HTML escaped and split at
4096 characters, choices as an inline keyboard whose callback data fits Telegram's 64
bytes; and sendPhoto, sendDocument, sendVoice and sendLocation for the attachments (a
short text goes with a single file as its caption)."""

from __future__ import annotations

import base64
import hashlib
import html
from typing import Any

from attrs import frozen
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode

from linli.core.adapter import split_text
from linli.core.events import Attachment, Outbound

__all__ = [
    "CALLBACK_LIMIT",
    "CAPTION_LIMIT",
    "KEY_MARK",
    "MAX_TEXT",
    "METHODS",
    "Part",
    "callback_data",
    "plan",
    "render",
]

#: the longest text one message may carry (counted after entities are parsed, so before escaping).
MAX_TEXT = 4096
#: the most bytes of callback data a button may carry.
CALLBACK_LIMIT = 64
#: callback data starting with this is a key to a stored choice value.
KEY_MARK = "#"
#: the longest caption a photo or file may carry (counted like a text).
CAPTION_LIMIT = 1024
#: the Bot API method, and its parameter for the file, of each kind of attachment
METHODS = {
    "photo": ("sendPhoto", "photo"),
    "file": ("sendDocument", "document"),
    "voice": ("sendVoice", "voice"),
    "location": ("sendLocation", ""),
}


@frozen
class Part:
    """One Bot API call of an outbound message: ``method`` with ``request`` as its
    keyword arguments, and for a file the attachment whose stored bytes are uploaded."""

    method: str
    request: dict[str, Any]
    attachment: Attachment | None = None


def callback_data(value: str) -> tuple[str, bool]:
    """The callback data for a choice value, and whether it is a key whose value must be stored.

    A value that fits is sent as it is; a longer one as ``#`` and 22 characters of its
    SHA-256, so the same value always gets the same key (storing it twice is harmless).
    """
    if len(value.encode()) <= CALLBACK_LIMIT and not value.startswith(KEY_MARK):
        return value, False
    digest = base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()).decode()
    return KEY_MARK + digest[:22], True


def render(message: Outbound, *, limit: int = MAX_TEXT) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The ``Bot.send_message`` keyword arguments for each part of ``message``, in order,
    and the choice values to store by key before sending.

    The first part replies to ``reply_to`` (when it is a Telegram message id); the last
    one carries the buttons, under the whole text.
    """
    # a line cut at the limit leaves its line end at the start of the next part
    parts = [p.lstrip("\n") or p for p in split_text(message.text, limit)] if message.text else [""]
    stored: dict[str, str] = {}
    keyboard = None
    if message.choices:
        rows = []
        for choice in message.choices:
            data, is_key = callback_data(choice.value)
            if is_key:
                stored[data] = choice.value
            rows.append([InlineKeyboardButton(choice.label, callback_data=data)])
        keyboard = InlineKeyboardMarkup(rows)
    requests: list[dict[str, Any]] = []
    for n, part in enumerate(parts):
        request: dict[str, Any] = {
            "chat_id": int(message.address.room),
            "text": html.escape(part, quote=False),
            "parse_mode": ParseMode.HTML,
        }
        if message.address.thread:
            request["message_thread_id"] = int(message.address.thread)
        if n == 0 and message.reply_to and message.reply_to.isdigit():
            # the message may be gone by now: send anyway, as a plain message
            request["reply_parameters"] = ReplyParameters(int(message.reply_to), allow_sending_without_reply=True)
        if n == len(parts) - 1 and keyboard is not None:
            request["reply_markup"] = keyboard
        requests.append(request)
    return requests, stored


def plan(message: Outbound, *, limit: int = MAX_TEXT) -> tuple[list[Part], dict[str, str]]:
    """The calls that send ``message``, in order, and the choice values to store first.

    The text goes first (split as :func:`render` does), then one call per attachment. A
    single photo, file or voice note with a text of at most :data:`CAPTION_LIMIT`
    characters is one call, the text its caption (with the buttons and the reply).
    """
    if not message.attachments:
        requests, stored = render(message, limit=limit)
        return [Part("sendMessage", r) for r in requests], stored
    if message.text:
        requests, stored = render(message, limit=limit)
        first = requests[0]
    else:
        requests, (first, stored) = [], _base(message)
    files = [_file_part(message, a) for a in message.attachments]
    if len(files) == 1 and files[0].method != "sendLocation" and len(message.text) <= CAPTION_LIMIT:
        # one call: the text as the caption, with the buttons and the reply of the text
        request = dict(files[0].request)
        for name in ("reply_parameters", "reply_markup"):
            if name in first:
                request[name] = first[name]
        if message.text:
            request["caption"], request["parse_mode"] = first["text"], ParseMode.HTML
        return [Part(files[0].method, request, files[0].attachment)], stored
    parts = [Part("sendMessage", r) for r in requests]
    if not requests:  # no text: the buttons go with the last file, the reply with the first
        files[0] = _with(files[0], first, "reply_parameters")
        files[-1] = _with(files[-1], first, "reply_markup")
    return parts + files, stored


def _base(message: Outbound) -> tuple[dict[str, Any], dict[str, str]]:
    """What the calls of a message without text carry (the reply, the buttons), and the
    choice values to store."""
    [request], stored = render(Outbound(message.address, ".", message.choices, message.reply_to))
    del request["text"], request["parse_mode"]
    return request, stored


def _with(part: Part, base: dict[str, Any], name: str) -> Part:
    if name not in base:
        return part
    return Part(part.method, {**part.request, name: base[name]}, part.attachment)


def _file_part(message: Outbound, attachment: Attachment) -> Part:
    method, _ = METHODS[attachment.kind]
    request: dict[str, Any] = {"chat_id": int(message.address.room)}
    if message.address.thread:
        request["message_thread_id"] = int(message.address.thread)
    if attachment.kind == "location":
        request["latitude"], request["longitude"] = attachment.latitude, attachment.longitude
        return Part(method, request)
    return Part(method, request, attachment)
