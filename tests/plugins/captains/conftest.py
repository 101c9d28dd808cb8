"""The ``cap`` fixture: an English district with grids, buildings, households and captains."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from captains_helpers import FakeRegistry, make

from linli.testing import ChatHarness


@pytest.fixture
def cap(tmp_path, monkeypatch) -> Iterator[tuple[ChatHarness, FakeRegistry]]:  # type: ignore[no-untyped-def]
    chat, fake = make(tmp_path, monkeypatch)
    yield chat, fake
    chat.close()
