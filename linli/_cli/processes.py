"""Process commands of a deployment: ``worker``, ``gateway``, ``scheduler``.

Only click is imported at the top: ``linli --help`` must stay fast, and
``linli worker`` becomes the Dramatiq parent process, which forks the workers
and should stay small itself.
"""

from __future__ import annotations

import os
from typing import Any

import click

from linli._cli.shared import State, pass_state
from linli._cli.shared import t as _t

__all__ = ["register"]

#: the gateways that exist.
GATEWAY_PLATFORMS = ("console", "telegram", "matrix")


def _split(values: tuple[str, ...]) -> list[str]:
    return [name for value in values for name in value.replace(",", " ").split()]


def _report_drift(settings: Any, registry: Any) -> None:
    """Warn, once before the worker processes start, when settings.toml's districts differ from the database's."""
    from linli.core import directory
    from linli.core.storage import Store
    from linli.core.storage.migrate import migration_dirs
    from linli.workers.deployment import report_drift

    store = Store(settings.storage.url, migration_dirs=migration_dirs(registry.packages()))
    try:
        with store.connect() as conn:
            report_drift(directory.settings_drift(conn, settings.districts))
    except Exception:
        pass
    finally:
        store.dispose()


@click.command(
    help=_t(
        "Run worker processes on the shared broker.\n\n"
        "They handle events and deliver messages. This is Dramatiq's worker: SIGTERM or Ctrl-C "
        "stops them gracefully, SIGHUP restarts them. By default they consume "
        "linli.events, every plugin queue and the outbox queues of the platforms configured under "
        "[platforms.*]; never the console's, which its gateway delivers."
    )
)
@click.option(
    "--processes", "-p", type=click.IntRange(min=1), help=_t("Worker processes to start (default: one per CPU).")
)
@click.option(
    "--threads", "-t", type=click.IntRange(min=1), help=_t("Threads per process (default: [queue] worker_threads).")
)
@click.option(
    "--queues",
    "-Q",
    multiple=True,
    metavar="NAME[,NAME...]",
    help=_t("Consume only these queues (repeat the option or separate names with commas)."),
)
@click.option("--pid-file", type=click.Path(dir_okay=False), help=_t("Write the parent process id to this file."))
@pass_state
@click.pass_context
def worker(
    ctx: click.Context,
    state: State,
    processes: int | None,
    threads: int | None,
    queues: tuple[str, ...],
    pid_file: str | None,
) -> None:
    from linli.adapters import delivering_platforms
    from linli.workers.deployment import check_queues, default_queues, require_shared_broker

    settings = state.settings
    require_shared_broker(settings, "linli worker")
    platforms = delivering_platforms(settings)
    # Dramatiq reads its idle poll interval from the environment when first imported, and its
    # CLI passes no other value to the workers it starts: set it before anything imports it
    os.environ["dramatiq_worker_timeout"] = str(settings.queue.worker_timeout_ms)  # noqa: SIM112 - its spelling
    from linli._cli.database import load_registry
    from linli.core.config import check_districts

    # here, before the processes start: each would stop on it, and the parent start them again
    registry = load_registry()
    check_districts(settings, registry)
    _report_drift(settings, registry)
    chosen = _split(queues)
    if chosen:
        check_queues(chosen, platforms)
    else:
        chosen = default_queues(platforms)
    if settings.path is not None:
        os.environ["LINLI_SETTINGS"] = str(settings.path)  # for linli.workers.boot in each process

    argv = [
        "linli.workers.boot:broker",
        "--threads",
        str(threads or settings.queue.worker_threads),
        "--path",
        "--skip-logging",
        "--queues",
        *chosen,
    ]  # "--path" with no folder: keep sys.path as is
    if processes:
        argv += ["--processes", str(processes)]
    if pid_file:
        argv += ["--pid-file", pid_file]
    from linli.workers.parent import become_dramatiq_parent, main

    if os.name == "posix":
        # the worker processes are forked from a parent without the CLI, at [queue] worker_optimize
        become_dramatiq_parent(argv, settings.queue.worker_optimize)
    ctx.exit(main(argv))


@click.command(
    help=_t(
        "Connect a chat platform to the shared broker.\n\n"
        "Each event received goes onto the queue for the workers. The console reads "
        "this terminal or a pipe, like `linli run`, and prints the replies. Telegram receives one "
        "bot's updates by long polling (or as a webhook with --webhook); Matrix syncs one bot account's "
        "rooms; the workers send their replies."
    )
)
@click.option(
    "--platform",
    type=click.Choice(GATEWAY_PLATFORMS),
    required=True,
    help=_t("The platform to connect: console, telegram or matrix."),
)
@click.option(
    "--webhook",
    is_flag=True,
    help=_t("Telegram: receive updates as a webhook ([platforms.telegram] webhook_url) instead of long polling."),
)
@click.option("--district", "-d", help=_t("The district to talk in (default: the first one)."))
@click.option("--as", "speaker", default="张三", show_default=True, help=_t("Who speaks first."))
@click.option(
    "--reply-timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help=_t("With piped input, the most seconds to wait for one line's replies."),
)
@pass_state
def gateway(
    state: State, platform: str, webhook: bool, district: str | None, speaker: str, reply_timeout: float
) -> None:
    _warn_unless_durable(state.settings.queue.broker)
    if platform == "matrix":
        from linli.workers.matrix_gateway import run_matrix_gateway

        run_matrix_gateway(state.settings)
        return
    if platform == "telegram":
        from linli.workers.telegram_gateway import run_telegram_gateway

        run_telegram_gateway(state.settings, webhook=webhook)
        return
    from linli.workers.console_gateway import run_console_gateway

    run_console_gateway(state.settings, district=district, speaker=speaker, reply_timeout=reply_timeout)


def _warn_unless_durable(broker: str) -> None:
    """One warning on stderr when the broker's Redis would lose what the gateway queues on a restart
    (not when it cannot be asked: a managed Redis that refuses CONFIG would warn at every start)."""
    from linli.workers.durability import is_redis_url, persistence_report

    if not is_redis_url(broker):
        return
    found = persistence_report(broker, _t("broker"), _t)
    if found is not None and found[0] == "warn":
        click.secho(_t("Warning: {text}", text=found[1]), fg="yellow", err=True)


@click.command(
    help=_t(
        "Fire the plugins' scheduled jobs.\n\n"
        "Per district, in the district's time zone, by putting them on the queues for the workers. "
        "Run one; a second one waits idle as a standby."
    )
)
@pass_state
def scheduler(state: State) -> None:
    from linli.workers.scheduler import run_scheduler

    run_scheduler(state.settings)


def register(main: click.Group) -> None:
    """Add this module's commands to ``main``."""
    for command in (worker, gateway, scheduler):
        main.add_command(command)
