"""The adapter factory: ``[platforms.*]`` tables in, the adapters a worker delivers for out."""

from __future__ import annotations

import json

import attrs
import pytest
from dramatiq.rate_limits.backends import StubBackend

from linli.adapters import build_adapters, delivering_platforms
from linli.adapters.redis_list import RedisListAdapter
from linli.core.errors import SettingsError
from linli.core.events import Address, Outbound
from linli.core.settings import Settings


def settings(**platforms):
    return attrs.evolve(Settings(), platforms=platforms)


def test_a_redis_list_platform_is_built_from_its_table():
    adapters = build_adapters(
        settings(test={"kind": "redis-list", "url": "redis://127.0.0.1:6379/9", "list": "out"}),
        rate_backend=StubBackend(),
    )
    [(platform, adapter)] = adapters.items()
    assert platform == "test"
    assert isinstance(adapter, RedisListAdapter) and adapter.platform == "test" and adapter.key == "out"


def test_workers_never_deliver_for_the_console():
    assert delivering_platforms(settings(console={})) == []


def test_an_unknown_kind_is_a_settings_error_naming_the_table():
    with pytest.raises(SettingsError, match=r"\[platforms.xmpp\] kind: unknown adapter kind 'xmpp'"):
        delivering_platforms(settings(xmpp={"token": "x"}))


def test_a_missing_key_is_a_settings_error():
    with pytest.raises(SettingsError, match="needs list"):
        build_adapters(
            settings(test={"kind": "redis-list", "url": "redis://127.0.0.1:6379/9"}), rate_backend=StubBackend()
        )


@pytest.mark.redis
def test_the_redis_list_adapter_pushes_each_message_as_json(redis_url):
    adapter = RedisListAdapter(platform="test", url=redis_url, key="out")
    try:
        adapter.send(Outbound(Address("test", "group"), "你好", key="e1:core.help:m0"))
        body = json.loads(adapter._client.lpop("out"))
    finally:
        adapter.close()
    assert body["text"] == "你好" and body["key"] == "e1:core.help:m0" and body["delivered_at"] > 0


def test_a_telegram_platform_is_built_with_its_token_from_the_environment(monkeypatch):
    from linli.adapters.telegram import TelegramAdapter

    monkeypatch.setenv("LINLI_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("LINLI_TELEGRAM_API_URL", "http://127.0.0.1:9")
    [adapter] = build_adapters(settings(telegram={}), rate_backend=StubBackend()).values()
    assert isinstance(adapter, TelegramAdapter)
    assert adapter.config.api_url == "http://127.0.0.1:9" and adapter.config.bot_id == "123"
    adapter.close()


def test_a_telegram_adapter_keeps_its_flood_limits_in_the_backend_it_is_given(monkeypatch):
    monkeypatch.setenv("LINLI_TELEGRAM_TOKEN", "123:abc")
    backend = StubBackend()
    [adapter] = build_adapters(settings(telegram={}), rate_backend=backend).values()
    try:
        assert adapter.limits.backend is backend
    finally:
        adapter.close()


def test_telegram_without_a_token_is_a_settings_error(monkeypatch):
    monkeypatch.delenv("LINLI_TELEGRAM_TOKEN", raising=False)
    with pytest.raises(SettingsError, match="LINLI_TELEGRAM_TOKEN"):
        build_adapters(settings(telegram={}), rate_backend=StubBackend())


def test_a_matrix_platform_is_built_with_its_token_from_the_environment(monkeypatch):
    from linli.adapters.matrix import MatrixAdapter

    monkeypatch.setenv("LINLI_MATRIX_ACCESS_TOKEN", "syt_abc")
    [adapter] = build_adapters(
        settings(matrix={"homeserver": "http://127.0.0.1:9", "user_id": "@linli:x"}), rate_backend=StubBackend()
    ).values()
    assert isinstance(adapter, MatrixAdapter)
    assert adapter.config.access_token == "syt_abc" and adapter.config.user_id == "@linli:x"
    adapter.close()


def test_matrix_without_a_token_or_password_is_a_settings_error(monkeypatch):
    monkeypatch.delenv("LINLI_MATRIX_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("LINLI_MATRIX_PASSWORD", raising=False)
    with pytest.raises(SettingsError, match="LINLI_MATRIX_ACCESS_TOKEN"):
        build_adapters(
            settings(matrix={"homeserver": "http://127.0.0.1:9", "user_id": "@linli:x"}), rate_backend=StubBackend()
        )
