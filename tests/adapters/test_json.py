"""JSON from outside, read within limits of size and nesting."""

from __future__ import annotations

import pytest

from linli.adapters._json import JsonRefused, loads_limited


def test_ordinary_json_is_read():
    assert loads_limited(b'{"update_id": 1, "message": {"chat": {"id": -100}, "entities": [{"type": "x"}]}}') == {
        "update_id": 1,
        "message": {"chat": {"id": -100}, "entities": [{"type": "x"}]},
    }


def test_a_body_nested_a_hundred_thousand_deep_is_refused_not_a_recursion_error():
    with pytest.raises(JsonRefused, match="nested deeper"):
        loads_limited(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(JsonRefused, match="nested deeper"):
        loads_limited('{"a":' * 100_000 + "1" + "}" * 100_000, max_bytes=10**7)


def test_nesting_is_counted_in_objects_and_arrays_alike_up_to_the_limit():
    assert loads_limited(b"[" * 64 + b"]" * 64) is not None
    with pytest.raises(JsonRefused, match="nested deeper than 64"):
        loads_limited(b"[" * 65 + b"]" * 65)
    with pytest.raises(JsonRefused):
        loads_limited(b'{"a": [{"b": [{"c": 1}]}]}', max_depth=4)
    assert loads_limited(b'{"a": [{"b": [{"c": 1}]}]}', max_depth=5)


def test_a_body_too_large_or_not_json_is_refused():
    with pytest.raises(JsonRefused, match="more than 10"):
        loads_limited(b'"0123456789"', max_bytes=10)
    with pytest.raises(JsonRefused, match="not JSON"):
        loads_limited(b"\xff\xfe")
    with pytest.raises(JsonRefused, match="not JSON"):
        loads_limited(b"{")
