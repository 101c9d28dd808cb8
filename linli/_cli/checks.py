"""Checks of the commands' arguments: rooms and identities, named the way each platform names them.

A malformed argument raises :class:`BadInput`, one line and exit code 2.
"""

from __future__ import annotations

import re

from linli._cli.shared import t as _t
from linli.core.errors import LinliError

__all__ = ["BadInput", "checked_identity", "checked_room"]


class BadInput(LinliError):
    """A malformed argument (a room, an identity, a scope): one line, exit code 2 like click's usage errors."""

    exit_code = 2


def _split(key: str) -> tuple[str, str] | None:
    """``platform:rest`` split, or ``None`` when the platform is not one linli serves."""
    from linli.workers.runtime import PLATFORMS

    platform, sep, rest = key.partition(":")
    return (platform, rest) if sep and rest and platform in PLATFORMS else None


def _platforms() -> str:
    from linli.workers.runtime import PLATFORMS

    return ", ".join(PLATFORMS)


def checked_room(room: str) -> str:
    """``ROOM`` as ``platform:room``, checked the way each platform names its rooms.

    Raises: BadInput: it is not a room key linli can serve."""
    from linli.core.events import Address

    try:
        key = Address.parse(room).room_key
    except ValueError:
        key = ""
    parts = _split(key)
    if parts is None:
        raise BadInput(
            _t(
                "{room!r} is not a room: write platform:room (console:demo, telegram:-100123) with a "
                "platform among {platforms}",
                room=room,
                platforms=_platforms(),
            )
        )
    platform, rest = parts
    if platform == "telegram" and not re.fullmatch(r"-?\d+", rest):
        raise BadInput(
            _t(
                "{room!r}: a Telegram chat id is a number, such as telegram:-1001234567890 "
                "(add the bot to the group and read the id from its first message)",
                room=room,
            )
        )
    if platform == "matrix" and not re.fullmatch(r"![^:\s]+:\S+", rest):
        raise BadInput(
            _t(
                "{room!r}: use the Matrix room id, such as matrix:!abc:example.org "
                "(an alias #name:server is not a room id)",
                room=room,
            )
        )
    return key


def checked_identity(identity: str) -> str:
    """An identity ``platform:user``, checked the way each platform names its users.

    Raises: BadInput: it is not an identity linli can know."""
    parts = _split(identity)
    if parts is None:
        raise BadInput(
            _t(
                "{identity!r} is not a person: write #id or platform:user (console:张三, telegram:12345) "
                "with a platform among {platforms}",
                identity=identity,
                platforms=_platforms(),
            )
        )
    platform, rest = parts
    if platform == "telegram" and not re.fullmatch(r"\d+", rest):
        raise BadInput(
            _t("{identity!r}: a Telegram user is named by their numeric id, such as telegram:12345", identity=identity)
        )
    if platform == "matrix" and not re.fullmatch(r"@[^:\s]+:\S+", rest):
        raise BadInput(_t("{identity!r}: a Matrix user is written matrix:@name:example.org", identity=identity))
    return identity
