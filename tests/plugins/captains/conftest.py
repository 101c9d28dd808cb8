"""The ``cap`` fixture: an English district with its register (grids, buildings, households),
residents linked to it, a community worker and a grid worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from captains_helpers import make

from linli.testing import ChatHarness


@pytest.fixture
def cap(tmp_path) -> Iterator[tuple[ChatHarness, dict[str, int]]]:  # type: ignore[no-untyped-def]
    chat, ids = make(tmp_path)
    yield chat, ids
    chat.close()
