"""Ledger export: a plugin's ``@ledger`` as an XLSX workbook or a CSV file.

The ledger handler runs with a read-only :class:`LedgerContext` (no person, no
room): whatever it tries to write is refused or rolled back. Column headers are
msgids, translated here; every export is written to the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from contextlib import contextmanager
from copy import copy
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import structlog
from attrs import frozen

from linli.core import directory, people
from linli.core.clock import Clock, SystemClock
from linli.core.context import LedgerContext, plugin_logger
from linli.core.errors import LinliError, NotFound, PluginError, UserError
from linli.core.i18n import N_, translator
from linli.core.plugin import Ledger
from linli.core.registry import PluginRegistry
from linli.core.specs import LedgerSpec
from linli.core.storage import ScopedStore, Store

__all__ = [
    "FORMATS",
    "ExportResult",
    "LedgerTable",
    "default_filename",
    "export_ledger",
    "ledger_table",
    "open_ledger",
    "write_csv",
    "write_xlsx",
]

Format = Literal["xlsx", "csv"]
FORMATS: tuple[Format, ...] = ("xlsx", "csv")
#: called with (rows written, rows in all or None when the ledger streams) while a file is written
Progress = Callable[[int, int | None], None]

log = structlog.get_logger("linli.export")

# Excel and LibreOffice run a cell that starts with one of these as a formula, so a
# resident's text could become a formula in a worker's spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH = 50
#: rows read ahead to size the XLSX columns (a write-only sheet fixes them before the first row)
_WIDTH_SAMPLE = 200
#: rows between two progress calls
_PROGRESS_EVERY = 1000


@frozen
class LedgerTable:
    """A ledger ready to write: its title and headers translated, its rows as the plugin gave them.

    Parameters:
      name: ``plugin.ledger``.
      title: the translated title (the sheet's name).
      columns: the translated headers.
      rows: the rows: a tuple from :func:`ledger_table`, a stream read once (valid only inside
        :func:`open_ledger`'s block) from :func:`open_ledger`.
      language: the language it was translated to.
      timezone: the district's time zone; aware datetimes are written in it.
    """

    name: str
    title: str
    columns: tuple[str, ...]
    rows: Iterable[Sequence[Any]]
    language: str = "zh_CN"
    timezone: str = "Asia/Shanghai"


@frozen
class ExportResult:
    """What :func:`export_ledger` wrote."""

    path: Path
    rows: int
    format: Format


@contextmanager
def _read_only(store: Store) -> Iterator[sa.Connection]:
    """A connection on which writes fail (PostgreSQL, SQLite) and are rolled back anyway."""
    with store.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SET TRANSACTION READ ONLY"))
        elif conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA query_only = ON")
        try:
            yield conn
        finally:
            conn.rollback()
            if conn.dialect.name == "sqlite":
                # the pragma belongs to the pooled connection, not to the transaction
                conn.exec_driver_sql("PRAGMA query_only = OFF")
                conn.rollback()


@contextmanager
def open_ledger(
    store: Store,
    registry: PluginRegistry,
    ledger: str,
    district_id: str,
    *,
    language: str | None = None,
    clock: Clock | None = None,
    include_sensitive: bool = False,
) -> Iterator[LedgerTable]:
    """Run a ledger's handler for a district; the block reads its rows as they come.

    The rows are a stream (a handler may yield them, and its queries may still be
    reading): read them once, inside the ``with`` block, where the read-only
    connection is open. A handler failing half-way raises :class:`PluginError` there.

    Parameters:
      store: the database.
      registry: the installed plugins.
      ledger: ``plugin.name`` as registered with ``@ledger``.
      district_id: the district whose rows are exported.
      language: the language of the headers and texts (default: the district's).
      clock: the time source handed to the handler.
      include_sensitive: handed to the handler (:attr:`LedgerContext.include_sensitive`).

    Raises:
      NotFound: no such ledger or district.
      PluginError: the plugin is not enabled in the district, or its handler failed.
    """
    handler = registry.ledgers.get(ledger)
    if handler is None:
        raise NotFound(N_("no ledger {ledger!r} (see `linli export --list`)"), ledger=ledger)
    spec = handler.spec
    assert isinstance(spec, LedgerSpec)
    with _read_only(store) as conn:
        district = directory.load_district(conn, district_id)
        if handler.plugin not in district.plugins:
            raise PluginError(
                N_("plugin {plugin!r} is not enabled in district {district!r}, so it has no ledger there"),
                plugin=handler.plugin,
                district=district_id,
            )
        t = translator(language or district.language, kind=district.kind)
        ctx = LedgerContext(
            plugin=handler.plugin,
            key=f"export:{ledger}:{district_id}",
            district=district,
            store=ScopedStore(conn, handler.plugin, district.id),
            t=t,
            clock=clock or SystemClock(),
            log=plugin_logger(handler.plugin),
            conn=conn,
            include_sensitive=include_sensitive,
        )
        with _handler_failures(ledger, district_id):
            result = handler.func(ctx)
        if not isinstance(result, Ledger):
            raise PluginError(
                N_("ledger {ledger!r} returned {type}, not a Ledger"), ledger=ledger, type=type(result).__name__
            )
        yield LedgerTable(
            name=ledger,
            title=t(spec.title) if spec.title else ledger,
            columns=tuple(t(c) for c in result.columns),
            rows=_Rows(result.rows, ledger, district_id),
            language=t.language,
            timezone=district.timezone,
        )


@contextmanager
def _handler_failures(ledger: str, district_id: str) -> Iterator[None]:
    """A plugin's failure, while it builds its ledger or yields its rows, as a :class:`PluginError`."""
    try:
        yield
    except UserError as exc:
        raise PluginError(N_("ledger {ledger!r}: {error}"), ledger=ledger, error=exc.message) from None
    except LinliError:
        raise
    except Exception as exc:
        log.exception("ledger handler failed", ledger=ledger, district=district_id)
        raise PluginError(
            N_("ledger {ledger!r} failed: {error}"), ledger=ledger, error=f"{type(exc).__name__}: {exc}"
        ) from exc


class _Rows(Iterable[Sequence[Any]]):
    """A handler's rows, read once, its failures reported as a ledger's; knows its length if they do."""

    def __init__(self, rows: Iterable[Sequence[Any]], ledger: str, district_id: str) -> None:
        self._rows = rows
        self._ledger = ledger
        self._district_id = district_id
        self.total = len(rows) if isinstance(rows, Sized) else None

    def __iter__(self) -> Iterator[Sequence[Any]]:
        with _handler_failures(self._ledger, self._district_id):
            it = iter(self._rows)
            yield from it


def _total(rows: Iterable[Sequence[Any]]) -> int | None:
    if isinstance(rows, _Rows):
        return rows.total
    return len(rows) if isinstance(rows, Sized) else None


def ledger_table(
    store: Store,
    registry: PluginRegistry,
    ledger: str,
    district_id: str,
    *,
    language: str | None = None,
    clock: Clock | None = None,
    include_sensitive: bool = False,
) -> LedgerTable:
    """Run a ledger's handler for a district and translate what it returns, all rows in memory.

    For tests and small ledgers; :func:`export_ledger` streams with :func:`open_ledger`.
    Parameters and errors as :func:`open_ledger`'s.
    """
    with open_ledger(
        store, registry, ledger, district_id, language=language, clock=clock, include_sensitive=include_sensitive
    ) as table:
        rows = tuple(tuple(r) for r in table.rows)
    return LedgerTable(
        name=table.name,
        title=table.title,
        columns=table.columns,
        rows=rows,
        language=table.language,
        timezone=table.timezone,
    )


def default_filename(district_id: str, ledger: str, fmt: Format, day: dt.date) -> str:
    """``<district>-<ledger>-<date>.<format>``, the name ``linli export`` writes by default."""
    return f"{district_id}-{ledger}-{day.isoformat()}.{fmt}"


def _plain(value: Any, tz: ZoneInfo) -> Any:
    """A value a spreadsheet cell holds: naive local datetimes (Excel has no time zones), text or numbers."""
    if value is None or isinstance(value, bool | int | float | Decimal | str):
        return value
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date | dt.time):
        return value
    return str(value)


def _text_width(text: str) -> int:
    # Chinese characters take two columns in Excel's default fonts
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _sheet_title(title: str) -> str:
    cleaned = _SHEET_TITLE_FORBIDDEN.sub(" ", title).strip().strip("'")
    return cleaned[:31] or "ledger"


def _width(value: Any) -> int:
    return max((_text_width(line) for line in _display(value).splitlines()), default=0)


def write_xlsx(table: LedgerTable, path: Path, *, progress: Progress | None = None) -> int:
    """Write ``table`` as a workbook, row by row: a bold, frozen header row, columns as wide as their text.

    The workbook is written in openpyxl's write-only mode, so memory stays flat however
    long the ledger; the column widths come from the header and the first rows.

    Parameters:
      table: the ledger.
      path: the file to write.
      progress: called as rows are written.

    Returns:
      The number of rows written (without the header).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    tz = ZoneInfo(table.timezone)
    total = _total(table.rows)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(table.title))
    rows = iter(table.rows)
    sample = [[_plain(v, tz) for v in row] for row in islice(rows, _WIDTH_SAMPLE)]
    widths = [_text_width(c) for c in table.columns]
    for values in sample:
        for col, value in enumerate(values):
            if col >= len(widths):
                widths.append(0)
            widths[col] = max(widths[col], _width(value))
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(max(width, 6) + 2, _MAX_WIDTH + 2)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in table.columns:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        header.append(cell)
    ws.append(header)

    def styled(value: Any, like: Any) -> Any:
        # a copy of a prepared cell's style: far cheaper than setting fonts and formats cell by cell
        cell = WriteOnlyCell(ws, value=value)
        cell._style = copy(like._style)
        return cell

    text, wrapped_text = WriteOnlyCell(ws), WriteOnlyCell(ws)
    wrapped_text.alignment = Alignment(wrap_text=True, vertical="top")
    day, moment = WriteOnlyCell(ws), WriteOnlyCell(ws)
    day.number_format, moment.number_format = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"

    def cells(values: list[Any]) -> list[Any]:
        out: list[Any] = []
        for value in values:
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
                size = len(value)
                wrapped = size > _MAX_WIDTH or "\n" in value or (2 * size > _MAX_WIDTH and _width(value) > _MAX_WIDTH)
                if wrapped or value.startswith(_FORMULA_START):
                    value = styled(value, wrapped_text if wrapped else text)
                    value.data_type = "s"  # text, never a formula
            elif isinstance(value, dt.datetime):
                value = styled(value, moment)
            elif isinstance(value, dt.date):
                value = styled(value, day)
            out.append(value)
        return out

    n = 0
    for n, values in enumerate(chain(sample, ([_plain(v, tz) for v in row] for row in rows)), start=1):
        ws.append(cells(values))
        if progress is not None and n % _PROGRESS_EVERY == 0:
            progress(n, total)
    if progress is not None:
        progress(n, n)
    wb.save(path)
    return n


def _csv_cell(value: Any) -> str:
    text = _display(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_csv(table: LedgerTable, path: Path, *, progress: Progress | None = None) -> int:
    """Write ``table`` as CSV in UTF-8 with a byte-order mark (which Excel needs to read Chinese),
    each row as it comes.

    Parameters:
      table: the ledger.
      path: the file to write.
      progress: called as rows are written.

    Returns:
      The number of rows written (without the header).
    """
    tz = ZoneInfo(table.timezone)
    total = _total(table.rows)
    n = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.columns)
        for n, row in enumerate(table.rows, start=1):
            writer.writerow([_csv_cell(_plain(v, tz)) for v in row])
            if progress is not None and n % _PROGRESS_EVERY == 0:
                progress(n, total)
    if progress is not None:
        progress(n, n)
    return n


def _write_atomically(table: LedgerTable, path: Path, fmt: Format, progress: Progress | None) -> int:
    """Write next to ``path`` and rename, so a failed export never leaves half a file."""
    writer = write_xlsx if fmt == "xlsx" else write_csv
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        rows = writer(table, Path(tmp), progress=progress)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rows


def export_ledger(
    store: Store,
    registry: PluginRegistry,
    ledger: str,
    district_id: str,
    *,
    actor: str,
    fmt: Format = "xlsx",
    path: Path | None = None,
    language: str | None = None,
    clock: Clock | None = None,
    progress: Progress | None = None,
    include_sensitive: bool = False,
) -> ExportResult:
    """Export a ledger to a file and record the export in the audit log.

    Parameters:
      store: the database.
      registry: the installed plugins.
      ledger: ``plugin.name`` as registered with ``@ledger``.
      district_id: the district whose rows are exported.
      actor: who exports, for the audit log (``cli:alice``).
      fmt: ``xlsx`` or ``csv``.
      path: the file; default :func:`default_filename` in the current directory.
      language: the language of headers and texts (default: the district's).
      clock: the time source (its date names the default file).
      progress: called as rows are written.
      include_sensitive: whether a ledger marked ``sensitive`` (special households and the
        like) may be exported; without it such a ledger is refused.

    Raises:
      NotFound: no such ledger or district.
      PluginError: the plugin is not enabled in the district, or its handler failed.
      LinliError: the file cannot be written, or a sensitive ledger was not asked for explicitly.
    """
    if fmt not in FORMATS:
        raise LinliError(N_("unknown export format {format!r}: use xlsx or csv"), format=fmt)
    clock = clock or SystemClock()
    handler = registry.ledgers.get(ledger)
    sensitive = handler is not None and isinstance(handler.spec, LedgerSpec) and handler.spec.sensitive
    if sensitive and not include_sensitive:
        raise LinliError(
            N_("ledger {ledger!r} holds sensitive personal data: export it with --include-sensitive"), ledger=ledger
        )
    with open_ledger(
        store, registry, ledger, district_id, language=language, clock=clock, include_sensitive=include_sensitive
    ) as table:
        if path is None:
            day = clock.now().astimezone(ZoneInfo(table.timezone)).date()
            path = Path.cwd() / default_filename(district_id, ledger, fmt, day)
        try:
            rows = _write_atomically(table, path, fmt, progress)
        except OSError as exc:
            raise LinliError(
                N_("cannot write {path}: {error}"), path=str(path), error=exc.strerror or str(exc)
            ) from None
    plugin = registry.ledgers[ledger].plugin
    with store.begin() as conn:
        people.audit(
            conn,
            action="export",
            actor=actor,
            district_id=district_id,
            plugin=plugin,
            target=ledger,
            detail={
                "format": fmt,
                "rows": rows,
                "language": table.language,
                "file": path.name,
                **({"sensitive": True} if sensitive or include_sensitive else {}),
            },
        )
    return ExportResult(path=path, rows=rows, format=fmt)
