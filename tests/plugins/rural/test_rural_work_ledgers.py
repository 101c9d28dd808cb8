"""The ledgers of the village's own work through ``linli export``, opened as XLSX: Chinese headers,
money in yuan, students' names only in an export asked for with ``--include-sensitive`` (audited)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa
from rural_work_helpers import make

from linli.core.export import export_ledger
from linli.core.storage import schema as s


@pytest.fixture
def village(tmp_path):
    chat = make(tmp_path)
    chat.say("曲书记", "/enterprise 恒仁雅米")
    chat.say("曲书记", "/licence 1 营业执照 L-1 2027-01-20 桓仁县市场监督管理局 大米加工、销售")
    chat.say("曲书记", "/product 大米 斤 雅河硕丰")
    chat.say("曲书记", "/sale 大米 500 3.5 沈阳海关食堂 2026-11-20")
    chat.say("曲书记", "/share 1 一组/12 800")
    chat.say("曲书记", "/project 草莓大棚29座")
    chat.say("曲书记", "/milestone 1 2026-12-20 覆膜")
    chat.say("曲书记", "/projectprogress 1 40 已建成12座")
    chat.say("曲书记", "/donate 6400 沈阳海关")
    chat.say("曲书记", "/student 王小明 雅河小学", private=True)
    chat.say("曲书记", "/disburse 1 32 2026秋")
    yield chat
    chat.close()


def exported(chat, tmp_path, ledger: str, fmt: str = "xlsx", **kw) -> list[list]:
    result = export_ledger(
        chat.runtime.store,
        chat.runtime.registry,
        f"rural.{ledger}",
        "test",
        actor="cli:tester",
        fmt=fmt,  # type: ignore[arg-type]
        path=tmp_path / f"{ledger}.{fmt}",
        language="zh_CN",
        clock=chat.clock,
        **kw,
    )
    if fmt == "csv":
        return [line.split(",") for line in result.path.read_text(encoding="utf-8-sig").splitlines()]
    return [list(r) for r in openpyxl.load_workbook(result.path).active.iter_rows(values_only=True)]


def test_the_certificates_ledger(village, tmp_path):
    assert exported(village, tmp_path, "certificates") == [
        ["序号", "企业", "证照", "证号", "发证机关", "范围", "到期日"],
        [1, "恒仁雅米", "营业执照", "L-1", "桓仁县市场监督管理局", "大米加工、销售", dt.datetime(2027, 1, 20)],
    ]


def test_the_sales_and_revenue_ledgers_give_yuan_to_the_collective_and_households(village, tmp_path):
    rows = exported(village, tmp_path, "sales")
    assert rows[0] == [
        "序号",
        "日期",
        "产品",
        "品牌",
        "买方",
        "数量",
        "单位",
        "单价（元）",
        "金额（元）",
        "归村集体（元）",
        "归农户（元）",
    ]
    assert rows[1] == [1, dt.datetime(2026, 11, 20), "大米", "雅河硕丰", "沈阳海关食堂", 500, "斤", 3.5, 1750, 950, 800]
    assert exported(village, tmp_path, "revenue")[1:] == [[1, dt.datetime(2026, 11, 20), "一组/12", 800]]
    csv = exported(village, tmp_path, "sales", "csv")
    assert csv[1][-3:] == ["1750.00", "950.00", "800.00"]


def test_the_projects_and_progress_ledgers(village, tmp_path):
    assert exported(village, tmp_path, "projects")[1:] == [
        [1, "草莓大棚29座", 40, "1.1", "覆膜", dt.datetime(2026, 12, 20), None]
    ]
    progress = exported(village, tmp_path, "progress")
    assert progress[1][:2] == [1, "草莓大棚29座"] and progress[1][3:] == [40, "已建成12座", "曲书记", None]


def test_the_scholarships_ledger_leaves_students_names_out_unless_asked_for_and_audited(village, tmp_path):
    plain = exported(village, tmp_path, "scholarships")
    assert plain[0] == ["日期", "类型", "捐赠方", "学生", "学期", "金额（元）", "余额（元）"]
    assert plain[1:] == [
        [dt.datetime(2026, 11, 26), "捐赠", "沈阳海关", None, None, 6400, 6400],
        [dt.datetime(2026, 11, 26), "发放", None, "#1", "2026秋", -32, 6368],
    ]
    assert "王小明" not in str(plain)
    sensitive = exported(village, tmp_path, "scholarships", include_sensitive=True)
    assert sensitive[0][3:6] == ["学生", "学生姓名", "学校"]
    assert sensitive[2][3:6] == ["#1", "王小明", "雅河小学"]
    with village.runtime.store.connect() as conn:
        details = (
            conn.execute(
                sa.select(s.audit_log.c.detail).where(
                    s.audit_log.c.action == "export", s.audit_log.c.target == "rural.scholarships"
                )
            )
            .scalars()
            .all()
        )
    assert [("sensitive" in str(d)) for d in details] == [False, True]


def test_money_in_the_ledgers_is_exact(village, tmp_path):
    village.say("曲书记", "/sale 大米 3 0.1 试吃")
    rows = exported(village, tmp_path, "sales", "csv")
    assert rows[2][7:] == ["0.10", "0.30", "0.30", "0.00"]
    assert Decimal(rows[2][8]) == Decimal("0.30")


def test_a_photo_sent_right_after_a_progress_report_is_attached_to_it_and_listed_in_the_ledger(tmp_path):
    import io

    from PIL import Image

    chat = make(tmp_path)
    try:
        chat.say("曲书记", "/project 草莓大棚29座")
        chat.say("队员", "/projectprogress 1 60% 已建成18座大棚")
        photo = io.BytesIO()
        Image.new("RGB", (32, 24), (40, 160, 60)).save(photo, "JPEG")
        replies = chat.send_file("队员", photo.getvalue(), "greenhouse.jpg")
        assert replies[0].startswith("Attached to the progress report of project #1: greenhouse.jpg")
        rows = exported(chat, tmp_path, "progress")
        assert rows[0][-1] == "附件"
        assert rows[1][4] == "已建成18座大棚" and rows[1][-1].startswith("greenhouse.jpg")
    finally:
        chat.close()
