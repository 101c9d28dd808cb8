"""What ``linli worker`` becomes: the interpreter options of Dramatiq's parent, and the
bytecode its worker processes find on disk."""

from __future__ import annotations

import compileall
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from linli.workers import parent


class Exec(Exception):
    """Raised by the fake ``os.execve``: the arguments it was given."""


def exec_args(monkeypatch: pytest.MonkeyPatch, *args: object) -> list[str]:
    def fake_execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        raise Exec(argv)

    monkeypatch.setattr(parent.os, "execve", fake_execve)
    with pytest.raises(Exec) as caught:
        parent.become_dramatiq_parent(["linli.workers.boot:broker", "--threads", "2"], *args)  # type: ignore[arg-type]
    argv: list[str] = caught.value.args[0]
    return argv


@pytest.mark.parametrize(("level", "flags"), [(2, ["-OO"]), (1, ["-O"]), (0, [])])
def test_the_parent_runs_at_the_optimize_level_it_is_given(monkeypatch, level, flags):
    argv = exec_args(monkeypatch, level)

    assert argv == [sys.executable, *flags, "-P", "-m", "linli.workers.parent",
                    "linli.workers.boot:broker", "--threads", "2"]


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


def test_a_postgresql_worker_imports_neither_sqlites_dialect_nor_the_cli_nor_structlogs_extras(tmp_path):
    # what a worker process has imported once booted, in the order its parent imports them;
    # booting connects to nothing, so the addresses need not answer
    settings = tmp_path / "settings.toml"
    settings.write_text(
        '[storage]\nurl = "postgresql+psycopg://nobody@127.0.0.1:9/none"\n'
        '[queue]\nbroker = "redis://127.0.0.1:9/0"\n[logging]\nlevel = "error"\nformat = "json"\n',
        encoding="utf-8")
    script = ("import sys, linli.core.settings, linli.core.logging, dramatiq.cli, linli.workers.boot\n"
              "print(' '.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-P", "-c", script], env={**_env(), "LINLI_SETTINGS": str(settings)},
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    modules = set(done.stdout.split())

    assert {"sqlalchemy.dialects.postgresql", "psycopg", "redis"} <= modules
    unwanted = {m for m in modules if m.split(".")[0] in {"click", "rich", "twisted"}
                or m.startswith("sqlalchemy.dialects.sqlite")}
    assert unwanted == set()


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
