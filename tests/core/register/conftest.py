"""A migrated store with two districts, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from linli.core.clock import FrozenClock
from linli.core.i18n import translator
from linli.core.register import Registry
from linli.core.storage import Store
from linli.core.storage import schema as s

START = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'linli.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store(url)
    store.upgrade()
    with store.begin() as conn:
        conn.execute(
            sa.insert(s.districts),
            [{"id": "qinghe", "name": "清河", "config": {}}, {"id": "yahe", "name": "雅河村", "config": {}}],
        )
    yield store
    store.dispose()


@pytest.fixture
def conn(store) -> Iterator[sa.Connection]:
    with store.begin() as conn:
        yield conn


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def registry(conn, clock) -> Callable[..., Registry]:
    """``registry(district="qinghe", person_id=None)``: the register of a district on the test's connection."""

    def make(district: str = "qinghe", person_id: int | None = None) -> Registry:
        return Registry(conn, district, t=translator("en"), person_id=person_id, plugin="test", now=clock.now)

    return make
