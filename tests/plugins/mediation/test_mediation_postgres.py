"""The mediation tables on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

import linli.plugins.mediation
from linli.core.storage import Store
from linli.plugins.mediation.tables import cases

MIGRATIONS = Path(linli.plugins.mediation.__file__).parent / "migrations"


def test_the_mediation_migration_applies_on_postgresql_once_and_keeps_numbers_unique_per_district(postgres_url):
    store = Store(postgres_url, migration_dirs=[MIGRATIONS])
    try:
        assert any(r.startswith("mediation_") for r in store.upgrade())  # the branch's head
        assert store.upgrade() == []
        now = dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC)
        row = {"number": 1, "source": "application", "category": "neighbours", "opened_at": now, "deadline_at": now}
        with store.begin() as conn:
            conn.execute(sa.insert(cases).values(district_id="a", **row))
            conn.execute(sa.insert(cases).values(district_id="b", **row))
        try:
            with store.begin() as conn:
                conn.execute(sa.insert(cases).values(district_id="a", **row))
        except sa.exc.IntegrityError:
            pass
        else:
            raise AssertionError("a second case 1 in district a was accepted")
        with store.connect() as conn:
            assert conn.execute(sa.select(cases.c.status, cases.c.risk)).all() == [("registered", "low")] * 2
    finally:
        store.dispose()
