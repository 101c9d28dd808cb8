"""Shared fixtures: real Redis and PostgreSQL when they run here.

Without the server a test that needs it is skipped locally and fails on CI
(``CI`` set): a skipped Redis test on CI would hide a broken set-up.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest

REDIS_URL = os.environ.get("LINLI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RABBITMQ_URL = os.environ.get("LINLI_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_URL = os.environ.get("LINLI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def need(service: str, port: int) -> None:
    if not _reachable(port):
        if os.environ.get("CI"):
            pytest.fail(f"{service} is not running on 127.0.0.1:{port}, and CI needs it")
        pytest.skip(f"{service} is not running on 127.0.0.1:{port}")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database emptied before and after the test."""
    need("Redis", 6379)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema of its own, dropped after the test."""
    need("PostgreSQL", 5432)
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def rabbitmq_url() -> str:
    """The RabbitMQ server."""
    need("RabbitMQ", 5672)
    return RABBITMQ_URL
