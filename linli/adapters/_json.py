"""JSON from outside (a webhook's body), read within limits of size and nesting.

Python's JSON decoder recurses once per level of nesting: a body of 100,000 ``[``
ends in a RecursionError instead of a ValueError, and a body just under the
interpreter's limit parses into an object that whatever walks it next (logging, a
library's ``de_json``) may recurse on again. No platform sends anything near
:data:`MAX_DEPTH` levels deep.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "JsonRefused", "loads_limited"]

#: the largest body read: a Telegram update with a long message and the one it replies to is a few KB
MAX_BODY_BYTES = 1024 * 1024
#: the deepest nesting of objects and arrays accepted (a Telegram update nests fewer than 10)
MAX_DEPTH = 64


class JsonRefused(ValueError):
    """The body is not JSON, is too large, or nests too deep; ``str()`` says which."""


def loads_limited(body: bytes | str, *, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """``body`` decoded as JSON.

    Parameters:
      body: the raw body.
      max_bytes: the most bytes (characters for ``str``) accepted.
      max_depth: the most levels of objects and arrays inside one another.

    Raises:
      JsonRefused: the body is too large, not JSON (nor UTF-8), or nests deeper than ``max_depth``.
    """
    if len(body) > max_bytes:
        raise JsonRefused(f"body of {len(body)} bytes, more than {max_bytes}")
    try:
        value = json.loads(body)
    except RecursionError:
        raise JsonRefused(f"nested deeper than {max_depth}") from None
    except ValueError as exc:  # UnicodeDecodeError is one too
        raise JsonRefused(f"not JSON: {exc}") from None
    if _deeper_than(value, max_depth):
        raise JsonRefused(f"nested deeper than {max_depth}")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    # iterative: the point is not to recurse on what a stranger sent
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
