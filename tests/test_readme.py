"""The README's first session is a transcript that ``linli run`` replays: it cannot drift.

The ```text block under "快速开始" is what a terminal shows after ``make run``: each
prompt line (``[heping] 张三> /help``) is something typed, every other line what
linli printed. The test types the prompt lines into ``linli run`` on the
repository's own ``settings.toml`` (a fresh database) and compares the whole
session with the block, line for line. A line holding only ``…`` stands for any
number of lines (the long help list); nothing else is skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
PROMPT = re.compile(r"^\[[^\]\n]+\] [^>\n]+> (.*)$")
ELISION = "…"


def readme_session() -> list[str]:
    """The lines of the first ```text block after the "快速开始" heading, without ``$ make run``."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## 快速开始") :]
    block = re.search(r"```text\n(.*?)```", section, re.S)
    assert block is not None, "the README's first session is no longer a ```text block"
    lines = block.group(1).splitlines()
    assert lines[0] == "$ make run", lines[0]
    return lines[1:]


def as_pattern(expected: list[str]) -> re.Pattern[str]:
    parts = [r"(?:[^\n]*\n)*?" if line.strip() == ELISION else re.escape(line) + r"\n" for line in expected]
    return re.compile("".join(parts))


def test_the_readme_transcript_has_something_to_type_and_something_answered():
    session = readme_session()
    typed = [m.group(1) for line in session if (m := PROMPT.match(line))]
    assert "/help" in typed and any(t.startswith("/suggest") for t in typed)
    assert len(session) > 2 * len(typed)


def test_the_readme_first_session_is_what_linli_run_prints(tmp_path):
    session = readme_session()
    typed = [m.group(1) for line in session if (m := PROMPT.match(line))]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    env["LINLI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'linli.db'}"  # the repository's settings, a fresh database
    done = subprocess.run(
        [sys.executable, "-m", "linli", "--settings", str(REPO / "settings.toml"), "run"],
        input="".join(line + "\n" for line in typed),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    if as_pattern(session).fullmatch(done.stdout) is None:
        pytest.fail(
            "README.md's first session no longer matches `linli run`; what it prints now:\n"
            + done.stdout
            + "\n(update the ```text block under 快速开始; a line of … stands for any lines)"
        )
