"""What ``linli worker`` becomes: the interpreter options of Dramatiq's parent, and the
bytecode its worker processes find on disk."""

from __future__ import annotations

import compileall
import importlib
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from linli.workers import parent


class Exec(Exception):
    """Raised by the fake ``os.execve``: the arguments it was given."""


def exec_args(monkeypatch: pytest.MonkeyPatch, *args: object) -> tuple[list[str], dict[str, str]]:
    def fake_execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        raise Exec(path, argv, env)

    monkeypatch.setattr(parent.os, "execve", fake_execve)
    with pytest.raises(Exec) as caught:
        parent.become_dramatiq_parent(["linli.workers.boot:broker", "--threads", "2"], *args)  # type: ignore[arg-type]
    path, argv, env = caught.value.args
    assert path == argv[0] == sys.executable
    return argv, env


@pytest.mark.parametrize(("level", "flags"), [(2, ["-OO"]), (1, ["-O"]), (0, [])])
def test_the_parent_runs_at_the_optimize_level_it_is_given(monkeypatch, level, flags):
    # Python would run at the higher of -O and PYTHONOPTIMIZE: the setting decides alone
    monkeypatch.setenv("PYTHONOPTIMIZE", "1")

    argv, env = exec_args(monkeypatch, level)

    assert argv == [
        sys.executable,
        *flags,
        "-P",
        "-m",
        "linli.workers.parent",
        "linli.workers.boot:broker",
        "--threads",
        "2",
    ]
    assert "PYTHONOPTIMIZE" not in env


def test_linli_worker_hands_its_settings_optimize_level_to_the_parent(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from linli.cli import main

    settings = tmp_path / "settings.toml"
    settings.write_text('[queue]\nbroker = "redis://127.0.0.1:9/0"\nworker_optimize = 1\n', encoding="utf-8")
    # the command sets these for the processes it becomes: keep them out of this one
    for name in ("dramatiq_worker_timeout", "LINLI_SETTINGS"):
        monkeypatch.delenv(name, raising=False)

    def become(argv: list[str], optimize: int = 0) -> None:
        raise Exec(argv, optimize)

    monkeypatch.setattr(parent, "become_dramatiq_parent", become)
    result = CliRunner().invoke(main, ["--settings", str(settings), "worker", "--threads", "3"])

    assert isinstance(result.exception, Exec), result.output
    argv, optimize = result.exception.args
    assert optimize == 1
    assert argv[:3] == ["linli.workers.boot:broker", "--threads", "3"]


def test_a_module_compiled_at_import_without_bytecode_on_disk_is_named_under_its_folder(tmp_path, monkeypatch):
    (tmp_path / "linli_probe_uncached.py").write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.delitem(sys.modules, "linli_probe_uncached", raising=False)
    importlib.import_module("linli_probe_uncached")

    assert "linli_probe_uncached" in parent.uncached_modules()[str(tmp_path)]

    # once compiled at this interpreter's -O level, as `python -OO -m compileall` does for -OO
    assert compileall.compile_dir(str(tmp_path), quiet=1, optimize=sys.flags.optimize)
    assert str(tmp_path) not in parent.uncached_modules()


def test_a_module_imported_from_a_zip_file_is_not_named(tmp_path, monkeypatch):
    # zipimport writes no bytecode anywhere: compileall could not help, so no warning
    archive = tmp_path / "probe.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("linli_probe_zipped.py", "VALUE = 1\n")
    monkeypatch.syspath_prepend(str(archive))
    monkeypatch.delitem(sys.modules, "linli_probe_zipped", raising=False)
    importlib.import_module("linli_probe_zipped")

    assert not any("linli_probe_zipped" in names for names in parent.uncached_modules().values())


def test_a_postgresql_worker_imports_neither_sqlites_dialect_nor_the_cli_nor_structlogs_extras(tmp_path):
    # what a worker process has imported once booted, in the order its parent imports them;
    # booting connects to nothing, so the addresses need not answer
    settings = tmp_path / "settings.toml"
    settings.write_text(
        '[storage]\nurl = "postgresql+psycopg://nobody@127.0.0.1:9/none"\n'
        '[queue]\nbroker = "redis://127.0.0.1:9/0"\n[logging]\nlevel = "error"\nformat = "json"\n',
        encoding="utf-8",
    )
    script = (
        "import sys, linli.core.settings, linli.core.logging, dramatiq.cli, linli.workers.boot\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    done = subprocess.run(
        [sys.executable, "-P", "-c", script],
        env={**env, "LINLI_SETTINGS": str(settings)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    modules = set(done.stdout.split())

    assert {"sqlalchemy.dialects.postgresql", "psycopg", "redis"} <= modules
    unwanted = {
        m
        for m in modules
        if m.split(".")[0] in {"click", "rich", "twisted"} or m.startswith("sqlalchemy.dialects.sqlite")
    }
    assert unwanted == set()


_CHILD = """
import sys, time
from linli.workers.parent import die_with_parent
print(die_with_parent(), flush=True)
time.sleep(120)
"""

_MIDDLE = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=sys.stdout)
print(child.pid, flush=True)
time.sleep(120)
"""


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_process_that_asked_to_die_with_its_parent_is_stopped_when_the_parent_is_killed():
    with subprocess.Popen([sys.executable, "-c", _MIDDLE, _CHILD], stdout=subprocess.PIPE, text=True) as middle:
        assert middle.stdout is not None
        child = int(middle.stdout.readline())
        assert middle.stdout.readline().strip() == "True"  # the child asked
        middle.kill()
    deadline = time.monotonic() + 30  # a bound for a broken test, not a timing
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not _gone(child):
        os.kill(child, 9)
        pytest.fail("the child outlived its parent")


_STUBBORN = """
import signal, sys, time
from linli.workers.parent import die_with_parent
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a graceful stop that never ends
print(die_with_parent(grace=0.2), flush=True)
time.sleep(120)
"""


def test_a_process_whose_graceful_stop_hangs_is_killed_a_grace_period_after_its_parent_died():
    with subprocess.Popen([sys.executable, "-c", _MIDDLE, _STUBBORN], stdout=subprocess.PIPE, text=True) as middle:
        try:
            assert middle.stdout is not None
            child = int(middle.stdout.readline())
            asked = middle.stdout.readline().strip()
        finally:
            middle.kill()
    assert asked in ("True", "False")  # it asked, and waits ignoring SIGTERM
    deadline = time.monotonic() + 30  # a bound for a broken test, not a timing
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not _gone(child):
        os.kill(child, 9)
        pytest.fail("the child outlived its parent")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_worker_whose_parent_died_before_it_asked_stops_at_once():
    # the parent's pid in the environment is not this process's parent: it died and was replaced
    env = {**os.environ, parent.PARENT_PID_ENV: "999999999"}
    done = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == -15, done.stderr
