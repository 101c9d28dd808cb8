"""Every in-tree plugin's migrations build exactly the tables its code declares: after
``upgrade``, Alembic's autogenerate comparison finds nothing to change, on SQLite and
on PostgreSQL. A table or column added to ``tables.py`` without a migration (or the
other way round) fails here, not in a deployer's database."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from linli.core.storage import Store
from linli.core.storage import schema as s
from linli.core.storage.migrate import migration_dirs

PLUGINS = sorted(entry_points(group="linli.plugins"), key=lambda ep: ep.name)


def declared() -> sa.MetaData:
    everything = sa.MetaData()
    for table in s.metadata.tables.values():
        table.to_metadata(everything)
    for ep in PLUGINS:
        tables = ep.load().manifest.tables
        if tables is not None:
            for table in tables.tables.values():
                table.to_metadata(everything)
    return everything


def differences(url: str) -> list[object]:
    store = Store(url, migration_dirs=migration_dirs([ep.value.partition(":")[0] for ep in PLUGINS]))
    try:
        store.upgrade()
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return [
                d
                for d in compare_metadata(context, declared())
                if not (d[0] == "remove_table" and d[1].name == "alembic_version")
            ]
    finally:
        store.dispose()


def test_in_tree_plugins_are_registered():
    assert {"basics", "mediation", "suggestions"} <= {ep.name for ep in PLUGINS}


def test_sqlite_migrations_match_the_declared_tables(tmp_path):
    assert differences(f"sqlite:///{tmp_path / 'linli.db'}") == []


@pytest.mark.postgres
def test_postgresql_migrations_match_the_declared_tables(postgres_url):
    assert differences(postgres_url) == []


# What Alembic's comparison does not see, and the schema no longer says (its dialect options
# would make a PostgreSQL worker import SQLite's dialect): the migrations alone make these.


def test_on_sqlite_the_marks_are_a_without_rowid_table_and_the_pending_index_is_partial(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'linli.db'}", migration_dirs=migration_dirs([]))
    try:
        store.upgrade()
        with store.engine.connect() as conn:
            sql = dict(
                conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE name IN ('processed_events', 'ix_outbox_pending')"
                ).all()
            )
    finally:
        store.dispose()

    assert "WITHOUT ROWID" in sql["processed_events"]
    assert "WHERE status = 'pending'" in sql["ix_outbox_pending"]


@pytest.mark.postgres
def test_on_postgresql_the_pending_index_is_partial(postgres_url):
    store = Store(postgres_url, migration_dirs=migration_dirs([]))
    try:
        store.upgrade()
        with store.engine.connect() as conn:
            index = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_outbox_pending' "
                "AND schemaname = current_schema()"
            ).scalar_one()
    finally:
        store.dispose()

    assert "WHERE ((status)::text = 'pending'::text)" in index
