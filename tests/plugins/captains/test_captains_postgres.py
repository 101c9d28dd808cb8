"""The captains' tables on PostgreSQL: the migration applies once, defaults hold, and a household
is visited at most once per sweep."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

import linli.plugins.captains
from linli.core.storage import Store
from linli.plugins.captains.tables import needs, visits

MIGRATIONS = Path(linli.plugins.captains.__file__).parent / "migrations"


def test_the_captains_migration_applies_on_postgresql_once_with_its_defaults_and_constraints(postgres_url):
    store = Store(postgres_url, migration_dirs=[MIGRATIONS])
    try:
        assert "captains_0001" in store.upgrade()
        assert store.upgrade() == []
        now = dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC)
        with store.begin() as conn:
            conn.execute(sa.insert(needs).values(district_id="a", number=1, text="灯坏了", reported_at=now, due_at=now))
            visit = {"sweep_id": 1, "building_id": 1, "household_id": 7, "outcome": "ok", "visited_at": now}
            conn.execute(sa.insert(visits).values(district_id="a", **visit))
            conn.execute(sa.insert(visits).values(district_id="b", **visit))
        with pytest.raises(sa.exc.IntegrityError), store.begin() as conn:
            conn.execute(sa.insert(visits).values(district_id="a", **visit))
        with store.connect() as conn:
            row = conn.execute(sa.select(needs.c.state, needs.c.level, needs.c.dispute, needs.c.on_behalf)).one()
            assert tuple(row) == ("reported", "grid", False, False)
    finally:
        store.dispose()
