"""Fewer malloc arenas in a worker process.

glibc gives each thread that allocates under contention an arena of its own, up to
eight per CPU; a worker process runs a consumer thread per queue and delay queue
plus its worker threads, and each arena keeps some memory resident that the
others cannot use. Python allocates small objects from its own pools and most of
the rest under the GIL, so two arenas are contended no more than sixteen.
"""

from __future__ import annotations

import ctypes
import os

__all__ = ["limit_malloc_arenas"]

#: mallopt's parameter for the number of arenas (glibc's malloc.h)
_M_ARENA_MAX = -8


def limit_malloc_arenas(count: int = 2) -> bool:
    """Let glibc's malloc create at most ``count`` arenas in this process from now on.

    ``MALLOC_ARENA_MAX`` in the environment wins: glibc applied it when the process
    started. Elsewhere than on glibc this does nothing.

    Returns: whether the limit was set.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, count))
