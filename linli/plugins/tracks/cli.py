"""``linli tracks load FILE``: units, tracks and their rules from a TOML or XLSX file, in one
transaction: a file with anything wrong changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa

from linli.core.plugin import N_, CommandLine
from linli.plugins.tracks.contest import adopt, rules_for
from linli.plugins.tracks.definitions import DefinitionError, parse, quarter_of, rules_to_data
from linli.plugins.tracks.tables import drafts, enrolments, tracks, units

__all__ = ["HELP", "ConnRows", "commands", "read_file"]

#: the group's one-line help; ``linli --help`` reads it from this file without importing the plugin
HELP = N_("Race tracks: load tracks, units and rules from a file.")

#: spreadsheet sheets and their headers (Chinese or English) → the definition's keys
SHEETS = {
    "units": ("单位", "units"),
    "tracks": ("赛道", "tracks"),
    "indicators": ("指标", "indicators"),
    "items": ("加减分项", "items"),
}
HEADERS = {
    "代码": "code",
    "名称": "name",
    "类别": "kind",
    "主题": "topic",
    "参赛单位": "units",
    "起始季度": "start",
    "结束季度": "end",
    "适用季度": "from",
    "加分上限": "max_bonus",
    "减分上限": "max_penalty",
    "赛道": "track",
    "计量单位": "unit",
    "权重": "weight",
    "目标值": "target",
    "计分规则": "rule",
    "分档": "bands",
    "佐证": "evidence",
    "实地核查": "onsite",
    "分值": "points",
    "上限": "cap",
}


class ConnRows:
    """The rows of one district on the CLI's connection, as the plugin's scoped store gives them
    to handlers (the few calls :mod:`linli.plugins.tracks.contest` makes)."""

    def __init__(self, conn: sa.Connection, district_id: str) -> None:
        self.conn, self.district_id = conn, district_id

    def _mine(self, table: sa.Table) -> Any:
        return table.c.district_id == self.district_id

    def insert(self, table: sa.Table, values: Any = None, **kw: Any) -> Any:
        row = {**(values or {}), **kw, "district_id": self.district_id}
        key = self.conn.execute(table.insert().values(row)).inserted_primary_key
        return key[0] if key else None

    def insert_many(self, table: sa.Table, rows: Iterable[Mapping[str, Any]]) -> int:
        values = [{**r, "district_id": self.district_id} for r in rows]
        if values:
            self.conn.execute(table.insert(), values)
        return len(values)

    def select(self, table: sa.Table, *where: Any, order_by: Any = (), limit: int | None = None) -> Any:
        stmt = sa.select(table).where(self._mine(table), *where).order_by(*order_by)
        return self.conn.execute(stmt.limit(limit) if limit else stmt).all()

    def get(self, table: sa.Table, *where: Any) -> Any:
        return self.conn.execute(sa.select(table).where(self._mine(table), *where)).first()

    def update(self, table: sa.Table, *where: Any, **values: Any) -> int:
        return self.conn.execute(table.update().where(self._mine(table), *where).values(**values)).rowcount

    def delete(self, table: sa.Table, *where: Any) -> int:
        return self.conn.execute(table.delete().where(self._mine(table), *where)).rowcount

    def execute(self, stmt: Any) -> Any:
        for table in stmt.get_final_froms():
            if isinstance(table, sa.Table) and "district_id" in table.c:
                stmt = stmt.where(table.c.district_id == self.district_id)
        return self.conn.execute(stmt)


def read_file(path: Path) -> dict[str, Any]:
    """A definition from a TOML or XLSX file.

    Raises: DefinitionError: the file cannot be read as one.
    """
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise DefinitionError(N_("{file} is not valid TOML: {error}"), file=path.name, error=str(e)) from None
    if suffix == ".xlsx":
        return _read_xlsx(path)
    raise DefinitionError(N_("{file}: a definition is a .toml or .xlsx file."), file=path.name)


def _read_xlsx(path: Path) -> dict[str, Any]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises several kinds for a file that is not a workbook
        raise DefinitionError(
            N_("{file} is not a readable XLSX workbook: {error}"), file=path.name, error=type(e).__name__
        ) from None
    sheets: dict[str, list[dict[str, Any]]] = {}
    try:
        for key, names in SHEETS.items():
            sheet = next((book[n] for n in names if n in book.sheetnames), None)
            if sheet is None:
                sheets[key] = []
                continue
            rows = list(sheet.iter_rows(values_only=True))
            if not rows:
                sheets[key] = []
                continue
            header = [HEADERS.get(str(h).strip(), str(h).strip().lower()) if h is not None else "" for h in rows[0]]
            sheets[key] = [
                {h: v for h, v in zip(header, row, strict=False) if h and v is not None}
                for row in rows[1:]
                if any(v is not None and str(v).strip() for v in row)
            ]
    finally:
        book.close()
    by_track: dict[str, dict[str, Any]] = {}
    for row in sheets["tracks"]:
        by_track[str(row.get("code", "")).strip()] = {**row, "indicators": [], "items": []}
    for key in ("indicators", "items"):
        for row in sheets[key]:
            track = by_track.get(str(row.get("track", "")).strip())
            if track is None:
                raise DefinitionError(
                    N_("{sheet}: the track {track} is not on the tracks sheet."), sheet=key, track=row.get("track", "")
                )
            track[key].append(row)
    return {"units": sheets["units"], "tracks": list(by_track.values())}


def load(rows: ConnRows, data: dict[str, Any], today: dt.date, now: dt.datetime) -> list[str]:
    """Write a definition; returns what was done, one line each (msgids and values).

    Raises: DefinitionError: the first thing wrong (nothing is kept: the caller's transaction).
    """
    known = {u.code for u in rows.select(units)}
    unit_defs, track_defs = parse(data, known)
    done: list[str] = []
    for u in unit_defs:
        if not rows.update(units, units.c.code == u.code, name=u.name, kind=u.kind):
            rows.insert(units, code=u.code, name=u.name, kind=u.kind, created_at=now)
    unit_ids = {u.code: u.id for u in rows.select(units)}
    for t in track_defs:
        values = {"name": t.name, "topic": t.topic, "start_q": str(t.start or ""), "end_q": str(t.end or "")}
        existing = rows.get(tracks, tracks.c.code == t.code)
        track_id = existing.id if existing else rows.insert(tracks, code=t.code, created_at=now, **values)
        if existing:
            rows.update(tracks, tracks.c.id == track_id, **values)
        for code in t.units:
            if rows.get(enrolments, enrolments.c.track_id == track_id, enrolments.c.unit_id == unit_ids[code]) is None:
                rows.insert(enrolments, track_id=track_id, unit_id=unit_ids[code])
        quarter = t.first or quarter_of(today)
        in_force = rules_for(rows, track_id, quarter)
        if in_force is not None and rules_to_data(in_force[1]) == rules_to_data(t.rules):
            continue
        version, first = adopt(
            rows, track_id, t.code, t.rules, today=today, first=t.first, by=None, source="file", now=now
        )
        text = json.dumps(rules_to_data(t.rules), ensure_ascii=False)
        if not rows.update(drafts, drafts.c.track_id == track_id, data=text, edited_by=None, edited_at=now):
            rows.insert(drafts, track_id=track_id, data=text, edited_by=None, edited_at=now)
        done.append(f"{t.code}\tv{version}\t{first}")
    return done


def commands(cli: CommandLine) -> click.Group:
    """The ``linli tracks`` group."""

    @click.group("tracks", help=cli.t(HELP))
    def group() -> None:
        pass

    @group.command("load", help=cli.t(N_("Load units, tracks and rules from a TOML or XLSX file.")))
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--district", "-d", "district_id", required=True, help=cli.t(N_("the district's id")))
    def load_cmd(file: Path, district_id: str) -> None:
        try:
            data = read_file(file)
        except DefinitionError as e:
            raise cli.fail(cli.t(e.msgid, **e.values)) from None
        now = dt.datetime.now(dt.UTC)
        today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
        try:
            with cli.database(write=True) as conn:
                cli.registry(conn, district_id)  # refuses an unknown district
                done = load(ConnRows(conn, district_id), data, today, now)
                units_n = len(ConnRows(conn, district_id).select(units))
        except DefinitionError as e:
            raise cli.fail(cli.t(e.msgid, **e.values) + " " + cli.t(N_("Nothing was changed."))) from None
        for line in done:
            click.echo(line)
        click.echo(cli.t(N_("{units} unit(s); {n} track(s) with new rules."), units=units_n, n=len(done)), err=True)

    return group
