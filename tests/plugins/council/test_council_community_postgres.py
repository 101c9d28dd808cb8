"""The council's community tables (council_0002) on PostgreSQL: the migration applies once, the
server defaults work (a boolean default must be a boolean there), numbers are unique per district."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

import linli.plugins.council
from linli.core.storage import Store
from linli.plugins.council.community_tables import adoptables, adoptions

MIGRATIONS = Path(linli.plugins.council.__file__).parent / "migrations"


def test_the_community_tables_apply_on_postgresql_with_their_defaults_and_unique_numbers(postgres_url):
    store = Store(postgres_url, migration_dirs=[MIGRATIONS])
    try:
        assert "council_0002" in store.upgrade()
        assert store.upgrade() == []
        now = dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC)
        thing = {"number": 1, "kind": "plot", "name": "东侧绿地", "created_at": now}
        with store.begin() as conn:
            conn.execute(sa.insert(adoptables).values(district_id="a", **thing))
            conn.execute(sa.insert(adoptables).values(district_id="b", **thing))
            conn.execute(sa.insert(adoptions).values(district_id="a", adoptable_id=1, person_id=7, applied_at=now))
        try:
            with store.begin() as conn:
                conn.execute(sa.insert(adoptables).values(district_id="a", **thing))
        except sa.exc.IntegrityError:
            pass
        else:
            raise AssertionError("a second thing 1 in district a was accepted")
        with store.connect() as conn:
            row = conn.execute(sa.select(adoptions)).one()
        assert (row.status, row.renewals, row.renewal_asked, row.duties) == ("applied", 0, False, "")
    finally:
        store.dispose()
