"""The captains plugin's window on the core registry (grids, buildings, households, people
without a chat account). Everything the plugin asks the registry goes through here, so the
rest of the plugin reads in its own words."""

from __future__ import annotations

from attrs import frozen

from linli.core.plugin import Address, PluginContext

__all__ = ["Building", "Grid", "Household"]


@frozen
class Grid:
    id: int
    label: str


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


def find_building(ctx: PluginContext, text: str) -> Building | None:
    raise NotImplementedError


def find_grid(ctx: PluginContext, text: str) -> Grid | None:
    raise NotImplementedError


def buildings(ctx: PluginContext, *, ids: list[int] | None = None, grid_ids: list[int] | None = None) -> list[Building]:
    raise NotImplementedError


def grids(ctx: PluginContext) -> list[Grid]:
    raise NotImplementedError


def households(ctx: PluginContext, building_id: int) -> list[Household]:
    raise NotImplementedError


def household(ctx: PluginContext, household_id: int) -> Household | None:
    raise NotImplementedError


def find_household(ctx: PluginContext, text: str, building_ids: list[int] | None = None) -> Household | None:
    raise NotImplementedError


def household_counts(ctx: PluginContext, building_ids: list[int]) -> dict[int, int]:
    raise NotImplementedError


def add_building(ctx: PluginContext, grid: Grid, label: str) -> Building:
    raise NotImplementedError


def household_of(ctx: PluginContext, person_id: int) -> Household | None:
    raise NotImplementedError


def rooms_of_grid(ctx: PluginContext, grid: Grid) -> list[Address]:
    raise NotImplementedError


def rooms_of_building(ctx: PluginContext, building: Building) -> list[Address]:
    raise NotImplementedError


def acted_for(ctx: PluginContext, household: Household, action: str, target: str) -> None:
    """Record that the person acted for a household (a captain for a household without a chat account)."""
    raise NotImplementedError
