"""``linli gateway --platform telegram``: one bot's updates onto the shared broker.

The workers deliver the replies (the ``linli.outbox.telegram`` queue); this process
only receives, by long polling or, with ``--webhook``, as a webhook.
"""

from __future__ import annotations

import structlog

from linli.core.errors import SettingsError
from linli.core.settings import Settings
from linli.workers.deployment import report_drift, require_shared_broker
from linli.workers.runtime import Runtime

__all__ = ["run_telegram_gateway"]

log = structlog.get_logger("linli.gateway")


def run_telegram_gateway(settings: Settings, *, webhook: bool = False) -> None:
    """Receive until SIGTERM or Ctrl-C.

    Parameters:
      settings: the loaded settings (a Redis or RabbitMQ broker, the deployment's database,
        ``[platforms.telegram]``).
      webhook: serve a webhook instead of long polling.

    Raises:
      SettingsError: the broker is the in-process one, or the Telegram settings are wrong.
    """
    from linli.adapters.telegram import TelegramAdapter, TelegramConfig

    require_shared_broker(settings, "linli gateway")
    config = settings.platforms.get("telegram")
    if config is None:
        raise SettingsError("add a [platforms.telegram] table to the settings to run the Telegram gateway")
    rt = Runtime(settings)
    report_drift(rt.settings_drift())
    adapter = TelegramAdapter(
        TelegramConfig(config), storage_url=settings.storage.url, rate_backend=rt.rate_backend, blobs=rt.blobs
    )
    try:
        if webhook:
            adapter.run_webhook(rt.submit)
        else:
            adapter.run_gateway(rt.submit)
    finally:
        adapter.close()
        rt.close()
