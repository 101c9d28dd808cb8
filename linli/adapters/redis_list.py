"""A real but simple platform for integration tests and benchmarks: each delivered
message is pushed as JSON onto a Redis list, where another process ``BLPOP`` s it.

The JSON is :class:`~linli.core.events.Outbound`'s plain form plus ``delivered_at``
(Unix seconds), so a reader can tell delivery time apart from its own receive time.
"""

from __future__ import annotations

import json
import time
from typing import Any

from linli.core.adapter import ChatAdapter
from linli.core.errors import DeliveryError
from linli.core.events import Outbound, to_json

__all__ = ["RedisListAdapter"]


class RedisListAdapter(ChatAdapter):
    """Parameters:
    platform: the platform name this adapter serves (``test``).
    url: the Redis server, ``redis://host:port/db``.
    key: the list messages are appended to (``RPUSH``, so ``BLPOP`` reads them in order).
    """

    max_text_length = 100_000

    def __init__(self, *, platform: str, url: str, key: str) -> None:
        import redis

        self.platform = platform
        self.key = key
        # redis-py connects on first use, so building the adapter does no I/O
        self._client: Any = redis.Redis.from_url(url)

    def send(self, message: Outbound) -> str | None:
        """Append ``message`` to the list; returns its length after the push.

        Raises:
          DeliveryError: Redis cannot be reached (the outbox retries later).
        """
        import redis

        body = json.dumps({**to_json(message), "delivered_at": time.time()}, ensure_ascii=False)
        try:
            return str(self._client.rpush(self.key, body))
        except redis.RedisError as exc:
            raise DeliveryError(f"redis list {self.key}: {exc}") from None

    def close(self) -> None:
        self._client.close()
