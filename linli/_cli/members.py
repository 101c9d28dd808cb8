"""``linli members``: who is a member of a district, and why; add and remove members."""

from __future__ import annotations

import click

from linli._cli.database import actor, district_named, opened, person_named
from linli._cli.output import joined, print_table, warn
from linli._cli.shared import LinliGroup, State, pass_state
from linli._cli.shared import t as _t

__all__ = ["register"]

#: what an administrator may end with ``linli members remove``: roles end with
#: ``linli roles revoke``, a household with the register's change requests
_REMOVABLE = ("room", "staff", "migrated")


def _source_text(source: str, ref: str) -> str:
    words = {
        "room": _t("group room {ref}", ref=ref),
        "household": _t("household #{ref}", ref=ref) if ref else _t("register"),
        "role": _t("role"),
        "staff": _t("added by an administrator"),
        "migrated": _t("from before memberships (core_0004)"),
    }
    return words.get(source, source)


@click.group(
    cls=LinliGroup,
    short_help=_t("Members: who belongs to a district, and why."),
    help=_t(
        "Members: who belongs to a district and why. A person is a member when they speak in or join one of its "
        "group rooms, hold a role there, are linked to a household of its register, or were added here."
    ),
)
def members() -> None:
    pass


@members.command("list", help=_t("List the members of a district, each with why they are one."))
@click.option("--district", "-d", "district_id", required=True, help=_t("the district's id"))
@pass_state
def members_list(state: State, district_id: str) -> None:
    import sqlalchemy as sa

    from linli.core import members as core_members
    from linli.core.storage import schema as s

    with opened(state, write=False) as rt, rt.store.connect() as conn:
        district_named(conn, district_id)
        found = core_members.members_of(conn, district_id)
        holders = set(
            conn.execute(sa.select(s.role_grants.c.person_id).where(s.role_grants.c.district_id == district_id))
            .scalars()
            .all()
        )
        ids = sorted({m.person_id for m in found} | holders)
        names = {r.id: r.display_name for r in conn.execute(sa.select(s.persons).where(s.persons.c.id.in_(ids)))}
    if not ids:
        click.echo(_t("{district} has no members yet.", district=district_id))
        return
    why: dict[int, list[str]] = {}
    since: dict[int, str] = {}
    for m in found:
        why.setdefault(m.person_id, []).append(_source_text(m.source, m.ref))
        first = m.since.strftime("%Y-%m-%d")
        since[m.person_id] = min(since.get(m.person_id, first), first)
    for person_id in holders - set(why):
        why[person_id] = [_source_text("role", "")]
    print_table(
        [_t("Person"), _t("Name"), _t("Why"), _t("Member since")],
        [(f"#{p}", names.get(p, ""), joined(why[p]), since.get(p, "—")) for p in ids],
    )


@members.command(
    "add",
    help=_t(
        "Make PERSON (platform:user or '#id') a member of a district, as an administrator's decision "
        "(someone who cannot use the group); someone who has never spoken gets a person record now."
    ),
)
@click.argument("person")
@click.option("--district", "-d", "district_id", required=True, help=_t("the district's id"))
@click.option("--name", help=_t("display name for a person created now (default: the user part)"))
@pass_state
def members_add(state: State, person: str, district_id: str, name: str | None) -> None:
    from linli.core import members as core_members
    from linli.core import people

    with opened(state, write=True) as rt, rt.store.begin() as conn:
        district_named(conn, district_id)
        who, created = person_named(conn, person, create=True, name=name)
        added = core_members.add(conn, who.id, district_id, "staff", by=actor())
        if added:
            people.audit(conn, action="member.add", actor=actor(), district_id=district_id, person_id=who.id)
    if created:
        click.echo(
            _t("Created person #{id} ({name}) for {identity}.", id=who.id, name=who.display_name, identity=person)
        )
    values = {"person": f"#{who.id} {who.display_name}", "district": district_id}
    if added:
        click.echo(_t("{person} is now a member of {district}.", **values))
    else:
        click.echo(_t("{person} was already added to {district} by an administrator.", **values))


@members.command(
    "remove",
    help=_t(
        "End PERSON's membership of a district that came from its group rooms or an administrator. "
        "Roles end with `linli roles revoke`, a household with the register."
    ),
)
@click.argument("person")
@click.option("--district", "-d", "district_id", required=True, help=_t("the district's id"))
@pass_state
def members_remove(state: State, person: str, district_id: str) -> None:
    from linli.core import members as core_members
    from linli.core import people

    with opened(state, write=True) as rt, rt.store.begin() as conn:
        district_named(conn, district_id)
        who, _ = person_named(conn, person, create=False)
        ended = core_members.end(conn, who.id, district_id, _REMOVABLE)
        if ended:
            people.audit(conn, action="member.remove", actor=actor(), district_id=district_id, person_id=who.id)
        left = [m.source for m in core_members.memberships_of(conn, who.id) if m.district_id == district_id]
        if people.roles_in(conn, who.id, district_id) and "role" not in left:
            left.append("role")
    values = {"person": f"#{who.id} {who.display_name}", "district": district_id}
    if left:
        warn(
            _t(
                "{person} is still a member of {district} through: {why}",
                why=joined(_source_text(x, "") for x in sorted(set(left))),
                **values,
            )
        )
    elif ended:
        click.echo(_t("{person} is no longer a member of {district}.", **values))
    else:
        click.echo(_t("{person} was not a member of {district}.", **values))


def register(main: click.Group) -> None:
    """Add this module's commands to ``main``."""
    main.add_command(members)
