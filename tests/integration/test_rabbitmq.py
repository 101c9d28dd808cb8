"""``linli worker`` on RabbitMQ: Dramatiq's other broker carries linli unchanged."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]


def test_a_worker_process_answers_over_rabbitmq(rabbitmq_deployment):
    with rabbitmq_deployment.worker():
        [reply] = rabbitmq_deployment.replies_to(rabbitmq_deployment.say("u1", "/whoami"))
    assert "居民1" in reply["text"]
