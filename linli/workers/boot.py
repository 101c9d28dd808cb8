"""The module each Dramatiq worker process imports: ``linli.workers.boot:broker``.

Why importing this module builds things, against the house rule: Dramatiq's
worker CLI (which ``linli worker`` wraps, for its process supervision and
signal handling) starts every worker process by importing a module and reading
a broker from it. Nothing of ours runs in that process before the import, so
the import is where the process is set up: the settings named by
``LINLI_SETTINGS``, logging, the adapters it delivers for, and the
:class:`~linli.workers.runtime.Runtime` whose actors the broker carries. No other
module imports this one; tests and ``linli run`` build a Runtime themselves.

``[queue] worker_timeout_ms`` is applied by ``linli worker`` in the parent
process (Dramatiq reads it from ``dramatiq_worker_timeout`` when first
imported). ``[queue] heartbeat_timeout_ms`` and ``maintenance_chance`` tune the
Redis broker's crash recovery (see :mod:`linli.workers.broker`).
"""

from __future__ import annotations

import gc
import os
import shlex
import sys

import structlog

from linli.adapters import build_adapters
from linli.core.errors import LinliError
from linli.core.logging import configure_logging, log_stream
from linli.core.settings import Settings, load_settings
from linli.workers._malloc import limit_malloc_arenas
from linli.workers.broker import build_broker, build_rate_backend
from linli.workers.deployment import require_shared_broker
from linli.workers.parent import die_with_parent, uncached_modules
from linli.workers.runtime import Runtime

__all__ = ["boot", "broker", "runtime"]

log = structlog.get_logger("linli.worker")


def boot(settings: Settings | None = None) -> Runtime:
    """Set up this worker process and return its runtime.

    Parameters:
      settings: the settings; by default read from ``LINLI_SETTINGS`` (or ``./settings.toml``).

    Raises:
      SettingsError: the settings are wrong, or name the in-process broker.
    """
    # before Dramatiq starts its threads, each of which would get a malloc arena of its own
    limit_malloc_arenas(2)
    # a worker process outlives no parent: orphans would go on consuming beside the restarted ones
    die_with_parent()
    settings = settings or load_settings()
    fmt = settings.logging.format
    if fmt == "auto":
        # Dramatiq hands our stderr to a pipe read by its parent: ask the real terminal
        fmt = "pretty" if sys.__stderr__ is not None and sys.__stderr__.isatty() else "json"
    configure_logging(settings.logging.level, fmt, stream=log_stream(settings.logging.file, settings.base_dir))
    require_shared_broker(settings, "a linli worker")
    broker = build_broker(settings.queue)
    rt = Runtime(
        settings, adapters=build_adapters(settings, rate_backend=build_rate_backend(settings.queue)), broker=broker
    )
    # modules, plugins and the runtime live as long as the process: the cyclic GC need not walk them again
    gc.collect()
    gc.freeze()
    log.info("worker process ready", pid=os.getpid(), delivers_for=sorted(rt.adapters), optimize=sys.flags.optimize)
    uncached = uncached_modules()
    if uncached:
        flag = "-" + "O" * sys.flags.optimize + " " if sys.flags.optimize else ""
        log.warning(
            "modules without bytecode were compiled at start: a slower start and more memory",
            modules=sum(map(len, uncached.values())),
            optimize=sys.flags.optimize,
            fix=f"python {flag}-m compileall -q {shlex.join(uncached)}",
        )
    return rt


try:
    runtime = boot()
except LinliError as exc:
    # Dramatiq reports an ImportError as "failed to import module" and exits with its code 2
    raise ImportError(f"linli worker cannot start: {exc.message}") from exc
broker = runtime.broker
