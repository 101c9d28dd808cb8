"""Whether the broker's Redis keeps its queues across a restart: checked, not assumed.

Everything on linli's queues lives in the broker until a worker has handled it: events
not yet dispatched (among them platform updates the gateway has already confirmed to
the platform, which will not send them again), handler calls, retries waiting for their
delay, scheduled jobs. A Redis without persistence (``appendonly no`` and no ``save``
points, the default of many packages and containers) loses all of it when it restarts;
one with snapshots only loses what came since the last snapshot; one with the
append-only file (AOF) and ``appendfsync everysec`` at most about a second of it.
``linli doctor`` and ``linli gateway`` say which (see docs/operations.md, "Redis in
production"). RabbitMQ's durable queues keep their messages; nothing is checked there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from attrs import frozen

from linli.core.i18n import N_

__all__ = ["RedisPersistence", "is_redis_url", "persistence_report", "redis_persistence"]

#: "ok": AOF on; "warn": a restart loses queued work; "unknown": Redis would not say
Status = Literal["ok", "warn", "unknown"]

KEEPS_NOTHING = N_(
    "{what}: Redis at {url} keeps nothing on disk (appendonly no, no save points). If it restarts, "
    "everything on linli's queues is lost: events not yet handled (platform updates that the gateway "
    "has already confirmed among them), retries and scheduled jobs. Turn on AOF: appendonly yes and "
    "appendfsync everysec in redis.conf (or redis-cli CONFIG SET appendonly yes, then CONFIG REWRITE); "
    'see docs/operations.md, "Redis in production"'
)
SNAPSHOTS_ONLY = N_(
    "{what}: Redis at {url} keeps only snapshots (save {save}): if it restarts, what was queued since "
    "the last snapshot is lost. Turn on AOF (appendonly yes, appendfsync everysec) to lose at most about "
    'a second; see docs/operations.md, "Redis in production"'
)
AOF_ON = N_("{what}: Redis at {url} writes its queues to its append-only file (appendfsync {fsync})")
UNKNOWN = N_(
    "{what}: cannot tell whether Redis at {url} keeps its queues on disk ({error}); make sure AOF is "
    "on (appendonly yes)"
)


@frozen
class RedisPersistence:
    """What a Redis server keeps on disk (``CONFIG GET``)."""

    #: whether the append-only file is on
    appendonly: bool
    #: its fsync policy: ``always``, ``everysec`` or ``no``
    appendfsync: str
    #: the snapshot points (``3600 1 300 100``), empty for none
    save: str

    @property
    def keeps_nothing(self) -> bool:
        return not self.appendonly and not self.save.strip()


def is_redis_url(url: str) -> bool:
    return url.startswith(("redis://", "rediss://", "unix://"))


def redis_persistence(url: str, *, timeout: float = 2.0) -> RedisPersistence:
    """Ask the Redis at ``url`` what it keeps on disk.

    Parameters:
      url: a ``redis://`` URL.
      timeout: seconds to connect and to wait for each answer.

    Raises:
      redis.RedisError: Redis cannot be reached, or refuses ``CONFIG GET`` (managed services
        often rename or disable it).
    """
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout, decode_responses=True)
    try:
        found = {**client.config_get("appendonly"), **client.config_get("appendfsync"), **client.config_get("save")}
    finally:
        client.close()
    return RedisPersistence(
        appendonly=str(found.get("appendonly", "no")).lower() == "yes",
        appendfsync=str(found.get("appendfsync", "")),
        save=str(found.get("save", "")),
    )


def persistence_report(url: str, what: str, t: Callable[..., str]) -> tuple[Status, str] | None:
    """One line on whether the Redis at ``url`` keeps linli's queues across a restart.

    Parameters:
      url: the broker's URL; ``None`` is returned for one that is not Redis.
      what: what the line is about, translated (``broker``).
      t: the translator of the reader's language.

    Returns: ``("ok", line)`` with AOF on, ``("warn", line)`` when a restart loses queued
    work, ``("unknown", line)`` when the server cannot be asked, ``None`` for another broker.
    """
    if not is_redis_url(url):
        return None
    shown = _without_password(url)
    try:
        found = redis_persistence(url)
    except Exception as exc:  # redis.RedisError, or an answer of an unexpected shape
        error = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return "unknown", t(UNKNOWN, what=what, url=shown, error=error)
    if found.appendonly:
        return "ok", t(AOF_ON, what=what, url=shown, fsync=found.appendfsync or "everysec")
    if found.keeps_nothing:
        return "warn", t(KEEPS_NOTHING, what=what, url=shown)
    return "warn", t(SNAPSHOTS_ONLY, what=what, url=shown, save=found.save)


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
