"""Register files as communities keep them: CSV or XLSX, Chinese headers (English ones too),
and the template that shows the columns.

A header row is found among the first ten rows (a sheet often starts with a title such
as 某某社区居民花名册); unknown columns (备注 …) are left aside.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import operator
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from attrs import frozen

from linli.core.errors import LinliError
from linli.core.i18n import N_

__all__ = ["COLUMNS", "Column", "FileError", "read_rows", "write_rows", "write_template"]


class FileError(LinliError):
    """The file cannot be read as a register (no header row, an unknown format)."""

    exit_code = 2


@frozen
class Column:
    key: str
    #: the header the template writes
    header: str
    #: other headers taken for it (lower-case for Latin ones)
    aliases: tuple[str, ...]
    description: str
    example: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("grid", "网格", ("所属网格", "网格名称", "grid"), N_("grid (optional)"), "第一网格"),
    Column("building", "楼栋", ("楼号", "楼栋号", "楼栋名称", "楼", "building"), N_("building (required)"), "12栋"),
    Column("unit", "单元", ("单元号", "unit"), N_("unit (optional)"), "2"),
    Column(
        "number",
        "门牌号",
        ("户号", "房号", "门牌", "室", "household", "door", "number", "household number"),
        N_("door or household number (required)"),
        "301",
    ),
    Column("head", "户主姓名", ("户主", "head", "head of household"), N_("head of household (optional)"), "王秀英"),
    Column("name", "姓名", ("成员姓名", "居民姓名", "name"), N_("name of the person"), "王秀英"),
    Column("relation", "与户主关系", ("关系", "relation", "relationship"), N_("relation to the head"), "户主"),
    Column("gender", "性别", ("gender", "sex"), N_("gender: 男 or 女"), "女"),
    Column(
        "birth_date",
        "出生日期",
        ("出生年月", "生日", "birth date", "birth_date", "born"),
        N_("date of birth"),
        "1949-12-31",
    ),
    Column(
        "id_number",
        "身份证号",
        ("身份证号码", "公民身份号码", "证件号码", "id number", "id_number", "id"),
        N_("ID number (kept only as a salted hash)"),
        "",
    ),
    Column(
        "phone", "联系电话", ("电话", "手机", "手机号", "联系方式", "phone", "telephone"), N_("phone"), "13800001234"
    ),
)

_BY_HEADER = {name: c.key for c in COLUMNS for name in (c.header, *c.aliases)}
_NOISE = re.compile(r"[\s*＊:：]|[(（][^)）]*[)）]")


def _key(header: Any) -> str | None:
    if header is None:
        return None
    text = _NOISE.sub("", str(header)).strip()
    return _BY_HEADER.get(text) or _BY_HEADER.get(text.lower()) or _BY_HEADER.get(str(header).strip().lower())


def _cell(value: Any) -> Any:
    """A cell as the importer wants it: text stripped, whole floats as integers' text, dates kept."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # a long ID number kept by Excel as a number comes out as 110105194912310000: the
        # importer recognises the lost digits by the zeros
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    return str(value).strip()


def _find_header(rows: Iterator[tuple[int, Sequence[Any]]]) -> tuple[list[str], list[str | None]]:
    for line, cells in rows:
        keys = [_key(c) for c in cells]
        if sum(k is not None for k in keys) >= 2:
            return ["" if c is None else str(c).strip() for c in cells], keys
        if line >= 10:
            break
    raise FileError(
        N_("no header row in the first 10 rows: the file needs the columns 楼栋 and 门牌号 (building, number)")
    )


def _lines(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        finally:
            book.close()
    elif suffix in (".csv", ".txt"):
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030")  # a CSV saved by Excel on a Chinese Windows
        yield from enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
    else:
        raise FileError(N_("{file}: only .csv and .xlsx files can be imported"), file=path.name)


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any], Sequence[Any]]]]:
    """The file's header row and its data rows as (line number, {column key: value}, raw cells).

    Empty rows are skipped. Raises: FileError: unknown format, no header row,
    or no 楼栋/门牌号 column.
    """
    lines = _lines(path)
    header, keys = _find_header(lines)
    missing = {"building", "number"} - set(keys)
    if missing:
        raise FileError(N_("the file has no column for the building (楼栋) or the door number (门牌号)"))

    wanted = [(i, key) for i, key in enumerate(keys) if key is not None]
    text_only = path.suffix.lower() in (".csv", ".txt")  # a CSV's cells are all text
    names = [key for _, key in wanted]
    # itemgetter of one index gives a value, not a tuple
    pick = operator.itemgetter(*[i for i, _ in wanted]) if len(wanted) > 1 else (lambda c: (c[wanted[0][0]],))
    width = len(keys)

    def rows() -> Iterator[tuple[int, dict[str, Any], Sequence[Any]]]:
        for line, cells in lines:
            if len(cells) < width:
                cells = [*cells, *([None] * (width - len(cells)))]
            if text_only:
                values = dict(zip(names, map(str.strip, pick(cells)), strict=True))
            else:
                values = {key: _cell(cells[i]) for i, key in wanted}
            if any(values.values()):
                yield line, values, cells

    return header, rows()


def write_rows(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Write rows to a CSV (UTF-8 with a BOM, as Excel opens it) or an XLSX file."""
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(list(header))
        for row in rows:
            sheet.append(["" if v is None else v for v in row])
        book.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


def write_template(path: Path, describe: Any = None) -> None:
    """Write an empty register with the columns (an XLSX also gets a sheet 说明 with an
    example row and what each column means, translated by ``describe``)."""
    headers = [c.header for c in COLUMNS]
    if path.suffix.lower() != ".xlsx":
        write_rows(path, headers, [])
        return
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "户籍"
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.number_format = "@"
    for letter in "ABCDEFGHIJK":
        sheet.column_dimensions[letter].width = 14
        # ID numbers and door numbers are text: as numbers Excel would drop digits
        for row in range(2, 2000):
            sheet[f"{letter}{row}"].number_format = "@"
    notes = book.create_sheet("说明")
    notes.append(["列 column", "说明 meaning", "示例 example"])
    for column in COLUMNS:
        notes.append([column.header, describe(column.description) if describe else column.description, column.example])
    book.save(path)
