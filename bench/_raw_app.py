"""The yardstick: a bare Dramatiq actor on the same Redis broker as linli (same
middleware, same worker settings), run by Dramatiq's own CLI::

    python -m dramatiq bench._raw_app -Q bench.raw bench.raw.1 bench.raw.2 bench.raw.3

Its one action is the one linli's ``test`` platform ends with: ``RPUSH`` onto a
list, which the benchmark reads. Like Dramatiq itself, it builds its broker at import.
"""

from __future__ import annotations

import os
import time

import dramatiq
import redis

from linli.core.settings import QueueSettings
from linli.workers.broker import build_broker

URL = os.environ["LINLI_BENCH_REDIS_URL"]
DONE = "linli-bench:raw-done"

broker = build_broker(QueueSettings(broker=URL))
dramatiq.set_broker(broker)
_client = redis.Redis.from_url(URL)


@dramatiq.actor(queue_name="bench.raw", actor_name="bench.noop", max_retries=0)
def noop(token: str) -> None:
    _client.rpush(DONE, f"{token}{time.time()}")


# three hops on three queues, as a linli event crosses linli.events, linli.plugin.*, linli.outbox.*
@dramatiq.actor(queue_name="bench.raw.3", actor_name="bench.hop3", max_retries=0)
def hop3(token: str) -> None:
    noop.fn(token)


@dramatiq.actor(queue_name="bench.raw.2", actor_name="bench.hop2", max_retries=0)
def hop2(token: str) -> None:
    hop3.send(token)


@dramatiq.actor(queue_name="bench.raw.1", actor_name="bench.hop1", max_retries=0)
def hop1(token: str) -> None:
    hop2.send(token)
