"""The store: migrations on SQLite and PostgreSQL, clear errors for a database that cannot be
used, transactions that keep all or nothing, and only the dialect in use imported."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa

from linli.core.errors import StorageError
from linli.core.storage import Store
from linli.core.storage import schema as s
from linli.core.storage.migrate import migration_dirs


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_migrations_create_core_and_plugin_tables_and_a_second_upgrade_does_nothing(request, tmp_path, database):
    url = f"sqlite:///{tmp_path / 'linli.db'}" if database == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store(url, migration_dirs=migration_dirs(["linli.plugins.suggestions"]))
    try:
        assert store.pending_migrations() != []
        store.upgrade()
        names = set(sa.inspect(store.engine).get_table_names())

        assert {"persons", "identities", "outbox", "dialogs", "audit_log", "consents", "suggestions_items"} <= names
        assert store.upgrade() == []
        assert store.pending_migrations() == []
    finally:
        store.dispose()


def test_a_store_that_cannot_be_reached_is_a_storage_error():
    store = Store("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(StorageError, match="cannot reach the database"):
        store.ping()
    store.dispose()


def test_an_unusable_url_is_a_storage_error():
    with pytest.raises(StorageError, match="SQLite or PostgreSQL"):
        Store("nosuchdb://x")
    with pytest.raises(StorageError, match="not usable"):
        Store("postgresql+nosuchdriver://x")


def test_a_transaction_that_raises_keeps_nothing(core_store):
    with pytest.raises(RuntimeError), core_store.begin() as conn:
        conn.execute(sa.insert(s.persons).values(display_name="张三"))
        raise RuntimeError("boom")

    with core_store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(s.persons)).scalar_one() == 0


def test_a_sqlite_process_that_does_not_migrate_never_imports_postgresqls_dialect(tmp_path):
    # each database's SQLAlchemy dialect is imported only where it is used (Alembic imports
    # them all to migrate: the database is migrated here, then used by a process of its own)
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


@pytest.mark.parametrize(("setting", "pragma"), [("normal", 1), ("full", 2)])
def test_sqlite_flushes_every_commit_to_disk_only_when_asked(tmp_path, setting, pragma):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}", sqlite_synchronous=setting)
    with store.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == pragma
