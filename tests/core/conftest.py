"""Fixtures of the core's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linli.core.storage import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def core_store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:
    """A store with the core tables migrated, on SQLite and on a real PostgreSQL
    (skipped locally without one, failing on CI)."""
    url = f"sqlite:///{tmp_path / 'linli.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store(url)
    store.upgrade()
    yield store
    store.dispose()
