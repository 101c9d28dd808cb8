"""The captains' ledgers through ``linli export``, opened as XLSX: Chinese headers, one row per
record, special-household codes only in their own (sensitive, audited) ledger."""

from __future__ import annotations

import openpyxl
import pytest
import sqlalchemy as sa
from captains_helpers import assign_captains

from linli.core.errors import LinliError
from linli.core.export import export_ledger
from linli.core.storage import schema as s

LEDGERS = [
    "buildings",
    "captains",
    "specials",
    "sweeps",
    "visits",
    "needs",
    "notices",
    "captaindays",
    "evaluations",
    "figures",
]


def exported(chat, tmp_path, ledger: str) -> list[list]:
    result = export_ledger(
        chat.runtime.store,
        chat.runtime.registry,
        f"captains.{ledger}",
        "test",
        actor="cli:tester",
        path=tmp_path / f"{ledger}.xlsx",
        language="zh_CN",
        clock=chat.clock,
        include_sensitive=ledger in ("specials", "visits"),
    )
    sheet = openpyxl.load_workbook(result.path).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def work(chat) -> None:
    assign_captains(chat)
    chat.say("王主任", "/sweep 冬季排查")
    chat.pick("王主任", "The whole community")
    chat.say("王主任", "7")
    chat.say("居务乙", "/visit", private=True)
    chat.pick("居务乙", "All well", private=True)
    chat.pick("居务乙", "Special household", private=True)
    chat.say("居务乙", "独居", private=True)
    chat.say("居务乙", "/special 1-102 alone_elderly", private=True)
    chat.say("张三", "/need 楼道灯坏了")
    chat.say("王主任", "/notice Grid2 周六停水")
    chat.say("居务乙", "/tally B1 cards 30")


def test_every_ledger_exports_with_chinese_headers(cap, tmp_path):
    chat, _ = cap
    work(chat)
    sheets = {name: exported(chat, tmp_path, name) for name in LEDGERS}
    assert sheets["buildings"][0][:3] == ["网格", "楼栋", "户数"]
    assert sheets["buildings"][1] == [
        "Grid1",
        "B1",
        3,
        "政务甲",
        "区财政局",
        sheets["buildings"][1][5],
        "居务乙",
        sheets["buildings"][1][7],
    ]
    assert [r[1] for r in sheets["buildings"][1:]] == ["B1", "B2", "B3"]
    assert sheets["sweeps"][1][:3] == [1, "冬季排查", "全社区"]
    assert sheets["sweeps"][1][7:10] == [6, 2, "33%"]
    assert [r[2:5] for r in sheets["visits"][1:]] == [["B1/1-101", "一切正常", None], ["B1/1-102", "特殊户", "独居"]]
    assert sheets["needs"][1][5] == "楼道灯坏了"
    assert sheets["specials"][1][2:4] == ["B1/1-102", "独居老人"]
    assert [r[1] for r in sheets["notices"][1:]] == ["发往群的通知", "发放明白卡"]
    assert sheets["figures"][1][:2] == ["社区", "Test Community"]


def test_special_household_codes_are_only_in_the_sensitive_ledger_and_its_export_is_audited(cap, tmp_path):
    chat, _ = cap
    work(chat)
    for name in LEDGERS:
        if name != "specials":
            cells = [str(c) for row in exported(chat, tmp_path, name) for c in row if c is not None]
            assert not [c for c in cells if "独居老人" in c], name
    with pytest.raises(LinliError, match="--include-sensitive"):
        export_ledger(
            chat.runtime.store,
            chat.runtime.registry,
            "captains.specials",
            "test",
            actor="cli:tester",
            path=tmp_path / "refused.xlsx",
        )
    assert not (tmp_path / "refused.xlsx").exists()
    exported(chat, tmp_path, "specials")
    with chat.runtime.store.connect() as conn:
        rows = conn.execute(
            sa.select(s.audit_log.c.target, s.audit_log.c.detail).where(s.audit_log.c.action == "export")
        ).all()
    assert [r.detail.get("sensitive") for r in rows if r.target == "captains.specials"] == [True]


def test_the_households_ledger_lists_each_household_and_its_special_codes_only_when_asked(cap, tmp_path):
    chat, _ = cap
    work(chat)

    def households(include_sensitive: bool) -> list[list]:
        result = export_ledger(
            chat.runtime.store,
            chat.runtime.registry,
            "captains.households",
            "test",
            actor="cli:tester",
            path=tmp_path / f"households-{include_sensitive}.xlsx",
            language="zh_CN",
            clock=chat.clock,
            include_sensitive=include_sensitive,
        )
        return [list(r) for r in openpyxl.load_workbook(result.path).active.iter_rows(values_only=True)]

    plain = households(False)
    assert plain[0] == ["网格", "楼栋", "户号", "户主", "人数", "无聊天账号人数"]
    assert [r[1:3] for r in plain[1:4]] == [["B1", "1-101"], ["B1", "1-102"], ["B1", "1-201"]]
    assert not [c for row in plain for c in row if isinstance(c, str) and "独居老人" in c]
    sensitive = households(True)
    assert sensitive[0][-1] == "特殊户"
    assert [r[2] for r in sensitive[1:] if r[-1] == "独居老人"] == ["1-102"]
    with chat.runtime.store.connect() as conn:
        marks = conn.execute(
            sa.select(s.audit_log.c.detail).where(
                s.audit_log.c.action == "export", s.audit_log.c.target == "captains.households"
            )
        ).all()
    assert [m.detail.get("sensitive") for m in marks] == [None, True]
