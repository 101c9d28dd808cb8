"""``linli export``: ledgers to files from the command line."""

from __future__ import annotations

import csv

import openpyxl

from linli.core.i18n import translator

SUGGESTIONS = "suggestions.suggestions"
COLUMNS = ["Number", "Date", "Category", "Suggestion", "Status", "Answer", "Answered on", "Attachments"]


def test_export_list_shows_the_ledgers_of_installed_plugins(linli):
    row = next(line for line in linli.ok("export", "--list").splitlines() if SUGGESTIONS in line)
    assert "suggestions" in row and "Suggestion box ledger" in row


def test_export_writes_xlsx_named_after_district_ledger_and_date_in_the_district_language(ready):
    ready.add_suggestions("heping", ["楼道灯坏了", "垃圾桶满了"])
    out = ready.ok("export", SUGGESTIONS, "--district", "heping")
    assert "Exported 2 row(s)" in out
    [path] = ready.folder.glob(f"heping-{SUGGESTIONS}-*.xlsx")
    sheet = openpyxl.load_workbook(path).active
    zh = translator("zh_CN")
    assert sheet.title == zh("Suggestion box ledger") == "意见箱台账"
    assert [c.value for c in sheet[1]] == [zh(c) for c in COLUMNS]
    assert [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["楼道灯坏了", "垃圾桶满了"]


def test_no_progress_bar_is_drawn_when_the_output_is_not_a_terminal(ready):
    ready.add_suggestions("heping", ["楼道灯坏了", "垃圾桶满了"])
    result = ready("export", SUGGESTIONS, "--district", "heping", "-o", "out.csv")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.splitlines() == ["Exported 2 row(s) of suggestions.suggestions to out.csv"]


def test_export_to_csv_in_english(ready):
    ready.add_suggestions("heping", ["楼道灯坏了"])
    ready.ok("export", SUGGESTIONS, "-d", "heping", "--format", "csv", "--language", "en", "-o", "out.csv")
    raw = (ready.folder / "out.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == COLUMNS
    assert rows[1][0] == "1" and rows[1][3] == "楼道灯坏了" and rows[1][4] == "open"


def test_the_format_follows_the_output_file_name(ready):
    ready.ok("export", SUGGESTIONS, "-d", "heping", "--output", "ledger.csv")
    assert (ready.folder / "ledger.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_export_refuses_a_plugin_not_enabled_in_the_district(ready):
    error = ready.fails("export", SUGGESTIONS, "--district", "xinglong", code=5)
    assert "not enabled in district 'xinglong'" in error
    assert not list(ready.folder.glob("xinglong-*"))


def test_export_refuses_an_unknown_ledger_or_district_and_a_missing_argument(ready):
    assert "no ledger 'nope'" in ready.fails("export", "nope", "--district", "heping", code=6)
    assert "no district 'nowhere'" in ready.fails("export", SUGGESTIONS, "--district", "nowhere", code=6)
    assert "name a ledger and a district" in ready.fails("export", SUGGESTIONS, code=2)
