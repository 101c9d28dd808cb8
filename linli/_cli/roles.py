"""``linli roles`` and ``linli persons``: who holds which role where, and which accounts are one person."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import click

from linli._cli.checks import BadInput, checked_identity
from linli._cli.database import actor, district_named, opened, person_named
from linli._cli.output import joined, print_table, role_text, scope_text, warn
from linli._cli.shared import LinliGroup, State, pass_state
from linli._cli.shared import t as _t

if TYPE_CHECKING:
    import sqlalchemy as sa

    from linli.core.registry import PluginRegistry

__all__ = ["register"]

_SCOPE = re.compile(r"^[a-z][a-z0-9_]*:\S+$")
_ROLE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

# --- roles ---------------------------------------------------------------------------------


@click.group(cls=LinliGroup, help=_t("Roles: grant, revoke and list the roles people hold in a district."))
def roles() -> None:
    pass


def _role_args(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--scope", default="", help=_t("limit the role to part of the district: grid:3, building:12, case:42")
    )(func)
    func = click.option("--district", "-d", "district_id", required=True, help=_t("the district's id"))(func)
    func = click.argument("role")(func)
    return click.argument("person")(func)


def _checked_role(role: str, scope: str) -> None:
    if not _ROLE.match(role):
        raise BadInput(
            _t("{role!r} is not a role name: lower-case Latin letters, digits and '_' (staff, admin)", role=role)
        )
    if scope and not _SCOPE.match(scope):
        raise BadInput(_t("{scope!r} is not a scope: write kind:id, such as grid:3 or building:12", scope=scope))


def _declared_roles(registry: PluginRegistry) -> dict[str, str]:
    return {r.name: r.description for p in registry.plugins.values() for r in p.manifest.roles}


@roles.command(
    "grant",
    help=_t(
        "Grant a role. PERSON is platform:user (console:张三, telegram:12345) or '#id' "
        "(quoted for the shell); someone who has never spoken gets a person record now."
    ),
)
@_role_args
@click.option("--name", help=_t("display name for a person created now (default: the user part)"))
@pass_state
def roles_grant(state: State, person: str, role: str, district_id: str, scope: str, name: str | None) -> None:
    from linli.core import people

    _checked_role(role, scope)
    with opened(state, write=True) as rt, rt.store.begin() as conn:
        district_named(conn, district_id)
        who, created = person_named(conn, person, create=True, name=name)
        granted = people.grant_role(conn, who.id, district_id, role, scope, by=actor())
        declared = _declared_roles(rt.registry)
    if created:
        click.echo(
            _t("Created person #{id} ({name}) for {identity}.", id=who.id, name=who.display_name, identity=person)
        )
    if role not in declared:
        warn(
            _t(
                "no installed plugin declares the role {role!r} (declared: {declared}); check the spelling",
                role=role,
                declared=", ".join(sorted(declared)),
            )
        )
    values = {
        "person": f"#{who.id} {who.display_name}",
        "role": role_text(rt.registry, role),
        "district": district_id,
        "scope": scope_text(scope),
    }
    if granted:
        click.echo(_t("{person} is now {role} in {district} ({scope}).", **values))
    else:
        click.echo(_t("{person} already is {role} in {district} ({scope}).", **values))


@roles.command("revoke", help=_t("Revoke a role granted with `linli roles grant` (same district and scope)."))
@_role_args
@pass_state
def roles_revoke(state: State, person: str, role: str, district_id: str, scope: str) -> None:
    from linli.core import people
    from linli.core.errors import NotFound

    _checked_role(role, scope)
    with opened(state, write=True) as rt, rt.store.begin() as conn:
        district_named(conn, district_id)
        who, _ = person_named(conn, person, create=False)
        if not people.revoke_role(conn, who.id, district_id, role, scope, by=actor()):
            held = people.roles_in(conn, who.id, district_id)
            raise NotFound(
                _t(
                    "#{id} {name} does not hold {role} in {district} ({scope}); they hold: {held}",
                    id=who.id,
                    name=who.display_name,
                    role=role,
                    district=district_id,
                    scope=scope_text(scope),
                    held=joined(f"{r}@{sc}" if sc else r for r, scopes in sorted(held.items()) for sc in scopes),
                )
            )
    click.echo(
        _t(
            "#{id} {name} is no longer {role} in {district} ({scope}).",
            id=who.id,
            name=who.display_name,
            role=role_text(rt.registry, role),
            district=district_id,
            scope=scope_text(scope),
        )
    )


def _identities(conn: sa.Connection, person_ids: Iterable[int]) -> dict[int, list[str]]:
    import sqlalchemy as sa

    from linli.core.storage import schema as s

    out: dict[int, list[str]] = {}
    stmt = (
        sa.select(s.identities.c.person_id, s.identities.c.identity)
        .where(s.identities.c.person_id.in_(list(person_ids)))
        .order_by(s.identities.c.identity)
    )
    for person_id, identity in conn.execute(stmt):
        out.setdefault(person_id, []).append(identity)
    return out


@roles.command("list", help=_t("List role grants."))
@click.option("--district", "-d", "district_id", help=_t("only this district's grants"))
@pass_state
def roles_list(state: State, district_id: str | None) -> None:
    from linli.core import people

    with opened(state, write=False) as rt, rt.store.connect() as conn:
        if district_id:
            district_named(conn, district_id)
        grants = people.grants_of(conn, district_id)
        identities = _identities(conn, {g.person_id for g in grants})
    if not grants:
        click.echo(_t("No roles are granted. Grant one with `linli roles grant PERSON ROLE --district ID`."))
        return
    print_table(
        [_t("District"), _t("Role"), _t("Scope"), _t("Person"), _t("Identities"), _t("Granted by")],
        [
            (
                g.district_id,
                role_text(rt.registry, g.role),
                scope_text(g.scope),
                f"#{g.person_id} {g.display_name}",
                joined(identities.get(g.person_id, [])),
                g.granted_by,
            )
            for g in grants
        ],
    )


# --- persons -------------------------------------------------------------------------------


@click.group(cls=LinliGroup, help=_t("Persons: list them, link a person's accounts on several platforms."))
def persons() -> None:
    pass


@persons.command("list", help=_t("List persons with their identities and roles."))
@click.option("--district", "-d", "district_id", help=_t("only members of this district"))
@pass_state
def persons_list(state: State, district_id: str | None) -> None:
    import sqlalchemy as sa

    from linli.core import people
    from linli.core.storage import schema as s

    stmt = sa.select(s.persons).order_by(s.persons.c.id)
    with opened(state, write=False) as rt, rt.store.connect() as conn:
        if district_id:
            district_named(conn, district_id)
            holders = sa.select(s.role_grants.c.person_id).where(s.role_grants.c.district_id == district_id)
            joined_ = sa.select(s.memberships.c.person_id).where(s.memberships.c.district_id == district_id)
            stmt = stmt.where(sa.or_(s.persons.c.id.in_(joined_), s.persons.c.id.in_(holders)))
        rows = conn.execute(stmt).fetchall()
        identities = _identities(conn, [r.id for r in rows])
        grants: dict[int, list[str]] = {}
        for g in people.grants_of(conn, district_id):
            grants.setdefault(g.person_id, []).append(f"{g.district_id}/{g.role}" + (f"@{g.scope}" if g.scope else ""))
    if not rows:
        click.echo(_t("Nobody yet."))
        return
    print_table(
        [_t("Person"), _t("Name"), _t("Identities"), _t("Home district"), _t("Language"), _t("Roles"), _t("Consent")],
        [
            (
                f"#{r.id}",
                r.display_name,
                joined(identities.get(r.id, [])),
                r.home_district or "—",
                r.language or "—",
                joined(grants.get(r.id, [])),
                f"v{r.consent_version}" if r.consent_version else "—",
            )
            for r in rows
        ],
    )


@persons.command(
    "link",
    help=_t(
        "Give PERSON ('#id' or platform:user) another IDENTITY, so one person with one "
        "set of roles talks from Telegram and Matrix."
    ),
)
@click.argument("person")
@click.argument("identity")
@pass_state
def persons_link(state: State, person: str, identity: str) -> None:
    from linli.core import people

    identity = checked_identity(identity)
    with opened(state, write=True) as rt, rt.store.begin() as conn:
        who, _ = person_named(conn, person, create=False)
        owner = people.person_for(conn, identity, "", create=False)
        if owner is None or owner.id != who.id:
            people.link_identity(conn, who.id, identity)
            people.audit(
                conn,
                action="person.link",
                actor=actor(),
                person_id=who.id,
                target=identity,
                detail={"from_person": owner.id if owner else None},
            )
    if owner is not None and owner.id == who.id:
        click.echo(
            _t("{identity} already belongs to #{id} {name}.", identity=identity, id=who.id, name=who.display_name)
        )
        return
    click.echo(_t("{identity} now belongs to #{id} {name}.", identity=identity, id=who.id, name=who.display_name))
    if owner is not None:
        warn(
            _t(
                "{identity} was taken from #{id} {name}, who keeps their roles",
                identity=identity,
                id=owner.id,
                name=owner.display_name,
            )
        )


def register(main: click.Group) -> None:
    """Add this module's commands to ``main``."""
    for command in (roles, persons):
        main.add_command(command)
