"""Flood limits shared through Redis: every adapter (every worker process) counts
against the same per-group, per-chat and per-bot windows, and a 429 pauses the chat
for all of them."""

from __future__ import annotations

import pytest
import redis
from dramatiq.rate_limits.backends import RedisBackend

from linli.adapters.telegram.limits import FloodLimits
from linli.core.errors import DeliveryError

pytestmark = pytest.mark.redis


@pytest.fixture
def backend(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield RedisBackend(client=client)
    client.close()


def sent(limits: list[FloodLimits], chat: str, count: int) -> int:
    ok = 0
    for n in range(count):
        try:
            limits[n % len(limits)].acquire(chat)
        except DeliveryError:
            continue
        ok += 1
    return ok


def test_a_group_gets_20_messages_a_minute_whichever_process_sends_them(backend):
    workers = [FloodLimits(backend, "1", per_chat=100, chat_window=1) for _ in range(3)]
    assert sent(workers, "-100123", 30) == 20
    with pytest.raises(DeliveryError) as caught:
        workers[0].acquire("-100123")
    assert caught.value.retry_after and caught.value.retry_after >= 3


def test_a_chat_gets_a_short_burst_then_waits(backend):
    workers = [FloodLimits(backend, "1") for _ in range(2)]
    assert sent(workers, "5", 10) == 3


def test_the_bot_sends_at_most_30_messages_a_second_across_chats(backend):
    workers = [FloodLimits(backend, "1") for _ in range(3)]
    ok = sum(sent(workers, str(chat), 1) for chat in range(1, 80))
    assert 30 <= ok <= 60  # one or two one-second windows, never more


def test_a_429_pauses_the_chat_for_every_process(backend):
    one, other = FloodLimits(backend, "1"), FloodLimits(backend, "1")
    one.pause("5", 2.0)
    with pytest.raises(DeliveryError, match="paused"):
        other.acquire("5")
    other.acquire("6")
