"""The dashboard's fixtures: ``office``, a district whose people hold every role and whose
mediation team settled one case through the chat."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web_helpers import district, settle_case

from linli.testing import ChatHarness


@pytest.fixture
def office(tmp_path: Path) -> Iterator[ChatHarness]:
    chat = district(tmp_path)
    settle_case(chat)
    yield chat
    chat.close()
