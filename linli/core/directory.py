"""Districts, their rooms and their plugins: the live copy is in the database.

``settings.toml`` declares districts; :func:`seed_districts` writes the ones the
database does not have yet (``linli db upgrade`` and ``linli run`` call it), and
``linli districts sync`` overwrites the database with the file. Every change bumps
the config version, so running workers see it without a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from attrs import frozen

from linli.core.errors import NotFound
from linli.core.i18n import N_, Message
from linli.core.plugin_names import ALWAYS_ENABLED, RENAMED, current_name
from linli.core.settings import DistrictSettings
from linli.core.storage import schema as s

__all__ = [
    "DirectoryCache",
    "DistrictInfo",
    "bind_room",
    "bump_version",
    "config_version",
    "disable_plugin",
    "district_drift",
    "enable_plugin",
    "list_districts",
    "load_district",
    "seed_districts",
    "settings_drift",
    "unbind_room",
    "write_district",
]


@frozen
class DistrictInfo:
    id: str
    name: str
    kind: str
    language: str
    timezone: str
    plugins: frozenset[str]
    rooms: tuple[str, ...]
    config: Mapping[str, Mapping[str, Any]]

    def plugin_config(self, plugin: str) -> Mapping[str, Any]:
        return self.config.get(plugin, {})


_VERSION = sa.select(s.meta.c.value).where(s.meta.c.key == "config_version")


def config_version(conn: sa.Connection) -> int:
    value = conn.execute(_VERSION).scalar()
    return int(value or 0)


_local_generation = [0]


def bump_version(conn: sa.Connection) -> None:
    _local_generation[0] += 1
    updated = conn.execute(
        sa.update(s.meta).where(s.meta.c.key == "config_version").values(value=s.meta.c.value + 1)
    ).rowcount
    if not updated:
        conn.execute(sa.insert(s.meta).values(key="config_version", value=1))


def list_districts(conn: sa.Connection) -> list[DistrictInfo]:
    plugins: dict[str, set[str]] = {}
    for row in conn.execute(sa.select(s.district_plugins)):
        plugins.setdefault(row.district_id, set()).add(current_name(row.plugin))
    rooms: dict[str, list[str]] = {}
    for row in conn.execute(sa.select(s.rooms).order_by(s.rooms.c.room_key)):
        rooms.setdefault(row.district_id, []).append(row.room_key)
    return [
        DistrictInfo(
            id=row.id,
            name=row.name,
            kind=row.kind,
            language=row.language,
            timezone=row.timezone,
            plugins=frozenset(plugins.get(row.id, ())),
            rooms=tuple(rooms.get(row.id, ())),
            config=row.config or {},
        )
        for row in conn.execute(sa.select(s.districts).order_by(s.districts.c.id))
    ]


def load_district(conn: sa.Connection, district_id: str) -> DistrictInfo:
    """Raises: NotFound: no such district."""
    for district in list_districts(conn):
        if district.id == district_id:
            return district
    raise NotFound(N_("no district {district!r} (see `linli districts list`)"), district=district_id)


def write_district(conn: sa.Connection, d: DistrictSettings, *, overwrite: bool) -> bool:
    """Write one declared district; returns whether anything was written."""
    exists = conn.execute(sa.select(s.districts.c.id).where(s.districts.c.id == d.id)).first()
    if exists and not overwrite:
        return False
    values = {
        "name": d.name,
        "kind": d.kind,
        "language": d.language,
        "timezone": d.timezone,
        "config": {k: dict(v) for k, v in d.config.items()},
    }
    if exists:
        conn.execute(sa.update(s.districts).where(s.districts.c.id == d.id).values(**values))
        conn.execute(sa.delete(s.district_plugins).where(s.district_plugins.c.district_id == d.id))
    else:
        conn.execute(sa.insert(s.districts).values(id=d.id, **values))
    for plugin in dict.fromkeys((ALWAYS_ENABLED, *map(current_name, d.plugins))):
        conn.execute(sa.insert(s.district_plugins).values(district_id=d.id, plugin=plugin))
    for room in d.rooms:
        _bind(conn, room, d.id, "settings")
    bump_version(conn)
    return True


def differences(current: DistrictInfo, declared: DistrictSettings) -> list[str]:
    """The fields where the database's copy of a district differs from what the settings
    declare (``name``, ``kind``, ``language``, ``timezone``, ``plugins``, ``rooms``, ``config``).

    A room bound with ``linli rooms bind`` but not declared is no difference: sync keeps it.
    """
    out = [
        attr for attr in ("name", "kind", "language", "timezone") if getattr(current, attr) != getattr(declared, attr)
    ]
    if current.plugins != {ALWAYS_ENABLED, *map(current_name, declared.plugins)}:
        out.append("plugins")
    if not set(declared.rooms) <= set(current.rooms):
        out.append("rooms")
    config = {k: dict(v) for k, v in declared.config.items() if v}
    if config != {k: dict(v) for k, v in current.config.items() if v}:
        out.append("config")
    return out


def settings_drift(conn: sa.Connection, declared: Iterable[DistrictSettings]) -> list[Message]:
    """What the settings declare that the database does not have yet, one message per district
    and one more for each way their plugins differ: the settings are written to the database by
    ``linli districts sync`` only."""
    current = {d.id: d for d in list_districts(conn)}
    out = []
    for d in declared:
        if d.id not in current:
            out.append(
                Message(
                    N_(
                        "district {district} is in the settings file but not in the database: "
                        "run `linli districts sync`"
                    ),
                    district=d.id,
                )
            )
        else:
            out.extend(district_drift(current[d.id], d))
    return out


def district_drift(current: DistrictInfo, declared: DistrictSettings) -> list[Message]:
    """How one district of the settings differs from the database's copy, said so that an admin
    knows which side ``linli districts sync`` keeps: nothing when they agree."""
    changed = differences(current, declared)
    if not changed:
        return []
    out = [
        Message(
            N_(
                "district {district} in the settings file differs from the database ({fields}); the database's "
                "copy is used until you run `linli districts sync`, which writes the file's version over it"
            ),
            district=current.id,
            fields=", ".join(changed),
        )
    ]
    in_file = {ALWAYS_ENABLED, *map(current_name, declared.plugins)}
    if only_db := sorted(current.plugins - in_file):
        out.append(
            Message(
                N_(
                    "district {district}: {plugins} enabled in the database but not in the settings file; "
                    "add them to its plugins, or sync disables them"
                ),
                district=current.id,
                plugins=", ".join(only_db),
            )
        )
    if only_file := sorted(in_file - current.plugins):
        out.append(
            Message(
                N_("district {district}: {plugins} in the settings file but not enabled yet; sync enables them"),
                district=current.id,
                plugins=", ".join(only_file),
            )
        )
    return out


def seed_districts(conn: sa.Connection, districts: Iterable[DistrictSettings], *, overwrite: bool = False) -> list[str]:
    """Write the declared districts the database lacks (all of them with ``overwrite``)."""
    return [d.id for d in districts if write_district(conn, d, overwrite=overwrite)]


def _bind(conn: sa.Connection, room_key: str, district_id: str, by: str) -> None:
    conn.execute(sa.delete(s.rooms).where(s.rooms.c.room_key == room_key))
    conn.execute(sa.insert(s.rooms).values(room_key=room_key, district_id=district_id, bound_by=by))


def bind_room(conn: sa.Connection, room_key: str, district_id: str, *, by: str) -> str | None:
    """Bind a room to a district; returns the district it was bound to before, if another.

    Raises: NotFound: no such district."""
    load_district(conn, district_id)
    before = conn.execute(sa.select(s.rooms.c.district_id).where(s.rooms.c.room_key == room_key)).scalar()
    _bind(conn, room_key, district_id, by)
    bump_version(conn)
    return before if before != district_id else None


def unbind_room(conn: sa.Connection, room_key: str) -> None:
    """Raises: NotFound: the room is not bound."""
    if not conn.execute(sa.delete(s.rooms).where(s.rooms.c.room_key == room_key)).rowcount:
        raise NotFound(N_("room {room!r} is not bound to any district"), room=room_key)
    bump_version(conn)


def enable_plugin(conn: sa.Connection, district_id: str, plugin: str) -> bool:
    plugin = current_name(plugin)
    district = load_district(conn, district_id)
    if plugin in district.plugins:
        return False
    conn.execute(sa.insert(s.district_plugins).values(district_id=district_id, plugin=plugin))
    bump_version(conn)
    return True


def disable_plugin(conn: sa.Connection, district_id: str, plugin: str) -> bool:
    load_district(conn, district_id)
    names = {plugin, current_name(plugin), *(old for old, new in RENAMED.items() if new == current_name(plugin))}
    deleted = conn.execute(
        sa.delete(s.district_plugins).where(
            s.district_plugins.c.district_id == district_id, s.district_plugins.c.plugin.in_(sorted(names))
        )
    ).rowcount
    if deleted:
        bump_version(conn)
    return bool(deleted)


class DirectoryCache:
    """Districts and room bindings, reloaded whenever the config version moves.

    A change made in this process is seen at once; one made by another process
    (``linli rooms bind`` beside running workers) within ``ttl`` seconds, with one
    cheap read of the version per ``ttl`` instead of per event.

    Parameters:
      ttl: how long a checked version is trusted, in seconds.
    """

    def __init__(self, ttl: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._version = -1
        self._generation = -1
        self._checked = 0.0
        self._ttl = ttl
        self._districts: dict[str, DistrictInfo] = {}
        self._rooms: dict[str, str] = {}

    def _fresh(self) -> bool:
        return self._generation == _local_generation[0] and time.monotonic() - self._checked < self._ttl

    def _refresh(self, conn: sa.Connection) -> None:
        if self._fresh():
            return
        with self._lock:
            if self._fresh():  # another thread refreshed while we waited
                return
            started = time.monotonic()
            generation = _local_generation[0]
            version = config_version(conn)
            if version != self._version:
                districts = {d.id: d for d in list_districts(conn)}
                self._rooms = {room: d.id for d in districts.values() for room in d.rooms}
                self._districts = districts
                self._version = version
            # marked fresh only once loaded: a reader never trusts a half-made cache
            self._generation = generation
            self._checked = started

    def district(self, conn: sa.Connection, district_id: str) -> DistrictInfo | None:
        self._refresh(conn)
        return self._districts.get(district_id)

    def district_of_room(self, conn: sa.Connection, room_key: str) -> DistrictInfo | None:
        self._refresh(conn)
        district_id = self._rooms.get(room_key)
        return self._districts.get(district_id) if district_id else None

    def all(self, conn: sa.Connection) -> list[DistrictInfo]:
        self._refresh(conn)
        return list(self._districts.values())
