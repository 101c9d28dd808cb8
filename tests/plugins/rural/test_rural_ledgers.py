"""The monitoring and pairing ledgers through ``linli export``, opened as XLSX and CSV: Chinese
headers, one row per record; the monitored households and their history only with
``--include-sensitive``."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest
from rural_helpers import to_monitored

from linli.core.errors import LinliError
from linli.core.export import export_ledger
from linli.plugins.rural import monitoring_summary


def exported(chat, path, ledger: str, *, sensitive: bool = False) -> list[list]:
    result = export_ledger(
        chat.runtime.store,
        chat.runtime.registry,
        f"rural.{ledger}",
        "test",
        actor="cli:tester",
        path=path,
        language="zh_CN",
        clock=chat.clock,
        include_sensitive=sensitive,
        fmt="csv" if str(path).endswith(".csv") else "xlsx",
    )
    if str(path).endswith(".csv"):
        with open(result.path, encoding="utf-8-sig") as f:
            return list(csv.reader(f))
    sheet = openpyxl.load_workbook(result.path).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def work(chat) -> None:
    to_monitored(chat)
    chat.say("队员甲", "/sethelper 1 李干部")
    chat.say("李干部", "/addmeasure 1 medical 大病救助", private=True)
    chat.say("队员甲", "/pair 区财政局 一组/12 李干部")
    chat.say("李干部", "/helpvisit 一组/12 春耕")
    chat.say("队员甲", "/helpvisit 一组/12 for=李干部 送化肥")


def test_the_monitored_households_ledger_has_chinese_headers_and_the_home_visit(village, tmp_path):
    chat, _ = village
    work(chat)
    sheet = exported(chat, tmp_path / "m.xlsx", "monitoring", sensitive=True)
    assert sheet[0][:5] == ["编号", "户号", "来源", "类别", "状态"]
    row = dict(zip(sheet[0], sheet[1], strict=True))
    assert row["户号"] == "一组/13"
    assert row["状态"] == "监测中"
    assert row["人均纯收入（元）"] == 6800
    assert row["帮扶责任人"] == "李干部"
    assert row["审批人"] == "乡镇干部"


def test_the_history_ledger_keeps_every_step_and_who_took_it(village, tmp_path):
    chat, _ = village
    work(chat)
    sheet = exported(chat, tmp_path / "h.xlsx", "history", sensitive=True)
    assert sheet[0] == ["编号", "户号", "时间", "事项", "经办人", "说明"]
    assert [(r[3], r[4]) for r in sheet[1:4]] == [("线索", "队员甲"), ("入户核查", "队员甲"), ("公示", "曲书记")]
    assert ("乡镇审批通过", "乡镇干部") in [(r[3], r[4]) for r in sheet[1:]]


def test_sensitive_ledgers_need_the_explicit_flag(village, tmp_path):
    chat, _ = village
    work(chat)
    for ledger in ("monitoring", "history"):
        with pytest.raises(LinliError):
            exported(chat, tmp_path / f"{ledger}.xlsx", ledger)


def test_pairs_visits_and_measures_export_as_xlsx_and_csv(village, tmp_path):
    chat, _ = village
    work(chat)
    pairs = exported(chat, tmp_path / "p.xlsx", "pairs")
    assert pairs[0] == ["结对编号", "帮扶单位", "户号", "帮扶人", "结对日期", "结束", "走访次数", "最近走访"]
    assert pairs[1][:4] == [1, "区财政局", "一组/12", "李干部"] and pairs[1][6] == 2
    visits = exported(chat, tmp_path / "v.csv", "visits")
    assert visits[0] == ["结对编号", "帮扶单位", "户号", "走访日期", "走访人", "记录人", "备注"]
    assert [r[4:] for r in visits[1:]] == [["李干部", "", "春耕"], ["李干部", "队员甲", "送化肥"]]
    measures = exported(chat, tmp_path / "me.xlsx", "measures")
    assert measures[1][:4] == ["一组/13", 1, None, "医疗救助"]


def test_the_monthly_summary_counts_states_visits_measures_and_late_leads(village):
    chat, _ = village
    work(chat)
    chat.say("队员甲", "/lead 一组/14 grid")
    chat.run_jobs()
    chat.advance(days=16)
    chat.run_jobs()  # flags case 2 late on 17 Dec
    chat.say("乡镇干部", "/eliminate 1")
    with chat.runtime.store.connect() as conn:
        figures = monitoring_summary(conn, "test", dt.date(2026, 12, 1), dt.date(2026, 12, 31))
        november = monitoring_summary(conn, "test", dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        elsewhere = monitoring_summary(conn, "elsewhere", dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert figures["state_eliminated"] == 1 and figures["state_lead"] == 1 and figures["state_monitored"] == 0
    assert (figures["visits"], figures["measures"], figures["risk_eliminated"], figures["leads_late"]) == (2, 1, 1, 1)
    assert figures["leads"] == 1  # case 2 came in on 1 Dec; case 1 in November
    assert (november["leads"], november["visits"], november["leads_late"]) == (1, 0, 0)
    assert set(elsewhere.values()) == {0}
