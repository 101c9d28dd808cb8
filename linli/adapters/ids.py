"""How each platform writes the ids of its rooms and users, checked in one place.

Light on purpose (only :mod:`re`): the CLI checks a room before it binds it, and the
Matrix settings check ``allow_rooms``, without importing a platform's client library.

Matrix rooms come in two forms. Up to room version 11 an id names the server that
created the room (``!abc:example.org``); from room version 12, the default of current
Synapse, it is the hash of the room's create event alone
(``!FZzPps5Mak8xjI8fwqgT2cX-wXdq74PPDBK2uknozVc``). Both are accepted everywhere.
"""

from __future__ import annotations

import re

__all__ = ["is_matrix_room", "is_matrix_user", "is_telegram_chat", "is_telegram_user"]

# the opaque part is anything but a colon or a space; the server part, when there is one,
# is a host name with an optional port (or an IPv6 literal), never empty
_MATRIX_ROOM = re.compile(r"![^:\s]+(?::[^\s]+)?")
_MATRIX_USER = re.compile(r"@[^:\s]+:[^\s]+")
_TELEGRAM_CHAT = re.compile(r"-?[0-9]+")
_TELEGRAM_USER = re.compile(r"[0-9]+")


def is_matrix_room(room: str) -> bool:
    """Whether ``room`` is a Matrix room id (not an ``#alias``), of any room version.

    Parameters:
      room: the id without the ``matrix:`` prefix: ``!abc:example.org`` or, from
        room version 12 on, ``!FZzPps5Mak8xjI8fwqgT2cX-wXdq74PPDBK2uknozVc``.
    """
    return _MATRIX_ROOM.fullmatch(room) is not None


def is_matrix_user(user: str) -> bool:
    """Whether ``user`` is a full Matrix user id, ``@name:example.org``."""
    return _MATRIX_USER.fullmatch(user) is not None


def is_telegram_chat(chat: str) -> bool:
    """Whether ``chat`` is a Telegram chat id: a number, negative for groups."""
    return _TELEGRAM_CHAT.fullmatch(chat) is not None


def is_telegram_user(user: str) -> bool:
    """Whether ``user`` is a Telegram user id: a positive number."""
    return _TELEGRAM_USER.fullmatch(user) is not None
