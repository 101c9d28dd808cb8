"""Flood limits shared through Redis: every adapter (every worker process) counts
against the same per-group, per-chat and per-bot windows, and a 429 pauses the chat
for all of them."""

from __future__ import annotations

import time

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
    workers = [FloodLimits(backend, "1", per_chat=100, chat_window=1, chat_wait=0) for _ in range(3)]
    assert sent(workers, "-100123", 30) == 20
    with pytest.raises(DeliveryError) as caught:
        workers[0].acquire("-100123")
    assert caught.value.retry_after and caught.value.retry_after >= 3


def test_a_chat_gets_a_short_burst_then_waits(backend):
    workers = [FloodLimits(backend, "1", chat_wait=0) for _ in range(2)]
    assert sent(workers, "5", 10) == 3


def test_a_thread_waits_a_moment_for_its_chats_next_slot(backend):
    limits = FloodLimits(backend, "1", chat_window=1, chat_wait=1.5)
    start = time.monotonic()
    for _ in range(4):
        limits.acquire("5")  # the fourth waits for the next second's slot instead of failing
    assert time.monotonic() - start < 2.0


def test_the_bot_sends_at_most_30_messages_in_any_second_across_chats(backend):
    workers = [FloodLimits(backend, "1", bot_wait=0) for _ in range(3)]
    granted: list[float] = []
    start = time.monotonic()
    chat = 0
    while time.monotonic() - start < 1.5:
        chat += 1
        try:
            workers[chat % 3].acquire(str(chat))
        except DeliveryError:
            continue
        granted.append(time.monotonic())
    elapsed = time.monotonic() - start
    # one message per 34 ms bucket (30 a second), whichever process asks: counted over the
    # whole run, not per second of the client's clock, which a loaded machine bunches up
    buckets = elapsed * 1000 / 34
    assert 0.6 * buckets <= len(granted) <= buckets + 2


def test_a_thread_waits_briefly_for_the_bot_wide_limit_rather_than_failing(backend):
    limits = FloodLimits(backend, "1")
    for chat in range(10):
        limits.acquire(str(chat))  # ten in a row take about a third of a second, none refused


def test_a_429_pauses_the_chat_for_every_process(backend):
    one, other = FloodLimits(backend, "1"), FloodLimits(backend, "1")
    one.pause("5", 2.0)
    with pytest.raises(DeliveryError, match="paused"):
        other.acquire("5")
    other.acquire("6")


def test_429s_in_two_chats_within_a_second_pause_the_whole_bot(backend):
    bot = f"bot-{time.monotonic_ns()}"
    one, other = FloodLimits(backend, bot), FloodLimits(backend, bot)
    one.pause("5", 2.0)
    other.acquire("6")  # one 429 pauses only its chat
    other.pause("7", 2.0)
    with pytest.raises(DeliveryError, match="bot paused"):
        one.acquire("8")
    FloodLimits(backend, f"{bot}-another").acquire("8")  # another bot is not held
