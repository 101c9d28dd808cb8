"""Statements compiled once and run on the driver's cursor behave as SQLAlchemy would run them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from linli.core.storage import Store
from linli.core.storage import schema as s
from linli.core.storage.prepared import Prepared

md = sa.MetaData()
things = sa.Table(
    "things",
    md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(50), nullable=False, unique=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("at", s.UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False, server_default="plain"),
)
INSERT = Prepared(
    sa.insert(things)
    .values(
        name=sa.bindparam("name"), data=sa.bindparam("data", type_=sa.JSON), at=sa.bindparam("at", type_=s.UTCDateTime)
    )
    .returning(things.c.id)
)
BY_KIND = Prepared(
    sa.select(things.c.name, things.c.data, things.c.at).where(things.c.kind == "plain").order_by(things.c.id)
)
RENAME = Prepared(sa.update(things).where(things.c.name == sa.bindparam("old")).values(name=sa.bindparam("new")))
WHEN = dt.datetime(2026, 11, 26, 1, 2, 3, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'x.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store(url)
    md.create_all(store.engine)
    yield store
    store.dispose()


def test_values_go_in_and_come_back_as_sqlalchemy_would_give_them(store):
    with store.begin() as conn:
        first = INSERT.first(conn, {"name": "灯", "data": {"楼": 3}, "at": WHEN})
        assert first is not None and isinstance(first[0], int)
    with store.connect() as conn:
        assert BY_KIND.rows(conn) == [("灯", {"楼": 3}, WHEN)]
        assert conn.execute(sa.select(things.c.at)).scalar_one() == WHEN  # the same form as SQLAlchemy's


def test_the_statement_runs_inside_the_callers_transaction(store):
    with pytest.raises(ZeroDivisionError), store.begin() as conn:
        INSERT.first(conn, {"name": "gone", "data": {}, "at": WHEN})
        raise ZeroDivisionError
    with store.connect() as conn:
        assert BY_KIND.rows(conn) == []


def test_rowcount_says_how_many_rows_changed(store):
    with store.begin() as conn:
        INSERT.first(conn, {"name": "a", "data": {}, "at": WHEN})
        assert RENAME.rowcount(conn, {"old": "a", "new": "b"}) == 1
        assert RENAME.rowcount(conn, {"old": "a", "new": "c"}) == 0


def test_a_driver_error_is_raised_as_sqlalchemys_error(store):
    with store.begin() as conn:
        INSERT.first(conn, {"name": "twice", "data": {}, "at": WHEN})
    with pytest.raises(sa.exc.IntegrityError), store.begin() as conn:
        INSERT.first(conn, {"name": "twice", "data": {}, "at": WHEN})


def test_insert_ignore_fills_in_python_side_defaults_and_tells_whether_it_inserted(store):
    s.metadata.create_all(store.engine, tables=[s.outbox])
    row = {"key": "k1", "kind": "message", "district_id": None, "platform": "test", "room": "test:g", "payload": {}}
    with store.begin() as conn:
        assert s.insert_ignore(conn, s.outbox, row, "key") is True
        assert s.insert_ignore(conn, s.outbox, row, "key") is False
    with store.connect() as conn:
        created = conn.execute(sa.select(s.outbox.c.created_at)).scalar_one()
    assert abs(created - s.utcnow()) < dt.timedelta(minutes=1)


def test_a_statement_that_failed_leaves_the_connection_usable_for_the_next(store):
    with store.begin() as conn:
        INSERT.first(conn, {"name": "门", "data": {}, "at": WHEN})
    with pytest.raises(sa.exc.IntegrityError), store.begin() as conn:
        INSERT.first(conn, {"name": "门", "data": {}, "at": WHEN})
    with store.begin() as conn:
        assert RENAME.rowcount(conn, {"old": "门", "new": "窗"}) == 1
        assert BY_KIND.rows(conn) == [("窗", {}, WHEN)]
