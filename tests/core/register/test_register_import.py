"""Importing a register from CSV and XLSX: Chinese headers, bad rows with their line, all or
nothing (or the good rows with ``skip_bad``), re-import that changes nothing or updates,
duplicates flagged. On SQLite and PostgreSQL (COPY and executemany)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from linli.core.i18n import translator
from linli.core.register.importer import import_rows
from linli.core.register.tabular import COLUMNS, FileError, read_rows, write_rows, write_template
from linli.core.storage import schema as s

en = translator("en")
ID_WANG = "11010519491231002X"
ID_LI = "110105194803050011"
HEADER = [
    "网格",
    "楼栋",
    "单元",
    "门牌号",
    "户主姓名",
    "姓名",
    "与户主关系",
    "性别",
    "出生日期",
    "身份证号",
    "联系电话",
]
ROWS = [
    ["第一网格", "12栋", "2", "301", "王秀英", "王秀英", "户主", "女", "1949-12-31", ID_WANG, "13800001234"],
    ["第一网格", "12栋", "2", "301", "王秀英", "李建国", "配偶", "男", "", ID_LI, ""],
    ["第一网格", "12栋", "2", "302", "张三", "张三", "户主", "男", "1960/5/4", "", "13900001111"],
    ["第二网格", "3栋", "", "101", "赵四", "赵四", "户主", "", "", "", ""],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, title: bool = False) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        if title:
            out.writerow(["清河街道某社区居民花名册"])
        out.writerow(header)
        out.writerows(rows)
    return path


def run(conn, path: Path, district: str = "qinghe", **kw):
    _, rows = read_rows(path)
    return import_rows(conn, district, rows, actor="cli:test", **kw)


def counts(conn, district: str = "qinghe") -> tuple[int, ...]:
    return tuple(
        conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c.district_id == district)).scalar_one()
        for t in (s.grids, s.buildings, s.households, s.residents, s.household_members)
    )


def test_a_csv_with_chinese_headers_after_a_title_row_is_imported(conn, registry, tmp_path):
    report = run(conn, write_csv(tmp_path / "花名册.csv", HEADER, ROWS, title=True))

    assert report.imported and report.errors == []
    assert counts(conn) == (2, 2, 3, 4, 4)
    reg = registry()
    household = reg.household("12栋", "2-301")
    assert household.phone == "13800001234"
    members = reg.members(household.id)
    assert [(m.name, m.relation, m.gender, m.birth_date, m.has_account) for m in members] == [
        ("王秀英", "户主", "女", dt.date(1949, 12, 31), False),
        ("李建国", "配偶", "男", dt.date(1948, 3, 5), False),
    ]
    assert reg.resident(reg.members(reg.household("12栋", "2-302").id)[0].person_id).birth_date == dt.date(1960, 5, 4)
    assert reg.building("3栋").grid_id == reg.grid("第二网格").id


def test_an_xlsx_with_chinese_headers_is_imported_like_the_csv(conn, registry, tmp_path):
    path = tmp_path / "花名册.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in ROWS:
        # as Excel keeps them: a number for the door, a date for the birth date
        sheet.append([*row[:3], int(row[3]), *row[4:8], dt.datetime(1949, 12, 31) if row[8] else None, *row[9:]])
    book.save(path)

    report = run(conn, path)

    assert report.imported and report.errors == []
    assert counts(conn) == (2, 2, 3, 4, 4)
    assert registry().household("12栋", "2-302") is not None


def test_english_headers_are_accepted(conn, registry, tmp_path):
    header = ["grid", "building", "unit", "number", "head", "name", "relation", "gender", "birth date", "ID", "phone"]

    report = run(conn, write_csv(tmp_path / "register.csv", header, ROWS))

    assert report.imported and counts(conn) == (2, 2, 3, 4, 4)


def test_a_file_with_a_bad_row_imports_nothing_and_names_the_line_and_why(conn, tmp_path):
    rows = [*ROWS, ["第一网格", "12栋", "2", "303", "钱五", "钱五", "户主", "女", "1950-13-01", "", ""]]

    report = run(conn, write_csv(tmp_path / "bad.csv", HEADER, rows))

    assert not report.imported
    assert [(e.line, e.text(en)) for e in report.errors] == [
        (6, "the date of birth '1950-13-01' is not a date like 1949-12-31")
    ]
    assert counts(conn) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"楼栋": ""}, "the building (楼栋) is empty"),
        ({"门牌号": ""}, "the door number (门牌号) is empty"),
        ({"身份证号": "110105194912310021"}, "the ID number is not valid"),
        ({"身份证号": "110105194912310000"}, "lost digits"),
        ({"出生日期": "1950-01-01"}, "does not match the ID number"),
        ({"性别": "X"}, "neither 男 nor 女"),
        ({"联系电话": "12ab"}, "phone number is not valid"),
        ({"姓名": "", "户主姓名": ""}, "the name (姓名) is empty"),
    ],
)
def test_each_kind_of_bad_row_gets_its_reason(conn, tmp_path, cells, reason):
    row = dict(zip(HEADER, ROWS[0], strict=True))
    row.update(cells)

    report = run(conn, write_csv(tmp_path / "bad.csv", HEADER, [list(row.values())]))

    assert [e.line for e in report.errors] == [2]
    assert reason in report.errors[0].text(en)


def test_the_same_person_twice_in_a_household_is_a_bad_row(conn, tmp_path):
    report = run(conn, write_csv(tmp_path / "twice.csv", HEADER, [*ROWS, ROWS[1]]))

    assert [(e.line, e.text(en)) for e in report.errors] == [(6, "the same person as on line 3")]


def test_a_building_in_two_grids_is_a_bad_row(conn, tmp_path):
    moved = ["第二网格", *ROWS[2][1:]]

    report = run(conn, write_csv(tmp_path / "grids.csv", HEADER, [*ROWS, moved]))

    assert [(e.line, e.text(en)) for e in report.errors] == [(6, "building 12栋 is in grid 第一网格 on line 2")]


def test_skip_bad_imports_the_good_rows_and_hands_back_the_bad_ones(conn, tmp_path):
    bad = ["第一网格", "", "2", "304", "孙六", "孙六", "户主", "女", "", "", ""]

    report = run(conn, write_csv(tmp_path / "some.csv", HEADER, [ROWS[0], bad, *ROWS[1:]]), skip_bad=True)

    assert report.imported
    assert [e.line for e in report.errors] == [3]
    assert list(report.rejected[3]) == bad
    assert counts(conn) == (2, 2, 3, 4, 4)


def test_importing_the_same_file_again_changes_nothing(conn, registry, tmp_path):
    path = write_csv(tmp_path / "花名册.csv", HEADER, ROWS)
    run(conn, path)
    before = counts(conn)
    history = conn.execute(sa.select(sa.func.count()).select_from(s.household_history)).scalar_one()

    again = run(conn, path)

    assert again.imported and again.changed == 0
    assert counts(conn) == before
    assert conn.execute(sa.select(sa.func.count()).select_from(s.household_history)).scalar_one() == history


def test_a_re_import_updates_what_changed_and_adds_who_is_new_into_the_history(conn, registry, tmp_path):
    run(conn, write_csv(tmp_path / "v1.csv", HEADER, ROWS))
    changed = [list(r) for r in ROWS]
    changed[0][10] = "13811112222"  # the head's new phone
    changed[1][5] = "李建國"  # a name corrected, the ID number the same
    changed.append(["第一网格", "12栋", "2", "301", "王秀英", "王小明", "孙子", "男", "2015-06-01", "", ""])

    report = run(conn, write_csv(tmp_path / "v2.csv", HEADER, changed))

    assert (report.households_added, report.households_updated) == (0, 1)
    assert (report.people_added, report.people_updated) == (1, 2)
    reg = registry()
    household = reg.household("12栋", "2-301")
    assert household.phone == "13811112222"
    assert [m.name for m in reg.members(household.id)] == ["王秀英", "李建國", "王小明"]
    kinds = [(h.kind, h.source) for h in reg.history(household.id)]
    assert kinds.count(("updated", "import")) == 3 and ("move_in", "import") in kinds
    assert "13811112222" not in str([h.detail for h in reg.history(household.id)])


def test_an_empty_cell_never_erases_what_the_register_knows(conn, registry, tmp_path):
    run(conn, write_csv(tmp_path / "v1.csv", HEADER, ROWS))
    blank = [list(r) for r in ROWS]
    blank[0][10] = ""
    blank[0][9] = ""

    report = run(conn, write_csv(tmp_path / "v2.csv", HEADER, blank))

    assert report.changed == 0
    assert registry().household("12栋", "2-301").phone == "13800001234"


def test_the_same_id_number_in_two_households_is_imported_and_listed_as_a_duplicate(conn, registry, tmp_path):
    twin = ["第一网格", "12栋", "2", "302", "张三", "王秀英", "亲属", "女", "", ID_WANG, ""]

    report = run(conn, write_csv(tmp_path / "dup.csv", HEADER, [*ROWS, twin]))

    assert report.imported
    assert [d.reason for d in registry().duplicates()] == ["id"]


def test_no_id_number_reaches_the_database_in_clear(conn, tmp_path):
    run(conn, write_csv(tmp_path / "花名册.csv", HEADER, ROWS))

    dumped = str([conn.execute(sa.select(t)).all() for t in (s.residents, s.audit_log, s.household_history)])
    assert ID_WANG not in dumped and ID_LI not in dumped


def test_each_district_imports_into_its_own_register(conn, registry, tmp_path):
    path = write_csv(tmp_path / "花名册.csv", HEADER, ROWS)
    run(conn, path)

    report = run(conn, path, district="yahe")

    assert report.households_added == 3 and report.people_added == 4
    assert counts(conn, "yahe") == counts(conn, "qinghe")
    assert registry("yahe").household("12栋", "2-301").id != registry().household("12栋", "2-301").id


# --- files --------------------------------------------------------------------------------


def test_a_file_without_building_and_number_columns_is_refused(tmp_path):
    with pytest.raises(FileError, match="楼栋"):
        read_rows(write_csv(tmp_path / "x.csv", ["姓名", "性别"], [["王", "女"]]))


def test_a_csv_saved_by_chinese_excel_in_gbk_is_read(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(("\n".join([",".join(HEADER), ",".join(ROWS[0])]) + "\n").encode("gbk"))

    _, rows = read_rows(path)

    assert [values["name"] for _, values, _ in rows] == ["王秀英"]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_template_has_every_column_and_reads_back_as_an_empty_register(tmp_path, suffix):
    path = tmp_path / f"template{suffix}"
    write_template(path, en)

    header, rows = read_rows(path)

    assert header == [c.header for c in COLUMNS]
    assert list(rows) == []


def test_rejected_rows_can_be_written_as_xlsx(tmp_path):
    path = tmp_path / "rejected.xlsx"
    write_rows(path, ["line", *HEADER], [[3, *ROWS[0]]])

    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet[2]][:3] == [3, "第一网格", "12栋"]


def test_an_id_number_that_excel_kept_as_a_number_is_refused_with_the_reason(conn, tmp_path):
    path = tmp_path / "numbers.xlsx"
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append([*ROWS[0][:9], float(ID_LI), ""])
    book.save(path)

    report = run(conn, path)

    assert [e.line for e in report.errors] == [2]
    assert "format the column as text" in report.errors[0].text(en)
