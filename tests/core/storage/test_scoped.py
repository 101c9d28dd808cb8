"""The scoped store: a plugin handler reads and writes only its own tables, and only its
district's rows, whatever shape its statement takes.

Every test runs on SQLite and on a real PostgreSQL (skipped locally without one,
failing on CI).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from linli.core.errors import PluginError
from linli.core.storage import ScopedStore, Store, plugin_table
from linli.core.storage import schema as s

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
    store = Store(url)
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


def test_each_district_sees_its_own_rows_and_never_the_others(two_districts):
    with two_districts.begin() as conn:
        seen = {d: [r.text for r in ScopedStore(conn, "probe", d).select(items)] for d in ("a", "b", "c")}
        notes_of_b = [r.body for r in ScopedStore(conn, "probe", "b").select(notes, order_by=[notes.c.id])]

    assert seen == {"a": ["a: lamp broken"], "b": ["b: secret"], "c": []}
    assert notes_of_b == ["b: secret note", "b: note pointing at a's item"]


def test_get_of_a_condition_more_than_one_row_matches_is_refused(store):
    with store.begin() as conn:
        scoped = ScopedStore(conn, "probe", "a")
        scoped.insert_many(items, [{"number": 1, "text": "one"}, {"number": 1, "text": "also one"}])

        with pytest.raises(PluginError, match="more than one row"):
            scoped.get(items, items.c.number == 1)


def test_rows_written_through_one_district_are_invisible_to_another(store):
    with store.begin() as conn:
        ScopedStore(conn, "probe", "a").insert(items, number=1, text="a's")
        b = ScopedStore(conn, "probe", "b")

        assert b.select(items) == []
        assert b.count(items) == 0
        assert b.update(items, text="b was here") == 0
        assert b.delete(items) == 0
        assert ScopedStore(conn, "probe", "a").get(items, items.c.number == 1).text == "a's"  # type: ignore[union-attr]


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
