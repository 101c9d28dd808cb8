"""The embedded default: one process with the in-process broker, worker threads,
the scheduler and the console adapter."""

from __future__ import annotations

import gc
import sys
import threading
from pathlib import Path
from typing import TextIO

import structlog

from linli.adapters.console import ConsoleAdapter
from linli.core.errors import SettingsError
from linli.core.i18n import N_, translator
from linli.core.logging import configure_logging, log_stream
from linli.core.settings import Settings
from linli.workers.console_gateway import console_room
from linli.workers.runtime import Runtime
from linli.workers.scheduler import Scheduler

__all__ = ["run_console"]

log = structlog.get_logger("linli.run")


def _wait(runtime: Runtime, out: TextIO) -> None:
    """Wait for the replies to a line; a slow one (a retry) prints later instead of ending the session."""
    try:
        runtime.wait_idle(timeout=30.0)
    except TimeoutError:
        out.write(
            translator(runtime.settings.i18n.default_language)(
                N_("(still working on it: the answer will appear when it is ready)")
            )
            + "\n"
        )


def _log_to_file(settings: Settings) -> Path:
    """Send the log lines of this session to a file: on a terminal, standard error is shown
    between the replies, and a log line there breaks the conversation."""
    file = settings.logging.file or "var/linli.log"
    configure_logging(settings.logging.level, settings.logging.format, stream=log_stream(file, settings.base_dir))
    path = Path(file)
    return path if path.is_absolute() else settings.base_dir / path


def run_console(
    settings: Settings,
    *,
    district: str | None = None,
    speaker: str = "张三",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> None:
    """Run linli in this terminal until the person quits or the input ends.

    Raises:
      SettingsError: the settings name another broker than ``memory://``.
      NotFound: ``district`` does not exist.
    """
    if not settings.queue.broker.startswith("memory:"):
        raise SettingsError(
            f"linli run uses the in-process broker; [queue] broker is {settings.queue.broker!r}. "
            "Use `linli gateway` and `linli worker` for a deployment."
        )
    runtime = Runtime(settings)
    runtime.prepare_database()
    log_file = _log_to_file(settings)
    drift = runtime.settings_drift()
    chosen, room = console_room(runtime, district, by="linli run")
    console_out = stdout or sys.stdout
    console = ConsoleAdapter(
        room=room.partition(":")[2],
        speaker=speaker,
        stdin=stdin or sys.stdin,
        stdout=stdout or sys.stdout,
        after_submit=lambda: _wait(runtime, console_out),
        language=chosen.language,
    )
    runtime.adapters["console"] = console
    # what start-up built lives as long as the session: the cyclic GC need not walk it again
    gc.collect()
    gc.freeze()
    worker = runtime.worker()
    worker.start()
    stop_scheduler = threading.Event()
    # a daemon thread: a hung job enqueue must not keep the terminal from closing
    scheduler = threading.Thread(
        target=Scheduler(runtime).run, args=(stop_scheduler,), name="linli-scheduler", daemon=True
    )
    scheduler.start()
    try:
        console.stdout.write(f"== {chosen.name} ({chosen.id}) ==\n")
        t = translator(chosen.language)
        for message in drift:
            console.stdout.write(t("({message})", message=message.translated(t)) + "\n")
        if console.interactive:
            console.stdout.write(t(N_("(log lines go to {file})"), file=str(log_file)) + "\n")
        # each line is dispatched, handled and delivered in this thread (see linli.transport.inprocess),
        # on one connection kept for the whole session
        with runtime.store.session():
            console.run_gateway(runtime.submit)
        _wait(runtime, console_out)
    finally:
        stop_scheduler.set()
        scheduler.join(timeout=5)
        worker.stop()
        runtime.close()
