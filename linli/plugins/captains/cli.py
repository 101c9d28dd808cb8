"""``linli captains …``: import the register (the core's import), write its template, and list
the buildings waiting for a captain."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa

from linli.core.plugin import N_, CommandLine
from linli.plugins.captains.labels import KINDS
from linli.plugins.captains.tables import assignments

__all__ = ["HELP", "commands", "gaps_of"]

#: the group's one-line help; ``linli --help`` reads it from this file without importing the plugin
HELP = N_("Building captains: import the register, its template, the gaps.")


def gaps_of(conn: sa.Connection, registry: object, district_id: str, day: dt.date) -> list[tuple[str, str, list[str]]]:
    """(grid, building, kinds of captain it lacks) for every building lacking one, by grid and code."""
    held: dict[int, set[str]] = {}
    rows = conn.execute(
        sa.select(assignments.c.building_id, assignments.c.kind).where(
            assignments.c.district_id == district_id,
            assignments.c.start_on <= day,
            sa.or_(assignments.c.end_on.is_(None), assignments.c.end_on > day),
            assignments.c.person_id.is_not(None),
        )
    )
    for r in rows:
        held.setdefault(r.building_id, set()).add(r.kind)
    grids = {g.id: g.name or g.code for g in registry.grids()}  # type: ignore[attr-defined]
    out = []
    for b in registry.buildings():  # type: ignore[attr-defined]
        lacking = [k for k in KINDS if k not in held.get(b.id, set())]
        if lacking:
            out.append((grids.get(b.grid_id, "") if b.grid_id is not None else "", b.code, lacking))
    return sorted(out)


def commands(cli: CommandLine) -> click.Group:
    """The ``linli captains`` group."""

    @click.group("captains", help=cli.t(HELP))
    def group() -> None:
        pass

    group.add_command(cli.core_command("import"))
    group.add_command(cli.core_command("template"))

    @group.command("gaps", help=cli.t(N_("List the buildings without one or both captains.")))
    @click.option("--district", "-d", "district_id", required=True, help=cli.t(N_("the district's id")))
    def gaps(district_id: str) -> None:
        today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
        with cli.database(write=False) as conn:
            registry = cli.registry(conn, district_id, plugin="captains")
            total = len(registry.buildings())
            missing = gaps_of(conn, registry, district_id, today)
        for grid, building, lacking in missing:
            click.echo(f"{grid}\t{building}\t{'、'.join(cli.t(KINDS[k]) for k in lacking)}")
        click.echo(
            cli.t(
                N_("{total} building(s); {waiting} wait for one or both captains."),
                total=total,
                waiting=len(missing),
            ),
            err=True,
        )

    return group
