"""``linli worker`` becomes Dramatiq's parent in its own process, without the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]


def test_linli_worker_keeps_its_process_id_and_leaves_the_cli_behind(deployment, tmp_path):
    pid_file = tmp_path / "worker.pid"
    with deployment.worker("--pid-file", str(pid_file)) as worker:
        deployment.wait_for_heartbeats(1)
        # the command's own process became Dramatiq's parent: --pid-file and signals reach the same id
        assert int(pid_file.read_text()) == worker.proc.pid
        argv = Path(f"/proc/{worker.proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"linli.workers.parent" in argv and b"worker" not in argv
        # at [queue] worker_optimize's default: no docstrings, no asserts (the forked workers keep it)
        assert argv[1] == b"-OO"
        event = deployment.say("u1", "/whoami")
        deployment.replies_to(event)
    assert worker.proc.returncode == 0


def test_sighup_restarts_the_parent_as_the_same_command_and_its_workers_answer_again(deployment):
    with deployment.worker("--processes", "1") as worker:
        deployment.wait_for_heartbeats(1)
        before = Path(f"/proc/{worker.proc.pid}/cmdline").read_bytes()
        first = worker.children()
        os.kill(worker.proc.pid, signal.SIGHUP)
        # Dramatiq stops its workers, then execs the command line in sys.argv: same process id
        deadline = time.monotonic() + 30
        while (not (kids := worker.children()) or kids == first) and time.monotonic() < deadline:
            assert worker.proc.poll() is None, worker.output()
            time.sleep(0.1)
        assert kids and kids != first, worker.output()
        assert Path(f"/proc/{worker.proc.pid}/cmdline").read_bytes() == before
        event = deployment.say("u1", "/whoami")
        deployment.replies_to(event)
    assert worker.proc.returncode == 0


def test_the_parent_says_a_settings_error_in_one_line(tmp_path):
    bad = tmp_path / "settings.toml"
    bad.write_text('[districts.a]\nname = "a"\nbogus = 1\n', encoding="utf-8")
    env = {**os.environ, "LINLI_SETTINGS": str(bad), "LINLI_LANG": "en"}
    done = subprocess.run(
        [sys.executable, "-P", "-m", "linli.workers.parent", "linli.workers.boot:broker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [f"Error: {bad}: [districts.a]: unknown key(s): bogus"]


def _gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie that no one reaped yet has exited too)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    return state in ("Z", "X")


def test_the_worker_processes_die_with_a_parent_killed_by_sigkill(deployment):
    with deployment.worker("--processes", "2") as worker:
        deployment.wait_for_heartbeats(2)
        children = worker.children()
        assert len(children) == 2, worker.output()
        os.kill(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait()
        deadline = time.monotonic() + 60  # a bound for a broken test, not a timing
        while not all(_gone(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        orphans = [pid for pid in children if not _gone(pid)]
        for pid in orphans:  # leave nothing running behind a failed test
            os.kill(pid, signal.SIGKILL)
        assert orphans == [], worker.output()
