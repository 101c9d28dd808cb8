"""``linli worker`` becomes Dramatiq's parent in its own process, without the CLI."""

from __future__ import annotations

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
        event = deployment.say("u1", "/whoami")
        deployment.replies_to(event)
    assert worker.proc.returncode == 0
