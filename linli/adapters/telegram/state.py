"""What the Telegram adapter keeps in the database, in the core ``cursors`` table
(name -> value): the polling offset, the choice values behind long callback data, and
which parts of a split message went out already.

The cursors table is used rather than tables of the adapter's own: these are small
name -> value records, and an adapter has no migrations of its own.
"""

from __future__ import annotations

import sqlalchemy as sa

from linli.adapters._state import AdapterState
from linli.core.storage import schema as s

__all__ = ["TelegramState"]


class TelegramState(AdapterState):
    """Parameters:
    url: the deployment's database (``[storage] url``); connected on first use.
    bot: a key unique per bot (its id), so two bots on one database keep apart.
    """

    def __init__(self, url: str, bot: str) -> None:
        super().__init__(url)
        self.bot = bot

    def _get(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            value: str | None = conn.execute(sa.select(s.cursors.c.value).where(s.cursors.c.name == name)).scalar()
        return value

    def _put(self, name: str, value: str) -> None:
        with self.engine.begin() as conn:
            if not s.insert_ignore(conn, s.cursors, {"name": name, "value": value, "updated_at": s.utcnow()}, "name"):
                conn.execute(
                    sa.update(s.cursors).where(s.cursors.c.name == name).values(value=value, updated_at=s.utcnow())
                )

    # --- the polling offset ------------------------------------------------------------

    def offset(self) -> int | None:
        """The next update id to ask for, or ``None`` before the first poll."""
        value = self._get(f"telegram:{self.bot}:offset")
        return int(value) if value is not None else None

    def save_offset(self, offset: int) -> None:
        """Remember that every update before ``offset`` is on the queue."""
        self._put(f"telegram:{self.bot}:offset", str(offset))

    # --- long callback data ------------------------------------------------------------

    def store_choices(self, values: dict[str, str]) -> None:
        """Keep the choice value behind each callback key (keys are hashes: same key, same value)."""
        with self.engine.begin() as conn:
            for key, value in values.items():
                s.insert_ignore(
                    conn,
                    s.cursors,
                    {"name": f"telegram-choice:{key}", "value": value, "updated_at": s.utcnow()},
                    "name",
                )

    def choice(self, key: str) -> str | None:
        """The choice value stored under ``key``; ``None`` when it is unknown."""
        return self._get(f"telegram-choice:{key}")

    # --- parts of split messages -------------------------------------------------------

    def sent_part(self, key: str, n: int) -> str | None:
        """The Telegram message id part ``n`` of the message ``key`` went out as, if it did."""
        return self._get(f"telegram-part:{key}:{n}")

    def mark_part(self, key: str, n: int, message_id: str) -> None:
        self._put(f"telegram-part:{key}:{n}", message_id)

    def forget_parts(self, key: str, count: int) -> None:
        """The whole message went out: its part marks are no longer needed."""
        names = [f"telegram-part:{key}:{n}" for n in range(count)]
        with self.engine.begin() as conn:
            conn.execute(sa.delete(s.cursors).where(s.cursors.c.name.in_(names)))
