"""Helpers for the captains tests: an English district with two grids, three buildings and their
households, a community worker, captains and residents. A module of its own name: test modules
import it, never ``conftest``.

Until the core registry is merged, ``FakeRegistry`` stands in for it behind the plugin's
``_registry`` module (the one place the plugin asks the registry anything)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from linli.core.events import Address
from linli.core.storage import schema as s
from linli.plugins.captains import CaptainsPlugin
from linli.plugins.captains import _registry as reg
from linli.plugins.core import CorePlugin
from linli.plugins.mediation import MediationPlugin
from linli.testing import ChatHarness

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PLUGINS = [CorePlugin, CaptainsPlugin]
CONFIG = {"captains": {"room": "test:community", "staff_room": "test:staff"}}

GRIDS = {1: "Grid1", 2: "Grid2"}
BUILDINGS = {1: ("B1", 1), 2: ("B2", 1), 3: ("B3", 2)}
HOUSEHOLDS = {
    11: ("1-101", 1, ("张三",)),
    12: ("1-102", 1, ()),  # 孙奶奶 lives alone and has no chat account
    13: ("1-201", 1, ("李四",)),
    21: ("2-101", 2, ("王五",)),
    22: ("2-102", 2, ()),
    31: ("3-101", 3, ("赵六",)),
}


class FakeRegistry:
    """Grids, buildings and households in memory, the way the core registry answers."""

    def __init__(self) -> None:
        self.grids = dict(GRIDS)
        self.buildings = dict(BUILDINGS)
        self.households = {k: (label, b, list(members)) for k, (label, b, members) in HOUSEHOLDS.items()}
        self.rooms: dict[tuple[str, int], list[str]] = {("grid", 1): ["test:grid1"], ("building", 3): ["test:b3"]}
        self.acted: list[tuple[int | None, int, str]] = []

    def _person(self, ctx: Any, name: str) -> int | None:
        return ctx._conn.execute(sa.select(s.persons.c.id).where(s.persons.c.display_name == name)).scalar()

    def _building(self, bid: int) -> reg.Building:
        label, gid = self.buildings[bid]
        return reg.Building(bid, label, gid, self.grids[gid])

    def _household(self, ctx: Any, hid: int) -> reg.Household:
        label, bid, names = self.households[hid]
        members = tuple(p for p in (self._person(ctx, n) for n in names) if p is not None)
        return reg.Household(hid, bid, label, members)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        fake = self

        def find_building(ctx: Any, text: str) -> reg.Building | None:
            return next((fake._building(b) for b, (label, _) in fake.buildings.items() if label == text), None)

        def find_grid(ctx: Any, text: str) -> reg.Grid | None:
            return next((reg.Grid(g, label) for g, label in fake.grids.items() if label == text), None)

        def buildings(
            ctx: Any, *, ids: list[int] | None = None, grid_ids: list[int] | None = None
        ) -> list[reg.Building]:
            return [
                fake._building(b)
                for b, (_, g) in sorted(fake.buildings.items())
                if (ids is None or b in ids) and (grid_ids is None or g in grid_ids)
            ]

        def grids(ctx: Any) -> list[reg.Grid]:
            return [reg.Grid(g, label) for g, label in sorted(fake.grids.items())]

        def households(ctx: Any, building_id: int) -> list[reg.Household]:
            return [fake._household(ctx, h) for h, (_, b, _) in sorted(fake.households.items()) if b == building_id]

        def household(ctx: Any, household_id: int) -> reg.Household | None:
            return fake._household(ctx, household_id) if household_id in fake.households else None

        def find_household(ctx: Any, text: str, building_ids: list[int] | None = None) -> reg.Household | None:
            return next(
                (fake._household(ctx, h) for h, (label, _, _) in fake.households.items() if label == text), None
            )

        def household_counts(ctx: Any, building_ids: list[int]) -> dict[int, int]:
            counts: dict[int, int] = {}
            for _, b, _ in fake.households.values():
                if b in building_ids:
                    counts[b] = counts.get(b, 0) + 1
            return counts

        def add_building(ctx: Any, grid: reg.Grid, label: str) -> reg.Building:
            bid = max(fake.buildings) + 1
            fake.buildings[bid] = (label, grid.id)
            return fake._building(bid)

        def household_of(ctx: Any, person_id: int) -> reg.Household | None:
            name = ctx.display_names([person_id]).get(person_id)
            return next(
                (fake._household(ctx, h) for h, (_, _, names) in fake.households.items() if name in names), None
            )

        def rooms_of_grid(ctx: Any, grid: reg.Grid) -> list[Address]:
            return [Address.parse(r) for r in fake.rooms.get(("grid", grid.id), [])]

        def rooms_of_building(ctx: Any, building: reg.Building) -> list[Address]:
            return [Address.parse(r) for r in fake.rooms.get(("building", building.id), [])]

        def acted_for(ctx: Any, household: reg.Household, action: str, target: str) -> None:
            fake.acted.append((ctx.person.id if ctx.person else None, household.id, action))

        for name, func in list(locals().items()):
            if callable(func) and hasattr(reg, name) and name not in ("fake", "self"):
                monkeypatch.setattr(reg, name, func)

    def link(self, household_id: int, name: str) -> None:
        """A resident of a household joins (the registry's one-time code, done)."""
        self.households[household_id][2].append(name)


def setup(chat: ChatHarness) -> None:
    """Everyone speaks once (so they are known here) and opens a private chat; roles are given."""
    for who in ("王主任", "政务甲", "居务乙", "政务丙", "张三", "李四", "王五", "赵六", "网格员"):
        chat.say(who, "/whoami")
        chat.say(who, "/whoami", private=True)
    chat.grant("王主任", "staff")
    chat.grant("网格员", "grid_worker", "grid:1")


def assign_captains(chat: ChatHarness) -> None:
    """B1: 政务甲 (gov) and 居务乙 (resident); B2: 政务甲 (gov) only; B3: 政务丙 (gov)."""
    chat.say("王主任", "/setcaptain B1 gov 政务甲 区财政局")
    chat.say("王主任", "/setcaptain B1 resident 居务乙")
    chat.say("王主任", "/setcaptain B2 gov 政务甲 区财政局")
    chat.say("王主任", "/setcaptain B3 gov 政务丙 区民政局")


def make(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> tuple[ChatHarness, FakeRegistry]:
    fake = FakeRegistry()
    fake.install(monkeypatch)
    chat = ChatHarness(
        tmp_path, plugins=kw.pop("plugins", PLUGINS), language="en", config=kw.pop("config", CONFIG), **kw
    )
    setup(chat)
    return chat, fake


__all__ = ["CONFIG", "PLUGINS", "SHANGHAI", "FakeRegistry", "MediationPlugin", "assign_captains", "make", "setup"]
