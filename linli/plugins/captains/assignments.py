"""Who captains which building: ``/setcaptain``, ``/endcaptain``, ``/mybuildings``, ``/gaps``,
``/addbuilding``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import N_, CommandContext, HandlerGroup, PluginContext, command
from linli.plugins.captains import _registry as reg
from linli.plugins.captains._common import (
    STAFF,
    active,
    captain_buildings,
    captains_of,
    require_building,
)
from linli.plugins.captains.labels import KIND_WORDS, KINDS
from linli.plugins.captains.tables import assignments, sweep_buildings, sweeps, visits

__all__ = ["Assignments", "gaps"]

#: how many buildings /gaps lists before it says "and N more"
GAPS_SHOWN = 30


def gaps(ctx: PluginContext, day: dt.date | None = None) -> tuple[list[reg.Building], dict[int, set[str]]]:
    """Every building and, for each, the kinds of captain it lacks (empty: it has both)."""
    everything = reg.buildings(ctx)
    held: dict[int, set[str]] = {}
    for r in ctx.store.execute(sa.select(assignments.c.building_id, assignments.c.kind).where(active(ctx, day))):
        held.setdefault(r.building_id, set()).add(r.kind)
    return everything, {b.id: set(KINDS) - held.get(b.id, set()) for b in everything}


class Assignments(HandlerGroup):
    """The register of captains."""

    @command(
        "setcaptain",
        help=N_("Make someone a building's captain"),
        usage=N_("BUILDING gov|resident NAME [UNIT]"),
        roles=(STAFF,),
        aliases=("任命楼长",),
    )
    def assign(self, ctx: CommandContext) -> None:
        usage = ctx.t(
            "Usage: /setcaptain BUILDING gov|resident NAME [UNIT], for example /setcaptain 2号楼 gov 王伟 区财政局"
        )
        if len(ctx.args) < 3:
            raise ctx.fail(usage)
        kind = KIND_WORDS.get(ctx.args[1].lower())
        if kind is None:
            raise ctx.fail(usage)
        building = require_building(ctx, ctx.args[0])
        person_id = ctx.person_named(ctx.args[2])
        if person_id is None:
            raise ctx.fail(
                ctx.t(
                    "{name} is not someone here that I know of: they must have written in this community's group once.",
                    name=ctx.args[2],
                )
            )
        unit = " ".join(ctx.args[3:])[:128]
        if kind == "gov" and not unit:
            raise ctx.fail(ctx.t("Please name the unit that sent the government-affairs captain: {usage}", usage=usage))
        today = ctx.now().date()
        current = captains_of(ctx, building.id).get(kind)
        if current is not None and current.person_id == person_id:
            raise ctx.fail(ctx.t("They already are this building's {kind}.", kind=ctx.t(KINDS[kind])))
        if current is not None:
            ctx.store.update(assignments, assignments.c.id == current.id, end_on=today)
        ctx.store.insert(
            assignments,
            building_id=building.id,
            person_id=person_id,
            kind=kind,
            unit=unit,
            start_on=today,
            assigned_by=ctx.person.id,
            assigned_at=ctx.clock.now(),
        )
        ctx.audit("captains.assign", f"building:{building.id}", kind=kind, person_id=person_id)
        name = ctx.display_names([person_id]).get(person_id, ctx.args[2])
        ctx.reply(
            ctx.t(
                "{name} is now the {kind} of {building}.", name=name, kind=ctx.t(KINDS[kind]), building=building.label
            )
        )
        t = ctx.translator_for(person_id)
        ctx.send_private(
            person_id,
            t(
                "You are now the {kind} of {building}. Send /mybuildings to see your buildings.",
                kind=t(KINDS[kind]),
                building=building.label,
            ),
        )

    @command(
        "endcaptain",
        help=N_("End a captain's assignment to a building"),
        usage=N_("BUILDING gov|resident"),
        roles=(STAFF,),
        aliases=("卸任楼长",),
    )
    def unassign(self, ctx: CommandContext) -> None:
        kind = KIND_WORDS.get(ctx.args[1].lower()) if len(ctx.args) == 2 else None
        if kind is None:
            raise ctx.fail(ctx.t("Usage: /endcaptain BUILDING gov|resident, for example /endcaptain 2号楼 resident"))
        building = require_building(ctx, ctx.args[0])
        current = captains_of(ctx, building.id).get(kind)
        if current is None:
            raise ctx.fail(ctx.t("{building} has no {kind} now.", building=building.label, kind=ctx.t(KINDS[kind])))
        ctx.store.update(assignments, assignments.c.id == current.id, end_on=ctx.now().date())
        ctx.audit("captains.unassign", f"building:{building.id}", kind=kind, person_id=current.person_id)
        ctx.reply(ctx.t("{building} has no {kind} from today.", building=building.label, kind=ctx.t(KINDS[kind])))

    @command("mybuildings", help=N_("The buildings you captain"), aliases=("我的楼栋",))
    def mybuildings(self, ctx: CommandContext) -> None:
        mine = captain_buildings(ctx)
        if not mine:
            ctx.reply(ctx.t("You are not a building captain here."))
            return
        found = {b.id: b for b in reg.buildings(ctx, ids=list(mine))}
        counts = reg.household_counts(ctx, list(mine))
        lines = [ctx.t("Your buildings:")]
        for building_id, kind in mine.items():
            b = found.get(building_id)
            if b is None:
                continue
            others = {k: r for k, r in captains_of(ctx, building_id).items() if k != kind}
            partner = ""
            if others:
                row: Any = next(iter(others.values()))
                partner = ctx.display_names([row.person_id]).get(row.person_id, "")
            lines.append(
                ctx.t(
                    "{building} ({grid}) · {kind} · {households} household(s) · with: {partner}",
                    building=b.label,
                    grid=b.grid_label or "—",
                    kind=ctx.t(KINDS[kind]),
                    households=counts.get(building_id, 0),
                    partner=partner or ctx.t("nobody yet"),
                )
            )
        lines.extend(_open_sweeps(ctx, list(mine)))
        ctx.reply("\n".join(lines))

    @command(
        "gaps",
        help=N_("Buildings without one or both captains"),
        roles=(STAFF,),
        aliases=("缺楼长",),
    )
    def gaps_command(self, ctx: CommandContext) -> None:
        everything, missing = gaps(ctx)
        if not everything:
            ctx.reply(ctx.t("No buildings are registered yet."))
            return
        waiting = [b for b in everything if missing[b.id]]
        no_gov = sum("gov" in missing[b.id] for b in everything)
        no_resident = sum("resident" in missing[b.id] for b in everything)
        lines = [
            ctx.t(
                "{total} building(s): {gov} have a government-affairs captain, {resident} a resident-affairs "
                "captain; {waiting} wait for one or both.",
                total=len(everything),
                gov=len(everything) - no_gov,
                resident=len(everything) - no_resident,
                waiting=len(waiting),
            )
        ]
        for b in waiting[:GAPS_SHOWN]:
            kinds = [k for k in KINDS if k in missing[b.id]]
            if len(kinds) == len(KINDS):
                line = ctx.t("{building} ({grid}): no captain yet", building=b.label, grid=b.grid_label or "—")
            else:
                line = ctx.t(
                    "{building} ({grid}): no {lacking}",
                    building=b.label,
                    grid=b.grid_label or "—",
                    lacking=ctx.t(KINDS[kinds[0]]),
                )
            lines.append(line)
        if len(waiting) > GAPS_SHOWN:
            lines.append(ctx.t("… and {n} more: `linli captains gaps` lists them all.", n=len(waiting) - GAPS_SHOWN))
        ctx.reply("\n".join(lines))

    @command(
        "addbuilding",
        help=N_("Add a building to a grid"),
        usage=N_("GRID BUILDING"),
        roles=(STAFF,),
        aliases=("添加楼栋",),
    )
    def addbuilding(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /addbuilding GRID BUILDING, for example /addbuilding 第五网格 金枫雅居2号楼"))
        grid = reg.find_grid(ctx, ctx.args[0])
        if grid is None:
            raise ctx.fail(ctx.t("There is no grid {grid} in this community.", grid=ctx.args[0]))
        label = " ".join(ctx.args[1:])
        if reg.find_building(ctx, label) is not None:
            raise ctx.fail(ctx.t("{building} is already registered.", building=label))
        building = reg.add_building(ctx, grid, label)
        ctx.audit("captains.add_building", f"building:{building.id}")
        ctx.reply(
            ctx.t(
                "{building} is added to {grid}. Give it captains with /setcaptain {building} gov|resident NAME.",
                building=building.label,
                grid=grid.label,
            )
        )


def _open_sweeps(ctx: PluginContext, building_ids: list[int]) -> list[str]:
    """A line per open sweep that covers some of these buildings: how far the captain is."""
    lines: list[str] = []
    for sweep in ctx.store.select(sweeps, sweeps.c.state == "open", order_by=[sweeps.c.number]):
        covered = ctx.store.select(
            sweep_buildings, sweep_buildings.c.sweep_id == sweep.id, sweep_buildings.c.building_id.in_(building_ids)
        )
        if not covered:
            continue
        total = sum(r.households for r in covered)
        done = ctx.store.count(visits, visits.c.sweep_id == sweep.id, visits.c.building_id.in_(building_ids))
        lines.append(
            ctx.t(
                "Sweep {number} ({reason}): {done} of {total} household(s) visited, due {deadline}. Send /visit.",
                number=sweep.number,
                reason=sweep.reason,
                done=done,
                total=total,
                deadline=sweep.deadline.isoformat(),
            )
        )
    return lines
