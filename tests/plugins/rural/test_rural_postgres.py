"""The rural flows on PostgreSQL: the migration applies after the core's register, residents link
their accounts, a case goes from lead to monitored through its public notice, a pair is flagged
overdue, and the monthly summary counts them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from rural_helpers import case, jobs, make, to_monitored

from linli.plugins.rural import monitoring_summary

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(tmp_path, postgres_url) -> Iterator[tuple[Any, dict[str, int]]]:  # type: ignore[no-untyped-def]
    chat, ids = make(tmp_path, database_url=postgres_url)
    assert chat.runtime.store.engine.dialect.name == "postgresql"
    yield chat, ids
    chat.close()


def test_a_case_is_monitored_and_a_pair_flagged_on_postgresql(pg):
    chat, ids = pg
    chat.say("队员甲", "/pair 区财政局 一组/12 李干部")
    jobs(chat)
    to_monitored(chat)
    assert case(chat).state == "monitored" and case(chat).household_id == ids["一组/13"]
    assert chat.in_room("village")[0].startswith("Public notice: the village proposes to take household 一组/13")
    chat.advance(days=30)  # Thursday 31 Dec
    chat.say("李干部", "/helpvisit 一组/12")
    chat.advance(days=11)  # Monday 11 Jan 2027
    chat.say("队员甲", "/pair 沈阳海关 一组/14")
    chat.advance(days=21)  # Monday 1 Feb 2027: pair 2 is 21 days old, pair 1 unvisited for 32 days
    assert jobs(chat)[-1] == "1 pair has had no visit for more than 30 days:\n1. 区财政局 — 一组/12 · 2026-12-31"
    with chat.runtime.store.connect() as conn:
        figures = monitoring_summary(conn, "test", dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert (figures["state_monitored"], figures["visits"]) == (1, 1)
