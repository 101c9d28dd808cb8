"""The names of linli's queues (light: no Dramatiq import, for the processes that only check them)."""

from __future__ import annotations

__all__ = ["EVENTS_QUEUE", "outbox_queue", "plugin_queue"]

#: platform events and published domain events, for the dispatch step
EVENTS_QUEUE = "linli.events"


def plugin_queue(name: str) -> str:
    """One plugin's handler calls and scheduled jobs, for the handle step."""
    return f"linli.plugin.{name}"


def outbox_queue(platform: str) -> str:
    """ "Deliver this room" for one platform, for the deliver step."""
    return f"linli.outbox.{platform}"
