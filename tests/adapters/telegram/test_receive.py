"""Receiving updates, against a stub bot: what the receive loop logs about an update it skips."""

from __future__ import annotations

import asyncio
from typing import Any

from structlog.testing import capture_logs

from linli.adapters.telegram.receive import Receiver


class StubState:
    def __init__(self) -> None:
        self.saved: list[int] = []

    def offset(self) -> int | None:
        return None

    def save_offset(self, offset: int) -> None:
        self.saved.append(offset)

    def choice(self, data: str) -> str | None:
        return None


class StubBot:
    """Serves one batch of updates, then stops the receiver."""

    id = 42
    username = "linli_bot"

    def __init__(self, batch: list[dict[str, Any]]) -> None:
        self.batch = batch
        self.receiver: Receiver | None = None

    async def initialize(self) -> None:
        return None

    async def delete_webhook(self, **_: Any) -> bool:
        return True

    async def get_update_dicts(self, **_: Any) -> list[dict[str, Any]]:
        if self.batch:
            batch, self.batch = self.batch, []
            return batch
        assert self.receiver is not None
        self.receiver.stop_soon()
        return []


def test_an_update_without_an_update_id_is_skipped_without_logging_what_it_says():
    words, name = "楼上漏水三天了，找王秀英", "王秀英"
    bot = StubBot([{"message": {"text": words, "from": {"id": 7, "first_name": name}, "chat": {"id": 7}}}])
    receiver = Receiver(bot, StubState(), lambda inbound: None)  # type: ignore[arg-type]
    bot.receiver = receiver
    with capture_logs() as logs:
        asyncio.run(receiver.poll())
    [skipped] = [e for e in logs if e["event"] == "update without an update_id skipped"]
    assert skipped["keys"] == ["message"]
    assert words not in repr(logs) and name not in repr(logs)
