"""What every part of the captains plugin needs: who may see what, numbers people type,
the captains of a building."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import PluginContext, parse_number
from linli.plugins.captains import _registry as reg
from linli.plugins.captains.tables import assignments

__all__ = [
    "GRID_WORKER",
    "STAFF",
    "active",
    "captain_buildings",
    "captains_of",
    "is_captain_of",
    "is_number",
    "is_staff",
    "joined",
    "may_see_building",
    "next_number",
    "number_arg",
    "require_building",
    "visible_buildings",
    "worker_grids",
    "works_in_grid",
]

STAFF = "staff"
GRID_WORKER = "grid_worker"


def next_number(ctx: PluginContext, table: sa.Table) -> int:
    """The next per-district number of a table with a ``number`` column."""
    return int(ctx.store.execute(sa.select(sa.func.max(table.c.number))).scalar() or 0) + 1


def is_number(text: str) -> bool:
    """Whether ``text`` is a number as people type it (``3``, ``#3``, ``３``); ``²`` is not."""
    return parse_number(text.strip()) is not None


def number_arg(ctx: PluginContext, text: str, usage: str) -> int:
    """A number the person typed (``3``, ``#3``, ``３``), or a clear answer with ``usage``."""
    number = parse_number(text.strip())
    if number is None:
        raise ctx.fail(usage)
    return number


def active(ctx: PluginContext, day: dt.date | None = None) -> Any:
    """The WHERE clause of assignments in force on ``day`` (today in the district)."""
    day = day or ctx.now().date()
    return sa.and_(
        assignments.c.start_on <= day,
        sa.or_(assignments.c.end_on.is_(None), assignments.c.end_on > day),
        assignments.c.person_id.is_not(None),
    )


def captains_of(ctx: PluginContext, building_id: int) -> dict[str, Any]:
    """The assignments in force of a building, by kind (``gov``, ``resident``)."""
    rows = ctx.store.select(assignments, assignments.c.building_id == building_id, active(ctx))
    return {r.kind: r for r in rows}


def captain_buildings(ctx: PluginContext, person_id: int | None = None) -> dict[int, str]:
    """The buildings a person captains today, each with the kind of captain they are there."""
    pid = person_id if person_id is not None else (ctx.person.id if ctx.person else None)
    if pid is None:
        return {}
    rows = ctx.store.select(assignments, assignments.c.person_id == pid, active(ctx), order_by=[assignments.c.id])
    return {r.building_id: r.kind for r in rows}


def is_captain_of(ctx: PluginContext, building_id: int) -> bool:
    return building_id in captain_buildings(ctx)


def joined(ctx: PluginContext, parts: Iterable[str]) -> str:
    """Items of a list in one line: 独居老人、低保户 in Chinese, "alone, disabled" otherwise."""
    return ("、" if ctx.t.language.startswith("zh") else ", ").join(parts)


def is_staff(ctx: PluginContext) -> bool:
    """A community worker (or an admin) of the district."""
    return ctx.has_role(STAFF)


def may_see_building(ctx: PluginContext, building: reg.Building) -> bool:
    """Whether the person may see a building's private records (special households, needs):
    its captains, the workers of its grid and the community's staff."""
    if is_staff(ctx):
        return True
    if building.grid_id is not None and works_in_grid(ctx, building.grid_id):
        return True
    return is_captain_of(ctx, building.id)


def require_building(ctx: PluginContext, text: str) -> reg.Building:
    """The building the person named, or a clear answer."""
    building = reg.find_building(ctx, text)
    if building is None:
        if is_staff(ctx):  # staff have no buildings of their own to list
            raise ctx.fail(ctx.t("There is no building {building} in this community.", building=text))
        raise ctx.fail(
            ctx.t("There is no building {building} in this community. Send /mybuildings to see yours.", building=text)
        )
    return building


def visible_buildings(ctx: PluginContext) -> list[int] | None:
    """The buildings whose private records (special households, coverage) the person may see:
    their own as a captain and their grids' as a grid worker; None for all (staff)."""
    if is_staff(ctx):
        return None
    ids = set(captain_buildings(ctx))
    if "" in ctx.roles.get(GRID_WORKER, frozenset()):
        return None
    grid_ids = worker_grids(ctx)
    if grid_ids:
        ids |= {b.id for b in reg.buildings(ctx, grid_ids=grid_ids)}
    return sorted(ids)


def worker_grids(ctx: PluginContext) -> list[int]:
    """The ids of the grids the person works in as a grid worker. A grant's scope names the grid
    by its id (``grid:5``, as the register's scopes do) or by its code (``grid:第五网格``)."""
    scopes = [s.split(":", 1)[1] for s in ctx.roles.get(GRID_WORKER, frozenset()) if s.startswith("grid:")]
    if not scopes:
        return []
    grids = reg.grids(ctx)
    return sorted({g.id for g in grids for s in scopes if s in (str(g.id), g.code, g.label)})


def works_in_grid(ctx: PluginContext, grid_id: int) -> bool:
    """Whether the person is a grid worker of this grid (or of every grid)."""
    if GRID_WORKER not in ctx.roles:
        return False
    return "" in ctx.roles[GRID_WORKER] or grid_id in worker_grids(ctx)
