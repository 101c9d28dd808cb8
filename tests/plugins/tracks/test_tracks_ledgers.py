"""The contest's ledgers through ``linli export``, opened as XLSX and CSV: Chinese headers, one
row per record."""

from __future__ import annotations

import csv

import openpyxl
import pytest
from tracks_helpers import define, make

from linli.core.export import export_ledger

LEDGERS = {
    "rules": "赛道",
    "submissions": "编号",
    "verifications": "编号",
    "scores": "季度",
    "overall": "季度",
    "history": "季度",
    "showcase": "季度",
}


def exported(chat, tmp_path, ledger: str, suffix: str = "xlsx") -> list[list]:
    result = export_ledger(
        chat.runtime.store,
        chat.runtime.registry,
        f"tracks.{ledger}",
        "test",
        actor="cli:tester",
        path=tmp_path / f"{ledger}.{suffix}",
        language="zh_CN",
        clock=chat.clock,
        fmt=suffix,
    )
    if suffix == "csv":
        with open(result.path, encoding="utf-8-sig", newline="") as f:
            return list(csv.reader(f))
    sheet = openpyxl.load_workbook(result.path).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def contest(tmp_path):
    chat = make(tmp_path)
    define(chat)
    chat.say("和平报", "/result T01 I1 8 新增8家")
    chat.say("审核员", "/query 1 请补充")
    chat.say("和平报", "/correct 1 9 补充名单")
    chat.say("审核员", "/accept 1")
    chat.say("审核员", "/penalty SH T01 P1 信访")
    chat.say("组织者", "/publish 2027Q1")
    chat.say("组织者", "/showcase 2027Q1")
    yield chat
    chat.close()


@pytest.mark.parametrize("ledger", LEDGERS)
def test_every_ledger_exports_to_xlsx_with_chinese_headers(contest, tmp_path, ledger):
    rows = exported(contest, tmp_path, ledger)
    assert rows[0][0] == LEDGERS[ledger]
    assert len(rows) > 1


def test_the_scores_ledger_holds_each_units_exact_score_and_rank(contest, tmp_path):
    rows = exported(contest, tmp_path, "scores")
    assert rows[0] == [
        "季度",
        "赛道",
        "赛道名称",
        "单位",
        "单位名称",
        "指标得分",
        "加分",
        "减分",
        "总分",
        "名次",
        "规则版本",
    ]
    assert [r[3] for r in rows[1:]] == ["HP", "DD", "SH"]
    assert rows[1][5:10] == ["54", "0", "0", "54", 1]
    assert rows[3][5:10] == ["0", "0", "3", "-3", 3]


def test_the_verification_record_names_who_decided_each_step(contest, tmp_path):
    rows = exported(contest, tmp_path, "verifications", "csv")
    steps = [(r[1], r[4]) for r in rows[1:] if r[0] == "1"]
    assert steps == [("已申报", "和平报"), ("已质询", "审核员"), ("已更正", "和平报"), ("已核验", "审核员")]


def test_a_photo_sent_with_a_result_is_evidence_in_the_submissions_ledger(tmp_path):
    import io

    from PIL import Image

    chat = make(tmp_path)
    try:
        define(chat)
        photo = io.BytesIO()
        Image.new("RGB", (32, 24), (200, 40, 40)).save(photo, "JPEG")
        replies = chat.send_file("和平报", photo.getvalue(), "site.jpg", text="/result T01 I1 8 新增8家")
        recorded = [r for r in replies if r.startswith("Result 1 is recorded")]
        assert len(recorded) == 1 and recorded[0].endswith("1 file(s) attached to it.")
        rows = exported(chat, tmp_path, "submissions")
        assert rows[0][-1] == "附件"
        assert rows[1][0] == 1 and rows[1][-1].startswith("site.jpg")
    finally:
        chat.close()
