"""``linli tracks load FILE``: a good TOML or XLSX file loads units, tracks and rules; a bad one
is one clear line and changes nothing."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import sqlalchemy as sa
from click.testing import CliRunner

import linli.plugins.tracks
from linli.cli import main
from linli.core.storage import Store
from linli.plugins.tracks.tables import enrolments, rules, tracks, units

EXAMPLE = Path(linli.plugins.tracks.__file__).parent / "example.toml"
SETTINGS = """
[storage]
url = "sqlite:///{db}"
[logging]
level = "error"
[districts.shenyang]
name = "沈阳市"
rooms = ["console:shenyang"]
plugins = ["basics", "tracks"]
"""


def run(tmp_path, *args: str):  # type: ignore[no-untyped-def]
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS.format(db=tmp_path / "linli.db"), encoding="utf-8")
    env = {"LINLI_LANG": "en", "LINLI_SETTINGS": None, "LINLI_DATABASE_URL": None}
    return CliRunner().invoke(main, ["--settings", str(settings), *args], env=env)


def counts(tmp_path) -> list[int]:
    store = Store(f"sqlite:///{tmp_path / 'linli.db'}")
    try:
        with store.connect() as conn:
            return [
                conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for t in (units, tracks, enrolments, rules)
            ]
    finally:
        store.dispose()


def test_the_example_file_loads_its_units_tracks_and_rules_once(tmp_path):
    result = run(tmp_path, "tracks", "load", str(EXAMPLE), "--district", "shenyang")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["T01\tv1\t2027Q1", "T02\tv1\t2027Q1"]
    assert counts(tmp_path) == [4, 2, 6, 2]
    again = run(tmp_path, "tracks", "load", str(EXAMPLE), "--district", "shenyang")
    assert again.exit_code == 0 and again.stdout == ""  # the same rules: nothing new
    assert counts(tmp_path) == [4, 2, 6, 2]


def test_a_file_whose_weights_do_not_add_up_changes_nothing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("weight = 70", "weight = 60"), encoding="utf-8")
    assert run(tmp_path, "db", "upgrade").exit_code == 0
    result = run(tmp_path, "tracks", "load", str(bad), "--district", "shenyang")
    assert result.exit_code == 2
    assert "T02: the weights add up to 90, not 100. Nothing was changed." in result.output
    assert counts(tmp_path) == [0, 0, 0, 0]


def test_an_unknown_district_or_a_broken_file_is_one_clear_line(tmp_path):
    result = run(tmp_path, "tracks", "load", str(EXAMPLE), "--district", "nowhere")
    assert result.exit_code != 0 and "nowhere" in result.output
    broken = tmp_path / "broken.toml"
    broken.write_text("[[units]\ncode =", encoding="utf-8")
    result = run(tmp_path, "tracks", "load", str(broken), "--district", "shenyang")
    assert result.exit_code == 2 and "broken.toml is not valid TOML" in result.output


def test_a_spreadsheet_with_chinese_sheets_and_headers_loads(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "单位"
    sheet.append(["代码", "名称", "类别"])
    sheet.append(["HP", "和平区", "district"])
    sheet.append(["SH", "沈河区", "district"])
    t = book.create_sheet("赛道")
    t.append(["代码", "名称", "参赛单位", "适用季度"])
    t.append(["T01", "营商环境新突破", "HP、SH", "2027Q1"])
    i = book.create_sheet("指标")
    i.append(["赛道", "代码", "名称", "计量单位", "权重", "目标值", "计分规则", "分档", "佐证", "实地核查"])
    i.append(["T01", "I1", "新增市场主体", "家", 60, 200, "linear", None, "text", None])
    i.append(["T01", "I2", "好评率", "%", 40, None, "bands", "90:0.6, 98:1", None, "是"])
    b = book.create_sheet("加减分项")
    b.append(["赛道", "代码", "名称", "类别", "分值", "上限"])
    b.append(["T01", "P1", "被督查通报", "减分", 3, None])
    path = tmp_path / "rules.xlsx"
    book.save(path)
    result = run(tmp_path, "tracks", "load", str(path), "--district", "shenyang")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["T01\tv1\t2027Q1"]
    assert counts(tmp_path) == [2, 1, 2, 1]
