"""The seed's figures per captain, building, grid and district: sweeps taken part in, households
visited, notices posted, cards handed out, special households registered, needs resolved and the
median days they took."""

from __future__ import annotations

import statistics
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import N_, CommandContext, HandlerGroup, PluginContext, command
from linli.plugins.captains import _registry as reg
from linli.plugins.captains._common import STAFF
from linli.plugins.captains.tables import needs, specials, tallies, visits, zero_reports

__all__ = ["FIGURES", "Stats", "figures"]

FIGURES = {
    "sweeps": N_("Sweeps taken part in"),
    "visited": N_("Households visited"),
    "notices": N_("Notices posted"),
    "cards": N_("Cards handed out"),
    "specials": N_("Special households registered"),
    "resolved": N_("Needs resolved"),
    "median_days": N_("Median days to resolve"),
    "escalated": N_("Needs passed up beyond the grid (the exception)"),
}


def figures(ctx: PluginContext, *, captain: int | None = None, building_ids: list[int] | None = None) -> dict[str, Any]:
    """The figures of one captain, of some buildings, or (neither) of the whole district."""

    def scoped(column_captain: Any, column_building: Any) -> list[Any]:
        where: list[Any] = []
        if captain is not None:
            where.append(column_captain == captain)
        if building_ids is not None:
            where.append(column_building.in_(building_ids))
        return where

    sweeps_done = set(
        ctx.store.execute(
            sa.select(visits.c.sweep_id).where(*scoped(visits.c.captain_id, visits.c.building_id)).distinct()
        ).scalars()
    ) | set(
        ctx.store.execute(
            sa.select(zero_reports.c.sweep_id)
            .where(*scoped(zero_reports.c.captain_id, zero_reports.c.building_id))
            .distinct()
        ).scalars()
    )
    visited = ctx.store.count(visits, *scoped(visits.c.captain_id, visits.c.building_id))
    tally: dict[str, Any] = {
        str(r.kind): r.n
        for r in ctx.store.execute(
            sa.select(tallies.c.kind, sa.func.sum(tallies.c.amount).label("n"))
            .where(*scoped(tallies.c.captain_id, tallies.c.building_id))
            .group_by(tallies.c.kind)
        )
    }
    special = ctx.store.count(specials, *scoped(specials.c.registered_by, specials.c.building_id))
    done = ctx.store.select(needs, needs.c.resolved_at.is_not(None), *scoped(needs.c.taken_by, needs.c.building_id))
    days = [(n.resolved_at - n.reported_at).total_seconds() / 86400 for n in done]
    return {
        "sweeps": len(sweeps_done),
        "visited": visited,
        "notices": int(tally.get("notices") or 0),
        "cards": int(tally.get("cards") or 0),
        "specials": special,
        "resolved": len(done),
        "median_days": round(statistics.median(days), 1) if days else None,
        "escalated": ctx.store.count(needs, needs.c.escalations > 0, *scoped(needs.c.taken_by, needs.c.building_id)),
    }


class Stats(HandlerGroup):
    """``/captainstats``."""

    @command(
        "captainstats",
        help=N_("Figures of the captains' work: the district, a grid, a building or a captain"),
        usage=N_("[GRID|BUILDING|NAME]"),
        roles=(STAFF,),
        aliases=("楼长统计",),
    )
    def captainstats(self, ctx: CommandContext) -> None:
        target = ctx.argtext.strip()
        title = ctx.district.name
        kw: dict[str, Any] = {}
        if target:
            grid = reg.find_grid(ctx, target)
            building = None if grid else reg.find_building(ctx, target)
            person = None if grid or building else ctx.person_named(target)
            if grid is not None:
                kw["building_ids"] = [b.id for b in reg.buildings(ctx, grid_ids=[grid.id])]
                title = grid.label
            elif building is not None:
                kw["building_ids"] = [building.id]
                title = building.label
            elif person is not None:
                kw["captain"] = person
                title = ctx.display_names([person]).get(person, target)
            else:
                raise ctx.fail(ctx.t("There is no grid, building or captain {name} here.", name=target))
        values = figures(ctx, **kw)
        lines = [ctx.t("Figures of {title}:", title=title)]
        for key, label in FIGURES.items():
            value = values[key]
            lines.append(ctx.t("{label}: {value}", label=ctx.t(label), value="—" if value is None else value))
        ctx.reply("\n".join(lines))
