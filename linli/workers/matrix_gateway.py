"""``linli gateway --platform matrix``: one bot account's room events onto the shared broker.

The workers deliver the replies (the ``linli.outbox.matrix`` queue); this process syncs,
answers invites (bound rooms and ``allow_rooms`` are joined, others declined), and tells an
encrypted room that the bot cannot read it.
"""

from __future__ import annotations

import structlog

from linli.core.errors import SettingsError, StorageError
from linli.core.i18n import N_
from linli.core.settings import Settings
from linli.workers.deployment import report_drift, require_shared_broker
from linli.workers.runtime import Runtime

__all__ = ["run_matrix_gateway"]

log = structlog.get_logger("linli.gateway")


def run_matrix_gateway(settings: Settings) -> None:
    """Sync until SIGTERM or Ctrl-C.

    Parameters:
      settings: the loaded settings (a Redis or RabbitMQ broker, the deployment's database,
        ``[platforms.matrix]``).

    Raises:
      SettingsError: the broker is the in-process one, or the Matrix settings are wrong.
      StorageError: the database is not upgraded.
    """
    from linli.adapters.matrix import MatrixAdapter, MatrixConfig, RoomPolicy

    require_shared_broker(settings, "linli gateway")
    table = settings.platforms.get("matrix")
    if table is None:
        raise SettingsError("add a [platforms.matrix] table to the settings to run the Matrix gateway")
    config = MatrixConfig(table)
    rt = Runtime(settings)
    report_drift(rt.settings_drift())
    pending = rt.store.pending_migrations()
    if pending:  # the sync token and the direct rooms live in the database
        rt.close()
        raise StorageError(
            N_("the database schema is not current (pending: {revisions}); run `linli db upgrade`"),
            revisions=", ".join(pending),
        )

    def allowed(room: str) -> bool:
        if room in config.allow_rooms:
            return True
        with rt.store.connect() as conn:
            return rt.directory.district_of_room(conn, f"matrix:{room}") is not None

    def language(room: str) -> str:
        with rt.store.connect() as conn:
            district = rt.directory.district_of_room(conn, f"matrix:{room}")
        return district.language if district is not None else settings.i18n.default_language

    policy = RoomPolicy(allowed, accept_direct=config.accept_direct, language=language)
    adapter = MatrixAdapter(config, storage_url=settings.storage.url, policy=policy, blobs=rt.blobs)
    try:
        adapter.run_gateway(rt.submit)
    finally:
        adapter.close()
        rt.close()
