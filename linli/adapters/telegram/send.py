"""Outbound messages as sendMessage calls: HTML escaped, split at 4096 characters,
choices as an inline keyboard whose callback data fits Telegram's 64 bytes."""

from __future__ import annotations

import base64
import hashlib
import html
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode

from linli.core.adapter import split_text
from linli.core.events import Outbound

__all__ = ["CALLBACK_LIMIT", "KEY_MARK", "MAX_TEXT", "callback_data", "render"]

#: the longest text one message may carry (counted after entities are parsed, so before escaping).
MAX_TEXT = 4096
#: the most bytes of callback data a button may carry.
CALLBACK_LIMIT = 64
#: callback data starting with this is a key to a stored choice value.
KEY_MARK = "#"


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
