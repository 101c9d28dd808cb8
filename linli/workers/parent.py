"""The process ``linli worker`` becomes: Dramatiq's parent, without the CLI.

``linli worker`` checks the settings and chooses the queues, then replaces itself
(:func:`become_dramatiq_parent`, same process id) with
``python -OO -m linli.workers.parent DRAMATIQ-ARGS`` (the ``-O`` level is
``[queue] worker_optimize``; :func:`uncached_modules` tells a worker process whether
its modules had bytecode for it). Dramatiq forks the worker
processes from this one, and a forked process keeps all of its parent's Python
objects: forked from the CLI, each worker carried click, every command of the
CLI and the parent's settings, about 1 MB that it never used (and the parent
5 MB). This process imports only what the workers import anyway: the settings,
logging and Dramatiq's command line.

The environment carries everything over: ``LINLI_SETTINGS``, Dramatiq's
``dramatiq_worker_timeout`` and the ``LINLI_*`` overrides.

The worker processes die with this one (:func:`die_with_parent`): Dramatiq's
parent stops its workers when it is stopped, but a parent killed with SIGKILL (an
out-of-memory killer, a supervisor that gave up waiting) left them consuming as
orphans, and the supervisor's restart then doubled the workers.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from importlib.machinery import SourceFileLoader
from typing import NoReturn

__all__ = ["PARENT_PID_ENV", "become_dramatiq_parent", "command", "die_with_parent", "main", "uncached_modules"]

#: the environment variable in which Dramatiq's parent tells its worker processes its pid
PARENT_PID_ENV = "LINLI_WORKER_PARENT_PID"
# <linux/prctl.h>
_PR_SET_PDEATHSIG = 1


def command(argv: list[str], optimize: int = 0) -> list[str]:
    """The command line of Dramatiq's parent run with the arguments ``argv`` at the
    ``-O`` level ``optimize``; ``-P`` keeps the current folder off ``sys.path``."""
    flags = ["-" + "O" * optimize] if optimize else []
    return [sys.executable, *flags, "-P", "-m", "linli.workers.parent", *argv]


def become_dramatiq_parent(argv: list[str], optimize: int = 0) -> NoReturn:
    """Replace this process with Dramatiq's parent, run with the arguments ``argv``.

    Parameters:
      argv: Dramatiq's command line.
      optimize: the new interpreter's ``-O`` level (``[queue] worker_optimize``); the
        worker processes it forks keep it. ``PYTHONOPTIMIZE`` is left out of the new
        process's environment, so that this level is the one it runs at.

    The new interpreter finds modules where this one did: the first entry of
    ``sys.path`` (the current folder under ``python -m linli``, the script's under
    the ``linli`` command) goes ahead of ``PYTHONPATH``. Other interpreter options
    given on the command line (``-X``, ``-W``) do not carry over; their ``PYTHON*``
    environment variables do.
    """
    env = dict(os.environ)
    first = sys.path[0] if sys.path and sys.path[0] else os.getcwd()
    env["PYTHONPATH"] = os.pathsep.join([first, *filter(None, [env.get("PYTHONPATH")])])
    env.pop("PYTHONOPTIMIZE", None)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    line = command(argv, optimize)
    os.execve(line[0], line, env)


def uncached_modules() -> dict[str, list[str]]:
    """The modules imported from source that have no bytecode on disk at this process's
    ``-O`` level, by the ``sys.path`` folder they come from.

    Python compiled them when they were imported and could not write what it
    compiled (``PYTHONDONTWRITEBYTECODE``, a read-only folder), so every process
    start compiles them again: a slower start, and memory that the compiler leaves
    fragmented. ``pip install`` writes bytecode for ``-O0`` only; ``python -OO -m
    compileall FOLDER`` writes it for ``-OO``.
    """
    roots = sorted({os.path.abspath(p) for p in sys.path if p}, key=len, reverse=True)
    found: dict[str, list[str]] = {}
    for name, module in list(sys.modules.items()):
        spec = getattr(module, "__spec__", None)
        origin, cached = getattr(spec, "origin", None), getattr(spec, "cached", None)
        # only a source file's loader writes bytecode beside it (not a zip file's, say)
        from_source = isinstance(getattr(spec, "loader", None), SourceFileLoader)
        if not (from_source and origin and cached) or os.path.exists(cached):
            continue
        root = next((r for r in roots if origin.startswith(r + os.sep)), os.path.dirname(origin))
        found.setdefault(root, []).append(name)
    return {root: sorted(names) for root, names in sorted(found.items())}


def die_with_parent(signum: int = signal.SIGTERM, *, grace: float = 30.0) -> bool:
    """Stop this process when its parent dies: ``signum`` at once, SIGKILL ``grace`` seconds
    later if it is still there; returns whether the kernel sends ``signum`` itself (Linux:
    ``prctl(PR_SET_PDEATHSIG)``).

    Called in each worker process as it boots (:mod:`linli.workers.boot`). SIGTERM is the
    signal Dramatiq's parent sends its workers when it is stopped: a worker finishes the
    messages it is running, gives back those it had fetched, and exits. When the parent
    died before this call, the process has a new parent already and the kernel would never
    signal it: it sends itself ``signum`` then, if the parent's pid is known
    (:data:`PARENT_PID_ENV`, set by :func:`main`). A daemon thread looks at the parent's
    pid once a second: it sends ``signum`` where the kernel cannot, and SIGKILL when a
    graceful stop has not ended after ``grace`` seconds (an orphan's output goes to a pipe
    that no one reads any more, and a full pipe blocks whatever writes to it).

    Parameters:
      signum: the signal that stops the process gracefully.
      grace: the seconds a graceful stop may take once the parent is gone.
    """
    known = os.environ.get(PARENT_PID_ENV, "")
    parent = int(known) if known.isascii() and known.isdigit() else os.getppid()
    by_kernel = _ask_the_kernel(signum)
    if os.getppid() != parent:
        os.kill(os.getpid(), signum)
    watch = threading.Thread(
        target=_stop_without_parent, args=(parent, signum, not by_kernel, grace), name="linli-parent", daemon=True
    )
    watch.start()
    return by_kernel


def _ask_the_kernel(signum: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _stop_without_parent(parent: int, signum: int, send: bool, grace: float) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    if send:
        os.kill(os.getpid(), signum)
    time.sleep(grace)
    os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    """Run Dramatiq's parent with the arguments ``argv``; returns its exit code.

    Raises:
      SettingsError: the settings are wrong.
      BrokerError: Dramatiq was imported before ``[queue] worker_timeout_ms`` was applied.
    """
    from linli.core.logging import configure_logging, log_stream
    from linli.core.settings import load_settings

    settings = load_settings()
    # Dramatiq's own lines in this process (a worker that died, a restart) read like linli's
    stream = log_stream(settings.logging.file, settings.base_dir)
    configure_logging(settings.logging.level, settings.logging.format, stream=stream)
    import dramatiq.cli
    import dramatiq.worker

    if settings.queue.worker_timeout_ms != dramatiq.worker.WORKER_TIMEOUT:  # run in the CLI's process
        from linli.core.errors import BrokerError

        raise BrokerError("Dramatiq was imported before `linli worker` could set its worker timeout")
    args = dramatiq.cli.make_argument_parser().parse_args(argv)  # type: ignore[no-untyped-call]
    os.environ[PARENT_PID_ENV] = str(os.getpid())  # for die_with_parent in the workers it forks
    code: int = dramatiq.cli.main(args)  # type: ignore[no-untyped-call]
    return code


def _run(argv: list[str]) -> int:
    """:func:`main`, with linli's errors as one line on stderr, as the CLI prints them."""
    from linli.core.errors import LinliError
    from linli.core.i18n import terminal_language, translator

    try:
        return main(argv)
    except LinliError as exc:
        t = translator(terminal_language())
        print(t("Error: {message}", message=exc.translated(t)), file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    dramatiq_argv = sys.argv[1:]
    # On SIGHUP Dramatiq restarts its parent by exec'ing sys.argv: make it this command again,
    # at this level (sys.argv[0] alone would be this file, which is not executable)
    sys.argv = command(dramatiq_argv, sys.flags.optimize)
    sys.exit(_run(dramatiq_argv))
