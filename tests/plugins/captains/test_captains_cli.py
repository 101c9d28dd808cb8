"""``linli captains import|template|gaps``: the register imported through the core's import, and
the buildings waiting for a captain listed."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from linli.cli import main
from linli.core.register import Registry
from linli.core.storage import ScopedStore, Store
from linli.plugins.captains.tables import assignments

SETTINGS = """
[storage]
url = "sqlite:///{db}"
[logging]
level = "error"
[districts.heping]
name = "和平社区"
rooms = ["console:heping"]
plugins = ["basics", "captains"]
[districts.xinglong]
name = "兴隆村"
kind = "village"
rooms = ["console:xinglong"]
plugins = ["basics"]
"""
REGISTER = (
    "网格,楼栋,单元,门牌号,户主姓名,姓名,与户主关系,性别,出生日期,身份证号,联系电话\n"
    "第五网格,2号楼,3,301,孙秀英,孙秀英,户主,女,,,\n"
    "第五网格,2号楼,3,302,王伟,王伟,户主,男,,,\n"
    "第六网格,5号楼,1,101,李明,李明,户主,男,,,\n"
)


def run(tmp_path, *args: str):  # type: ignore[no-untyped-def]
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS.format(db=tmp_path / "linli.db"), encoding="utf-8")
    env = {"LINLI_LANG": "en", "LINLI_SETTINGS": None, "LINLI_DATABASE_URL": None}
    return CliRunner().invoke(main, ["--settings", str(settings), *args], env=env)


def test_a_register_is_imported_and_the_buildings_without_captains_are_listed(tmp_path):
    template = tmp_path / "template.csv"
    assert run(tmp_path, "captains", "template", str(template)).exit_code == 0
    assert template.read_text(encoding="utf-8-sig").startswith("网格,楼栋,单元,门牌号")
    register = tmp_path / "register.csv"
    register.write_text(REGISTER, encoding="utf-8-sig")
    imported = run(tmp_path, "captains", "import", str(register), "--district", "heping")
    assert imported.exit_code == 0, imported.output

    result = run(tmp_path, "captains", "gaps", "--district", "heping")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "第五网格\t2号楼\tgovernment-affairs captain、resident-affairs captain",
        "第六网格\t5号楼\tgovernment-affairs captain、resident-affairs captain",
    ]
    assert result.stderr.strip() == "2 building(s); 2 wait for one or both captains."

    store = Store(f"sqlite:///{tmp_path / 'linli.db'}")
    try:
        with store.begin() as conn:
            building = Registry(conn, "heping").building("2号楼")
            assert building is not None
            ScopedStore(conn, "captains", "heping").insert(
                assignments,
                building_id=building.id,
                person_id=1,
                kind="gov",
                unit="区财政局",
                start_on=dt.date(2026, 1, 1),
                assigned_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            )
    finally:
        store.dispose()
    result = run(tmp_path, "captains", "gaps", "--district", "heping")
    assert result.stdout.splitlines() == [
        "第五网格\t2号楼\tresident-affairs captain",
        "第六网格\t5号楼\tgovernment-affairs captain、resident-affairs captain",
    ]


def test_gaps_of_an_unknown_district_is_one_clear_line(tmp_path):
    result = run(tmp_path, "captains", "gaps", "--district", "nowhere")
    assert result.exit_code != 0
    assert result.stderr.strip().startswith("Error: ")


def test_gaps_of_a_district_without_captains_is_refused(tmp_path):
    assert run(tmp_path, "db", "upgrade").exit_code == 0
    result = run(tmp_path, "captains", "gaps", "--district", "xinglong")
    assert result.exit_code == 5
    assert "captains plugin is not enabled in district xinglong" in result.stderr
    assert not result.stdout


def test_a_plugins_command_takes_settings_after_its_name(tmp_path):
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS.format(db=tmp_path / "linli.db"), encoding="utf-8")
    env = {"LINLI_LANG": "en", "LINLI_SETTINGS": None, "LINLI_DATABASE_URL": None}
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade", "--settings", str(settings)], env=env).exit_code == 0
    result = runner.invoke(main, ["captains", "gaps", "-d", "heping", "--settings", str(settings)], env=env)
    assert result.exit_code == 0, result.output
    assert "0 building(s)" in result.stderr


def test_the_special_households_ledger_needs_include_sensitive(tmp_path):
    refused = run(tmp_path, "export", "captains.specials", "--district", "heping", "-o", str(tmp_path / "s.csv"))
    assert refused.exit_code != 0
    assert "--include-sensitive" in refused.stderr
    done = run(
        tmp_path,
        "export",
        "captains.specials",
        "--district",
        "heping",
        "-o",
        str(tmp_path / "s.csv"),
        "--include-sensitive",
    )
    assert done.exit_code == 0, done.output
    assert (tmp_path / "s.csv").read_text(encoding="utf-8-sig").startswith("网格,楼栋,户号,特殊户类别")
