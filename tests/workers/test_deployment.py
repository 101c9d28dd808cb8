"""What ``linli worker`` checks before it becomes Dramatiq's parent: the queues to consume."""

from __future__ import annotations

import subprocess
import sys

from linli.workers.deployment import default_queues


def test_the_default_queues_are_the_events_every_plugins_queue_and_the_outboxes_of_the_platforms():
    chosen = default_queues(["telegram"])

    assert "linli.events" in chosen
    assert "linli.plugin.basics" in chosen
    assert "linli.outbox.telegram" in chosen
    assert "linli.outbox.matrix" not in chosen


def test_choosing_the_queues_does_not_import_dramatiq():
    # linli worker replaces itself with Dramatiq's parent right after: the queue names come
    # from linli.transport.queues, which imports nothing heavy
    code = (
        "import sys\n"
        "from linli.workers.deployment import default_queues\n"
        "default_queues(['telegram'])\n"
        "print('dramatiq' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert out.strip() == "False"
