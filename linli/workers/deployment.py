"""What a multi-process deployment (gateway, workers, scheduler) checks before it builds anything.

Light on purpose: ``linli worker`` calls these in the Dramatiq parent process,
which forks the worker processes and should not carry SQLAlchemy and the plugins
itself. The queue names mirror :meth:`Runtime.queues_for`, computed from the
``linli.plugins`` entry-point names (which the registry requires to equal the
plugin names) instead of importing the plugins.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from linli.core.errors import SettingsError

if TYPE_CHECKING:
    from linli.core.i18n import Message
    from linli.core.settings import Settings

__all__ = ["check_queues", "default_queues", "report_drift", "require_shared_broker"]

PLUGIN_ENTRY_POINTS = "linli.plugins"


def report_drift(messages: Iterable[Message]) -> None:
    """Say on standard error, in the terminal's language, that the settings' districts differ
    from the database's: a process started after editing settings.toml would otherwise seem
    to ignore the edit."""
    from linli.core.i18n import terminal_language, translator

    t = translator(terminal_language())
    for message in messages:
        print(t("Warning: {message}", message=message.translated(t)), file=sys.stderr)


def require_shared_broker(settings: Settings, command: str) -> None:
    """Parameters: settings: the loaded settings. command: what is starting, for the message.

    Raises: SettingsError: the broker is the in-process one, which other processes cannot reach.
    """
    if settings.queue.broker.startswith("memory:"):
        raise SettingsError(
            f"{command} needs a broker shared between processes, but [queue] broker is "
            f"{settings.queue.broker!r}. Set it (or LINLI_BROKER_URL) to redis://host:6379/0 or "
            "amqp://host, or use `linli run` for everything in one process."
        )


def _names() -> tuple[str, Iterable[str], str]:
    from linli.transport.queues import EVENTS_QUEUE, outbox_queue, plugin_queue  # light: no Dramatiq

    plugins = sorted(ep.name for ep in entry_points(group=PLUGIN_ENTRY_POINTS))
    return EVENTS_QUEUE, [plugin_queue(p) for p in plugins], outbox_queue("")


def default_queues(platforms: Iterable[str]) -> list[str]:
    """The queues a worker consumes by default: ``linli.events``, every plugin's queue and
    the outbox queues of ``platforms`` (those it has adapters for)."""
    events, plugins, outbox_prefix = _names()
    return [events, *plugins, *(outbox_prefix + p for p in sorted(platforms))]


def check_queues(queues: Iterable[str], platforms: Iterable[str]) -> None:
    """Refuse queue names no worker of this deployment could serve.

    Parameters:
      queues: the names asked for.
      platforms: the platforms this worker has adapters for.

    Raises:
      SettingsError: a name is no linli queue, or names an outbox this worker cannot deliver
        (consuming it would only fail and retry the messages another process should send).
    """
    events, plugins, outbox_prefix = _names()
    platforms = set(platforms)
    for name in queues:
        if name == events or name in plugins:
            continue
        if name.startswith(outbox_prefix):
            platform = name[len(outbox_prefix) :]
            if platform in platforms:
                continue
            raise SettingsError(
                f"queue {name!r}: this worker has no {platform} adapter"
                + (
                    " (the console gateway delivers its own messages)"
                    if platform == "console"
                    else f"; configure [platforms.{platform}]"
                )
            )
        known = ", ".join([events, *plugins, *(outbox_prefix + p for p in sorted(platforms))])
        raise SettingsError(f"queue {name!r} is not one of linli's queues here: {known}")
