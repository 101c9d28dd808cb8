"""Importing a district's register from CSV or XLSX, fast and all or nothing.

Every row is checked first; a file with a bad row imports nothing (or, with
``skip_bad``, the good rows, and the bad ones are handed back). Then, in the caller's
one transaction: the district's register is read into dicts once, and new or changed
grids, buildings, households and people are written in batches (COPY on PostgreSQL,
``executemany`` on SQLite), never a SELECT per row.

Re-importing the same file changes nothing. Natural keys: a household is its building,
unit and number; a person is matched within their household by ID-number hash, else
by name and date of birth. An import adds and updates, and never erases: an empty cell
keeps the register's value, and people missing from the file stay (moving out goes
through a change request).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from attrs import define, field, frozen

from linli.core import people
from linli.core.i18n import N_
from linli.core.register import ids
from linli.core.storage import schema as s

__all__ = ["ImportReport", "Progress", "RowError", "import_rows"]

_GENDERS = {
    "男": "男",
    "女": "女",
    "m": "男",
    "f": "女",
    "male": "男",
    "female": "女",
    "男性": "男",
    "女性": "女",
}
_HEADS = ("户主", "本人", "head", "self")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


class Progress(Protocol):
    """What the importer tells about its progress (a bar on a terminal)."""

    def stage(self, name: str, total: int | None) -> None:
        """A new stage (a msgid: ``N_("Checking rows")``) of ``total`` steps begins."""

    def advance(self, steps: int = 1) -> None: ...


class _Quiet:
    def stage(self, name: str, total: int | None) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass


@frozen
class RowError:
    """A bad row: its line in the file and why (a msgid with its values)."""

    line: int
    message: str
    values: dict[str, Any] = field(factory=dict)

    def text(self, t: Callable[..., str]) -> str:
        return t(self.message, **self.values)


@define
class ImportReport:
    rows: int = 0
    grids_added: int = 0
    buildings_added: int = 0
    buildings_updated: int = 0
    households_added: int = 0
    households_updated: int = 0
    people_added: int = 0
    people_updated: int = 0
    #: people of the file who left their household per the register: left as they are
    people_left: int = 0
    errors: list[RowError] = field(factory=list)
    #: the raw cells of each rejected row, by line
    rejected: dict[int, Sequence[Any]] = field(factory=dict)
    imported: bool = False

    @property
    def changed(self) -> int:
        return (
            self.grids_added
            + self.buildings_added
            + self.buildings_updated
            + self.households_added
            + self.households_updated
            + self.people_added
            + self.people_updated
        )


class _Row(NamedTuple):
    line: int
    grid: str
    building: str
    unit: str
    number: str
    name: str
    relation: str
    gender: str
    birth: str | None
    id_hash: str | None
    phone: str | None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return value
    return value.isoformat() if isinstance(value, dt.date) else str(value).strip()


def _date(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if len(text) == 10 and text[4] == "-":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(text)


class _Checker:
    """Turns raw rows into checked :class:`_Row` or :class:`RowError`."""

    def __init__(self, salt: bytes) -> None:
        self.salt = salt
        self.grid_of: dict[str, tuple[str, int]] = {}
        self.seen: dict[tuple[str, str, str], dict[Any, int]] = {}  # household → person key → line

    def check(self, line: int, v: dict[str, Any]) -> _Row | RowError:
        get = v.get
        building, number, unit = _text(get("building")), _text(get("number")), _text(get("unit"))
        if not building:
            return RowError(line, N_("the building (楼栋) is empty"))
        if not number:
            return RowError(line, N_("the door number (门牌号) is empty"))
        if len(building) > 64 or len(number) > 64 or len(unit) > 32:
            return RowError(line, N_("the building, unit or door number is too long"))
        grid, head, relation = _text(get("grid")), _text(get("head")), _text(get("relation"))
        name = _text(get("name")) or (head if not relation else "")
        if not relation and name and name == head:
            relation = "户主"
        if len(name) > 200 or len(relation) > 32 or len(grid) > 64:
            return RowError(line, N_("a name, relation or grid is too long"))
        gender = _text(get("gender"))
        if gender and gender not in ("男", "女"):
            known = _GENDERS.get(gender.lower())
            if known is None:
                return RowError(line, N_("the gender {value!r} is neither 男 nor 女"), {"value": gender[:10]})
            gender = known
        birth: str | None = None
        raw_birth = get("birth_date")
        if raw_birth:
            try:
                birth = _date(raw_birth)
            except ValueError:
                return RowError(
                    line,
                    N_("the date of birth {value!r} is not a date like 1949-12-31"),
                    {"value": _text(raw_birth)[:20]},
                )
        id_hash: str | None = None
        raw_id = _text(get("id_number"))
        if raw_id:
            number_ok = ids.check_id_number(raw_id)
            if number_ok is None:
                # the number itself never goes into a message or log
                if raw_id.isdigit() and len(raw_id) > 15 and raw_id.endswith("000"):
                    return RowError(
                        line, N_("the ID number lost digits (Excel kept it as a number): format the column as text")
                    )
                return RowError(line, N_("the ID number is not valid (18 characters, the last a check digit or X)"))
            born = f"{number_ok[6:10]}-{number_ok[10:12]}-{number_ok[12:14]}"
            if birth is not None and birth != born:
                return RowError(line, N_("the date of birth does not match the ID number"))
            birth = born
            if not gender:
                gender = "男" if int(number_ok[16]) % 2 else "女"
            id_hash = ids.hash_id(self.salt, number_ok)
        phone: str | None = None
        raw_phone = _text(get("phone"))
        if raw_phone:
            phone = ids.normal_phone(raw_phone)
            if phone is None:
                return RowError(line, N_("the phone number is not valid"))
        if not name and (id_hash or birth or phone or relation):
            return RowError(line, N_("the name (姓名) is empty"))
        if grid:
            known_grid = self.grid_of.get(building)
            if known_grid is None:
                self.grid_of[building] = (grid, line)
            elif known_grid[0] != grid:
                return RowError(
                    line,
                    N_("building {building} is in grid {grid} on line {other}"),
                    {"building": building, "grid": known_grid[0], "other": known_grid[1]},
                )
        if name:
            seen = self.seen.setdefault((building, unit, number), {})
            if id_hash:
                other = seen.get(id_hash)
                if other is not None:
                    return RowError(line, N_("the same person as on line {other}"), {"other": other})
            other = seen.get((name, birth))
            if other is not None:
                return RowError(line, N_("the same person as on line {other}"), {"other": other})
            if id_hash:
                seen[id_hash] = line
            seen[(name, birth)] = line
        return _Row(line, grid, building, unit, number, name, relation, gender, birth, id_hash, phone)


# --- writing in batches ---------------------------------------------------------------------


def _now_value(conn: sa.Connection) -> Any:
    now = s.utcnow()
    return now.replace(tzinfo=None).isoformat(" ", "microseconds") if conn.dialect.name == "sqlite" else now


def _bulk_insert(conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert many rows, straight through the driver: COPY on PostgreSQL, executemany on SQLite.
    Values are the database's own (dates as ISO text, JSON as its text)."""
    if not rows:
        return
    names = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)


def _new_ids(conn: sa.Connection, table: sa.Table, n: int) -> list[int]:
    """``n`` ids for rows of ``table`` written with explicit ids (from its sequence on
    PostgreSQL, as one array; after the largest on SQLite, whose write lock the
    transaction holds)."""
    if n == 0:
        return []
    if conn.dialect.name == "postgresql":
        sequence = conn.exec_driver_sql(f"SELECT pg_get_serial_sequence('{table.name}', 'id')").scalar_one()
        found: list[int] = conn.exec_driver_sql(
            f"SELECT array_agg(nextval('{sequence}')) FROM generate_series(1, {int(n)})"
        ).scalar_one()
        return found
    start = conn.exec_driver_sql(f'SELECT coalesce(max(id), 0) FROM "{table.name}"').scalar_one()
    return list(range(start + 1, start + 1 + n))


def import_rows(
    conn: sa.Connection,
    district_id: str,
    rows: Iterable[tuple[int, dict[str, Any], Sequence[Any]]],
    *,
    skip_bad: bool = False,
    actor: str = "",
    progress: Progress | None = None,
    total: int | None = None,
) -> ImportReport:
    """Import register rows (from :func:`~linli.core.register.tabular.read_rows`) into a district.

    Parameters:
      conn: a connection in a transaction; nothing is written when a row is bad and
        ``skip_bad`` is False.
      skip_bad: import the good rows, and report the bad ones with their raw cells.
      actor: who imports, for the audit log and the households' history.
      total: the number of rows, when known, for the progress bar.
    """
    progress = progress or _Quiet()
    report = ImportReport()
    checker = _Checker(ids.id_salt(conn))
    good: list[_Row] = []
    progress.stage(N_("Checking rows"), total)
    for line, values, raw in rows:
        report.rows += 1
        checked = checker.check(line, values)
        if isinstance(checked, RowError):
            report.errors.append(checked)
            report.rejected[line] = raw
        else:
            good.append(checked)
        if report.rows % 1000 == 0:
            progress.advance(1000)
    progress.advance(report.rows % 1000)
    if report.errors and not skip_bad:
        return report
    _write(conn, district_id, good, report, actor, progress)
    report.imported = True
    people.audit(
        conn,
        action="registry.import",
        actor=actor,
        district_id=district_id,
        detail={
            "rows": report.rows,
            "rejected": len(report.errors),
            "households_added": report.households_added,
            "people_added": report.people_added,
            "people_updated": report.people_updated,
        },
    )
    return report


def _write(
    conn: sa.Connection, district_id: str, rows: list[_Row], report: ImportReport, actor: str, progress: Progress
) -> None:
    now = _now_value(conn)
    d = district_id
    history: list[tuple[Any, ...]] = []

    # grids and buildings: a few hundred, read and written plainly
    grids = dict(conn.execute(sa.select(s.grids.c.code, s.grids.c.id).where(s.grids.c.district_id == d)).all())
    new_grids = sorted({r.grid for r in rows if r.grid and r.grid not in grids})
    if new_grids:
        conn.execute(sa.insert(s.grids), [{"district_id": d, "code": g, "name": ""} for g in new_grids])
        grids = dict(conn.execute(sa.select(s.grids.c.code, s.grids.c.id).where(s.grids.c.district_id == d)).all())
        report.grids_added = len(new_grids)
    buildings = {
        r.code: (r.id, r.grid_id)
        for r in conn.execute(
            sa.select(s.buildings.c.code, s.buildings.c.id, s.buildings.c.grid_id).where(s.buildings.c.district_id == d)
        )
    }
    wanted_grid: dict[str, str] = {}
    for r in rows:
        if r.grid:
            wanted_grid.setdefault(r.building, r.grid)
        else:
            wanted_grid.setdefault(r.building, "")
    new_buildings = [b for b in wanted_grid if b not in buildings]
    if new_buildings:
        conn.execute(
            sa.insert(s.buildings),
            [
                {"district_id": d, "code": b, "grid_id": grids.get(wanted_grid[b]), "created_by": actor}
                for b in new_buildings
            ],
        )
        report.buildings_added = len(new_buildings)
    moved = [
        {"b_id": buildings[b][0], "g_id": grids[g]}
        for b, g in wanted_grid.items()
        if b in buildings and g and buildings[b][1] != grids[g]
    ]
    if moved:
        conn.execute(
            sa.update(s.buildings).where(s.buildings.c.id == sa.bindparam("b_id")).values(grid_id=sa.bindparam("g_id")),
            moved,
        )
        report.buildings_updated = len(moved)
    if new_buildings:
        buildings = {
            r.code: (r.id, r.grid_id)
            for r in conn.execute(
                sa.select(s.buildings.c.code, s.buildings.c.id, s.buildings.c.grid_id).where(
                    s.buildings.c.district_id == d
                )
            )
        }

    # households: read once, new ones written with ids of their own
    progress.stage(N_("Writing households"), None)
    households = _read_households(conn, d)
    head_phone: dict[tuple[int, str, str], str] = {}
    order: list[tuple[int, str, str]] = []
    for r in rows:
        key = (buildings[r.building][0], r.unit, r.number)
        if key not in head_phone:
            order.append(key)
            head_phone[key] = ""
        # the household's phone: its head's, else the first one given
        if r.phone and (r.relation in _HEADS or not head_phone[key]):
            head_phone[key] = r.phone
    new_keys = [k for k in order if k not in households]
    new_ids = _new_ids(conn, s.households, len(new_keys))
    _bulk_insert(
        conn,
        s.households,
        ("id", "district_id", "building_id", "unit", "number", "phone", "status", "created_at"),
        [
            (i, d, k[0], k[1], k[2], head_phone[k] or None, "active", now)
            for i, k in zip(new_ids, new_keys, strict=True)
        ],
    )
    # a household's creation by an import is in the audit log (one row per import), not a
    # history row each: the history says what changed after
    for i, k in zip(new_ids, new_keys, strict=True):
        households[k] = (i, head_phone[k] or None)
    report.households_added = len(new_keys)
    added = set(new_keys)
    changed_phone = [
        {"h_id": households[k][0], "phone": head_phone[k]}
        for k in order
        if k not in added and head_phone[k] and households[k][1] != head_phone[k]
    ]
    if changed_phone:
        conn.execute(
            sa.update(s.households)
            .where(s.households.c.id == sa.bindparam("h_id"))
            .values(phone=sa.bindparam("phone")),
            changed_phone,
        )
        for c in changed_phone:
            history.append((d, c["h_id"], "updated", json.dumps({"fields": ["phone"]}), "import", actor, now))
        report.households_updated = len(changed_phone)

    # people: the register's members of each household, matched without a query per row
    progress.stage(N_("Writing people"), len(rows))
    members = _read_members(conn, d)
    new_people: list[tuple[int, _Row]] = []
    updates: list[dict[str, Any]] = []
    relation_updates: list[dict[str, Any]] = []
    for n, r in enumerate(rows, start=1):
        if n % 1000 == 0:
            progress.advance(1000)
        if not r.name:
            continue
        household_id = households[(buildings[r.building][0], r.unit, r.number)][0]
        found = _match(members.get(household_id, ()), r)
        if found is None:
            new_people.append((household_id, r))
            continue
        if not found["current"]:
            report.people_left += 1
            continue
        changes: dict[str, Any] = {}
        if r.name != found["name"]:
            changes["name"] = r.name
        for attr in ("gender", "birth", "id_hash", "phone"):
            value = getattr(r, attr)
            if value and value != found[attr]:
                changes[attr] = value
        if changes:
            updates.append(
                {"p_id": found["person_id"], **{("birth_date" if k == "birth" else k): v for k, v in changes.items()}}
            )
            names = sorted("id_number" if k == "id_hash" else ("birth_date" if k == "birth" else k) for k in changes)
            history.append(
                (
                    d,
                    household_id,
                    "updated",
                    json.dumps({"person_id": found["person_id"], "fields": names}),
                    "import",
                    actor,
                    now,
                )
            )
        if r.relation and r.relation != found["relation"]:
            relation_updates.append({"m_id": found["member_id"], "relation": r.relation})
            if not changes:
                history.append(
                    (
                        d,
                        household_id,
                        "updated",
                        json.dumps({"person_id": found["person_id"], "fields": ["relation"]}),
                        "import",
                        actor,
                        now,
                    )
                )
        if changes or (r.relation and r.relation != found["relation"]):
            report.people_updated += 1
    progress.advance(len(rows) % 1000)
    for u in updates:
        values = {k: (dt.date.fromisoformat(v) if k == "birth_date" else v) for k, v in u.items() if k != "p_id"}
        conn.execute(
            sa.update(s.residents)
            .where(s.residents.c.district_id == d, s.residents.c.person_id == u["p_id"])
            .values(values)
        )
    if relation_updates:
        conn.execute(
            sa.update(s.household_members)
            .where(s.household_members.c.id == sa.bindparam("m_id"))
            .values(relation=sa.bindparam("relation")),
            relation_updates,
        )

    person_ids = _new_ids(conn, s.persons, len(new_people))
    _bulk_insert(
        conn,
        s.persons,
        ("id", "display_name", "created_at"),
        [(p, r.name, now) for p, (_, r) in zip(person_ids, new_people, strict=True)],
    )
    _bulk_insert(
        conn,
        s.residents,
        ("district_id", "person_id", "name", "gender", "birth_date", "id_hash", "phone", "created_at"),
        [
            (d, p, r.name, r.gender, r.birth, r.id_hash, r.phone, now)
            for p, (_, r) in zip(person_ids, new_people, strict=True)
        ],
    )
    _bulk_insert(
        conn,
        s.household_members,
        ("district_id", "household_id", "person_id", "relation"),
        [(d, h, p, r.relation) for p, (h, r) in zip(person_ids, new_people, strict=True)],
    )
    new_household_ids = set(new_ids)
    for p, (h, r) in zip(person_ids, new_people, strict=True):
        if h not in new_household_ids:
            history.append(
                (
                    d,
                    h,
                    "move_in",
                    json.dumps({"person_id": p, "name": r.name}, ensure_ascii=False),
                    "import",
                    actor,
                    now,
                )
            )
    report.people_added = len(new_people)
    _bulk_insert(
        conn,
        s.household_history,
        ("district_id", "household_id", "kind", "detail", "source", "actor", "at"),
        history,
    )


def _read_households(conn: sa.Connection, district_id: str) -> dict[tuple[int, str, str], tuple[int, str | None]]:
    h = s.households
    rows = conn.execute(
        sa.select(h.c.id, h.c.building_id, h.c.unit, h.c.number, h.c.phone).where(h.c.district_id == district_id)
    )
    return {(b, u, n): (i, p) for i, b, u, n, p in rows}


def _read_members(conn: sa.Connection, district_id: str) -> dict[int, list[dict[str, Any]]]:
    # straight through the driver: a hundred thousand rows, no types to convert but the date
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    rows = conn.exec_driver_sql(
        "SELECT m.id, m.household_id, m.person_id, m.relation, m.left_at IS NULL, r.name, r.gender, "
        "r.birth_date, r.id_hash, r.phone FROM household_members m JOIN residents r "
        f"ON r.person_id = m.person_id AND r.district_id = m.district_id WHERE m.district_id = {mark}",
        (district_id,),
    ).fetchall()
    out: dict[int, list[dict[str, Any]]] = {}
    for mid, hid, pid, relation, current, name, gender, birth, id_hash, phone in rows:
        member = {
            "member_id": mid,
            "person_id": pid,
            "relation": relation,
            "current": bool(current),
            "name": name,
            "gender": gender,
            "birth": birth if birth is None or type(birth) is str else birth.isoformat(),
            "id_hash": id_hash,
            "phone": phone,
        }
        found = out.get(hid)
        if found is None:
            out[hid] = [member]
        else:
            found.append(member)
    return out


def _match(members: Iterable[dict[str, Any]], row: _Row) -> dict[str, Any] | None:
    """The register member a row names: by ID-number hash, else by name and date of birth,
    else by name alone when one side lacks the date and the ID."""
    members = list(members)
    if row.id_hash:
        for m in members:
            if m["id_hash"] == row.id_hash:
                return m
    if row.birth:
        for m in members:
            if m["name"] == row.name and m["birth"] == row.birth and (not row.id_hash or not m["id_hash"]):
                return m
    loose = [
        m
        for m in members
        if m["name"] == row.name and (not row.birth or not m["birth"]) and (not row.id_hash or not m["id_hash"])
    ]
    return loose[0] if len(loose) == 1 else None
