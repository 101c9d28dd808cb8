"""The outbox: messages and domain events written in the handler's transaction, sent in the
order they were written, each key once; failures retried or given up; sent rows pruned.

Every test runs on SQLite and on a real PostgreSQL (skipped locally without one,
failing on CI).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from linli.core import outbox
from linli.core.events import Address, Choice, DomainEvent, Outbound, from_json
from linli.core.storage import schema as s

GROUP = Address("test", "group")
OTHER = Address("test", "other")
HOUR = dt.timedelta(hours=1)


def message(text: str, key: str, address: Address = GROUP) -> Outbound:
    return Outbound(address, text, key=key)


def status_of(conn: sa.Connection, key: str) -> tuple[str, int, str | None, dt.datetime | None]:
    row = conn.execute(
        sa.select(s.outbox.c.status, s.outbox.c.attempts, s.outbox.c.error, s.outbox.c.sent_at).where(
            s.outbox.c.key == key
        )
    ).one()
    return row.status, row.attempts, row.error, row.sent_at


# --- writing --------------------------------------------------------------------------------------


def test_a_message_is_written_once_per_key_and_the_first_text_stays(core_store):
    with core_store.begin() as conn:
        first = outbox.add_message(conn, message("第一次", "e1:m0"), "heping")
        again = outbox.add_message(conn, message("第二次", "e1:m0"), "heping")
        rows = outbox.pending_for_room(conn, GROUP.room_key)

    assert (first, again) == (True, False)
    assert [r.message.text for r in rows] == ["第一次"]


def test_a_message_row_records_its_district_platform_and_room(core_store):
    with core_store.begin() as conn:
        outbox.add_message(conn, message("你好", "e1:m0"), "heping")
        row = conn.execute(
            sa.select(s.outbox.c.kind, s.outbox.c.district_id, s.outbox.c.platform, s.outbox.c.room)
        ).one()

    assert tuple(row) == ("message", "heping", "test", "test:group")


def test_a_message_written_in_a_transaction_that_fails_is_never_sent(core_store):
    try:
        with core_store.begin() as conn:
            outbox.add_message(conn, message("不该发", "e1:m0"), None)
            raise RuntimeError("the handler failed after writing")
    except RuntimeError:
        pass
    with core_store.connect() as conn:
        assert outbox.has_pending(conn, GROUP.room_key) is False


# --- a room's pending messages --------------------------------------------------------------------


def test_a_room_gets_its_messages_in_the_order_they_were_written(core_store):
    with core_store.begin() as conn:
        for n in (3, 1, 2):  # keys in another order than the writes: the order is the writes'
            outbox.add_message(conn, message(f"第{n}条", f"e{n}:m0"), None)
        outbox.add_message(conn, message("别处", "e9:m0", OTHER), None)
        texts = [r.message.text for r in outbox.pending_for_room(conn, GROUP.room_key)]

    assert texts == ["第3条", "第1条", "第2条"]


def test_a_rooms_pending_messages_come_oldest_first_and_known_ones_are_taken_as_they_are(core_store):
    first = Outbound(GROUP, "第一条", (Choice("好", "core:ok"),), key="e1:m0")
    second = Outbound(GROUP, "第二条", key="e2:m0")
    elsewhere = Outbound(OTHER, "别处", key="e3:m0")
    with core_store.begin() as conn:
        for out in (first, second, elsewhere):
            outbox.add_message(conn, out, None)
    with core_store.autocommit() as conn:
        decoded = outbox.pending_for_room(conn, GROUP.room_key)
        known = outbox.pending_for_room(conn, GROUP.room_key, known={second.key: second})
        outbox.mark_sent(conn, decoded[0].id, s.utcnow())
        left = outbox.pending_for_room(conn, GROUP.room_key)

    assert [r.message for r in decoded] == [first, second]
    assert known[0].message == first and known[1].message is second
    assert [r.message for r in left] == [second]


def test_at_most_the_limit_of_a_rooms_messages_come_at_once_the_oldest(core_store):
    with core_store.begin() as conn:
        for n in range(5):
            outbox.add_message(conn, message(str(n), f"e{n}:m0"), None)
        rows = outbox.pending_for_room(conn, GROUP.room_key, limit=2)

    assert [r.message.text for r in rows] == ["0", "1"]


def test_a_sent_message_is_no_longer_pending_and_the_room_has_nothing_left(core_store):
    now = s.utcnow()
    with core_store.begin() as conn:
        outbox.add_message(conn, message("你好", "e1:m0"), None)
        outbox.add_message(conn, message("别处", "e2:m0", OTHER), None)
        [row] = outbox.pending_for_room(conn, GROUP.room_key)
        assert outbox.has_pending(conn, GROUP.room_key)
        outbox.mark_sent(conn, row.id, now)

        assert outbox.has_pending(conn, GROUP.room_key) is False
        assert outbox.has_pending(conn, OTHER.room_key) is True
        assert status_of(conn, "e1:m0") == ("sent", 1, None, now)


def test_a_failure_to_retry_keeps_the_message_pending_with_its_error_and_attempt(core_store):
    with core_store.begin() as conn:
        outbox.add_message(conn, message("你好", "e1:m0"), None)
        [row] = outbox.pending_for_room(conn, GROUP.room_key)
        outbox.mark_failed(conn, row.id, "timed out", final=False)
        [again] = outbox.pending_for_room(conn, GROUP.room_key)

        assert (again.id, again.attempts) == (row.id, 1)
        assert status_of(conn, "e1:m0")[:3] == ("pending", 1, "timed out")


def test_a_final_failure_gives_the_message_up_and_the_next_one_comes(core_store):
    with core_store.begin() as conn:
        outbox.add_message(conn, message("被拉黑", "e1:m0"), None)
        outbox.add_message(conn, message("下一条", "e2:m0"), None)
        first = outbox.pending_for_room(conn, GROUP.room_key)[0]
        outbox.mark_failed(conn, first.id, "x" * 5000, final=True)
        left = outbox.pending_for_room(conn, GROUP.room_key)
        status, attempts, error, _ = status_of(conn, "e1:m0")

    assert [r.message.text for r in left] == ["下一条"]
    assert (status, attempts) == ("failed", 1)
    assert error == "x" * 2000


def test_a_message_sent_after_a_failed_attempt_has_its_error_cleared(core_store):
    with core_store.begin() as conn:
        outbox.add_message(conn, message("你好", "e1:m0"), None)
        [row] = outbox.pending_for_room(conn, GROUP.room_key)
        outbox.mark_failed(conn, row.id, "timed out", final=False)
        outbox.mark_sent(conn, row.id, s.utcnow())

        assert status_of(conn, "e1:m0")[:3] == ("sent", 2, None)


# --- domain events --------------------------------------------------------------------------------


def test_a_domain_event_is_written_once_and_read_back_whole(core_store):
    event = DomainEvent("ev-1", "mediation.case_opened", "heping", {"case": 7, "tags": ["噪音"]}, "mediation", 3, GROUP)
    with core_store.begin() as conn:
        assert outbox.add_event(conn, event) is True
        assert outbox.add_event(conn, event) is False
        [(kind, room, payload)] = outbox.stale_rows(conn, s.utcnow() + HOUR)

    assert (kind, room) == ("event", "linli:events")
    assert from_json(payload, DomainEvent) == event


def test_domain_events_are_never_among_a_rooms_messages(core_store):
    with core_store.begin() as conn:
        outbox.add_event(conn, DomainEvent("ev-1", "x.y", "heping"))

        assert outbox.pending_for_room(conn, "linli:events") == []
        assert outbox.has_pending(conn, "linli:events") is False


def test_events_marked_sent_are_no_longer_stale(core_store):
    with core_store.begin() as conn:
        for n in (1, 2):
            outbox.add_event(conn, DomainEvent(f"ev-{n}", "x.y", "heping", {"n": n}))
        outbox.mark_events_sent(conn, ["ev-1"], s.utcnow())
        outbox.mark_events_sent(conn, [], s.utcnow())
        stale = outbox.stale_rows(conn, s.utcnow() + HOUR)

    assert [payload["payload"] for _, _, payload in stale] == [{"n": 2}]


# --- rows left behind, and pruning ----------------------------------------------------------------


def test_stale_rows_are_the_pending_ones_written_before_the_given_time_oldest_first(core_store):
    with core_store.begin() as conn:
        outbox.add_message(conn, message("一", "e1:m0"), None)
        outbox.add_event(conn, DomainEvent("ev-2", "x.y", "heping"))
        outbox.add_message(conn, message("三", "e3:m0", OTHER), None)
        outbox.add_message(conn, message("已发", "e4:m0"), None)
        sent = outbox.pending_for_room(conn, GROUP.room_key)[-1]
        outbox.mark_sent(conn, sent.id, s.utcnow())

        stale = outbox.stale_rows(conn, s.utcnow() + HOUR)
        none_yet = outbox.stale_rows(conn, s.utcnow() - HOUR)

    assert [(kind, room) for kind, room, _ in stale] == [
        ("message", "test:group"),
        ("event", "linli:events"),
        ("message", "test:other"),
    ]
    assert from_json(stale[0][2], Outbound).text == "一"
    assert none_yet == []


def test_pruning_deletes_sent_and_given_up_rows_and_old_marks_but_keeps_what_is_pending(core_store):
    with core_store.begin() as conn:
        for n in (1, 2, 3):
            outbox.add_message(conn, message(str(n), f"e{n}:m0"), None)
        first, second, _ = outbox.pending_for_room(conn, GROUP.room_key)
        outbox.mark_sent(conn, first.id, s.utcnow())
        outbox.mark_failed(conn, second.id, "blocked", final=True)
        s.insert_ignore(conn, s.processed, {"key": "e1:core.help"}, "key")

        assert outbox.prune(conn, s.utcnow() - HOUR) == (0, 0)
        assert outbox.prune(conn, s.utcnow() + HOUR) == (2, 1)
        keys = list(conn.execute(sa.select(s.outbox.c.key)).scalars())
        marks = conn.execute(sa.select(sa.func.count()).select_from(s.processed)).scalar_one()

    assert keys == ["e3:m0"]
    assert marks == 0
