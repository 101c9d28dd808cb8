"""Helpers for the captains tests: an English district whose register (the core registry) has
two grids, three buildings and their households; a community worker, captains and residents.
A module of its own name: test modules import it, never ``conftest``.

    Grid1: B1 — 1-101 张三 · 1-102 孙秀英 (no chat account) · 1-201 李四
           B2 — 2-101 王五 · 2-102 (nobody registered)
    Grid2: B3 — 3-101 赵六
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from linli.core.register import Registry
from linli.plugins.basics import BasicsPlugin
from linli.plugins.captains import CaptainsPlugin
from linli.plugins.mediation import MediationPlugin
from linli.testing import ChatHarness

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PLUGINS = [BasicsPlugin, CaptainsPlugin]
CONFIG = {
    "captains": {
        "room": "test:community",
        "staff_room": "test:staff",
        "grid_rooms": {"Grid1": "test:grid1"},
        "building_rooms": {"B3": "test:b3"},
    }
}
REGISTER = {
    ("Grid1", "B1"): {("1", "101"): ["张三"], ("1", "102"): ["孙秀英"], ("1", "201"): ["李四"]},
    ("Grid1", "B2"): {("2", "101"): ["王五"], ("2", "102"): []},
    ("Grid2", "B3"): {("3", "101"): ["赵六"]},
}
#: who talks to the bot and links themselves to their register entry
LINKED = ("张三", "李四", "王五", "赵六")


def build_register(chat: ChatHarness) -> dict[str, int]:
    """The register above; returns the person ids of its people by name and household ids by label."""
    ids: dict[str, int] = {}
    with chat.runtime.store.begin() as conn:
        reg = Registry(conn, "test", actor="cli:test")
        for (grid, code), households in REGISTER.items():
            building = reg.add_building(code, grid=grid)
            for (unit, number), names in households.items():
                household = reg.add_household(building.id, number, unit=unit)
                ids[f"{code}/{unit}-{number}"] = household.id
                for name in names:
                    ids[name] = reg.add_person(household.id, name, relation="户主").resident.person_id
    return ids


def link(chat: ChatHarness, name: str, person_id: int) -> list[str]:
    """``name`` links their chat account to their register entry with a one-time code."""
    with chat.runtime.store.begin() as conn:
        code = Registry(conn, "test", actor="cli:test").issue_link_code(person_id)
    return chat.say(name, f"/link {code}", private=True)


def setup(chat: ChatHarness) -> dict[str, int]:
    """The register; everyone speaks once (so they are known here) and opens a private chat;
    residents link their accounts; roles are given."""
    ids = build_register(chat)
    for who in ("王主任", "政务甲", "居务乙", "政务丙", *LINKED, "网格员"):
        chat.say(who, "/whoami")
        chat.say(who, "/whoami", private=True)
    for who in LINKED:
        link(chat, who, ids[who])
    chat.grant("王主任", "staff")
    chat.grant("网格员", "grid_worker", f"grid:{grid_id(chat, 'Grid1')}")
    return ids


def grid_id(chat: ChatHarness, code: str) -> int:
    with chat.runtime.store.connect() as conn:
        grid = Registry(conn, "test").grid(code)
        assert grid is not None
        return grid.id


def assign_captains(chat: ChatHarness) -> None:
    """B1: 政务甲 (gov) and 居务乙 (resident); B2: 政务甲 (gov) only; B3: 政务丙 (gov)."""
    chat.say("王主任", "/setcaptain B1 gov 政务甲 区财政局")
    chat.say("王主任", "/setcaptain B1 resident 居务乙")
    chat.say("王主任", "/setcaptain B2 gov 政务甲 区财政局")
    chat.say("王主任", "/setcaptain B3 gov 政务丙 区民政局")


def make(tmp_path: Any, **kw: Any) -> tuple[ChatHarness, dict[str, int]]:
    chat = ChatHarness(
        tmp_path, plugins=kw.pop("plugins", PLUGINS), language="en", config=kw.pop("config", CONFIG), **kw
    )
    return chat, setup(chat)


__all__ = ["CONFIG", "PLUGINS", "SHANGHAI", "MediationPlugin", "assign_captains", "link", "make", "setup"]
