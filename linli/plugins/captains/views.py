"""The captains' page of the dashboard (``linli web``): the buildings coloured by a sweep's
coverage, needs by state and overdue, the median time to resolve them, buildings without
captains and each captain's figures.

Staff see the district; a grid worker sees the buildings of their grids, as in chat
(:func:`~linli.plugins.captains._common.visible_buildings`). The captains are named: every
look is in the audit log. ``…/captains/captains/N`` shows sweep N instead of the latest.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import N_, Chart, Figure, HandlerGroup, Page, Series, Table, Tile, Tiles, ViewContext, view
from linli.plugins.captains import _registry as reg
from linli.plugins.captains._common import GRID_WORKER, STAFF, active, visible_buildings
from linli.plugins.captains.labels import KINDS, NEED_STATES, OPEN_NEED_STATES
from linli.plugins.captains.tables import assignments, needs, sweep_buildings, sweeps, visits, zero_reports

__all__ = ["Views"]

#: the most captains the table lists (the busiest first)
CAPTAINS_LISTED = 200


def _pairs(rows: Any) -> dict[Any, int]:
    """``(key, count)`` rows as a dict."""
    return {key: int(n) for key, n in rows}


def _counts(rows: Any) -> Counter[str]:
    """``(key, count)`` rows as a Counter."""
    return Counter({str(key): int(n) for key, n in rows})


class Views(HandlerGroup):
    """The dashboard's page of the building captains' work."""

    @view(
        "captains",
        title=N_("Building captains"),
        roles=(STAFF, GRID_WORKER),
        exports=("buildings", "captains", "sweeps", "needs", "figures"),
        wall=True,
        personal=True,
        order=40,
    )
    def captains(self, ctx: ViewContext) -> Page:
        t = ctx.t
        now = ctx.clock.now()
        seen = visible_buildings(ctx)
        allowed = None if seen is None else set(seen)
        buildings = [b for b in reg.buildings(ctx) if allowed is None or b.id in allowed]

        if ctx.arg is not None:
            if not ctx.arg.isdigit() or len(ctx.arg) > 9:
                raise ctx.not_found()
            sweep = ctx.store.get(sweeps, sweeps.c.number == int(ctx.arg))
            if sweep is None:
                raise ctx.not_found()
        else:
            sweep = ctx.store.execute(sa.select(sweeps).order_by(sweeps.c.number.desc()).limit(1)).first()

        blocks: list[Any] = []
        tiles: list[Tile] = []
        if sweep is not None:
            planned = {
                r.building_id: r.households
                for r in ctx.store.execute(
                    sa.select(sweep_buildings.c.building_id, sweep_buildings.c.households).where(
                        sweep_buildings.c.sweep_id == sweep.id
                    )
                ).all()
            }
            reached = _pairs(
                ctx.store.execute(
                    sa.select(visits.c.building_id, sa.func.count(sa.distinct(visits.c.household_id)))
                    .where(visits.c.sweep_id == sweep.id)
                    .group_by(visits.c.building_id)
                ).all()
            )
            zero = set(
                ctx.store.execute(
                    sa.select(zero_reports.c.building_id).where(zero_reports.c.sweep_id == sweep.id)
                ).scalars()
            )
            for b in buildings:
                if b.id not in planned:
                    continue
                total = planned[b.id]
                done = reached.get(b.id, 0)
                share = 1.0 if b.id in zero else (min(done / total, 1.0) if total else None)
                note = (
                    t("nothing to report")
                    if b.id in zero
                    else t("{done} of {total} households", done=done, total=total)
                )
                tiles.append(Tile(b.label, share, note))
            covered = sum(1 for x in tiles if x.share is not None and x.share >= 1.0)
            blocks.append(
                Figure(
                    t("Sweep {number}: buildings done", number=sweep.number),
                    f"{covered}/{len(tiles)}",
                    note=t("due {date}", date=sweep.deadline.isoformat()),
                )
            )

        need_where: list[Any] = []
        if allowed is not None:
            need_where.append(needs.c.building_id.in_(sorted(allowed) or [-1]))
        by_state = _counts(
            ctx.store.execute(
                sa.select(needs.c.state, sa.func.count()).where(*need_where).group_by(needs.c.state)
            ).all()
        )
        overdue = ctx.store.execute(
            sa.select(sa.func.count()).where(needs.c.state.in_(OPEN_NEED_STATES), needs.c.due_at < now, *need_where)
        ).scalar_one()
        took = [
            (r.resolved_at - r.reported_at).total_seconds() / 86400
            for r in ctx.store.execute(
                sa.select(needs.c.reported_at, needs.c.resolved_at).where(needs.c.resolved_at.is_not(None), *need_where)
            )
        ]
        median_days = round(statistics.median(took), 1) if took else None
        open_needs = sum(by_state[s] for s in OPEN_NEED_STATES)

        captains = ctx.store.execute(
            sa.select(assignments.c.building_id, assignments.c.person_id, assignments.c.kind).where(active(ctx))
        ).all()
        captained = {a.building_id for a in captains}
        without = [b for b in buildings if b.id not in captained]

        blocks += [
            Figure(t("Open needs"), open_needs),
            Figure(t("Overdue needs"), overdue, tone="bad" if overdue else ""),
            Figure(
                t("Median days to resolve"),
                median_days if median_days is not None else "—",
            ),
            Figure(t("Buildings without captains"), len(without), tone="warn" if without else ""),
        ]
        if sweep is not None:
            blocks.append(
                Tiles(
                    t("Sweep {number}: coverage by building", number=sweep.number),
                    tiles,
                    measure=t("Households reached"),
                )
            )
        states = [s for s in NEED_STATES if by_state[s]]
        blocks.append(
            Chart(
                t("Needs by state"),
                [t(NEED_STATES[s]) for s in states],
                [Series(t("Number of needs"), [by_state[s] for s in states])],
            )
        )
        blocks.append(
            Table(
                t("Buildings without captains"),
                [t("Building")],
                [(b.label,) for b in without],
                empty=t("Every building has a captain."),
            )
        )
        mine = [a for a in captains if allowed is None or a.building_id in allowed]
        people = sorted({a.person_id for a in mine if a.person_id is not None})
        names = ctx.display_names(people)
        # households each captain visited in the sweep shown (its index: sweep, building)
        visited = (
            _pairs(
                ctx.store.execute(
                    sa.select(visits.c.captain_id, sa.func.count())
                    .where(visits.c.sweep_id == sweep.id)
                    .group_by(visits.c.captain_id)
                ).all()
            )
            if sweep is not None
            else {}
        )
        resolved = _pairs(
            ctx.store.execute(
                sa.select(needs.c.taken_by, sa.func.count())
                .where(needs.c.resolved_at.is_not(None))
                .group_by(needs.c.taken_by)
            ).all()
        )
        held: dict[int, list[Any]] = {}
        for a in mine:
            if a.person_id is not None:
                held.setdefault(a.person_id, []).append(a)
        kinds = {k: t(v) for k, v in KINDS.items()}
        visited_header = (
            t("Visited in sweep {number}", number=sweep.number) if sweep is not None else t("Households visited")
        )
        rows = [
            (
                names.get(pid, str(pid)),
                t.join(sorted({kinds.get(a.kind, a.kind) for a in held[pid]})),
                len({a.building_id for a in held[pid]}),
                visited.get(pid, 0),
                resolved.get(pid, 0),
            )
            for pid in people
        ]
        rows.sort(key=lambda r: (-int(r[3]), str(r[0])))
        blocks.append(
            Table(
                t("Captains"),
                [t("Captain"), t("Kind"), t("Buildings"), visited_header, t("Needs resolved")],
                rows[:CAPTAINS_LISTED],
                empty=t("No captains yet."),
            )
        )
        return Page(blocks)
