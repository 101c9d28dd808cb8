"""The core tables and their helpers: times in UTC, insert-unless-present, plugin tables
that carry their district, ending a dialog.

Every test runs on SQLite and on a real PostgreSQL (skipped locally without one,
failing on CI).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from linli.core.storage import schema as s


def _person(conn: sa.Connection, name: str) -> int:
    key = conn.execute(sa.insert(s.persons).values(display_name=name)).inserted_primary_key
    assert key is not None
    return int(key[0])


# --- times ----------------------------------------------------------------------------------------


def test_times_come_back_aware_and_in_utc(core_store):
    shanghai = dt.timezone(dt.timedelta(hours=8))
    with core_store.begin() as conn:
        conn.execute(
            sa.insert(s.persons).values(
                id=1, display_name="张三", created_at=dt.datetime(2026, 11, 26, 9, tzinfo=shanghai)
            )
        )
    with core_store.connect() as conn:
        created = conn.execute(sa.select(s.persons.c.created_at)).scalar_one()

    assert created == dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC)
    assert created.utcoffset() == dt.timedelta(0)


def test_a_naive_time_is_refused(core_store):
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), core_store.begin() as conn:
        conn.execute(sa.insert(s.persons).values(display_name="x", created_at=dt.datetime(2026, 1, 1)))


def test_now_is_aware_and_in_utc():
    assert s.utcnow().utcoffset() == dt.timedelta(0)


# --- insert_ignore --------------------------------------------------------------------------------


def test_insert_ignore_inserts_a_key_once(core_store):
    with core_store.begin() as conn:
        first = s.insert_ignore(conn, s.processed, {"key": "e1", "processed_at": s.utcnow()}, "key")
        second = s.insert_ignore(conn, s.processed, {"key": "e1", "processed_at": s.utcnow()}, "key")

    assert (first, second) == (True, False)


def test_insert_ignore_leaves_the_first_rows_values_as_they_were(core_store):
    with core_store.begin() as conn:
        s.insert_ignore(conn, s.cursors, {"name": "telegram:offset", "value": "first"}, "name")
    with core_store.begin() as conn:
        again = s.insert_ignore(conn, s.cursors, {"name": "telegram:offset", "value": "second"}, "name")
    with core_store.connect() as conn:
        values = list(conn.execute(sa.select(s.cursors.c.value)).scalars())

    assert again is False
    assert values == ["first"]


def test_insert_ignore_fills_in_the_columns_python_side_defaults(core_store):
    before = s.utcnow()
    with core_store.begin() as conn:
        # processed_at and created_at are not given: their defaults (the time now) are filled in
        assert s.insert_ignore(conn, s.processed, {"key": "e1"}, "key")
        assert s.insert_ignore(
            conn,
            s.outbox,
            {"key": "m1", "platform": "test", "room": "test:g", "payload": {"text": "你好"}},
            "key",
        )
    with core_store.connect() as conn:
        processed_at = conn.execute(sa.select(s.processed.c.processed_at)).scalar_one()
        created_at, status = conn.execute(sa.select(s.outbox.c.created_at, s.outbox.c.status)).one()

    assert processed_at >= before and created_at >= before
    assert status == "pending"


def test_insert_ignore_takes_each_set_of_columns_of_one_table(core_store):
    with core_store.begin() as conn:
        with_time = s.insert_ignore(conn, s.processed, {"key": "e1", "processed_at": s.utcnow()}, "key")
        without = s.insert_ignore(conn, s.processed, {"key": "e2"}, "key")
        repeated = s.insert_ignore(conn, s.processed, {"key": "e1"}, "key")
        keys = sorted(conn.execute(sa.select(s.processed.c.key)).scalars())

    assert (with_time, without, repeated) == (True, True, False)
    assert keys == ["e1", "e2"]


# --- plugin tables --------------------------------------------------------------------------------


def test_a_plugin_table_is_named_after_its_plugin_and_carries_an_indexed_district():
    md = sa.MetaData()
    table = s.plugin_table("lostfound", "items", md, sa.Column("id", sa.Integer, primary_key=True))

    assert table.name == "lostfound_items"
    assert table.metadata is md
    assert table.c.district_id.nullable is False
    assert table.c.district_id.index is True
    assert [c.name for c in table.c] == ["district_id", "id"]


# --- dialogs --------------------------------------------------------------------------------------


def test_ending_a_dialog_ends_only_that_persons_dialog_in_that_room(core_store):
    later = s.utcnow() + dt.timedelta(hours=1)
    with core_store.begin() as conn:
        zhang, li = _person(conn, "张三"), _person(conn, "李四")
        conn.execute(
            sa.insert(s.dialogs),
            [
                {"room_key": room, "person_id": who, "district_id": "d", "plugin": "p", "name": "n", "data": {}}
                | {"expires_at": later}
                for room, who in (("test:g", zhang), ("test:g", li), ("test:dm", zhang))
            ],
        )
        s.delete_dialog(conn, "test:g", zhang)
        left = sorted(tuple(r) for r in conn.execute(sa.select(s.dialogs.c.room_key, s.dialogs.c.person_id)))

    assert left == sorted([("test:g", li), ("test:dm", zhang)])
