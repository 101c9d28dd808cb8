"""What the Matrix adapter keeps in the database, in the core ``cursors`` table (name -> value):
the sync token, a password login's token and device, direct-message rooms, the choices
offered in each room, and which parts of a split message went out already.

The gateway and the workers share these records: a worker that sends choices records
them, the gateway that reads the answer looks them up.
"""

from __future__ import annotations

import hashlib
import json
import time

import sqlalchemy as sa

from linli.adapters._state import AdapterState
from linli.core.storage import schema as s

__all__ = ["NUMBER_ANSWERS_FOR", "MatrixState"]

#: seconds a bare number in a room answers the choices offered there last
NUMBER_ANSWERS_FOR = 15 * 60


class MatrixState(AdapterState):
    """Parameters:
    url: the deployment's database (``[storage] url``); connected on first use.
    user: the bot's user id, so two bots on one database keep apart.
    """

    def __init__(self, url: str, user: str) -> None:
        super().__init__(url)
        self.user = user

    def _name(self, what: str) -> str:
        return f"matrix:{self.user}:{what}"

    def get(self, what: str) -> str | None:
        with self.engine.connect() as conn:
            value: str | None = conn.execute(
                sa.select(s.cursors.c.value).where(s.cursors.c.name == self._name(what))
            ).scalar()
        return value

    def put(self, what: str, value: str) -> None:
        name = self._name(what)
        with self.engine.begin() as conn:
            if not s.insert_ignore(conn, s.cursors, {"name": name, "value": value, "updated_at": s.utcnow()}, "name"):
                conn.execute(
                    sa.update(s.cursors).where(s.cursors.c.name == name).values(value=value, updated_at=s.utcnow())
                )

    def delete(self, *whats: str) -> None:
        names = [self._name(w) for w in whats]
        with self.engine.begin() as conn:
            conn.execute(sa.delete(s.cursors).where(s.cursors.c.name.in_(names)))

    # --- the sync token ------------------------------------------------------------------

    def since(self) -> str | None:
        """The ``next_batch`` of the last sync whose events are all on the queue; ``None``
        before the first sync."""
        return self.get("since")

    def save_since(self, token: str) -> None:
        self.put("since", token)

    # --- a password login ------------------------------------------------------------------

    def login(self) -> tuple[str, str] | None:
        """The access token and device id of an earlier password login, if any."""
        value = self.get("login")
        if value is None:
            return None
        data = json.loads(value)
        return str(data["access_token"]), str(data["device_id"])

    def save_login(self, access_token: str, device_id: str) -> None:
        self.put("login", json.dumps({"access_token": access_token, "device_id": device_id}))

    def forget_login(self) -> None:
        self.delete("login")

    # --- direct-message rooms ----------------------------------------------------------------

    def direct_room(self, user: str) -> str | None:
        """The direct-message room with ``user``, if there is one."""
        return self.get(f"dm-user:{user}")

    def direct_user(self, room: str) -> str | None:
        """The person a direct-message room is with; ``None``: not a direct room."""
        return self.get(f"dm-room:{room}")

    def save_direct(self, user: str, room: str) -> None:
        self.put(f"dm-user:{user}", room)
        self.put(f"dm-room:{room}", user)

    def forget_direct(self, user: str, room: str) -> None:
        self.delete(f"dm-user:{user}", f"dm-room:{room}")

    def direct_gone(self, user: str, room: str) -> None:
        """``user`` left their direct room ``room``: messages still addressed to it go to a new one."""
        self.forget_direct(user, room)
        self.put(f"dm-gone:{room}", user)

    def gone_direct_user(self, room: str) -> str | None:
        """The person whose direct room ``room`` was, when they left it."""
        return self.get(f"dm-gone:{room}")

    # --- choices offered ---------------------------------------------------------------------

    def save_choices(self, room: str, values: list[str], event_id: str | None = None) -> None:
        """Remember the choices just offered in ``room`` (a number answers the latest ones), and
        under the message's ``event_id`` (a reaction to that message answers them)."""
        data = json.dumps(values, ensure_ascii=False)
        self.put(f"choices-room:{room}", json.dumps({"at": time.time(), "values": values}, ensure_ascii=False))
        if event_id:
            self.put(f"choices-event:{event_id}", data)

    def room_choices(self, room: str, *, within: float = NUMBER_ANSWERS_FOR) -> list[str]:
        """The choices offered last in ``room``, if that was less than ``within`` seconds ago: a
        bare number written much later is more likely an answer to somebody else."""
        value = self.get(f"choices-room:{room}")
        if not value:
            return []
        data = json.loads(value)
        return list(data["values"]) if time.time() - float(data["at"]) < within else []

    def event_choices(self, event_id: str) -> list[str]:
        value = self.get(f"choices-event:{event_id}")
        return list(json.loads(value)) if value else []

    # --- parts of split messages ---------------------------------------------------------------

    def sent_part(self, key: str, n: int) -> str | None:
        """The event id part ``n`` of the message ``key`` went out as, if it did."""
        return self.get(f"part:{_short(key)}:{n}")

    def mark_part(self, key: str, n: int, event_id: str) -> None:
        self.put(f"part:{_short(key)}:{n}", event_id)

    def forget_parts(self, key: str, count: int) -> None:
        self.delete(*(f"part:{_short(key)}:{n}" for n in range(count)))


def _short(key: str) -> str:
    """An outbox key in 32 characters (the cursors' names are at most 200)."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]
