"""Persons, their platform identities, their roles and their consent.

A person is one human; an identity (``telegram:12345``, ``matrix:@li:example.org``)
is how a platform knows them. Roles are granted to persons in a district, with an
optional scope (``grid:3``, ``building:12``, ``case:42``); ``admin`` of a district
may do everything there.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from attrs import frozen

from linli.core import members
from linli.core.commands import parse_number
from linli.core.errors import NotFound
from linli.core.events import PersonInfo
from linli.core.i18n import N_
from linli.core.storage import schema as s
from linli.core.storage.prepared import Prepared

__all__ = [
    "ADMIN",
    "Claim",
    "Grant",
    "PersonInfo",
    "Seen",
    "audit",
    "find_person",
    "grant_role",
    "grants_of",
    "link_identity",
    "person_for",
    "person_with_roles",
    "record_consent",
    "revoke_role",
    "roles_in",
    "seen",
]

ADMIN = "admin"


@frozen
class Grant:
    person_id: int
    district_id: str
    role: str
    scope: str
    granted_by: str
    display_name: str = ""


def _person(row: Any) -> PersonInfo:
    return PersonInfo(row.id, row.display_name, row.language, row.home_district, row.consent_version)


_BY_IDENTITY = (
    sa.select(s.persons)
    .join(s.identities, s.identities.c.person_id == s.persons.c.id)
    .where(s.identities.c.identity == sa.bindparam("identity"))
)
_ROLES = Prepared(
    sa.select(s.role_grants.c.role, s.role_grants.c.scope).where(
        s.role_grants.c.person_id == sa.bindparam("person_id"),
        s.role_grants.c.district_id == sa.bindparam("district_id"),
    )
)
_HOME = sa.func.coalesce(sa.bindparam("district_id", type_=sa.String), s.persons.c.home_district)
_ROLES_HERE = sa.and_(s.role_grants.c.person_id == s.persons.c.id, s.role_grants.c.district_id == _HOME)
# whether the person is a member of the district (of their home district in a private chat,
# where no room names one), and whether they are recorded in this group room
_MEMBER = (
    sa.exists().where(s.memberships.c.person_id == s.persons.c.id, s.memberships.c.district_id == _HOME).label("member")
)
_IN_ROOM = (
    sa.exists()
    .where(
        s.memberships.c.person_id == s.persons.c.id,
        s.memberships.c.district_id == sa.bindparam("district_id", type_=sa.String),
        s.memberships.c.source == "room",
        s.memberships.c.ref == sa.bindparam("room_key", type_=sa.String),
    )
    .label("in_room")
)
_PERSON_COLUMNS = (
    s.persons.c.id,
    s.persons.c.display_name,
    s.persons.c.language,
    s.persons.c.home_district,
    s.persons.c.consent_version,
    s.role_grants.c.role,
    s.role_grants.c.scope,
    _MEMBER,
    _IN_ROOM,
)
# the person behind an identity, their roles in a district (or in their home district) and
# their membership of it, in one statement: every event asks
_WITH_ROLES = Prepared(
    sa.select(*_PERSON_COLUMNS)
    .select_from(
        s.identities.join(s.persons, s.identities.c.person_id == s.persons.c.id).outerjoin(s.role_grants, _ROLES_HERE)
    )
    .where(s.identities.c.identity == sa.bindparam("identity"))
)


class Claim:
    """A processed-event mark to claim in the statement that looks the sender up (PostgreSQL):
    the handler the event will most likely reach, run in the same transaction, then need
    not claim its mark in a round trip of its own.

    ``inserted``: None until tried; then whether the mark was claimed now (False: it
    existed, the event was handled before).
    """

    __slots__ = ("inserted", "key")

    def __init__(self, key: str) -> None:
        self.key = key
        self.inserted: bool | None = None


@functools.cache
def _with_roles_claiming() -> Prepared:
    """Built on first use: only PostgreSQL runs it, and a process on SQLite need not import
    SQLAlchemy's PostgreSQL dialect (1.5 MB)."""
    from sqlalchemy.dialects import postgresql

    mark = (
        postgresql.insert(s.processed)
        .values(key=sa.bindparam("key", type_=sa.String), processed_at=sa.bindparam("now", type_=s.UTCDateTime))
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(s.processed.c.key)
        .cte("mark")
    )
    one = sa.select(sa.literal_column("1").label("one")).subquery("one")
    person = s.identities.join(s.persons, s.identities.c.person_id == s.persons.c.id).outerjoin(
        s.role_grants, _ROLES_HERE
    )
    # one row at least (a LEFT JOIN from a single row), so the claim's outcome comes back for a stranger too
    return Prepared(
        sa.select(sa.select(sa.func.count()).select_from(mark).scalar_subquery(), *_PERSON_COLUMNS).select_from(
            one.outerjoin(person, s.identities.c.identity == sa.bindparam("identity"))
        )
    )


def person_for(conn: sa.Connection, identity: str, display_name: str, *, create: bool = True) -> PersonInfo | None:
    """The person behind ``identity``, created on first contact (with ``consent_version`` 0)."""
    row = conn.execute(_BY_IDENTITY, {"identity": identity}).first()
    if row is not None or not create:
        return _person(row) if row is not None else None
    # consent_version 0: never shown the privacy notice, so their first message brings it,
    # also when an admin created them (`linli roles grant`) before they ever spoke
    person_id = conn.execute(
        sa.insert(s.persons).values(display_name=display_name or identity, consent_version=0)
    ).inserted_primary_key
    assert person_id is not None
    conn.execute(sa.insert(s.identities).values(identity=identity, person_id=person_id[0], display_name=display_name))
    return PersonInfo(person_id[0], display_name or identity, None, None, 0)


@frozen
class Seen:
    """The sender of an event as the dispatcher sees them: the person, their roles in the
    district asked about (their home district when none was), whether they are a member of
    it, and whether they are recorded as being in the group room asked about."""

    person: PersonInfo
    roles: dict[str, frozenset[str]]
    member: bool
    in_room: bool


def seen(
    conn: sa.Connection,
    identity: str,
    display_name: str,
    district_id: str | None,
    room_key: str = "",
    claim: Claim | None = None,
) -> Seen:
    """The person behind ``identity`` (created on first contact, like :func:`person_for`),
    their roles in ``district_id`` and whether they are a member of it, in one statement.

    Parameters:
      district_id: the district of the room; ``None`` for a private chat, which asks about
        the person's home district instead.
      room_key: the group room, to learn whether the person is recorded as being in it.
      claim: a processed-event mark to claim in the same statement (on PostgreSQL; elsewhere
        it is left untried).
    """
    values = {"identity": identity, "district_id": district_id, "room_key": room_key}
    if claim is not None and conn.dialect.name == "postgresql":
        found = _with_roles_claiming().rows(conn, {**values, "key": claim.key, "now": s.utcnow()})
        claim.inserted = bool(found[0][0])
        rows = [row[1:] for row in found if row[1] is not None]
    else:
        rows = _WITH_ROLES.rows(conn, values)
    if not rows:
        person = person_for(conn, identity, display_name)
        assert person is not None
        return Seen(person, {}, False, False)
    out: dict[str, set[str]] = {}
    for row in rows:
        if row[5] is not None:
            out.setdefault(row[5], set()).add(row[6])
    first = rows[0]
    roles = {role: frozenset(scopes) for role, scopes in out.items()}
    return Seen(
        PersonInfo(first[0], first[1], first[2], first[3], first[4]),
        roles,
        bool(first[7]) or bool(roles),  # a role makes its holder a member
        bool(first[8]),
    )


def person_with_roles(
    conn: sa.Connection, identity: str, display_name: str, district_id: str | None, claim: Claim | None = None
) -> tuple[PersonInfo, dict[str, frozenset[str]]]:
    """The person behind ``identity`` (created on first contact, like :func:`person_for`)
    and their roles in ``district_id`` (none when it is ``None``)."""
    found = seen(conn, identity, display_name, district_id, claim=claim)
    if district_id is None:
        return found.person, {}
    return found.person, found.roles


def find_person(conn: sa.Connection, who: str) -> PersonInfo:
    """A person named by the CLI: ``#12`` (person id) or an identity such as ``console:alice``.

    Raises: NotFound: nobody by that name.
    """
    if who.startswith("#"):
        number = parse_number(who)  # '#²' and '#99999999999999999999' are nobody, not a crash
        row = conn.execute(sa.select(s.persons).where(s.persons.c.id == number)).first() if number else None
    else:
        row = conn.execute(
            sa.select(s.persons)
            .join(s.identities, s.identities.c.person_id == s.persons.c.id)
            .where(s.identities.c.identity == who)
        ).first()
    if row is None:
        raise NotFound(N_("no person {who!r}: name one as platform:user (console:alice) or #id"), who=who)
    return _person(row)


def link_identity(conn: sa.Connection, person_id: int, identity: str, display_name: str = "") -> None:
    """Give a person another identity (the same captain on Telegram and on Matrix)."""
    conn.execute(sa.delete(s.identities).where(s.identities.c.identity == identity))
    conn.execute(sa.insert(s.identities).values(identity=identity, person_id=person_id, display_name=display_name))


def roles_in(conn: sa.Connection, person_id: int, district_id: str) -> dict[str, frozenset[str]]:
    """The person's roles in a district, each with its scopes (``""`` is the whole district)."""
    out: dict[str, set[str]] = {}
    for role, scope in _ROLES.rows(conn, {"person_id": person_id, "district_id": district_id}):
        out.setdefault(role, set()).add(scope)
    return {role: frozenset(scopes) for role, scopes in out.items()}


def grant_role(conn: sa.Connection, person_id: int, district_id: str, role: str, scope: str = "", *, by: str) -> bool:
    exists = conn.execute(
        sa.select(s.role_grants.c.id).where(
            s.role_grants.c.person_id == person_id,
            s.role_grants.c.district_id == district_id,
            s.role_grants.c.role == role,
            s.role_grants.c.scope == scope,
        )
    ).first()
    if exists:
        return False
    conn.execute(
        sa.insert(s.role_grants).values(
            person_id=person_id, district_id=district_id, role=role, scope=scope, granted_by=by
        )
    )
    members.add(conn, person_id, district_id, "role", by=by)
    audit(
        conn,
        actor=by,
        district_id=district_id,
        person_id=person_id,
        action="role.grant",
        target=role,
        detail={"scope": scope},
    )
    return True


def revoke_role(conn: sa.Connection, person_id: int, district_id: str, role: str, scope: str = "", *, by: str) -> bool:
    deleted = conn.execute(
        sa.delete(s.role_grants).where(
            s.role_grants.c.person_id == person_id,
            s.role_grants.c.district_id == district_id,
            s.role_grants.c.role == role,
            s.role_grants.c.scope == scope,
        )
    ).rowcount
    if deleted and not roles_in(conn, person_id, district_id):
        members.end(conn, person_id, district_id, ("role",))
    if deleted:
        audit(
            conn,
            actor=by,
            district_id=district_id,
            person_id=person_id,
            action="role.revoke",
            target=role,
            detail={"scope": scope},
        )
    return bool(deleted)


def grants_of(conn: sa.Connection, district_id: str | None = None) -> list[Grant]:
    stmt = (
        sa.select(s.role_grants, s.persons.c.display_name)
        .join(s.persons, s.persons.c.id == s.role_grants.c.person_id)
        .order_by(s.role_grants.c.district_id, s.role_grants.c.role, s.role_grants.c.person_id)
    )
    if district_id:
        stmt = stmt.where(s.role_grants.c.district_id == district_id)
    return [
        Grant(r.person_id, r.district_id, r.role, r.scope, r.granted_by, r.display_name) for r in conn.execute(stmt)
    ]


def record_consent(conn: sa.Connection, person_id: int, version: int, granted: bool, kind: str = "privacy") -> None:
    conn.execute(sa.insert(s.consents).values(person_id=person_id, kind=kind, version=version, granted=granted))
    conn.execute(
        sa.update(s.persons).where(s.persons.c.id == person_id).values(consent_version=version if granted else None)
    )


def audit(
    conn: sa.Connection,
    *,
    action: str,
    actor: str = "",
    district_id: str | None = None,
    person_id: int | None = None,
    plugin: str = "",
    target: str = "",
    detail: dict[str, Any] | None = None,
    acted_for: int | None = None,
) -> None:
    """Record who did what: every role change, sensitive read and export goes here.

    Parameters:
      acted_for: the person the actor acted for (a resident without a chat account).
    """
    conn.execute(
        sa.insert(s.audit_log).values(
            action=action,
            actor=actor,
            district_id=district_id,
            person_id=person_id,
            plugin=plugin,
            target=target,
            detail=detail or {},
            acted_for=acted_for,
        )
    )


def identities_of(conn: sa.Connection, person_id: int) -> list[str]:
    return list(conn.execute(sa.select(s.identities.c.identity).where(s.identities.c.person_id == person_id)).scalars())


def has_role(roles: dict[str, frozenset[str]], wanted: Iterable[str], scope: str | None = None) -> bool:
    """Whether ``roles`` include one of ``wanted`` (at ``scope`` or district-wide); admins have all."""
    if ADMIN in roles:
        return True
    for role in wanted:
        scopes = roles.get(role)
        if scopes is not None and (scope is None or "" in scopes or scope in scopes):
            return True
    return False
