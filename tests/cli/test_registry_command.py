"""``linli registry import|template|duplicates``, and plugins' own command groups."""

from __future__ import annotations

import csv
from importlib.metadata import EntryPoint

import click
import openpyxl
import pytest
from click.testing import CliRunner

from linli._cli.plugin_commands import PluginGroup

HEADER = [
    "网格",
    "楼栋",
    "单元",
    "门牌号",
    "户主姓名",
    "姓名",
    "与户主关系",
    "性别",
    "出生日期",
    "身份证号",
    "联系电话",
]
GOOD = [
    ["第一网格", "12栋", "2", "301", "王秀英", "王秀英", "户主", "女", "", "11010519491231002X", "13800001234"],
    ["第一网格", "12栋", "2", "302", "张三", "张三", "户主", "男", "1960-05-04", "", ""],
]
BAD = ["第一网格", "12栋", "2", "303", "钱五", "钱五", "户主", "女", "1950-13-01", "", ""]


def write(path, rows):
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([HEADER, *rows])
    return path


def test_import_reports_what_it_added_and_a_second_import_adds_nothing(ready):
    path = write(ready.folder / "花名册.csv", GOOD)

    first = ready.ok("registry", "import", str(path), "--district", "heping")
    again = ready.ok("registry", "import", str(path), "--district", "heping")

    assert "Rows read: 2" in first
    assert "│ households │ 2     │ 0       │" in first and "│ people     │ 2     │ 0       │" in first
    assert "│ households │ 0     │ 0       │" in again and "│ people     │ 0     │ 0       │" in again


def test_a_bad_row_is_named_with_its_line_and_nothing_is_imported(ready):
    path = write(ready.folder / "bad.csv", [*GOOD, BAD])

    result = ready("registry", "import", str(path), "--district", "heping")

    assert result.exit_code == 2
    assert "line 4: the date of birth '1950-13-01' is not a date like 1949-12-31" in result.stdout
    assert result.stderr.strip() == (
        "Error: bad rows: 1; nothing was imported. Correct them, or import the good rows with --skip-bad."
    )
    # the good rows alone then add both households: the bad import had written nothing
    out = ready.ok("registry", "import", str(write(ready.folder / "ok.csv", GOOD)), "-d", "heping")
    assert "│ households │ 2     │ 0       │" in out


def test_skip_bad_imports_the_good_rows_and_writes_the_rejected_ones_beside_the_file(ready):
    path = write(ready.folder / "some.csv", [GOOD[0], BAD, GOOD[1]])

    out = ready.ok("registry", "import", str(path), "--district", "heping", "--skip-bad")

    assert "│ households │ 2" in out
    rejected = ready.folder / "some.rejected.csv"
    assert f"they are in {rejected}" in out.replace("\n", "")
    rows = list(csv.reader(rejected.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["line", "error", *HEADER]
    assert rows[1][:3] == ["3", "the date of birth '1950-13-01' is not a date like 1949-12-31", "第一网格"]


def test_import_into_an_unknown_district_is_one_clear_error(ready):
    line = ready.fails("registry", "import", str(write(ready.folder / "r.csv", GOOD)), "--district", "nowhere")

    assert "nowhere" in line


def test_a_file_that_is_not_a_register_is_one_clear_error(ready):
    path = ready.folder / "notes.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")

    line = ready.fails("registry", "import", str(path), "--district", "heping", code=2)

    assert "notes.csv" in line and "楼栋" in line


def test_template_writes_an_xlsx_with_the_chinese_headers(linli):
    out = linli.ok("registry", "template", "模板.xlsx")

    assert "身份证号" in out
    sheet = openpyxl.load_workbook(linli.folder / "模板.xlsx").worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER


def test_duplicates_lists_the_same_id_number_in_two_households(ready):
    twin = ["第一网格", "12栋", "2", "302", "张三", "王秀英", "亲属", "女", "", "11010519491231002X", ""]
    imported = ready.ok("registry", "import", str(write(ready.folder / "r.csv", [*GOOD, twin])), "-d", "heping")
    assert "Possible duplicates" in imported and "linli registry duplicates --district heping" in imported

    out = ready.ok("registry", "duplicates", "--district", "heping")

    assert "same ID number" in out and "王秀英, 王秀英" in out
    assert "No possible duplicates." in ready.ok("registry", "duplicates", "--district", "xinglong")


# --- plugins' own groups --------------------------------------------------------------------


def plugin_commands(cli):
    """What a plugin's entry point in ``linli.cli`` gives: its group, with a core command reused."""

    @click.group("probe", help=cli.t("probe"))
    def probe() -> None:
        pass

    @probe.command("hello")
    def hello() -> None:
        click.echo("hello from the probe")

    probe.add_command(cli.core_command("template"))
    return probe


def broken_commands(cli):
    raise RuntimeError("no such table")


def group_of(value: str) -> click.Group:
    main = click.Group("linli")
    main.add_command(PluginGroup(EntryPoint(name="probe", value=value, group="linli.cli")))
    return main


def test_a_plugin_group_is_listed_without_being_loaded_and_loaded_when_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LINLI_LANG", "en")  # the stand-in's help is translated when it is made
    main = group_of(f"{__name__}:plugin_commands")
    stand_in = main.commands["probe"]

    listing = CliRunner().invoke(main, ["--help"], env={"LINLI_LANG": "en"})
    assert "Commands of the probe plugin" in listing.output
    assert stand_in._loaded is None

    assert CliRunner().invoke(main, ["probe", "hello"]).output == "hello from the probe\n"
    result = CliRunner().invoke(main, ["probe", "template", "t.csv"], env={"LINLI_LANG": "en"})
    assert result.exit_code == 0 and (tmp_path / "t.csv").exists()


def test_a_plugin_group_that_fails_to_load_says_so_in_one_line():
    result = CliRunner().invoke(group_of(f"{__name__}:broken_commands"), ["probe", "x"], env={"LINLI_LANG": "en"})

    assert result.exit_code != 0
    assert "the commands of the probe plugin could not be loaded: no such table" in str(result.exception)


@pytest.mark.parametrize("name", ["import", "template", "duplicates"])
def test_the_core_commands_a_plugin_may_reuse_exist(name):
    from linli._cli.plugin_commands import _CommandLine

    assert isinstance(_CommandLine().core_command(name), click.Command)


def test_a_plugin_group_is_listed_with_its_own_help_without_importing_the_plugin():
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from linli.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('imported' if 'linli.plugins.captains' in sys.modules else 'not imported')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env={"LINLI_LANG": "en"}
    ).stdout

    assert "Building captains: import the register, its template, the gaps." in out
    assert out.rstrip().endswith("not imported")


def test_a_module_without_a_declared_help_gives_none():
    from linli._cli.plugin_commands import declared_help

    assert declared_help(__name__) is None
    assert declared_help("linli.no_such_module.cli") is None


def test_a_plugin_groups_help_option_speaks_the_cli_language(monkeypatch):
    monkeypatch.setenv("LINLI_LANG", "zh_CN")
    main = group_of(f"{__name__}:plugin_commands")

    for args in (["probe", "--help"], ["probe", "hello", "--help"]):
        out = CliRunner().invoke(main, args, env={"LINLI_LANG": "zh_CN"}).output
        assert "显示本帮助后退出。" in out and "Show this message" not in out
