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
