"""``linli run``: the embedded default, driven as a person would, with a scripted session piped in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from linli.core.i18n import translator
from linli.plugins.basics import PRIVACY_NOTICE

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
zh = translator("zh_CN")


def linli(tmp_path: Path, *args: str, script: str = "", lang: str = "zh_CN") -> subprocess.CompletedProcess[str]:
    """Run ``linli --settings <a copy of the repository's settings.toml> ARGS`` in ``tmp_path``."""
    settings = tmp_path / "settings.toml"
    if not settings.exists():
        settings.write_text((REPO / "settings.toml").read_text(encoding="utf-8"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    env["LINLI_LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "linli", "--settings", str(settings), *args],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )


def shown(result: subprocess.CompletedProcess[str]) -> str:
    """The whole session, for an assertion message."""
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}"


def blocks(stdout: str) -> list[tuple[str, str]]:
    """The session as (the line typed, what linli answered to it), in order."""
    out: list[tuple[str, str]] = []
    for line in stdout.splitlines()[1:]:
        if line.startswith("[") and "> " in line:
            out.append((line, ""))
        else:
            typed, answered = out[-1]
            out[-1] = (typed, f"{answered}{line.strip()}\n")
    return out


# --- a scripted session ---------------------------------------------------------------------------


def test_a_piped_session_answers_each_line_in_order_after_that_line(tmp_path):
    script = "\n".join(["/whoami", "1", "/whoami", "/as 李四", "/whoami", "2", "/whoami", "/quit", "/whoami"])

    result = linli(tmp_path, "run", script=script + "\n")

    assert result.returncode == 0, shown(result)
    lines = result.stdout.splitlines()
    assert lines[0] == "== 和平社区 (heping) =="
    session = blocks(result.stdout)
    assert [typed for typed, _ in session] == [
        "[heping] 张三> /whoami",
        "[heping] 张三> 1",
        "[heping] 张三> /whoami",
        "[heping] 张三> /as 李四",
        "[heping] 李四> /whoami",
        "[heping] 李四> 2",
        "[heping] 李四> /whoami",
        "[heping] 李四> /quit",
    ]
    notice = zh(PRIVACY_NOTICE, version=1).splitlines()[0]
    answers = [answer for _, answer in session]
    assert notice in answers[0]
    assert f"[1] {zh('I agree')}" in answers[0]
    assert f"[2] {zh('I do not agree')}" in answers[0]
    assert zh("Thank you. Send /help to see what you can do here.") in answers[1]
    assert zh("You are {name} (person #{id}) in {district}.", name="张三", id=1, district="和平社区") in answers[2]
    assert answers[3] == ""  # /as is the console's own command
    assert notice in answers[4]
    assert (
        zh(
            "Understood. linli takes in nothing you say until you agree; it keeps only your name and account as "
            "this chat shows them, and this answer. Send /privacy if you change your mind, or /forgetme to delete "
            "your name and account as well."
        )
        in answers[5]
    )
    assert notice in answers[6]
    assert answers[7] == ""  # and nothing after /quit is read


def test_a_session_continues_where_the_last_one_stopped(tmp_path):
    linli(tmp_path, "run", script="/whoami\n1\n")

    result = linli(tmp_path, "run", script="/whoami\n")

    assert result.returncode == 0, shown(result)
    ((_, answer),) = blocks(result.stdout)
    assert zh("You are {name} (person #{id}) in {district}.", name="张三", id=1, district="和平社区") in answer
    assert (tmp_path / "var" / "linli.db").is_file()


def test_district_xinglong_talks_in_the_village(tmp_path):
    result = linli(tmp_path, "run", "--district", "xinglong", "--as", "王书记", script="/help\n")

    assert result.returncode == 0, shown(result)
    assert result.stdout.splitlines()[0] == "== 兴隆村 (xinglong) ==", shown(result)
    ((typed, answer),) = blocks(result.stdout)
    assert typed == "[xinglong] 王书记> /help", shown(result)
    assert zh("{district}: what you can do here", district="兴隆村") in answer, shown(result)


def test_an_unknown_district_is_one_clear_error_line_and_a_non_zero_exit(tmp_path):
    result = linli(tmp_path, "run", "--district", "nowhere", lang="en")

    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == ["Error: no district 'nowhere'; there are: heping, xinglong"]


def test_a_broken_settings_file_is_one_error_line_before_anything_runs(tmp_path):
    (tmp_path / "settings.toml").write_text("[queue]\nworkers = 3\n", encoding="utf-8")

    result = linli(tmp_path, "run", lang="en")

    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    assert "settings.toml" in line
    assert "workers" in line
    assert not (tmp_path / "var").exists()


def test_log_lines_go_to_a_file_not_between_the_replies(tmp_path):
    settings = (REPO / "settings.toml").read_text(encoding="utf-8").replace('level = "warning"', 'level = "info"')
    (tmp_path / "settings.toml").write_text(settings, encoding="utf-8")

    result = linli(tmp_path, "run", script="/whoami\n1\n/support abc\n")

    assert result.returncode == 0, shown(result)
    assert "bad input answered" not in result.stdout + result.stderr, shown(result)
    assert "bad input answered" in (tmp_path / "var" / "linli.log").read_text(encoding="utf-8")


def test_attach_in_a_session_sends_a_photo_as_a_platform_would(tmp_path):
    import io as _io

    from PIL import Image

    out = _io.BytesIO()
    Image.new("RGB", (16, 16), (1, 2, 3)).save(out, "JPEG")
    (tmp_path / "lamp.jpg").write_bytes(out.getvalue())
    script = "\n".join(["/whoami", "1", "/suggest 楼道灯坏了", "2", "/attach lamp.jpg", "/attach nothing.jpg"])

    result = linli(tmp_path, "run", script=script + "\n")

    assert result.returncode == 0, shown(result)
    session = dict(blocks(result.stdout))
    attached = session["[heping] 张三> /attach lamp.jpg"]
    files = zh("{name} ({kind}, {size})", name="lamp.jpg", kind=zh("photo"), size="1 KB")
    assert zh("Attached to {record}: {files}.", record=zh("suggestion {number}", number=1), files=files) in attached
    assert "nothing.jpg" in session["[heping] 张三> /attach nothing.jpg"]
    assert list((tmp_path / "var" / "blobs").rglob("*")), "the photo is in the store beside the database"
