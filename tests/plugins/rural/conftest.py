"""The ``village`` fixture: an English village with its register, staff and residents."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rural_helpers import make

from linli.testing import ChatHarness


@pytest.fixture
def village(tmp_path) -> Iterator[tuple[ChatHarness, dict[str, int]]]:  # type: ignore[no-untyped-def]
    chat, ids = make(tmp_path)
    yield chat, ids
    chat.close()
