"""Storage: migrations on SQLite and PostgreSQL, and the scoped store that keeps districts apart.

Every test runs on SQLite and on a real PostgreSQL (skipped locally without one,
failing on CI).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from linli.core import outbox
from linli.core.errors import PluginError
from linli.core.events import Address, Choice, Outbound
from linli.core.storage import ScopedStore, Store, plugin_table
from linli.core.storage import schema as s
from linli.core.storage.migrate import migration_dirs

md = sa.MetaData()
items = plugin_table(
    "probe",
    "items",
    md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("text", sa.String(100), nullable=False),
)
notes = plugin_table(
    "probe",
    "notes",
    md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.Integer, nullable=False),
    sa.Column("body", sa.String(100), nullable=False),
)
others = plugin_table(
    "other",
    "items",
    md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("text", sa.String(100), nullable=False),
)
unscoped = sa.Table("probe_loose", md, sa.Column("id", sa.Integer, primary_key=True))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> Iterator[Store]:
    """A migrated store with the probe plugin's tables, on each database."""
    url = f"sqlite:///{tmp_path / 'linli.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store(url, migration_dirs=migration_dirs(["linli.plugins.suggestions"]))
    store.upgrade()
    md.create_all(store.engine)
    yield store
    store.dispose()


@pytest.fixture
def two_districts(store: Store) -> Store:
    """Item 1 in district a and item 1 in district b, each with a note; b's are secret."""
    with store.begin() as conn:
        conn.execute(
            sa.insert(items),
            [
                {"district_id": "a", "id": 1, "number": 1, "text": "a: lamp broken"},
                {"district_id": "b", "id": 2, "number": 1, "text": "b: secret"},
            ],
        )
        conn.execute(
            sa.insert(notes),
            [
                {"district_id": "a", "id": 1, "item_id": 1, "body": "a: note"},
                {"district_id": "b", "id": 2, "item_id": 2, "body": "b: secret note"},
                {"district_id": "b", "id": 3, "item_id": 1, "body": "b: note pointing at a's item"},
            ],
        )
    return store


def all_items(store: Store) -> list[tuple[str, str]]:
    with store.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(items.c.district_id, items.c.text).order_by(items.c.id))]


# --- migrations ----------------------------------------------------------------------------------


def test_migrations_create_core_and_plugin_tables_and_a_second_upgrade_does_nothing(store):
    names = set(sa.inspect(store.engine).get_table_names())

    assert {"persons", "identities", "outbox", "dialogs", "audit_log", "consents", "suggestions_items"} <= names
    assert store.upgrade() == []
    assert store.pending_migrations() == []


def test_a_store_that_cannot_be_reached_is_a_storage_error():
    from linli.core.errors import StorageError

    store = Store("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(StorageError, match="cannot reach the database"):
        store.ping()
    store.dispose()


def test_an_unusable_url_is_a_storage_error():
    from linli.core.errors import StorageError

    with pytest.raises(StorageError, match="SQLite or PostgreSQL"):
        Store("nosuchdb://x")
    with pytest.raises(StorageError, match="not usable"):
        Store("postgresql+nosuchdriver://x")


# --- transactions and types -----------------------------------------------------------------------


def test_a_transaction_that_raises_keeps_nothing(store):
    with pytest.raises(RuntimeError), store.begin() as conn:
        conn.execute(sa.insert(items).values(district_id="a", number=1, text="x"))
        raise RuntimeError("boom")

    assert all_items(store) == []


def test_times_come_back_aware_and_in_utc(store):
    shanghai = dt.timezone(dt.timedelta(hours=8))
    with store.begin() as conn:
        conn.execute(
            sa.insert(s.persons).values(
                id=1, display_name="张三", created_at=dt.datetime(2026, 11, 26, 9, tzinfo=shanghai)
            )
        )
    with store.connect() as conn:
        created = conn.execute(sa.select(s.persons.c.created_at)).scalar_one()

    assert created == dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC)
    assert created.utcoffset() == dt.timedelta(0)


def test_a_naive_time_is_refused(store):
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), store.begin() as conn:
        conn.execute(sa.insert(s.persons).values(display_name="x", created_at=dt.datetime(2026, 1, 1)))


def test_insert_ignore_inserts_a_key_once(store):
    with store.begin() as conn:
        first = s.insert_ignore(conn, s.processed, {"key": "e1", "processed_at": s.utcnow()}, "key")
        second = s.insert_ignore(conn, s.processed, {"key": "e1", "processed_at": s.utcnow()}, "key")

    assert (first, second) == (True, False)


def test_a_rooms_pending_messages_come_oldest_first_and_known_ones_are_taken_as_they_are(store):
    first = Outbound(Address("test", "group"), "第一条", (Choice("好", "core:ok"),), key="e1:m0")
    second = Outbound(Address("test", "group"), "第二条", key="e2:m0")
    elsewhere = Outbound(Address("test", "other"), "别处", key="e3:m0")
    with store.begin() as conn:
        for out in (first, second, elsewhere):
            outbox.add_message(conn, out, None)
    with store.autocommit() as conn:
        decoded = outbox.pending_for_room(conn, "test:group")
        known = outbox.pending_for_room(conn, "test:group", known={second.key: second})
        outbox.mark_sent(conn, decoded[0].id, s.utcnow())
        left = outbox.pending_for_room(conn, "test:group")

    assert [r.message for r in decoded] == [first, second]
    assert known[0].message == first and known[1].message is second
    assert [r.message for r in left] == [second]


# --- the scoped store keeps districts apart -------------------------------------------------------


def test_select_get_and_count_see_only_this_districts_rows(two_districts):
    with two_districts.begin() as conn:
        scoped = ScopedStore(conn, "probe", "a")

        assert [r.text for r in scoped.select(items)] == ["a: lamp broken"]
        assert scoped.get(items, items.c.number == 1).text == "a: lamp broken"  # type: ignore[union-attr]
        assert scoped.get(items, items.c.id == 2) is None
        assert scoped.count(items) == 1
        assert scoped.count(notes) == 1


def test_update_changes_only_this_districts_rows(two_districts):
    with two_districts.begin() as conn:
        changed = ScopedStore(conn, "probe", "a").update(items, items.c.number == 1, text="fixed")

    assert changed == 1
    assert all_items(two_districts) == [("a", "fixed"), ("b", "b: secret")]


def test_update_by_the_other_districts_id_changes_nothing(two_districts):
    with two_districts.begin() as conn:
        changed = ScopedStore(conn, "probe", "a").update(items, items.c.id == 2, text="hacked")

    assert changed == 0
    assert all_items(two_districts) == [("a", "a: lamp broken"), ("b", "b: secret")]


def test_delete_removes_only_this_districts_rows(two_districts):
    with two_districts.begin() as conn:
        deleted = ScopedStore(conn, "probe", "b").delete(items)

    assert deleted == 1
    assert all_items(two_districts) == [("a", "a: lamp broken")]


def test_execute_scopes_every_table_of_a_join(two_districts):
    query = sa.select(items.c.text, notes.c.body).select_from(items.join(notes, notes.c.item_id == items.c.id))
    with two_districts.begin() as conn:
        rows = [tuple(r) for r in ScopedStore(conn, "probe", "a").execute(query)]

    assert rows == [("a: lamp broken", "a: note")]


def test_execute_scopes_a_core_update_and_delete(two_districts):
    with two_districts.begin() as conn:
        scoped = ScopedStore(conn, "probe", "a")
        updated = scoped.execute(sa.update(items).values(text="all")).rowcount
        deleted = scoped.execute(sa.delete(notes)).rowcount

    assert (updated, deleted) == (1, 1)
    assert all_items(two_districts) == [("a", "all"), ("b", "b: secret")]


def test_an_aggregate_is_computed_over_this_district_only(two_districts):
    with two_districts.begin() as conn:
        total = ScopedStore(conn, "probe", "b").execute(sa.select(sa.func.count(notes.c.id))).scalar()

    assert total == 2


def test_insert_fills_in_the_district_and_ignores_another_one(store):
    with store.begin() as conn:
        scoped = ScopedStore(conn, "probe", "a")
        scoped.insert(items, {"number": 1, "text": "one", "district_id": "b"})
        scoped.insert(items, number=2, text="two", district_id="b")
        scoped.insert_many(items, [{"number": 3, "text": "three"}, {"number": 4, "text": "four"}])

    assert [d for d, _ in all_items(store)] == ["a", "a", "a", "a"]


def test_insert_returns_the_new_rows_primary_key(store):
    with store.begin() as conn:
        new_id = ScopedStore(conn, "probe", "a").insert(items, number=1, text="one")
        again = ScopedStore(conn, "probe", "a").insert(items, number=2, text="two")

    assert isinstance(new_id, int)
    assert again == new_id + 1


def test_a_row_cannot_be_moved_to_another_district(two_districts):
    with pytest.raises(PluginError, match="another district"), two_districts.begin() as conn:
        ScopedStore(conn, "probe", "a").update(items, district_id="b")


def test_an_insert_through_execute_is_refused(store):
    with pytest.raises(PluginError, match="insert"), store.begin() as conn:
        ScopedStore(conn, "probe", "a").execute(sa.insert(items).values(number=1, text="x"))  # type: ignore[arg-type]


# --- the scoped store keeps plugins off other tables ------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(lambda: sa.select(s.persons), id="select core table"),
        pytest.param(lambda: sa.update(s.outbox).values(status="sent"), id="update core table"),
        pytest.param(lambda: sa.delete(s.audit_log), id="delete core table"),
        pytest.param(lambda: sa.select(others), id="another plugin's table"),
        pytest.param(lambda: sa.select(items).join(s.persons, s.persons.c.id == items.c.number), id="join core"),
        pytest.param(lambda: sa.select(s.persons.alias()), id="alias of a core table"),
        pytest.param(
            lambda: sa.select(items).where(items.c.number.in_(sa.select(s.identities.c.person_id))),
            id="core table in a subquery",
        ),
        pytest.param(lambda: sa.select(unscoped), id="own prefix without district column"),
        pytest.param(lambda: sa.text("SELECT * FROM persons"), id="raw SQL"),
        pytest.param(lambda: sa.select(sa.text("* FROM persons")), id="raw SQL inside a select"),
    ],
)
def test_a_statement_touching_a_table_that_is_not_the_plugins_own_is_refused(store, statement):
    with pytest.raises(PluginError), store.begin() as conn:
        ScopedStore(conn, "probe", "a").execute(statement())


def test_select_and_insert_on_another_plugins_table_are_refused(store):
    with store.begin() as conn:
        scoped = ScopedStore(conn, "probe", "a")
        with pytest.raises(PluginError, match="'other_items'"):
            scoped.select(others)
        with pytest.raises(PluginError, match="'persons'"):
            scoped.insert(s.persons, display_name="x")
        with pytest.raises(PluginError, match="'other_items'"):
            scoped.insert_many(others, [{"text": "x"}])


# --- statements whose tables hide in aliases, subqueries and CTEs ------------------------------------


def test_a_self_join_through_an_alias_stays_in_the_district(two_districts):
    twin = items.alias("twin")
    query = sa.select(items.c.text, twin.c.text).select_from(items.join(twin, twin.c.number == items.c.number))
    with two_districts.begin() as conn:
        rows = [tuple(r) for r in ScopedStore(conn, "probe", "a").execute(query)]

    assert rows == [("a: lamp broken", "a: lamp broken")]


def test_a_subquery_in_from_stays_in_the_district(two_districts):
    inner = sa.select(items.c.id, items.c.text).subquery()
    with two_districts.begin() as conn:
        texts = list(ScopedStore(conn, "probe", "a").execute(sa.select(inner.c.text)).scalars())

    assert texts == ["a: lamp broken"]


def test_a_common_table_expression_stays_in_the_district(two_districts):
    cte = sa.select(items.c.text).cte("texts")
    with two_districts.begin() as conn:
        texts = list(ScopedStore(conn, "probe", "a").execute(sa.select(cte.c.text)).scalars())

    assert texts == ["a: lamp broken"]


def test_a_scalar_subquery_stays_in_the_district(two_districts):
    secret = sa.select(items.c.text).where(items.c.id == 2).scalar_subquery()
    with two_districts.begin() as conn:
        value = ScopedStore(conn, "probe", "a").execute(sa.select(secret.label("x"))).scalar()

    assert value is None


def test_a_filter_by_a_subquery_stays_in_the_district(two_districts):
    with_notes = sa.select(notes.c.item_id).where(notes.c.body.like("b:%"))
    query = sa.update(items).where(items.c.id.in_(with_notes)).values(text="touched")
    with two_districts.begin() as conn:
        changed = ScopedStore(conn, "probe", "a").execute(query).rowcount

    # b's note points at a's item 1, but b's notes are not a's to read
    assert changed == 0
    assert all_items(two_districts) == [("a", "a: lamp broken"), ("b", "b: secret")]


# --- statements the store cannot see into are refused ---------------------------------------------------


@pytest.mark.parametrize(
    ("what", "statement"),
    [
        ("raw text", lambda: sa.select(items.c.text).where(sa.text("1=1"))),
        ("a literal column", lambda: sa.select(items.c.text, sa.literal_column("(SELECT 1)"))),
        ("a lightweight table", lambda: sa.select(sa.table("probe_items", sa.column("text")).c.text)),
        ("a core table named lightly", lambda: sa.select(sa.table("persons", sa.column("display_name")))),
        ("a move to another district", lambda: sa.update(items).where(items.c.id == 1).values(district_id="b")),
        (
            "an update reading its own table",
            lambda: sa.update(items).values(text=sa.select(items.c.text).where(items.c.id == 2).scalar_subquery()),
        ),
        ("a delete reading its own table", lambda: sa.delete(items).where(items.c.id.in_(sa.select(items.c.id)))),
    ],
)
def test_a_statement_the_store_cannot_keep_in_the_district_is_refused(two_districts, what, statement):
    with two_districts.begin() as conn, pytest.raises(PluginError):
        ScopedStore(conn, "probe", "a").execute(statement())

    assert all_items(two_districts) == [("a", "a: lamp broken"), ("b", "b: secret")]


def test_an_insert_of_a_sql_expression_is_refused(two_districts):
    secret = sa.select(items.c.text).where(items.c.id == 2).scalar_subquery()
    with two_districts.begin() as conn, pytest.raises(PluginError, match="plain values"):
        ScopedStore(conn, "probe", "a").insert(items, number=9, text=secret)


def test_counting_still_works_with_count_star(two_districts):
    with two_districts.begin() as conn:
        assert ScopedStore(conn, "probe", "a").count(items) == 1


def test_a_sqlite_process_that_does_not_migrate_never_imports_postgresqls_dialect(tmp_path):
    # each database's SQLAlchemy dialect is imported only where it is used (Alembic imports
    # them all to migrate: the database is migrated here, then used by a process of its own)
    import subprocess
    import sys

    from linli.core.settings import load_settings
    from linli.workers.runtime import Runtime

    path = tmp_path / "settings.toml"
    path.write_text(
        '[storage]\nurl = "sqlite:///linli.db"\n[districts.d]\nname = "d"\nrooms = ["test:g"]\nplugins = ["core"]\n',
        encoding="utf-8",
    )
    Runtime(load_settings(path, env={})).prepare_database()
    script = f"""
import sys
from linli.core.events import Address, Inbound, Sender
from linli.core.settings import load_settings
from linli.testing import RecordingAdapter
from linli.workers.runtime import Runtime

rt = Runtime(load_settings({str(path)!r}, env={{}}), adapters={{"test": RecordingAdapter()}})
worker = rt.worker()
worker.start()
rt.submit(Inbound("e1", Address("test", "g"), Sender("test", "u", "u"), text="/whoami"))
rt.wait_idle()
worker.stop()
rt.close()
assert rt.adapters["test"].sent, "no reply"
print(" ".join(sorted(sys.modules)))
"""
    done = subprocess.run([sys.executable, "-P", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    modules = set(done.stdout.split())

    assert "sqlalchemy.dialects.sqlite" in modules
    assert not {m for m in modules if m.startswith("sqlalchemy.dialects.postgresql")}
