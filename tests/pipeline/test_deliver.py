"""The deliver step: a room's pending messages, oldest first, one deliverer per room."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from linli.core import outbox
from linli.core.errors import DeliveryError, PermanentDeliveryError
from linli.core.events import Address, Outbound
from linli.core.storage import schema as s

GROUP = Address("test", "group")


def pending(steps, *texts: str) -> None:
    with steps.store.begin() as conn:
        for text in texts:
            outbox.add_message(conn, Outbound(GROUP, text, key=f"k-{text}"), "test")


def statuses(steps) -> list[tuple[str, str]]:
    with steps.store.connect() as conn:
        rows = conn.execute(sa.select(s.outbox.c.payload, s.outbox.c.status).order_by(s.outbox.c.id))
        return [(r.payload["text"], r.status) for r in rows]


def test_a_rooms_pending_messages_go_out_oldest_first_and_are_marked_sent(steps):
    pending(steps, "1", "2", "3")

    steps.deliver.room("test:group")

    assert steps.sent() == ["1", "2", "3"]
    assert statuses(steps) == [("1", "sent"), ("2", "sent"), ("3", "sent")]


def test_a_busy_room_is_left_to_its_holder_who_looks_again_after_letting_go(steps):
    pending(steps, "first")
    with steps.locks.hold("test:group") as holder:
        assert holder.held
        steps.deliver.room("test:group")  # refused: leaves its mark on the room
        assert steps.sent() == []
    assert holder.missed  # so the holder knows to read the room again

    steps.deliver.room("test:group")
    assert steps.sent() == ["first"]


def test_a_platform_asking_to_wait_leaves_the_rest_pending_in_order(steps):
    pending(steps, "1", "2")
    steps.adapter.fail_with = DeliveryError("429", retry_after=3)

    with pytest.raises(DeliveryError) as raised:
        steps.deliver.room("test:group")

    assert raised.value.retry_after == 3
    assert statuses(steps) == [("1", "pending"), ("2", "pending")]


def test_a_message_refused_for_good_is_marked_failed_and_the_room_goes_on(steps):
    pending(steps, "lost")
    steps.adapter.fail_with = PermanentDeliveryError("the bot was removed")
    steps.deliver.room("test:group")
    steps.adapter.fail_with = None
    pending(steps, "after")

    steps.deliver.room("test:group")

    assert statuses(steps) == [("lost", "failed"), ("after", "sent")]


def test_a_message_failing_for_now_is_given_up_after_max_retries(steps):
    pending(steps, "flaky")
    steps.adapter.fail_with = DeliveryError("HTTP 502")

    for _ in range(2):
        with pytest.raises(DeliveryError):
            steps.deliver.room("test:group")
    steps.deliver.room("test:group")  # the third failure of three is final

    assert statuses(steps) == [("flaky", "failed")]


def test_a_known_message_is_sent_as_it_is_without_decoding_its_row(steps):
    pending(steps, "stored")
    mine = Outbound(GROUP, "as committed", key="k-stored")

    steps.deliver.room("test:group", {"k-stored": mine})

    assert steps.adapter.sent == [mine]


def test_a_message_committed_while_the_room_is_busy_is_sent_by_the_holder_after_letting_go(steps):
    pending(steps, "first")
    real_send = steps.adapter.send

    def send(message):
        if message.text == "first":
            # meanwhile another handler commits a reply, and its deliverer finds the room taken
            pending(steps, "late")
            steps.deliver.room("test:group")
            assert [m.text for m in steps.adapter.sent] == []
        return real_send(message)

    steps.adapter.send = send

    steps.deliver.room("test:group")

    assert steps.sent() == ["first", "late"]
    assert statuses(steps) == [("first", "sent"), ("late", "sent")]


@pytest.fixture(params=["in this process", "in Redis"])
def any_locks(request, steps):
    """The steps' deliverer with room locks of either kind."""
    from linli.pipeline.deliver import Deliver
    from linli.pipeline.locks import RedisRoomLocks

    if request.param == "in Redis":
        import redis

        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        steps.locks = RedisRoomLocks(client)
        steps.deliver = Deliver(steps.store, steps.adapters, steps.locks, steps.clock, max_retries=3)
        yield steps
        steps.locks.close()
    else:
        yield steps


def test_a_message_whose_sent_mark_failed_is_marked_by_the_next_delivery_and_not_sent_again(any_locks, monkeypatch):
    steps = any_locks
    pending(steps, "once", "after")
    real_mark = outbox.mark_sent
    failures = []

    def mark_sent(conn, row_id, now):
        if not failures:  # the database goes away right after the platform took the first message
            failures.append(row_id)
            raise sa.exc.OperationalError("UPDATE outbox", {}, Exception("server closed the connection"))
        real_mark(conn, row_id, now)

    monkeypatch.setattr(outbox, "mark_sent", mark_sent)

    with pytest.raises(sa.exc.OperationalError):
        steps.deliver.room("test:group")
    assert steps.sent() == ["once"]
    assert statuses(steps) == [("once", "pending"), ("after", "pending")]

    steps.deliver.room("test:group")  # the retry, the database back

    assert steps.sent() == ["once", "after"]
    assert statuses(steps) == [("once", "sent"), ("after", "sent")]
    steps.deliver.room("test:group")
    with steps.locks.hold("test:group") as hold:
        assert hold.sent == {}  # the record went once its row was marked


def test_the_record_of_a_send_is_kept_while_the_room_could_not_be_read_to_its_end(any_locks, monkeypatch):
    steps = any_locks
    steps.locks.record_sent("test:group", "k-once", "42")
    pending(steps, "once")
    monkeypatch.setattr(
        outbox, "pending_for_room", lambda *a, **kw: (_ for _ in ()).throw(sa.exc.OperationalError("", {}, None))
    )

    with pytest.raises(sa.exc.OperationalError):
        steps.deliver.room("test:group")

    with steps.locks.hold("test:group") as hold:
        assert hold.sent == {"k-once": "42"}


def test_a_room_whose_holder_died_is_delivered_by_a_worker_once_its_lock_runs_out(steps, redis_url):
    """Without linli scheduler, and without another event in the room."""
    import threading

    import redis

    from linli.pipeline.deliver import Deliver
    from linli.pipeline.locks import RedisRoomLocks
    from linli.workers.rooms import DueRooms

    client = redis.Redis.from_url(redis_url)
    locks = RedisRoomLocks(client, ttl_ms=200)
    deliver = Deliver(steps.store, steps.adapters, locks, steps.clock, max_retries=3)
    dead = locks.hold("test:group")
    assert dead.__enter__().held  # a worker took the room and was killed: it never lets go
    pending(steps, "waiting")
    deliver.room("test:group")  # refused: the room is the dead holder's
    assert steps.sent() == []

    delivered = threading.Event()

    class Transport:
        def send(self, work):
            for room in work.rooms:
                deliver.room(room)
            delivered.set()

    sweeper = DueRooms(locks, Transport(), interval=0.05)
    sweeper.after_worker_boot(None, None)
    try:
        assert delivered.wait(10)
    finally:
        sweeper.before_worker_shutdown(None, None)

    assert steps.sent() == ["waiting"]
    assert statuses(steps) == [("waiting", "sent")]
    assert locks.due() == []
    locks.close()


def test_a_room_whose_holder_let_go_is_not_handed_out_again(redis_url):
    import time

    import redis

    from linli.pipeline.locks import RedisRoomLocks

    client = redis.Redis.from_url(redis_url)
    locks = RedisRoomLocks(client, ttl_ms=50)
    with locks.hold("test:group") as holder, locks.hold("test:group") as refused:
        assert holder.held and not refused.held
    assert holder.missed  # the holder reads the room again itself

    time.sleep(0.1)  # past the lock's TTL
    assert locks.due() == []
    locks.close()
