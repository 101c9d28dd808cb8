"""A session keeps one connection for a thread's transactions and autocommit statements."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from linli.core.storage import Store
from linli.core.storage.prepared import Prepared

md = sa.MetaData()
notes = sa.Table("notes", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("text", sa.String(50)))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'x.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store(url)
    md.create_all(store.engine)
    yield store
    store.dispose()


def texts(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(notes.c.text).order_by(notes.c.id)).scalars())


def test_transactions_and_autocommit_statements_in_a_session_share_one_connection(store):
    seen = []
    with store.session():
        with store.begin() as conn:
            conn.execute(sa.insert(notes).values(text="in a transaction"))
            seen.append(conn)
        with store.autocommit() as conn:
            conn.execute(sa.insert(notes).values(text="on its own"))
            seen.append(conn)
        with store.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(notes)).scalar() == 2
            seen.append(conn)
        assert texts(store) == ["in a transaction", "on its own"]  # committed, seen from elsewhere
    assert seen[0] is seen[1] is seen[2]


def test_a_failed_transaction_in_a_session_keeps_nothing_and_the_session_goes_on(store):
    with store.session():
        with pytest.raises(ZeroDivisionError), store.begin() as conn:
            conn.execute(sa.insert(notes).values(text="rolled back"))
            raise ZeroDivisionError
        with store.begin() as conn:
            conn.execute(sa.insert(notes).values(text="kept"))
    assert texts(store) == ["kept"]


def test_a_transaction_opened_while_the_kept_connection_is_in_use_gets_its_own(store):
    with store.session(), store.autocommit() as outer:
        with store.begin() as inner:
            assert inner is not outer
            inner.execute(sa.insert(notes).values(text="inner"))
        assert texts(store) == ["inner"]


def test_nested_sessions_share_the_outer_connection(store):
    with store.session():
        with store.begin() as first:
            pass
        with store.session(), store.begin() as second:
            pass
    assert first is second


def test_a_transaction_of_prepared_statements_alone_commits_or_rolls_back_as_one(store):
    insert = Prepared(sa.insert(notes).values(text=sa.bindparam("text")))
    with store.session():
        with store.begin() as conn:
            insert.rowcount(conn, {"text": "one"})
            insert.rowcount(conn, {"text": "two"})
        with pytest.raises(ZeroDivisionError), store.begin() as conn:
            insert.rowcount(conn, {"text": "rolled back"})
            conn.execute(sa.insert(notes).values(text="rolled back too"))
            raise ZeroDivisionError
        with store.begin() as conn:
            conn.execute(sa.insert(notes).values(text="three"))
            insert.rowcount(conn, {"text": "four"})
    assert texts(store) == ["one", "two", "three", "four"]


def test_a_connection_back_from_a_session_is_transactional_again(store):
    with store.session(), store.autocommit() as conn:
        conn.execute(sa.insert(notes).values(text="on its own"))
    with pytest.raises(ZeroDivisionError), store.engine.begin() as conn:  # most likely the same connection
        conn.execute(sa.insert(notes).values(text="rolled back"))
        raise ZeroDivisionError
    assert texts(store) == ["on its own"]


@pytest.mark.parametrize("through", ["prepared", "sqlalchemy"])
def test_a_commit_that_fails_on_sqlite_leaves_no_transaction_open(tmp_path, through):
    store = Store(f"sqlite:///{tmp_path / 'fk.db'}")
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            conn.exec_driver_sql(
                "CREATE TABLE child (id INTEGER PRIMARY KEY, "
                "parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
            )
        child = sa.table("child", sa.column("id"), sa.column("parent_id"))
        insert = Prepared(sa.insert(child).values(parent_id=sa.bindparam("parent_id")))
        with store.session():
            with pytest.raises(sa.exc.DBAPIError), store.begin() as conn:  # the deferred key fails at COMMIT
                if through == "prepared":
                    insert.rowcount(conn, {"parent_id": 99})
                else:
                    conn.execute(sa.insert(child).values(parent_id=99))
            with store.begin() as conn:  # the session goes on
                conn.execute(sa.text("SELECT 1"))
        other = Store(f"sqlite:///{tmp_path / 'fk.db'}")
        try:  # and no connection holds the write lock: another writer gets it at once
            with other.begin() as conn:
                conn.exec_driver_sql("PRAGMA busy_timeout = 100")
                conn.execute(sa.insert(child).values(parent_id=None))
        finally:
            other.dispose()
    finally:
        store.dispose()


def test_code_in_a_block_cannot_commit_the_blocks_transaction_half_way_on_sqlite(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    md.create_all(store.engine)
    insert = Prepared(sa.insert(notes).values(text=sa.bindparam("text")))
    try:
        with store.session():
            with pytest.raises(RuntimeError, match="never begin or commit"), store.begin() as conn:
                insert.rowcount(conn, {"text": "the event's mark"})
                with conn.begin():  # what a plugin must not do: it would commit the mark already
                    conn.execute(sa.insert(notes).values(text="a write of its own"))
            assert texts(store) == []  # nothing of the block was committed
            with store.begin() as conn:  # and the session goes on
                conn.execute(sa.insert(notes).values(text="kept"))
        assert texts(store) == ["kept"]
    finally:
        store.dispose()
