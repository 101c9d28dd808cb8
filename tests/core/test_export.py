"""Ledger export: a plugin's ``@ledger`` written as XLSX or CSV, translated and audited."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from linli.core.errors import LinliError, NotFound, PluginError
from linli.core.export import default_filename, export_ledger, ledger_table
from linli.core.i18n import translator
from linli.core.plugin import N_, Ledger, Manifest, Plugin, PluginContext, ledger
from linli.core.registry import PluginRegistry
from linli.core.storage import schema as s
from linli.plugins.basics import BasicsPlugin
from linli.testing import ChatHarness

SUGGESTIONS = "suggestions.suggestions"
#: rows of the Odd.stream ledger: more than write_xlsx reads ahead for the column widths
STREAMED = 450
COLUMNS = ["Number", "Date", "Category", "Suggestion", "Status", "Answer", "Answered on", "Attachments"]
#: the headers as the zh_CN catalog has them
ZH_COLUMNS = [translator("zh_CN")(c) for c in COLUMNS]


def _suggest(chat: ChatHarness, who: str, text: str) -> None:
    chat.say(who, f"/suggest {text}")
    chat.pick(who, 2)  # repairs and facilities


def _export(chat: ChatHarness, path: Path, **kw: object):
    return export_ledger(
        chat.runtime.store,
        chat.runtime.registry,
        SUGGESTIONS,
        "test",
        actor="cli:tester",
        path=path,
        clock=chat.clock,
        **kw,
    )


def _audit(chat: ChatHarness) -> list[sa.Row]:
    with chat.runtime.store.connect() as conn:
        return list(conn.execute(sa.select(s.audit_log).where(s.audit_log.c.action == "export")))


class Odd(Plugin):
    """Ledgers that misbehave or carry values a spreadsheet needs converted."""

    manifest = Manifest(name="odd", version="1.0")

    @ledger("times", title=N_("Times"))
    def times(self, ctx: PluginContext) -> Ledger:
        when = dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC)
        return Ledger(columns=[N_("Date"), N_("Number")], rows=[[when, 3], [dt.date(2026, 12, 1), None]])

    @ledger("scribbles")
    def scribbles(self, ctx: PluginContext) -> Ledger:
        ctx.audit("scribbled")
        return Ledger(columns=[], rows=[])

    @ledger("secrets", title=N_("Times"), sensitive=True)
    def secrets(self, ctx: PluginContext) -> Ledger:
        return Ledger(columns=[N_("Number")], rows=[[1]])

    @ledger("stream", title=N_("Times"))
    def stream(self, ctx: PluginContext) -> Ledger:
        """More rows than the XLSX width sample, yielded one by one."""

        def rows() -> Iterator[list[object]]:
            for n in range(1, STREAMED + 1):
                yield [n, "=1+1" if n == 7 else "楼道灯坏了" * (n // 50 + 1), dt.date(2026, 12, 1)]

        return Ledger(columns=[N_("Number"), N_("Suggestion"), N_("Date")], rows=rows())

    @ledger("breaks")
    def breaks(self, ctx: PluginContext) -> Ledger:
        def rows() -> Iterator[list[object]]:
            yield [1]
            raise RuntimeError("the query went away")

        return Ledger(columns=[N_("Number")], rows=rows())

    @ledger("not_a_ledger")
    def not_a_ledger(self, ctx: PluginContext) -> list[str]:
        return ["oops"]


@pytest.fixture
def odd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatHarness]:
    # a plugin defined in a test module has no package for migrations (PluginRegistry.packages gives "")
    packages = PluginRegistry.packages
    monkeypatch.setattr(PluginRegistry, "packages", lambda self: [p for p in packages(self) if p])
    harness = ChatHarness(tmp_path, plugins=[BasicsPlugin, Odd])
    yield harness
    harness.close()


def test_an_xlsx_export_has_translated_headers_a_bold_frozen_header_row_and_the_rows(chat, tmp_path):
    _suggest(chat, "张三", "楼道灯坏了")
    _suggest(chat, "李四", "健身器材需要维修请尽快安排工人来看看")

    result = _export(chat, tmp_path / "ledger.xlsx")

    assert result.rows == 2
    sheet = openpyxl.load_workbook(result.path).active
    assert sheet.title == "意见箱台账"
    assert [c.value for c in sheet[1]] == ZH_COLUMNS
    assert ZH_COLUMNS[0] == "编号"
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    long_text = "健身器材需要维修请尽快安排工人来看看"
    assert [sheet.cell(row=r, column=4).value for r in (2, 3)] == ["楼道灯坏了", long_text]
    assert sheet.cell(row=2, column=1).value == 1
    # Chinese characters are two columns wide in Excel: the long suggestion widens its column
    assert sheet.column_dimensions["D"].width >= 2 * len(long_text)


def test_an_export_in_english_translates_headers_title_and_texts(chat, tmp_path):
    _suggest(chat, "张三", "楼道灯坏了")
    sheet = openpyxl.load_workbook(_export(chat, tmp_path / "en.xlsx", language="en").path).active
    assert sheet.title == "Suggestion box ledger"
    assert [c.value for c in sheet[1]] == COLUMNS
    assert [c.value for c in sheet[2]][2:5] == ["Repairs and facilities", "楼道灯坏了", "open"]


def test_a_csv_export_is_utf8_with_a_byte_order_mark_for_excel(chat, tmp_path):
    _suggest(chat, "张三", "楼道灯坏了")
    path = _export(chat, tmp_path / "ledger.csv", fmt="csv").path
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ZH_COLUMNS
    assert rows[1][0] == "1" and rows[1][3] == "楼道灯坏了"


def test_text_that_looks_like_a_formula_stays_text(chat, tmp_path):
    _suggest(chat, "张三", '=HYPERLINK("http://evil.example","点我")')
    cell = openpyxl.load_workbook(_export(chat, tmp_path / "x.xlsx").path).active.cell(row=2, column=4)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    with _export(chat, tmp_path / "x.csv", fmt="csv").path.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh))[1][3].startswith("'=HYPERLINK")


def test_every_export_is_written_to_the_audit_log(chat, tmp_path):
    _suggest(chat, "张三", "楼道灯坏了")
    _export(chat, tmp_path / "a.csv", fmt="csv", language="en")
    [row] = _audit(chat)
    assert (row.actor, row.district_id, row.plugin, row.target) == ("cli:tester", "test", "suggestions", SUGGESTIONS)
    assert row.detail == {"format": "csv", "rows": 1, "language": "en", "file": "a.csv"}


def test_the_default_file_is_named_after_district_ledger_and_local_date(chat, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    chat.clock.set(dt.datetime(2026, 11, 26, 17, 0, tzinfo=dt.UTC))  # already the 27th in Shanghai
    result = export_ledger(chat.runtime.store, chat.runtime.registry, SUGGESTIONS, "test", actor="t", clock=chat.clock)
    assert result.path == tmp_path / "test-suggestions.suggestions-2026-11-27.xlsx"
    assert result.path.is_file()
    assert default_filename("heping", "a.b", "csv", dt.date(2026, 1, 2)) == "heping-a.b-2026-01-02.csv"


def test_a_ledger_of_a_plugin_not_enabled_in_the_district_is_refused_and_not_audited(chat, tmp_path):
    chat.enable("suggestions", False)
    with pytest.raises(PluginError, match="not enabled in district 'test'"):
        _export(chat, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()
    assert _audit(chat) == []


def test_an_unknown_ledger_or_district_is_not_found(chat):
    with pytest.raises(NotFound, match=r"no ledger 'suggestions\.nope'"):
        ledger_table(chat.runtime.store, chat.runtime.registry, "suggestions.nope", "test")
    with pytest.raises(NotFound, match="no district 'nowhere'"):
        ledger_table(chat.runtime.store, chat.runtime.registry, SUGGESTIONS, "nowhere")


def test_aware_datetimes_are_written_in_the_district_time_zone(odd, tmp_path):
    result = export_ledger(
        odd.runtime.store, odd.runtime.registry, "odd.times", "test", actor="t", path=tmp_path / "t.xlsx"
    )
    sheet = openpyxl.load_workbook(result.path).active
    assert sheet.cell(row=2, column=1).value == dt.datetime(2026, 11, 26, 9, 30)
    assert sheet.cell(row=2, column=1).number_format == "yyyy-mm-dd hh:mm"
    assert sheet.cell(row=3, column=1).number_format == "yyyy-mm-dd"
    assert sheet.cell(row=3, column=2).value is None
    path = export_ledger(
        odd.runtime.store, odd.runtime.registry, "odd.times", "test", actor="t", path=tmp_path / "t.csv", fmt="csv"
    ).path
    with path.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh))[1:] == [["2026-11-26 09:30", "3"], ["2026-12-01", ""]]


def test_a_ledger_handler_cannot_write_to_the_database(odd, tmp_path):
    with pytest.raises(PluginError, match=r"ledger 'odd\.scribbles' failed"):
        export_ledger(
            odd.runtime.store, odd.runtime.registry, "odd.scribbles", "test", actor="t", path=tmp_path / "s.xlsx"
        )
    with odd.runtime.store.connect() as conn:
        assert conn.execute(sa.select(s.audit_log).where(s.audit_log.c.action == "scribbled")).first() is None
    # the connection went back to the pool writable
    odd.grant("张三", "staff")


def test_a_handler_that_returns_no_ledger_is_a_plugin_error(odd):
    with pytest.raises(PluginError, match="returned list, not a Ledger"):
        ledger_table(odd.runtime.store, odd.runtime.registry, "odd.not_a_ledger", "test")


def test_a_sensitive_ledger_is_exported_only_when_asked_for_and_the_audit_says_so(odd, tmp_path):
    store, registry = odd.runtime.store, odd.runtime.registry
    with pytest.raises(LinliError, match="--include-sensitive"):
        export_ledger(store, registry, "odd.secrets", "test", actor="t", path=tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()
    export_ledger(store, registry, "odd.secrets", "test", actor="t", path=tmp_path / "x.xlsx", include_sensitive=True)
    with store.connect() as conn:
        details = conn.execute(sa.select(s.audit_log.c.detail).where(s.audit_log.c.action == "export")).scalars()
        assert [d.get("sensitive") for d in details] == [True]


def _streamed(n: int) -> list[object]:
    return [n, "=1+1" if n == 7 else "楼道灯坏了" * (n // 50 + 1), dt.date(2026, 12, 1)]


def test_a_ledger_that_yields_its_rows_is_written_whole_to_xlsx_and_csv(odd, tmp_path):
    store, registry = odd.runtime.store, odd.runtime.registry
    result = export_ledger(store, registry, "odd.stream", "test", actor="t", path=tmp_path / "s.xlsx", language="en")
    assert result.rows == STREAMED
    sheet = openpyxl.load_workbook(result.path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Number", "Suggestion", "Date")
    assert [list(r) for r in rows[1:]] == [
        [n, text, dt.datetime(2026, 12, 1)] for n, text, _ in map(_streamed, range(1, STREAMED + 1))
    ]
    assert sheet.cell(row=8, column=2).data_type == "s"  # the formula-like text stays text
    assert sheet.cell(row=2, column=3).number_format == "yyyy-mm-dd"
    assert all(c.font.bold for c in sheet[1]) and sheet.freeze_panes == "A2"
    # the widths come from the first rows; the long texts further down wrap instead
    assert sheet.column_dimensions["B"].width == 2 * len("楼道灯坏了") * 5 + 2  # row 200
    assert sheet.cell(row=STREAMED + 1, column=2).alignment.wrap_text

    path = export_ledger(store, registry, "odd.stream", "test", actor="t", path=tmp_path / "s.csv", fmt="csv").path
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert len(lines) == STREAMED + 1
    assert lines[7] == ["7", "'=1+1", "2026-12-01"]
    assert lines[STREAMED] == [str(STREAMED), "楼道灯坏了" * 10, "2026-12-01"]
    with store.connect() as conn:
        details = conn.execute(sa.select(s.audit_log.c.detail).where(s.audit_log.c.action == "export")).scalars()
        assert [d["rows"] for d in details] == [STREAMED, STREAMED]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_ledger_failing_half_way_is_a_plugin_error_and_leaves_no_file(odd, tmp_path, fmt):
    with pytest.raises(PluginError, match=r"ledger 'odd\.breaks' failed: RuntimeError: the query went away"):
        export_ledger(
            odd.runtime.store,
            odd.runtime.registry,
            "odd.breaks",
            "test",
            actor="t",
            path=tmp_path / f"b.{fmt}",
            fmt=fmt,
        )
    assert list(tmp_path.glob("*b.*")) == []
    assert _audit(odd) == []


def test_progress_counts_the_rows_written_and_ends_with_all_of_them(odd, tmp_path):
    calls: list[tuple[int, int | None]] = []
    export_ledger(
        odd.runtime.store,
        odd.runtime.registry,
        "odd.stream",
        "test",
        actor="t",
        path=tmp_path / "p.csv",
        fmt="csv",
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[-1] == (STREAMED, STREAMED)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
