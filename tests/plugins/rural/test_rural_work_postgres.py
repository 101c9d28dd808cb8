"""The village's own work on PostgreSQL: the migration applies, sums of money come back as whole
fen, the fund refuses an overdraft, the report and a ledger are built."""

from __future__ import annotations

import openpyxl
import pytest
from rural_work_helpers import make

from linli.core.export import export_ledger

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(tmp_path, postgres_url):
    chat = make(tmp_path, database_url=postgres_url)
    assert chat.runtime.store.engine.dialect.name == "postgresql"
    yield chat
    chat.close()


def test_sales_the_fund_and_the_report_on_postgresql(pg, tmp_path):
    pg.say("曲书记", "/product 草莓 斤")
    pg.say("曲书记", "/sale 草莓 120.5 18 丹东超市 2026-11-20")
    pg.say("曲书记", "/share 1 一组/12 1000.50")
    assert pg.say("乡镇", "/sales") == [
        "Sales in 2026-11: 1 sale, ¥2,169.00 in all. "
        "To the collective ¥1,168.50; to households ¥1,000.50 (households paid: 1).\n"
        "· 草莓 120.5 斤 · ¥2,169.00"
    ]
    pg.say("曲书记", "/donate 100 沈阳海关")
    pg.say("曲书记", "/student 王小明", private=True)
    assert pg.say("曲书记", "/disburse 1 100.01 2026秋") == [
        "The fund holds only ¥100.00: a disbursement of ¥100.01 is refused and nothing changed."
    ]
    assert pg.say("曲书记", "/disburse 1 40 2026秋")[0].endswith("The fund holds ¥60.00.")
    report = pg.say("乡镇", "/monthreport")[0]
    assert "Revenue: ¥2,169.00" in report and "Balance at the month's end: ¥60.00" in report
    result = export_ledger(
        pg.runtime.store,
        pg.runtime.registry,
        "rural.sales",
        "test",
        actor="cli:tester",
        path=tmp_path / "sales.xlsx",
        language="zh_CN",
        clock=pg.clock,
    )
    rows = list(openpyxl.load_workbook(result.path).active.iter_rows(values_only=True))
    assert rows[1][5:] == (120.5, "斤", 18, 2169, 1168.5, 1000.5)
