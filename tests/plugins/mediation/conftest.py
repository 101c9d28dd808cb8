"""The ``med`` fixture: an English-speaking district with its mediation team."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mediation_helpers import make

from linli.testing import ChatHarness


@pytest.fixture
def med(tmp_path) -> Iterator[ChatHarness]:  # type: ignore[no-untyped-def]
    """An English-speaking district with its mediation team."""
    chat = make(tmp_path)
    yield chat
    chat.close()
