"""Helpers for the tests of the village's own work (enterprise, sales, projects, scholarships,
the monthly report): an English village whose register has two groups and their households, and
the people of the rural roles. A module of its own name: test modules import it, never ``conftest``.

    一组: 12 张大爷 · 15 李婶        二组: 3 王叔
    曲书记 first secretary · 队员 village work team · 乡镇 township · 帮扶人 pairing helper · 村民 nobody
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from linli.core.register import Registry
from linli.plugins.basics import BasicsPlugin
from linli.plugins.rural import RuralPlugin
from linli.testing import ChatHarness

PLUGINS = [BasicsPlugin, RuralPlugin]
CONFIG = {"rural": {"village_room": "test:village", "staff_room": "test:staff", "report_room": "test:township"}}
REGISTER = {"一组": {"12": ["张大爷"], "15": ["李婶"]}, "二组": {"3": ["王叔"]}}
PEOPLE = ("曲书记", "队员", "乡镇", "帮扶人", "村民")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


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
                    reg.add_person(household.id, name, relation="户主")
    return ids


def make(tmp_path: Any, **kw: Any) -> ChatHarness:
    """The village; everyone speaks once and opens a private chat; roles are given."""
    chat = ChatHarness(
        tmp_path,
        plugins=kw.pop("plugins", PLUGINS),
        language=kw.pop("language", "en"),
        kind="village",
        config=kw.pop("config", CONFIG),
        **kw,
    )
    build_register(chat)
    for who in PEOPLE:
        chat.say(who, "/whoami")
        chat.say(who, "/whoami", private=True)
    chat.grant("曲书记", "secretary")
    chat.grant("队员", "village_team")
    chat.grant("乡镇", "township")
    chat.grant("帮扶人", "helper", "unit:沈阳海关")
    return chat


__all__ = ["CONFIG", "PEOPLE", "PLUGINS", "SHANGHAI", "make"]
