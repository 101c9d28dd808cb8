"""Room power levels as roles a district may trust: ``moderator`` (power level 50 or more,
by default what Matrix clients call a moderator) and ``room_admin`` (100 or more, or a
creator of the room).

Since room version 12 the creators (the sender of ``m.room.create`` and its
``additional_creators``) are not in the power-level map at all: they outrank everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from linli.adapters.matrix.api import MatrixApi, MatrixError

__all__ = ["MODERATOR", "ROOM_ADMIN", "PowerLevels", "roles_for"]

MODERATOR = "moderator"
ROOM_ADMIN = "room_admin"
#: room versions whose creators have infinite power and are left out of the map
_CREATOR_VERSIONS_PREFIX = ("12", "org.matrix.hydra")


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return default


def creators(create: Mapping[str, Any]) -> set[str]:
    """The creators of a room with infinite power (room version 12 and later), from its
    ``m.room.create`` event; empty for older rooms."""
    content = create.get("content") if isinstance(create.get("content"), Mapping) else {}
    assert isinstance(content, Mapping)
    version = str(content.get("room_version", "1"))
    if not version.startswith(_CREATOR_VERSIONS_PREFIX) and not (version.isdigit() and int(version) >= 12):
        return set()
    found = {create["sender"]} if isinstance(create.get("sender"), str) else set()
    extra = content.get("additional_creators")
    if isinstance(extra, list):
        found |= {u for u in extra if isinstance(u, str)}
    return found


def level_of(user: str, power_levels: Mapping[str, Any]) -> int:
    """A user's power level from an ``m.room.power_levels`` content."""
    users = power_levels.get("users")
    if isinstance(users, Mapping) and user in users:
        return _int(users[user], 0)
    return _int(power_levels.get("users_default"), 0)


def roles_for(
    user: str, power_levels: Mapping[str, Any], create: Mapping[str, Any], *, moderator: int = 50, admin: int = 100
) -> tuple[str, ...]:
    """The roles a user's power in a room gives: ``("moderator", "room_admin")``, ``("moderator",)`` or ``()``.

    Parameters:
      user: the user id.
      power_levels: the room's ``m.room.power_levels`` content (``{}`` when it has none).
      create: the room's ``m.room.create`` event (with its sender).
      moderator: the level from which a user is a moderator.
      admin: the level from which a user is a room admin.
    """
    if user in creators(create):
        return (MODERATOR, ROOM_ADMIN)
    level = level_of(user, power_levels)
    if level >= admin:
        return (MODERATOR, ROOM_ADMIN)
    if level >= moderator:
        return (MODERATOR,)
    return ()


class PowerLevels:
    """The power levels of the rooms the bot is in, read when needed and kept until a
    sync shows them changed.

    Parameters:
      api: the client.
    """

    def __init__(self, api: MatrixApi) -> None:
        self.api = api
        self._rooms: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}

    def forget(self, room: str) -> None:
        self._rooms.pop(room, None)

    async def roles(self, room: str, user: str) -> tuple[str, ...]:
        """The roles ``user`` has through their power in ``room``; ``()`` when it cannot be read."""
        if room not in self._rooms:
            try:
                levels = await self.api.state(room, "m.room.power_levels")
            except MatrixError as exc:
                if exc.status != 404:
                    return ()
                levels = {}
            try:
                create = await self.api.state(room, "m.room.create", event=True)
            except MatrixError:
                return ()
            self._rooms[room] = (levels, create)
        levels, create = self._rooms[room]
        return roles_for(user, levels, create)
