"""The chat adapters a process delivers for, built from the ``[platforms.*]`` settings.

Each ``[platforms.<name>]`` table configures one platform; its ``kind`` says which
adapter serves it (by default the platform's own name)::

    [platforms.test]
    kind = "redis-list"          # push each delivered message onto a Redis list
    url = "redis://127.0.0.1:6379/0"
    list = "linli:replies"

The console is not built here: it needs a terminal, so ``linli run`` and
``linli gateway --platform console`` make their own and deliver for it themselves.
    [platforms.telegram]          # the token comes from LINLI_TELEGRAM_TOKEN
    api_url = "https://api.telegram.org"

    [platforms.matrix]            # the token comes from LINLI_MATRIX_ACCESS_TOKEN
    homeserver = "https://matrix.example.org"
    user_id = "@linli:example.org"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from linli.core.errors import SettingsError

if TYPE_CHECKING:
    from dramatiq.rate_limits import RateLimiterBackend

    from linli.core.adapter import ChatAdapter
    from linli.core.blobs import BlobStore
    from linli.core.settings import Settings

__all__ = ["KINDS", "build_adapters", "delivering_platforms"]

#: the adapter kinds a ``[platforms.*]`` table may name, with the keys each requires.
KINDS: Mapping[str, tuple[str, ...]] = {
    "redis-list": ("url", "list"),
    # the token is a secret: it comes from the environment, checked when the adapter is built
    "telegram": (),
    # the token is a secret too (LINLI_MATRIX_ACCESS_TOKEN); the homeserver may come from the environment
    "matrix": (),
}

#: platforms whose adapter lives in a gateway process, never in a worker.
GATEWAY_ONLY = ("console",)


def _kind(platform: str, config: Mapping[str, Any]) -> str:
    kind = str(config.get("kind", platform))
    if kind not in KINDS:
        known = ", ".join(sorted(KINDS))
        raise SettingsError(f"[platforms.{platform}] kind: unknown adapter kind {kind!r} (known: {known})")
    missing = [key for key in KINDS[kind] if not config.get(key)]
    if missing:
        raise SettingsError(f"[platforms.{platform}]: kind {kind!r} needs {', '.join(missing)}")
    return kind


def delivering_platforms(settings: Settings) -> list[str]:
    """The platforms a worker process delivers for: every ``[platforms.*]`` table but the console's.

    Cheap: it checks the tables without importing or building any adapter.

    Parameters:
      settings: the loaded settings.

    Raises:
      SettingsError: a table names an unknown kind or lacks a key its kind needs.
    """
    platforms = []
    for platform, config in sorted(settings.platforms.items()):
        if platform in GATEWAY_ONLY:
            continue
        if not isinstance(config, Mapping):
            raise SettingsError(f"[platforms.{platform}] must be a table")
        _kind(platform, config)
        platforms.append(platform)
    return platforms


def build_adapters(
    settings: Settings, *, rate_backend: RateLimiterBackend, blobs: BlobStore | None = None
) -> dict[str, ChatAdapter]:
    """One adapter per platform a worker delivers for (see :func:`delivering_platforms`).

    Adapters connect lazily: building them does no I/O.

    Parameters:
      settings: the loaded settings.
      rate_backend: where the adapters keep their rate limits (Telegram's flood limits),
        shared by every process when it is Redis; the process that builds the adapters
        (see ``linli.workers.broker.build_rate_backend``) chooses it.
      blobs: where the files to send are stored; by default the store ``[storage] blobs`` names.

    Returns: the adapters by platform name.

    Raises:
      SettingsError: a ``[platforms.*]`` table is wrong.
    """
    platforms = delivering_platforms(settings)
    if blobs is None and platforms:
        from linli.core.blobs import open_blob_store

        blobs = open_blob_store(settings.storage.blobs, settings.base_dir)
    return {p: _build(p, settings.platforms[p], settings, rate_backend, blobs) for p in platforms}


def _build(
    platform: str,
    config: Mapping[str, Any],
    settings: Settings,
    rate_backend: RateLimiterBackend,
    blobs: BlobStore | None,
) -> ChatAdapter:
    kind = _kind(platform, config)
    if kind == "redis-list":
        from linli.adapters.redis_list import RedisListAdapter

        return RedisListAdapter(platform=platform, url=str(config["url"]), key=str(config["list"]))
    if kind == "telegram":
        from linli.adapters.telegram import TelegramAdapter, TelegramConfig

        return TelegramAdapter(
            TelegramConfig(config), storage_url=settings.storage.url, rate_backend=rate_backend, blobs=blobs
        )
    if kind == "matrix":
        from linli.adapters.matrix import MatrixAdapter, MatrixConfig

        return MatrixAdapter(MatrixConfig(config), storage_url=settings.storage.url, blobs=blobs)
    raise AssertionError(f"adapter kind {kind!r} is declared in KINDS but not built")  # pragma: no cover
