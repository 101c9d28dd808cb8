"""The monthly report for the township: built from sections (sales, certificates due, the fund,
projects, and monitoring when its module is installed), in chat and as a workbook."""

from __future__ import annotations

import openpyxl
import pytest
from rural_work_helpers import make

from linli.core.export import export_ledger


@pytest.fixture
def village(tmp_path):
    chat = make(tmp_path)
    chat.say("曲书记", "/enterprise 恒仁雅米")
    chat.say("曲书记", "/licence 1 营业执照 L-1 2027-01-20 桓仁县市场监督管理局")
    chat.say("曲书记", "/licence 1 生产许可证 SC-2 2028-01-20 本溪市市场监督管理局")
    chat.say("曲书记", "/product 大米 斤 雅河硕丰")
    chat.say("曲书记", "/sale 大米 500 3.5 沈阳海关食堂 2026-11-20")
    chat.say("曲书记", "/sale 大米 100 4 本地超市 2026-10-02")
    chat.say("曲书记", "/share 1 一组/12 800")
    chat.say("曲书记", "/donate 6400 沈阳海关")
    chat.say("曲书记", "/student 王小明", private=True)
    chat.say("曲书记", "/disburse 1 32 2026秋")
    chat.say("曲书记", "/project 草莓大棚29座")
    chat.say("曲书记", "/milestone 1 2026-11-20 钢架到货")
    chat.say("曲书记", "/milestone 1 2026-12-20 覆膜")
    chat.say("曲书记", "/projectprogress 1 40")
    yield chat
    chat.close()


NOVEMBER = (
    "Monthly report of Test Community for 2026-11\n"
    "【Relapse-prevention monitoring】\nHouseholds at the lead stage: 0\n"
    "Households visited, awaiting appraisal: 0\nHouseholds under public notice: 0\n"
    "Households awaiting the township's approval: 0\nHouseholds monitored: 0\n"
    "Households with risk eliminated: 0\nHouseholds not taken into monitoring: 0\n"
    "New leads in the month: 0\nVisits in the month: 0\nMeasures in the month: 0\n"
    "Risk eliminated in the month: 0\nLeads past the decision limit: 0\n"
    "【Sales】\nSales recorded: 1\nRevenue: ¥1,750.00\nTo the collective: ¥950.00\nTo households: ¥800.00\n"
    "Households paid: 1\n"
    "【Certificates due】\nExpiring within 60 days of the month's end: 1\n"
    "#1 恒仁雅米 business licence L-1: 2027-01-20\n"
    "【Scholarship fund】\nBalance at the month's end: ¥6,368.00\nDonations in the month: ¥6,400.00\n"
    "Paid in the month: ¥32.00\nStudents paid in the month: 1\n"
    "【Projects】\nMilestones done in the month: 0\nMilestones overdue: 1\n#1 草莓大棚29座: 40%"
)


def test_the_report_is_built_from_its_sections(village):
    assert village.say("乡镇", "/monthreport") == [NOVEMBER]
    october = village.say("乡镇", "/monthreport 2026-10")[0]
    assert "Revenue: ¥400.00" in october and "Balance at the month's end: ¥0.00" in october
    assert village.say("乡镇", "/monthreport 2026-13") == ["2026-13 is not a month; write it as 2026-11."]


def test_the_township_gets_last_months_report_on_the_first(village):
    village.run_jobs()
    village.advance(days=5, hours=1)  # 1 December, 10:00
    village.run_jobs()
    assert village.in_room("@乡镇")[-1] == NOVEMBER
    assert village.in_room("township") == [NOVEMBER]
    assert not [m for m in village.in_room("group") if m.startswith("Monthly report")]


def test_the_report_exports_as_a_workbook_with_chinese_headers(village, tmp_path):
    village.advance(days=5)  # December: the workbook is November's
    result = export_ledger(
        village.runtime.store,
        village.runtime.registry,
        "rural.report",
        "test",
        actor="cli:tester",
        path=tmp_path / "report.xlsx",
        language="zh_CN",
        clock=village.clock,
    )
    rows = [list(r) for r in openpyxl.load_workbook(result.path).active.iter_rows(values_only=True)]
    assert rows[0] == ["月份", "部分", "项目", "值"]
    assert ["2026-11", "销售", "销售收入", 1750] in rows
    assert ["2026-11", "助学金", "月末余额", 6368] in rows
    assert ["2026-11", "项目", "#1 草莓大棚29座", "40%"] in rows
    assert all("王小明" not in str(r) for r in rows)
