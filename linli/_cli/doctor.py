"""``linli doctor``: one line per check of a deployment, with what to do about it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from linli._cli.database import load_registry
from linli._cli.output import kind_text
from linli._cli.shared import State, pass_state
from linli._cli.shared import t as _t
from linli.core.errors import LinliError
from linli.core.plugin_names import ALWAYS_ENABLED, current_name

if TYPE_CHECKING:
    from linli.core.directory import DistrictInfo
    from linli.core.registry import PluginRegistry
    from linli.core.settings import DistrictSettings

__all__ = ["register"]

_MARKS = {"ok": ("✓", "green"), "warn": ("!", "yellow"), "fail": ("✗", "red")}


class _Report:
    """Doctor's findings, printed one line each as they come."""

    def __init__(self) -> None:
        self.failed = 0
        self.warned = 0

    def __call__(self, status: str, text: str) -> None:
        mark, colour = _MARKS[status]
        self.failed += status == "fail"
        self.warned += status == "warn"
        click.echo(click.style(mark, fg=colour) + " " + text)


def _safe(url: str) -> str:
    """``url`` with its password hidden."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _ping_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def _ping_amqp(url: str) -> None:
    import logging

    import pika

    # pika logs every failed attempt at ERROR with a traceback; the report line says it once
    logging.getLogger("pika").setLevel(logging.CRITICAL)
    params = pika.URLParameters(url)
    params.socket_timeout = 2
    params.stack_timeout = 4
    params.blocked_connection_timeout = 2
    params.connection_attempts = 1
    pika.BlockingConnection(params).close()


def _check_broker(report: _Report, url: str, what: str) -> bool:
    """Whether the broker at ``url`` answers (the in-process one always does)."""
    if url.startswith("memory:"):
        report(
            "ok",
            _t(
                "{what}: in-process (memory://), for `linli run`; a deployment with separate "
                "processes needs redis:// or amqp://",
                what=what,
            ),
        )
        return True
    if url.startswith(("redis://", "rediss://", "unix://")):
        ping = _ping_redis
    elif url.startswith(("amqp://", "amqps://")):
        ping = _ping_amqp
    else:
        report(
            "fail",
            _t(
                "{what}: {url!r} is not a broker URL: use memory://, redis://host:port/db or amqp://host",
                what=what,
                url=_safe(url),
            ),
        )
        return False
    try:
        ping(url)
    except Exception as exc:
        report(
            "fail",
            _t(
                "{what}: cannot reach {url} ({error}). Is the server running? Check [queue] in the "
                "settings or LINLI_BROKER_URL",
                what=what,
                url=_safe(url),
                error=_first_line(exc),
            ),
        )
        return False
    report("ok", _t("{what}: {url} answers", what=what, url=_safe(url)))
    return True


def _check_persistence(report: _Report, url: str, what: str) -> None:
    """Whether the broker's Redis keeps linli's queues across a restart."""
    from linli.workers.durability import persistence_report

    found = persistence_report(url, what, _t)
    if found is not None:
        status, line = found
        report("ok" if status == "ok" else "warn", line)


def _first_line(exc: BaseException) -> str:
    text = (exc.translated(_t) if isinstance(exc, LinliError) else str(exc)).strip()
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


def _with_connect_timeout(url: str) -> str:
    """A PostgreSQL URL that gives up connecting after a few seconds instead of hanging."""
    if not url.startswith("postgresql") or "connect_timeout" in url:
        return url
    return url + ("&" if "?" in url else "?") + "connect_timeout=3"


def _check_database(report: _Report, settings: Any, registry: PluginRegistry | None) -> list[DistrictInfo] | None:
    """Reachability and migrations; returns the districts when the schema is current."""
    import sqlalchemy as sa

    from linli.core import directory
    from linli.core.storage import Store
    from linli.core.storage.migrate import migration_dirs

    dirs = migration_dirs(registry.packages()) if registry is not None else []
    try:
        store = Store(_with_connect_timeout(settings.storage.url), migration_dirs=dirs)
    except (LinliError, OSError) as exc:
        report("fail", _t("database: {error}. Check [storage] url or LINLI_DATABASE_URL", error=_first_line(exc)))
        return None
    try:
        store.ping()
        report("ok", _t("database: {url} answers", url=store.safe_url))
        pending = store.pending_migrations()
        if pending:
            report(
                "fail",
                _t("database: migrations pending ({revisions}): run `linli db upgrade`", revisions=", ".join(pending)),
            )
            return None
        report("ok", _t("database: schema is current"))
        with store.connect() as conn:
            return directory.list_districts(conn)
    except LinliError as exc:
        report("fail", _t("database: {error}. Check [storage] url or LINLI_DATABASE_URL", error=_first_line(exc)))
    except sa.exc.SQLAlchemyError as exc:
        report("fail", _t("database: {error}", error=_first_line(getattr(exc, "orig", None) or exc)))
    finally:
        store.dispose()
    return None


def _check_districts(report: _Report, found: Sequence[Any], registry: PluginRegistry | None) -> None:
    if not found:
        report(
            "warn",
            _t(
                "districts: none yet: declare one under [districts.<id>] in the settings and run `linli districts sync`"
            ),
        )
        return
    for d in found:
        problems = registry.check_enabled({ALWAYS_ENABLED, *d.plugins}) if registry is not None else []
        if problems:
            report(
                "fail",
                _t(
                    "{kind} {id}: {problems}: install the plugin or `linli plugins disable NAME --district {id}`",
                    kind=kind_text(d.kind),
                    id=d.id,
                    problems="; ".join(p.translated(_t) for p in problems),
                ),
            )
        else:
            report(
                "ok",
                _t(
                    "{kind} {id}: plugins {plugins}",
                    kind=kind_text(d.kind),
                    id=d.id,
                    plugins=", ".join(sorted({ALWAYS_ENABLED, *map(current_name, d.plugins)})),
                ),
            )
        if not d.rooms:
            report(
                "warn",
                _t(
                    "{kind} {id}: no room is bound: `linli rooms bind ROOM --district {id}`",
                    kind=kind_text(d.kind),
                    id=d.id,
                ),
            )
        else:
            report("ok", _t("{kind} {id}: rooms {rooms}", kind=kind_text(d.kind), id=d.id, rooms=", ".join(d.rooms)))


def _check_declared(report: _Report, settings: Any, registry: PluginRegistry) -> None:
    """The settings' districts against the installed plugins: names, config values, cron expressions."""
    from linli.core.config import settings_file, settings_problems

    problems = settings_problems(settings.districts, registry)
    where = settings_file(settings)
    shown = where if isinstance(where, str) else where.translated(_t)
    for key, problem in problems:
        report("fail", _t("{file}: {key}: {problem}", file=shown, key=key, problem=problem.translated(_t)))
    if not problems and settings.districts:
        report("ok", _t("settings: the districts' plugins and configuration are valid"))


def _check_platforms(report: _Report, platforms: dict[str, Any], found: Sequence[Any]) -> None:
    needs = {"telegram": ("LINLI_TELEGRAM_TOKEN",), "matrix": ("LINLI_MATRIX_ACCESS_TOKEN",)}
    for name, conf in sorted(platforms.items()):
        if name not in needs and name != "console":
            report("warn", _t("platform {name}: linli has no adapter by that name", name=name))
            continue
        missing = [var for var in needs.get(name, ()) if not os.environ.get(var)]
        if name == "matrix":
            if os.environ.get("LINLI_MATRIX_PASSWORD"):  # a password login instead of a token
                missing = []
            for key in ("user_id", "homeserver"):
                if not (isinstance(conf, dict) and conf.get(key)):
                    missing.insert(0, f"[platforms.matrix] {key}")
        if missing:
            report(
                "fail",
                _t(
                    "platform {name}: {missing} not set: put it in the settings or the environment",
                    name=name,
                    missing=", ".join(missing),
                ),
            )
        else:
            report("ok", _t("platform {name}: configured", name=name))
    used = sorted({room.partition(":")[0] for d in found for room in d.rooms} - {"console", "test"})
    for name in used:
        if name not in platforms:
            report("warn", _t("platform {name}: rooms are bound but [platforms.{name}] is not configured", name=name))
    if not platforms and not used:
        report("ok", _t("platforms: console only (no [platforms.*] configured)"))


def _check_blobs(report: _Report, where: str, base: Any) -> None:
    """Whether the blob store (``[storage] blobs``) takes, gives back and deletes a file."""
    import uuid

    from linli.core.blobs import open_blob_store

    shown = _safe(where) if "://" in where else where
    probe = f"linli doctor {uuid.uuid4()}".encode()
    try:
        store = open_blob_store(where, base)
        key = store.put(probe)
        ok = store.get(key) == probe
        store.delete(key)
    except Exception as exc:
        report(
            "fail", _t("blob store {where}: not writable: {error}", where=shown, error=str(exc) or type(exc).__name__)
        )
        return
    if not ok:
        report("fail", _t("blob store {where}: what was written did not read back the same", where=shown))
        return
    report("ok", _t("blob store: {where} (photos and files are kept here)", where=shown))


@click.command(
    "doctor", help=_t("Check the settings, the database, the broker, plugins, room bindings and platform tokens.")
)
@pass_state
def doctor(state: State) -> None:
    report = _Report()
    try:
        settings = state.settings
    except LinliError as exc:
        report("fail", _t("settings: {error}", error=exc.translated(_t)))
        raise click.exceptions.Exit(1) from None
    report(
        "ok",
        _t(
            "settings: {path}", path=str(settings.path) if settings.path else _t("built-in defaults (no settings.toml)")
        ),
    )
    registry: PluginRegistry | None = None
    try:
        registry = load_registry()
        report("ok", _t("plugins installed: {plugins}", plugins=", ".join(sorted(registry.plugins))))
    except LinliError as exc:
        report("fail", _t("plugins: {error}", error=exc.translated(_t)))
    if registry is not None:
        _check_declared(report, settings, registry)
    from_db = _check_database(report, settings, registry)
    # when the database cannot tell, check what the settings declare
    found: Sequence[DistrictInfo | DistrictSettings] = settings.districts if from_db is None else from_db
    if _check_broker(report, settings.queue.broker, _t("broker")):
        _check_persistence(report, settings.queue.broker, _t("broker"))
    if settings.queue.rate_limit_url:
        _check_broker(report, settings.queue.rate_limit_url, _t("rate limits"))
    elif settings.queue.broker.startswith(("amqp://", "amqps://")):
        report(
            "warn",
            _t(
                "rate limits: kept in each process, so several workers together may flood a chat; "
                'set [queue] rate_limit_url = "redis://..."'
            ),
        )
    _check_districts(report, found, registry)
    if from_db is not None:
        for missing in sorted({d.id for d in settings.districts} - {d.id for d in from_db}):
            report(
                "warn",
                _t(
                    "district {id}: declared in the settings but not in the database: run `linli districts sync`",
                    id=missing,
                ),
            )
        from linli.core.directory import district_drift

        current = {d.id: d for d in from_db}
        for declared in settings.districts:
            if declared.id in current:
                for message in district_drift(current[declared.id], declared):
                    report("warn", message.translated(_t))
    _check_platforms(report, dict(settings.platforms), found)
    _check_blobs(report, settings.storage.blobs, settings.base_dir)
    if report.failed:
        click.echo(_t("{failed} problem(s), {warned} warning(s).", failed=report.failed, warned=report.warned))
        raise click.exceptions.Exit(1)
    click.echo(_t("All good ({warned} warning(s)).", warned=report.warned))


def register(main: click.Group) -> None:
    """Add this module's commands to ``main``."""
    for command in (doctor,):
        main.add_command(command)
