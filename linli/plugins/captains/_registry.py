"""The captains plugin's window on the core registry (``ctx.registry``: grids, buildings,
households, people without a chat account). Everything the plugin asks the registry goes
through here, in the captains' own words: a building is called by its code (``2号楼``), a
household by its building and door (``2号楼/3-301``), or by its door alone among a captain's
own buildings (``3-301``).

Rooms of grids and buildings are the district's ``grid_rooms`` and ``building_rooms``
(code → room) in the plugin's configuration."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from linli.core.plugin import Address, PluginContext

__all__ = [
    "Building",
    "Grid",
    "Household",
    "acted_for",
    "add_building",
    "buildings",
    "find_building",
    "find_grid",
    "find_household",
    "grids",
    "household",
    "household_counts",
    "household_of",
    "households",
    "link_code",
    "register_people",
    "rooms_of_building",
    "rooms_of_grid",
]

#: between a building and a door: 2号楼/3-301, 2号楼：3-301
_SEPARATOR = re.compile(r"[/／:：]")


@frozen
class Grid:
    id: int
    label: str
    code: str = ""


@frozen
class Building:
    id: int
    label: str
    grid_id: int | None
    grid_label: str = ""


@frozen
class Household:
    id: int
    building_id: int
    label: str
    #: members who talk to the bot (person ids); empty for a household without a chat account
    members: tuple[int, ...] = ()
    #: every current member in the register, with or without a chat account
    people: tuple[int, ...] = ()


def _grid_labels(ctx: PluginContext) -> dict[int, str]:
    return {g.id: g.name or g.code for g in ctx.registry.grids()}


def _building(ctx: PluginContext, b: Any, labels: Mapping[int, str] | None = None) -> Building:
    labels = labels if labels is not None else _grid_labels(ctx)
    return Building(b.id, b.code, b.grid_id, labels.get(b.grid_id, "") if b.grid_id is not None else "")


def _household(ctx: PluginContext, h: Any, building_code: str | None = None, *, people: bool = True) -> Household:
    reg = ctx.registry
    if building_code is None:
        found = reg.building_by_id(h.building_id)
        building_code = found.code if found else ""
    members = reg.members(h.id) if people else []
    return Household(
        h.id,
        h.building_id,
        f"{building_code}/{h.label}",
        tuple(m.person_id for m in members if m.has_account),
        tuple(m.person_id for m in members),
    )


def find_grid(ctx: PluginContext, text: str) -> Grid | None:
    """The grid of that code or name."""
    text = text.strip()
    reg = ctx.registry
    g = reg.grid(text) or next((g for g in reg.grids() if g.name == text), None)
    return Grid(g.id, g.name or g.code, g.code) if g else None


def grids(ctx: PluginContext) -> list[Grid]:
    return [Grid(g.id, g.name or g.code, g.code) for g in ctx.registry.grids()]


def find_building(ctx: PluginContext, text: str) -> Building | None:
    b = ctx.registry.building(text.strip())
    return _building(ctx, b) if b else None


def buildings(ctx: PluginContext, *, ids: list[int] | None = None, grid_ids: list[int] | None = None) -> list[Building]:
    """The district's buildings, or those of some ids or grids, by code."""
    labels = _grid_labels(ctx)
    wanted = set(ids) if ids is not None else None
    grid_set = set(grid_ids) if grid_ids is not None else None
    return [
        _building(ctx, b, labels)
        for b in ctx.registry.buildings()
        if (wanted is None or b.id in wanted) and (grid_set is None or b.grid_id in grid_set)
    ]


def households(ctx: PluginContext, building_id: int) -> list[Household]:
    """The active households of a building, by unit and door (without their people)."""
    reg = ctx.registry
    b = reg.building_by_id(building_id)
    code = b.code if b else ""
    return [_household(ctx, h, code, people=False) for h in reg.households(building_id) if h.status == "active"]


def household(ctx: PluginContext, household_id: int) -> Household | None:
    h = ctx.registry.household_by_id(household_id)
    return _household(ctx, h) if h else None


def find_household(ctx: PluginContext, text: str, building_ids: list[int] | None = None) -> Household | None:
    """The household called ``2号楼/3-301``, or ``3-301`` when exactly one of ``building_ids``
    (the person's own buildings; all of them when None) has such a door."""
    reg = ctx.registry
    text = text.strip()
    parts = _SEPARATOR.split(text, maxsplit=1)
    if len(parts) == 2:
        h = reg.household(parts[0], parts[1])
        return _household(ctx, h, parts[0].strip()) if h else None
    codes = [b.code for b in reg.buildings() if building_ids is None or b.id in building_ids]
    found = [(code, h) for code in codes if (h := reg.household(code, text)) is not None]
    if len(found) != 1:
        return None
    return _household(ctx, found[0][1], found[0][0])


def household_counts(ctx: PluginContext, building_ids: list[int]) -> dict[int, int]:
    """How many active households each building has."""
    reg = ctx.registry
    return {b: sum(1 for h in reg.households(b) if h.status == "active") for b in building_ids}


def add_building(ctx: PluginContext, grid: Grid, label: str) -> Building:
    b = ctx.registry.add_building(label, grid=grid.code or grid.label)
    return _building(ctx, b)


def household_of(ctx: PluginContext, person_id: int) -> Household | None:
    h = ctx.registry.household_of(person_id)
    return _household(ctx, h) if h else None


def acted_for(ctx: PluginContext, household: Household, action: str, target: str) -> None:
    """Record that the person acted for a household: for each of its people without a chat
    account (the audit log keeps who acted, for whom, what and when)."""
    reg = ctx.registry
    for pid in household.people:
        if pid not in household.members:
            reg.act_for(pid, action, target)


def register_people(ctx: PluginContext, household: Household) -> list[tuple[int, str, bool]]:
    """The people of a household: (person id, name, has a chat account)."""
    return [(m.person_id, m.name, m.has_account) for m in ctx.registry.members(household.id)]


def link_code(ctx: PluginContext, person_id: int) -> str:
    """A one-time code that links a resident's chat account to their register entry."""
    return ctx.registry.issue_link_code(person_id)


def _rooms(ctx: PluginContext, key: str, code: str) -> list[Address]:
    table: Any = ctx.config.get(key)
    if not isinstance(table, Mapping):
        return []
    value = table.get(code)
    rooms = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [Address.parse(r) for r in rooms if isinstance(r, str) and ":" in r]


def rooms_of_grid(ctx: PluginContext, grid: Grid) -> list[Address]:
    return _rooms(ctx, "grid_rooms", grid.code or grid.label)


def rooms_of_building(ctx: PluginContext, building: Building) -> list[Address]:
    return _rooms(ctx, "building_rooms", building.label)
