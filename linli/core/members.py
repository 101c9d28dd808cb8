"""District membership: who may see and do things in a district, and why.

A person is a member of a district for one or more reasons, each a row of ``memberships``:

- ``room``: they spoke in, or joined, a group room bound to the district (``ref`` is the
  room); leaving that room ends this reason;
- ``household``: their chat account is linked (``/link CODE``) to a person of the district's
  register (``ref`` is the household);
- ``role``: they hold a role there (``linli roles grant``); revoking the last one ends it;
- ``staff``: an administrator added them (``linli members add``);
- ``migrated``: recorded by migration core_0004 for someone who had spoken in its groups.

A role grant makes its holder a member even without the row (the dispatcher reads both in
one statement). A ``/start <district id>`` link makes nobody a member: in a private chat it
only chooses among the districts a person already belongs to.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from attrs import frozen

from linli.core.storage import schema as s

__all__ = [
    "SOURCES",
    "Membership",
    "add",
    "districts_of",
    "end",
    "is_member",
    "leave_room",
    "members_of",
    "memberships_of",
]

#: the reasons a person may be a member, in the order they are shown
SOURCES = ("room", "household", "role", "staff", "migrated")

_M = s.memberships


@frozen
class Membership:
    person_id: int
    district_id: str
    source: str
    ref: str
    since: dt.datetime
    added_by: str


def _membership(row: Any) -> Membership:
    return Membership(row.person_id, row.district_id, row.source, row.ref, row.since, row.added_by)


def add(conn: sa.Connection, person_id: int, district_id: str, source: str, ref: str = "", *, by: str = "") -> bool:
    """Record that ``person_id`` is a member of ``district_id`` for ``source``; True when it
    was not recorded yet (a second call, or a concurrent one, changes nothing)."""
    if source not in SOURCES:
        raise ValueError(f"unknown membership source {source!r}")
    stmt = (
        s.insert_on_conflict(conn, _M)
        .values(person_id=person_id, district_id=district_id, source=source, ref=ref, since=s.utcnow(), added_by=by)
        .on_conflict_do_nothing(index_elements=["person_id", "district_id", "source", "ref"])
        .returning(_M.c.person_id)
    )
    return conn.execute(stmt).first() is not None


def end(
    conn: sa.Connection, person_id: int, district_id: str, sources: tuple[str, ...] = SOURCES, ref: str | None = None
) -> int:
    """End the person's membership of the district for ``sources`` (and ``ref``, when given);
    returns how many reasons ended. Roles count until they are revoked."""
    stmt = sa.delete(_M).where(_M.c.person_id == person_id, _M.c.district_id == district_id, _M.c.source.in_(sources))
    if ref is not None:
        stmt = stmt.where(_M.c.ref == ref)
    return int(conn.execute(stmt).rowcount or 0)


def leave_room(conn: sa.Connection, person_id: int, district_id: str, room_key: str) -> bool:
    """The person left a group room: end the membership that came from it (not those from
    their roles, household, or other rooms of the district)."""
    return end(conn, person_id, district_id, ("room",), room_key) > 0


def _role_districts(person_id: int) -> sa.Select[tuple[str]]:
    return sa.select(s.role_grants.c.district_id).where(s.role_grants.c.person_id == person_id)


def is_member(conn: sa.Connection, person_id: int, district_id: str) -> bool:
    """Whether the person is a member of the district, for any reason (a role included)."""
    recorded = sa.exists().where(_M.c.person_id == person_id, _M.c.district_id == district_id)
    role = sa.exists().where(s.role_grants.c.person_id == person_id, s.role_grants.c.district_id == district_id)
    return bool(conn.execute(sa.select(sa.or_(recorded, role))).scalar())


def districts_of(conn: sa.Connection, person_id: int) -> list[str]:
    """The ids of the districts the person is a member of, sorted (only districts that exist)."""
    recorded = sa.select(_M.c.district_id).where(_M.c.person_id == person_id)
    ids = sa.union(recorded, _role_districts(person_id)).subquery()
    d = s.districts
    stmt = sa.select(d.c.id).where(d.c.id.in_(sa.select(ids.c.district_id))).order_by(d.c.id)
    return list(conn.execute(stmt).scalars())


def memberships_of(conn: sa.Connection, person_id: int) -> list[Membership]:
    """Every recorded reason the person is a member of a district."""
    stmt = sa.select(_M).where(_M.c.person_id == person_id).order_by(_M.c.district_id, _M.c.source, _M.c.ref)
    return [_membership(r) for r in conn.execute(stmt)]


def members_of(conn: sa.Connection, district_id: str) -> list[Membership]:
    """Every recorded reason anyone is a member of the district, by person."""
    stmt = sa.select(_M).where(_M.c.district_id == district_id).order_by(_M.c.person_id, _M.c.source, _M.c.ref)
    return [_membership(r) for r in conn.execute(stmt)]
