"""The per-room delivery lock: one holder at a time, in this process or in Redis."""

from __future__ import annotations

import time

import pytest

from linli.pipeline.locks import LocalRoomLocks, RedisRoomLocks, build_room_locks


def test_a_room_held_in_this_process_is_refused_to_a_second_holder_until_it_is_let_go():
    locks = LocalRoomLocks()
    with locks.hold("test:a") as first:
        with locks.hold("test:a") as second, locks.hold("test:b") as other_room:
            assert (first.held, second.held, other_room.held) == (True, False, True)
        with locks.hold("test:a") as still:
            assert not still.held  # a refused hold does not free the room
    with locks.hold("test:a") as again:
        assert again.held


@pytest.mark.parametrize("refused", [False, True])
def test_the_holder_learns_on_letting_go_whether_someone_was_refused_the_room_meanwhile(refused, redis_locks):
    for locks in (LocalRoomLocks(), RedisRoomLocks(redis_locks)):
        with locks.hold("test:a") as hold:
            if refused:
                with locks.hold("test:a") as other:
                    assert not other.held
        assert hold.missed is refused
        with locks.hold("test:a") as next_hold:
            pass
        assert next_hold.missed is False  # the mark went with the hold that learnt of it


@pytest.fixture
def redis_locks(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def test_a_room_held_in_redis_is_refused_to_another_process_until_it_is_let_go(redis_locks):
    one, two = RedisRoomLocks(redis_locks), RedisRoomLocks(redis_locks)
    with one.hold("test:a") as first, two.hold("test:a") as second:
        assert (first.held, second.held) == (True, False)
    with two.hold("test:a") as again:
        assert again.held


def test_a_holder_whose_ttl_ran_out_does_not_free_the_room_of_the_next_holder(redis_locks):
    slow, quick = RedisRoomLocks(redis_locks, ttl_ms=50), RedisRoomLocks(redis_locks)
    slow_hold = slow.hold("test:a")
    assert slow_hold.__enter__().held
    time.sleep(0.1)  # the slow holder's TTL runs out while it still works
    quick_hold = quick.hold("test:a")
    assert quick_hold.__enter__().held

    slow_hold.__exit__(None, None, None)

    assert redis_locks.exists("linli-room-lock:test:a") == 1  # still the quick holder's
    quick_hold.__exit__(None, None, None)
    assert redis_locks.exists("linli-room-lock:test:a") == 0


def test_the_locks_live_in_redis_when_there_is_a_redis_url_and_in_this_process_otherwise(redis_url):
    assert isinstance(build_room_locks(""), LocalRoomLocks)
    assert isinstance(build_room_locks(redis_url), RedisRoomLocks)


def test_redis_locks_work_again_after_redis_forgot_their_scripts(redis_locks):
    locks = RedisRoomLocks(redis_locks)
    with locks.hold("test:a") as before:
        assert before.held
    redis_locks.script_flush()
    with locks.hold("test:a") as first, locks.hold("test:a") as second:
        assert (first.held, second.held) == (True, False)
    assert first.missed


def test_each_thread_takes_redis_locks_on_a_connection_of_its_own(redis_locks):
    import threading

    locks = RedisRoomLocks(redis_locks)
    clients = []

    def take() -> None:
        with locks.hold("test:b"):
            pass
        with locks.hold("test:b"):
            clients.append(locks._thread.client)

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(clients) == 2 and clients[0] is not clients[1]
    assert clients[0].connection is not clients[1].connection


def test_closing_redis_locks_closes_the_connection_each_thread_kept(redis_locks):
    import threading

    locks = RedisRoomLocks(redis_locks)
    clients = []

    def take() -> None:
        with locks.hold("test:c"):
            clients.append(locks._thread.client)

    thread = threading.Thread(target=take)
    thread.start()
    thread.join()
    kept = clients[0].connection
    assert kept._sock is not None

    locks.close()

    assert kept._sock is None
