"""The captains' flows on PostgreSQL: the migration applies, residents link their accounts (the
register's merge and the plugins' person_merged handlers), a sweep runs to its coverage and
summary, and a need of a household without a chat account goes from report to confirmation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from captains_helpers import assign_captains, make

from linli.core.register import Registry
from linli.plugins.captains.tables import need_events, needs, visits

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(tmp_path, postgres_url) -> Iterator[tuple[Any, dict[str, int]]]:  # type: ignore[no-untyped-def]
    chat, ids = make(tmp_path, database_url=postgres_url)
    assert chat.runtime.store.engine.dialect.name == "postgresql"
    yield chat, ids
    chat.close()


def test_a_sweep_runs_to_its_coverage_on_postgresql(pg):
    chat, ids = pg
    assign_captains(chat)
    chat.say("王主任", "/sweep 冬季供暖排查")
    chat.pick("王主任", "The whole community")
    assert chat.say("王主任", "7")[0].startswith("Sweep 1 is started: 3 building(s), 6 household(s)")
    chat.say("居务乙", "/visit", private=True)
    chat.pick("居务乙", "All well", private=True)
    chat.pick("居务乙", "Needs help", private=True)
    assert chat.say("居务乙", "独居老人，暖气不热", private=True) == ["Noted."]
    chat.say("政务丙", "/zero B3")

    assert chat.say("王主任", "/coverage") == [
        "Sweep 1 (冬季供暖排查), under way, due 2026-12-03: 3 of 6 household(s) (50%), 1 of 3 building(s) complete.\n"
        "Grid1: 2/5 (40%), 0/2 building(s)\n"
        "Grid2: 1/1 (100%), 1/1 building(s)"
    ]
    assert chat.say("政务丙", "/coverage") == [
        "Sweep 1 (冬季供暖排查), under way, due 2026-12-03: 1 of 1 household(s) (100%), 1 of 1 building(s) complete.\n"
        "B3: 1/1 (100%) (zero report)"
    ]
    chat.say("王主任", "/closesweep 1")
    assert chat.in_room("community")[-1] == (  # numbers only: no household, no note
        "Sweep 1 (冬季供暖排查), closed, due 2026-12-03: 3 of 6 household(s) (50%), 1 of 3 building(s) complete.\n"
        "Grid1: 2/5 (40%), 0/2 building(s)\n"
        "Grid2: 1/1 (100%), 1/1 building(s)\n"
        "Outcomes: Needs help 1, All well 1; zero reports: 1."
    )
    with chat.runtime.store.connect() as conn:
        rows = conn.execute(sa.select(visits.c.household_id, visits.c.outcome).order_by(visits.c.id)).all()
    assert [tuple(r) for r in rows] == [(ids["B1/1-101"], "ok"), (ids["B1/1-102"], "help")]


def test_a_need_of_a_household_without_a_chat_account_on_postgresql(pg):
    chat, ids = pg
    assign_captains(chat)
    assert chat.say("居务乙", "/need 1-102 孙奶奶家暖气不热", private=True) == [
        "Need 1 is registered; the grid will take it up, and I will tell you in private when it is resolved."
    ]
    assert chat.say("张三", "/need 楼道灯坏了三天")[0].startswith("Need 2 is registered")
    assert chat.say("网格员", "/needtake 1") == ["Need 1: taken in the grid."]
    assert chat.say("网格员", "/needresolve 1 修好了")[0] == "Need 1: resolved."
    assert chat.say("张三", "/needconfirm 1") == ["Only the resident who has need 1 (or their captain) can confirm it."]
    assert chat.say("居务乙", "/needconfirm 1") == ["Need 1 is confirmed resolved. Thank you!"]

    with chat.runtime.store.connect() as conn:
        moves = conn.execute(
            sa.select(need_events.c.state_to, need_events.c.acted_for)
            .join(needs, needs.c.id == need_events.c.need_id)
            .where(needs.c.number == 1)
            .order_by(need_events.c.id)
        ).all()
        reporter = conn.execute(sa.select(needs.c.reported_by).where(needs.c.number == 2)).scalar()
        done_for = Registry(conn, "test").acted_for(ids["孙秀英"])
    household = ids["B1/1-102"]
    assert [tuple(r) for r in moves] == [
        ("reported", household),
        ("taken", None),
        ("resolved", None),
        ("confirmed", household),
    ]
    assert reporter == ids["张三"]  # 张三 linked their account: the need names their register entry
    assert [d["action"] for d in done_for] == ["captains.need_reported", "captains.need_confirmed"]
