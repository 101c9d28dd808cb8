"""A worker process limits glibc's malloc arenas, unless the environment already does."""

from __future__ import annotations

import os
import platform

import pytest

from linli.workers._malloc import limit_malloc_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's arena limit is glibc's")
def test_the_arena_limit_is_set_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    # 8 per CPU is glibc's own default: this test process keeps its behaviour
    assert limit_malloc_arenas(8 * (os.cpu_count() or 1))


def test_malloc_arena_max_in_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert not limit_malloc_arenas(2)
