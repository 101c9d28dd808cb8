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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
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
    "write_csv",
    "write_xlsx",
]

Format = Literal["xlsx", "csv"]
FORMATS: tuple[Format, ...] = ("xlsx", "csv")
#: called with (rows written, rows in all) while a file is written
Progress = Callable[[int, int], None]

log = structlog.get_logger("linli.export")

# Excel and LibreOffice run a cell that starts with one of these as a formula, so a
# resident's text could become a formula in a worker's spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH = 50


@frozen
class LedgerTable:
    """A ledger ready to write: its title and headers translated, its rows as the plugin gave them.

    Parameters:
      name: ``plugin.ledger``.
      title: the translated title (the sheet's name).
      columns: the translated headers.
      rows: the rows.
      language: the language it was translated to.
      timezone: the district's time zone; aware datetimes are written in it.
    """

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
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


def ledger_table(
    store: Store,
    registry: PluginRegistry,
    ledger: str,
    district_id: str,
    *,
    language: str | None = None,
    clock: Clock | None = None,
) -> LedgerTable:
    """Run a ledger's handler for a district and translate what it returns.

    Parameters:
      store: the database.
      registry: the installed plugins.
      ledger: ``plugin.name`` as registered with ``@ledger``.
      district_id: the district whose rows are exported.
      language: the language of the headers and texts (default: the district's).
      clock: the time source handed to the handler.

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
        )
        try:
            result = handler.func(ctx)
        except UserError as exc:
            raise PluginError(N_("ledger {ledger!r}: {error}"), ledger=ledger, error=exc.message) from None
        except LinliError:
            raise
        except Exception as exc:
            log.exception("ledger handler failed", ledger=ledger, district=district_id)
            raise PluginError(
                N_("ledger {ledger!r} failed: {error}"), ledger=ledger, error=f"{type(exc).__name__}: {exc}"
            ) from exc
    if not isinstance(result, Ledger):
        raise PluginError(
            N_("ledger {ledger!r} returned {type}, not a Ledger"), ledger=ledger, type=type(result).__name__
        )
    return LedgerTable(
        name=ledger,
        title=t(spec.title) if spec.title else ledger,
        columns=tuple(t(c) for c in result.columns),
        rows=tuple(tuple(r) for r in result.rows),
        language=t.language,
        timezone=district.timezone,
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


def write_xlsx(table: LedgerTable, path: Path, *, progress: Progress | None = None) -> None:
    """Write ``table`` as a workbook: a bold, frozen header row, columns as wide as their text.

    Parameters:
      table: the ledger.
      path: the file to write.
      progress: called as rows are written.
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    tz = ZoneInfo(table.timezone)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _sheet_title(table.title)
    ws.append(list(table.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    widths = [_text_width(c) for c in table.columns]
    total = len(table.rows)
    for n, row in enumerate(table.rows, start=1):
        values = [_plain(v, tz) for v in row]
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values])
        for col, value in enumerate(values):
            cell = ws.cell(row=n + 1, column=col + 1)
            if cell.data_type == "f":  # text, never a formula
                cell.data_type = "s"
            elif isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            if col >= len(widths):
                widths.append(0)
            text_width = max((_text_width(line) for line in _display(value).splitlines()), default=0)
            widths[col] = max(widths[col], text_width)
            if text_width > _MAX_WIDTH or (isinstance(value, str) and "\n" in value):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        if progress is not None and (n % 500 == 0 or n == total):
            progress(n, total)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(max(width, 6) + 2, _MAX_WIDTH + 2)
    wb.save(path)


def _csv_cell(value: Any) -> str:
    text = _display(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_csv(table: LedgerTable, path: Path, *, progress: Progress | None = None) -> None:
    """Write ``table`` as CSV in UTF-8 with a byte-order mark, which Excel needs to read Chinese.

    Parameters:
      table: the ledger.
      path: the file to write.
      progress: called as rows are written.
    """
    tz = ZoneInfo(table.timezone)
    total = len(table.rows)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.columns)
        for n, row in enumerate(table.rows, start=1):
            writer.writerow([_csv_cell(_plain(v, tz)) for v in row])
            if progress is not None and (n % 500 == 0 or n == total):
                progress(n, total)


def _write_atomically(table: LedgerTable, path: Path, fmt: Format, progress: Progress | None) -> None:
    """Write next to ``path`` and rename, so a failed export never leaves half a file."""
    writer = write_xlsx if fmt == "xlsx" else write_csv
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        writer(table, Path(tmp), progress=progress)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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

    Raises:
      NotFound: no such ledger or district.
      PluginError: the plugin is not enabled in the district, or its handler failed.
      LinliError: the file cannot be written.
    """
    if fmt not in FORMATS:
        raise LinliError(N_("unknown export format {format!r}: use xlsx or csv"), format=fmt)
    clock = clock or SystemClock()
    table = ledger_table(store, registry, ledger, district_id, language=language, clock=clock)
    if path is None:
        day = clock.now().astimezone(ZoneInfo(table.timezone)).date()
        path = Path.cwd() / default_filename(district_id, ledger, fmt, day)
    try:
        _write_atomically(table, path, fmt, progress)
    except OSError as exc:
        raise LinliError(N_("cannot write {path}: {error}"), path=str(path), error=exc.strerror or str(exc)) from None
    plugin = registry.ledgers[ledger].plugin
    with store.begin() as conn:
        people.audit(
            conn,
            action="export",
            actor=actor,
            district_id=district_id,
            plugin=plugin,
            target=ledger,
            detail={"format": fmt, "rows": len(table.rows), "language": table.language, "file": path.name},
        )
    return ExportResult(path=path, rows=len(table.rows), format=fmt)
