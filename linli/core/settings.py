"""Settings: ``settings.toml`` parsed once into frozen attrs classes.

Precedence, highest first: ``LINLI_*`` environment variables, the settings file,
the defaults below. ``LINLI_DATABASE_URL`` and ``LINLI_BROKER_URL`` are the two
every deployment sets; any scalar key can be overridden as
``LINLI_<SECTION>_<KEY>`` (``LINLI_QUEUE_WORKER_THREADS=8``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import cattrs
from attrs import field, frozen

from linli.core.errors import SettingsError
from linli.core.i18n import N_, Message

__all__ = [
    "AttachmentSettings",
    "DistrictSettings",
    "I18nSettings",
    "LoggingSettings",
    "PrivacySettings",
    "QueueSettings",
    "SchedulerSettings",
    "Settings",
    "StorageSettings",
    "WebSettings",
    "load_settings",
]

LANGUAGES = ("zh_CN", "en")
#: what people call each kind of district (msgids: translate them)
DISTRICT_KINDS = {"community": N_("community"), "village": N_("village"), "grid": N_("grid")}
_DISTRICT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_ROOM = re.compile(r"^[a-z]+:.+$")


class Invalid(ValueError):
    """A value the settings refuse: what is wrong, translated when shown.

    Parameters:
      key: the key, when the raiser knows it (a validator does; a type check does not).
      message: what is wrong with the value.
    """

    def __init__(self, key: str, message: Message) -> None:
        super().__init__(f"{key}: {message}" if key else str(message))
        self.key = key
        self.message = message


def _language(_: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in LANGUAGES:
        raise Invalid(
            attribute.name,
            Message(N_("must be one of {choices}, not {value}"), choices=", ".join(LANGUAGES), value=repr(value)),
        )


def _timezone(_: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            attribute.name, Message(N_("unknown time zone {value} (try 'Asia/Shanghai')"), value=repr(value))
        ) from None


def _positive(_: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if value <= 0:
        raise Invalid(attribute.name, Message(N_("must be positive, not {value}"), value=value))


def _not_negative(_: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if value < 0:
        raise Invalid(attribute.name, Message(N_("must be 0 or more, not {value}"), value=value))


def _optimize_level(_: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if value not in (0, 1, 2):
        raise Invalid(attribute.name, Message(N_("must be 0, 1 or 2 (python -O, -OO), not {value}"), value=value))


@frozen
class StorageSettings:
    #: SQLAlchemy URL. ``sqlite:///var/linli.db`` (relative to the settings file) or
    #: ``postgresql+psycopg://user@host/db``.
    url: str = "sqlite:///var/linli.db"
    echo: bool = False
    #: sent messages (their texts are personal data) and processed-event marks are
    #: deleted after this many days; a redelivery can never be that late.
    retention_days: int = field(default=30, validator=_positive)
    #: SQLite only: ``normal`` (the default) loses nothing when linli crashes, and at most the
    #: last commits on a power cut or a kernel crash; ``full`` loses none then either, at the
    #: cost of a flush to disk per commit (docs/operations.md has the figures).
    sqlite_synchronous: Literal["normal", "full"] = "normal"
    #: where the photos and files people send are kept: a directory (relative to the
    #: settings file), or ``s3://bucket/prefix`` for an S3-compatible store.
    blobs: str = "var/blobs"


@frozen
class AttachmentSettings:
    """Limits on the photos, files and voice notes people send (docs/operations.md)."""

    max_photo_mb: int = field(default=10, validator=_positive)
    max_file_mb: int = field(default=20, validator=_positive)
    max_voice_mb: int = field(default=10, validator=_positive)
    #: a photo or file sent this soon after a suggestion, need or case message, in the same
    #: chat, is attached to it
    follow_up_minutes: int = field(default=10, validator=_positive)


@frozen
class QueueSettings:
    #: ``memory://`` (in-process, the embedded default), ``redis://host:port/db`` or ``amqp://...``.
    broker: str = "memory://"
    #: where the shared rate limiters and locks live; defaults to the broker when it is Redis.
    rate_limit_url: str = ""
    worker_threads: int = field(default=4, validator=_positive)
    #: how long an idle consumer waits between polls; lower means lower latency, more polling.
    worker_timeout_ms: int = field(default=100, validator=_positive)
    #: the ``-O`` level ``linli worker`` runs its processes at: 2 leaves out docstrings and
    #: ``assert`` statements (about 4 MB less per process), 0 runs plain ``python``.
    worker_optimize: int = field(default=2, validator=_optimize_level)
    max_retries: int = field(default=10, validator=_not_negative)
    #: Redis broker: a worker silent this long counts as dead, and its unacknowledged
    #: messages go back on their queues.
    heartbeat_timeout_ms: int = field(default=60_000, validator=_positive)
    #: Redis broker: in a million broker commands, how many also run that clean-up.
    maintenance_chance: int = field(default=1000, validator=_positive)


@frozen
class LoggingSettings:
    level: Literal["debug", "info", "warning", "error"] = "info"
    #: ``auto`` is pretty on a terminal and JSON otherwise.
    format: Literal["auto", "pretty", "json"] = "auto"
    #: a file to append log lines to (relative to the settings file); empty: standard error,
    #: except for ``linli run``, whose conversation is on the terminal: it writes ``var/linli.log``.
    file: str = ""


@frozen
class I18nSettings:
    default_language: str = field(default="zh_CN", validator=_language)


@frozen
class SchedulerSettings:
    #: extra public holidays and make-up working days (调休), for years the
    #: chinese-calendar package does not know yet.
    holidays: tuple[dt.date, ...] = ()
    workdays: tuple[dt.date, ...] = ()
    tick_seconds: float = 1.0
    lock_ttl_seconds: int = 30


@frozen
class PrivacySettings:
    #: bump when the notice text changes; people are asked to consent again.
    notice_version: int = field(default=1, validator=_positive)


def _port(_: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if not 0 < value < 65536:
        raise Invalid(attribute.name, Message(N_("must be a port number from 1 to 65535, not {value}"), value=value))


def _base_url(_: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if value and not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
        raise Invalid(
            attribute.name,
            Message(
                N_("must be empty or an http(s) address such as https://linli.example.org, not {value}"),
                value=repr(value),
            ),
        )


@frozen
class WebSettings:
    """``linli web``, the dashboard (docs/web.md)."""

    #: where uvicorn listens; behind a reverse proxy keep 127.0.0.1
    host: str = "127.0.0.1"
    port: int = field(default=8080, validator=_port)
    #: the address people open (the links ``/web`` gives); empty: http://host:port.
    #: With https:// the session cookie is sent over HTTPS only (Secure).
    base_url: str = field(default="", validator=_base_url)
    #: how long a login link from ``/web`` stays valid
    link_minutes: int = field(default=10, validator=_positive)
    #: how long a session lasts after the link was opened
    session_hours: int = field(default=12, validator=_positive)

    def url(self) -> str:
        """The address people open, without a trailing slash."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")


@frozen
class DistrictSettings:
    """A district declared in the settings file (the database is the live copy)."""

    id: str
    name: str
    kind: Literal["community", "village", "grid"] = "community"
    language: str = field(default="zh_CN", validator=_language)
    timezone: str = field(default="Asia/Shanghai", validator=_timezone)
    rooms: tuple[str, ...] = ()
    plugins: tuple[str, ...] = ("basics",)
    config: Mapping[str, Mapping[str, Any]] = attrs.Factory(dict)


@frozen
class Settings:
    path: Path | None = None
    storage: StorageSettings = StorageSettings()
    queue: QueueSettings = QueueSettings()
    logging: LoggingSettings = LoggingSettings()
    i18n: I18nSettings = I18nSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    privacy: PrivacySettings = PrivacySettings()
    attachments: AttachmentSettings = AttachmentSettings()
    web: WebSettings = WebSettings()
    districts: tuple[DistrictSettings, ...] = ()
    #: per-platform settings (``[platforms.telegram]``); read by the adapters.
    platforms: Mapping[str, Mapping[str, Any]] = attrs.Factory(dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def district(self, district_id: str) -> DistrictSettings | None:
        return next((d for d in self.districts if d.id == district_id), None)


_ENV_SHORTCUTS = {
    "LINLI_DATABASE_URL": ("storage", "url"),
    "LINLI_BROKER_URL": ("queue", "broker"),
}
_SECTIONS = ("storage", "queue", "logging", "i18n", "scheduler", "privacy", "attachments", "web")


def _converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)

    def structure_bool(value: Any, _: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
        raise Invalid("", Message(N_("expected true or false, not {value}"), value=repr(value)))

    def structure_date(value: Any, _: Any) -> dt.date:
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value))

    def structure_int(value: Any, _: Any) -> int:
        if isinstance(value, bool):
            raise Invalid("", Message(N_("expected a number, not {value}"), value=repr(value)))
        try:
            return int(value)
        except ValueError:
            raise Invalid("", Message(N_("expected a whole number, not {value}"), value=repr(value))) from None

    def structure_dates(value: Any, _: Any) -> tuple[dt.date, ...]:
        if isinstance(value, str):  # from the environment: LINLI_SCHEDULER_HOLIDAYS=2027-01-01,2027-01-02
            value = [part.strip() for part in value.split(",") if part.strip()]
        return tuple(structure_date(v, dt.date) for v in value)

    conv.register_structure_hook_func(lambda t: t == tuple[dt.date, ...], structure_dates)
    conv.register_structure_hook(bool, structure_bool)
    conv.register_structure_hook(dt.date, structure_date)
    conv.register_structure_hook(int, structure_int)
    return conv


def _apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """``raw`` with the ``LINLI_*`` overrides, and where each override came from
    (``"[queue] worker_threads"`` -> ``"LINLI_QUEUE_WORKER_THREADS"``)."""
    raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    origins: dict[str, str] = {}
    for name, value in env.items():
        if not name.startswith("LINLI_"):
            continue
        if name in _ENV_SHORTCUTS:
            section, key = _ENV_SHORTCUTS[name]
        else:
            rest = name[len("LINLI_") :].lower()
            section = next((s for s in _SECTIONS if rest.startswith(s + "_")), "")
            if not section:
                continue
            key = rest[len(section) + 1 :]
        raw.setdefault(section, {})[key] = value
        origins[f"[{section}] {key}"] = name
    return raw, origins


def _describe(path: str) -> str:
    """Turn a cattrs path like ``$.queue.worker_threads`` into ``[queue] worker_threads``."""
    parts = [p for p in re.split(r"\.|\[|\]", path.lstrip("$")) if p]
    if not parts:
        return ""
    if parts[0] == "districts" and len(parts) > 1:
        return f"[districts.{parts[1]}] " + ".".join(parts[2:]) if len(parts) > 2 else f"[districts.{parts[1]}]"
    return f"[{parts[0]}] {'.'.join(parts[1:])}".strip() if len(parts) > 1 else f"[{parts[0]}]"


class _Problems(Message):
    """Several problems shown as one line, each translated."""

    def __init__(self, problems: list[tuple[str, Message]]) -> None:
        super().__init__("{problems}")
        self.problems = problems

    def translated(self, t: Any) -> str:
        return "; ".join(f"{key}: {m.translated(t)}" if key else m.translated(t) for key, m in self.problems)

    def __str__(self) -> str:
        return "; ".join(f"{key}: {m}" if key else str(m) for key, m in self.problems)


def _problem(exc: BaseException, type_: Any) -> tuple[str, Message]:
    """What a cattrs error says, as (a key below the error's path, a message)."""
    if isinstance(exc, Invalid):
        return exc.key, exc.message
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return "", Message(N_("unknown key(s): {keys}"), keys=", ".join(sorted(exc.extra_fields)))
    if typing.get_origin(type_) is Literal:
        return "", Message(N_("must be one of {choices}"), choices=", ".join(str(v) for v in typing.get_args(type_)))
    if isinstance(exc, KeyError):
        return "", Message(N_("required"))
    return "", Message(N_("{error}"), error=cattrs.v.format_exception(exc, type_))


def _problems(exc: cattrs.BaseValidationError, section: str) -> list[tuple[str, Message]]:
    found: list[tuple[str, Message]] = []

    def remember(error: BaseException, type_: Any) -> str:
        found.append(_problem(error, type_))
        return str(len(found) - 1)

    out = []
    for line in cattrs.transform_error(exc, format_exception=remember):
        index, _, where = line.rpartition(" @ ")
        key, message = found[int(index)]
        if section:  # a district's keys: the path is below its table
            place = " ".join([section, ".".join(p for p in re.split(r"\.|\[|\]", where.lstrip("$")) if p)]).strip()
        else:
            place = _describe(where)
        out.append((f"{place} {key}".strip() if place and key else place or key, message))
    return out


def _structure(conv: cattrs.Converter, raw: dict[str, Any], cls: type[Any], section: str) -> Any:
    """``raw`` as ``cls``; ``section`` (``[districts.heping]``) names where a district's keys are.

    Raises: _Failed: the problems, each with its key."""
    try:
        return conv.structure(raw, cls)
    except cattrs.BaseValidationError as exc:
        problems = _problems(exc, section)
    except Invalid as exc:  # an attrs validator of the class itself rejected a value
        problems = [(exc.key, exc.message)]
        if section:
            problems = [(f"{section} {key}".strip(), m) for key, m in problems]
    raise _Failed(problems)


class _Failed(Exception):
    def __init__(self, problems: list[tuple[str, Message]]) -> None:
        super().__init__()
        self.problems = problems


def load_settings(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings file and the environment into a frozen :class:`Settings`.

    Parameters:
      path: the TOML file; ``None`` reads ``$LINLI_SETTINGS`` or ``./settings.toml``
        when one exists, and otherwise uses the built-in embedded defaults.
      env: the environment (``os.environ`` when ``None``).

    Raises:
      SettingsError: the file is missing, is not TOML, or has a wrong key or value;
        the message names the file and the key.
    """
    env = os.environ if env is None else env
    explicit = path if path is not None else env.get("LINLI_SETTINGS")
    if explicit is None and Path("settings.toml").is_file():
        explicit = "settings.toml"
    raw: dict[str, Any] = {}
    file: Path | None = None
    if explicit is not None:
        file = Path(explicit).resolve()
        try:
            with file.open("rb") as fh:
                raw = tomllib.load(fh)
        except FileNotFoundError:
            raise SettingsError(N_("{file}: settings file not found"), file=str(explicit)) from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(N_("{file}: not valid TOML: {error}"), file=str(explicit), error=str(exc)) from None
    where: str | Message = str(explicit) if explicit is not None else Message(N_("built-in defaults"))
    raw, from_env = _apply_env(raw, env)
    districts = raw.pop("districts", {})
    if not isinstance(districts, dict):
        raise SettingsError(N_("{file}: [districts] must be a table of districts"), file=where)
    district_list = []
    for district_id, body in districts.items():
        if not _DISTRICT_ID.match(district_id):
            raise SettingsError(
                N_("{file}: [districts.{district}]: a district id is lower-case letters, digits, '-' or '_'"),
                file=where,
                district=district_id,
            )
        if not isinstance(body, dict):
            raise SettingsError(N_("{file}: [districts.{district}] must be a table"), file=where, district=district_id)
        district_list.append({"id": district_id, **body})
    raw["path"] = None
    conv = _converter()
    problems: list[tuple[str, Message]] = []
    parsed = []
    for body in district_list:
        try:
            parsed.append(_structure(conv, body, DistrictSettings, f"[districts.{body['id']}]"))
        except _Failed as exc:
            problems += exc.problems
    try:
        settings: Settings = attrs.evolve(_structure(conv, raw, Settings, ""), districts=tuple(parsed))
    except _Failed as exc:
        # a value from the environment: name the variable, not only the key
        problems = [(f"{from_env[key]} ({key})" if key in from_env else key, m) for key, m in exc.problems] + problems
    if problems:
        raise SettingsError(N_("{file}: {problems}"), file=where, problems=_Problems(problems))
    for district in settings.districts:
        for room in district.rooms:
            if not _ROOM.match(room):
                raise SettingsError(
                    N_(
                        "{file}: [districts.{district}] rooms: {room} is not 'platform:room' "
                        "(for example 'console:demo' or 'telegram:-100123')"
                    ),
                    file=where,
                    district=district.id,
                    room=repr(room),
                )
    storage = settings.storage
    if storage.url.startswith("sqlite:///") and not storage.url.startswith("sqlite:////"):
        relative = storage.url[len("sqlite:///") :]
        if relative and relative != ":memory:":
            base = file.parent if file else Path.cwd()
            storage = attrs.evolve(storage, url=f"sqlite:///{(base / relative).resolve()}")
    return attrs.evolve(settings, path=file, storage=storage)
