"""The ``council`` fixture, shared by all council tests: an English-speaking compound with its
council. Helpers are in ``council_helpers`` (import that, never ``conftest``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from council_helpers import make

from linli.testing import ChatHarness


@pytest.fixture
def council(tmp_path) -> Iterator[ChatHarness]:  # type: ignore[no-untyped-def]
    """An English-speaking compound: residents 张三 李四 王五 赵六, council member 刘书记, facilitator 陈主任."""
    chat = make(tmp_path)
    yield chat
    chat.close()
