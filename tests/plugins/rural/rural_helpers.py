"""Helpers for the rural tests: an English village whose register (the core registry) has two
villager groups and their households; a first secretary, a work team member, a township official,
a pairing helper of 区财政局 and residents. A module of its own name: tests import it.

    一组 — 12 张三 (linked) · 13 孙秀英 (no chat account) · 14 李四 (linked)
    二组 — 12 王五 (linked)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from linli.core.register import Registry
from linli.plugins.basics import BasicsPlugin
from linli.plugins.rural import RuralPlugin
from linli.plugins.rural.tables import case_events, cases, pairs, reviews, visits
from linli.testing import ChatHarness

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PLUGINS = [BasicsPlugin, RuralPlugin]
CONFIG = {
    "rural": {
        "village_room": "test:village",
        "income_line": 7000,
        "income_lines": {"2026": 7300},
    }
}
REGISTER = {
    "一组": {"12": ["张三"], "13": ["孙秀英"], "14": ["李四"]},
    "二组": {"12": ["王五"]},
}
LINKED = ("张三", "李四", "王五")
STAFF = ("曲书记", "队员甲", "乡镇干部", "李干部")


def build_register(chat: ChatHarness) -> dict[str, int]:
    ids: dict[str, int] = {}
    with chat.runtime.store.begin() as conn:
        reg = Registry(conn, "test", actor="cli:test")
        for group, households in REGISTER.items():
            building = reg.add_building(group)
            for number, names in households.items():
                household = reg.add_household(building.id, number)
                ids[f"{group}/{number}"] = household.id
                for name in names:
                    ids[name] = reg.add_person(household.id, name, relation="户主").resident.person_id
    return ids


def setup(chat: ChatHarness) -> dict[str, int]:
    ids = build_register(chat)
    for who in (*STAFF, *LINKED):
        chat.say(who, "/whoami")
        chat.say(who, "/whoami", private=True)
    for who in LINKED:
        with chat.runtime.store.begin() as conn:
            code = Registry(conn, "test", actor="cli:test").issue_link_code(ids[who])
        chat.say(who, f"/link {code}", private=True)
    chat.grant("曲书记", "secretary")
    chat.grant("队员甲", "village_team")
    chat.grant("乡镇干部", "township")
    chat.grant("李干部", "helper", "unit:区财政局")
    return ids


def make(tmp_path: Any, **kw: Any) -> tuple[ChatHarness, dict[str, int]]:
    chat = ChatHarness(
        tmp_path,
        plugins=kw.pop("plugins", PLUGINS),
        language=kw.pop("language", "en"),
        config=kw.pop("config", CONFIG),
        **kw,
    )
    return chat, setup(chat)


def rows(chat: ChatHarness, table: sa.Table) -> list[Any]:
    with chat.runtime.store.connect() as conn:
        return list(conn.execute(sa.select(table).order_by(table.c.id)))


def case(chat: ChatHarness, number: int = 1) -> Any:
    with chat.runtime.store.connect() as conn:
        return conn.execute(sa.select(cases).where(cases.c.number == number)).one()


def snapshot(chat: ChatHarness) -> list[list[Any]]:
    """Every row of the plugin's monitoring and pairing tables: to check that nothing changed."""
    return [[tuple(r) for r in rows(chat, t)] for t in (cases, case_events, pairs, visits, reviews)]


def to_monitored(chat: ChatHarness) -> None:
    """Case 1 for 一组/13 from lead to monitored (the notice of 5 days runs out)."""
    chat.say("队员甲", "/lead 一组/13 grid 老人住院")
    chat.say("队员甲", "/homevisit 1 income=6800 medical=15000 causes=illness,labour insurance=yes", private=True)
    chat.say("曲书记", "/publicize 1 5", private=True)
    chat.advance(days=5)
    chat.say("曲书记", "/appraise 1 yes")
    chat.say("乡镇干部", "/decide 1 yes")


__all__ = ["CONFIG", "PLUGINS", "SHANGHAI", "case", "make", "rows", "setup", "snapshot", "to_monitored"]


def jobs(chat: Any) -> list[str]:
    """What the due jobs said, without the monthly report for the township (its own tests are
    in test_rural_report.py), which goes out on the 1st whatever else is tested."""
    return [m for m in chat.run_jobs() if not m.startswith(("Monthly report of", "测试社区 2026"))]
