"""Merging two persons into one: a chat account linked to its register entry, or two
register entries a worker found to be the same human. Never done silently: only
:meth:`Registry.redeem_link_code` and :meth:`Registry.merge` call it."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from linli.core import attachments
from linli.core.storage import schema as s

__all__ = ["PERSON_MERGED", "merge_persons", "merged_persons"]

#: the domain event published when person ``from`` was merged into person ``into``
PERSON_MERGED = "linli.person_merged"


def merged_persons(payload: Mapping[str, object]) -> tuple[int, int] | None:
    """``(old, new)`` from a :data:`PERSON_MERGED` event's payload; None when it does not
    name two different person ids (the subscriber then has nothing to move)."""
    old, new = payload.get("from"), payload.get("into")
    if not (isinstance(old, int) and isinstance(new, int)) or isinstance(old, bool) or isinstance(new, bool):
        return None
    return (old, new) if old != new else None


_FILLED = ("gender", "birth_date", "id_hash", "phone", "deceased_on")


def merge_persons(conn: sa.Connection, keep: int, drop: int) -> None:
    """Move everything of person ``drop`` to person ``keep`` and delete ``drop``.

    Identities, consents, roles (those ``keep`` lacks), register entries and household
    memberships follow; ``keep``'s own values win, the empty ones are filled from ``drop``.
    Plugins' rows that name ``drop`` are theirs to move: the caller publishes
    ``linli.person_merged``.
    """
    if keep == drop:
        return
    conn.execute(sa.update(s.identities).where(s.identities.c.person_id == drop).values(person_id=keep))
    conn.execute(sa.update(s.consents).where(s.consents.c.person_id == drop).values(person_id=keep))
    _merge_grants(conn, keep, drop)
    _merge_residents(conn, keep, drop)
    _merge_memberships(conn, keep, drop)
    _merge_district_memberships(conn, keep, drop)
    conn.execute(sa.delete(s.link_codes).where(s.link_codes.c.person_id == drop))
    conn.execute(sa.delete(s.dialogs).where(s.dialogs.c.person_id == drop))
    attachments.merge_person(conn, drop, keep)
    rows = {r.id: r for r in conn.execute(sa.select(s.persons).where(s.persons.c.id.in_((keep, drop))))}
    kept, dropped = rows[keep], rows[drop]
    consent = kept.consent_version
    if dropped.consent_version is not None and (consent is None or dropped.consent_version > consent):
        consent = dropped.consent_version
    conn.execute(
        sa.update(s.persons)
        .where(s.persons.c.id == keep)
        .values(
            language=kept.language or dropped.language,
            home_district=kept.home_district or dropped.home_district,
            consent_version=consent,
        )
    )
    conn.execute(sa.delete(s.persons).where(s.persons.c.id == drop))


def _merge_grants(conn: sa.Connection, keep: int, drop: int) -> None:
    g = s.role_grants
    held = {(r.district_id, r.role, r.scope) for r in conn.execute(sa.select(g).where(g.c.person_id == keep))}
    for row in conn.execute(sa.select(g).where(g.c.person_id == drop)).fetchall():
        if (row.district_id, row.role, row.scope) in held:
            conn.execute(sa.delete(g).where(g.c.id == row.id))
        else:
            conn.execute(sa.update(g).where(g.c.id == row.id).values(person_id=keep))


def _merge_residents(conn: sa.Connection, keep: int, drop: int) -> None:
    r = s.residents
    kept = {row.district_id: row for row in conn.execute(sa.select(r).where(r.c.person_id == keep))}
    for row in conn.execute(sa.select(r).where(r.c.person_id == drop)).fetchall():
        mine = kept.get(row.district_id)
        if mine is None:
            conn.execute(
                sa.update(r).where(r.c.district_id == row.district_id, r.c.person_id == drop).values(person_id=keep)
            )
            continue
        filled = {name: getattr(row, name) for name in _FILLED if getattr(mine, name) is None and getattr(row, name)}
        if filled:
            conn.execute(sa.update(r).where(r.c.district_id == row.district_id, r.c.person_id == keep).values(filled))
        conn.execute(sa.delete(r).where(r.c.district_id == row.district_id, r.c.person_id == drop))


def _merge_memberships(conn: sa.Connection, keep: int, drop: int) -> None:
    m = s.household_members
    mine = set(conn.execute(sa.select(m.c.household_id).where(m.c.person_id == keep)).scalars())
    for row in conn.execute(sa.select(m).where(m.c.person_id == drop)).fetchall():
        if row.household_id in mine:
            conn.execute(sa.delete(m).where(m.c.id == row.id))
        else:
            conn.execute(sa.update(m).where(m.c.id == row.id).values(person_id=keep))


def _merge_district_memberships(conn: sa.Connection, keep: int, drop: int) -> None:
    """The districts ``drop`` was a member of, and why, become ``keep``'s (a reason ``keep``
    has already is kept with its own date)."""
    m = s.memberships
    mine = {
        (r.district_id, r.source, r.ref)
        for r in conn.execute(sa.select(m.c.district_id, m.c.source, m.c.ref).where(m.c.person_id == keep))
    }
    for row in conn.execute(sa.select(m).where(m.c.person_id == drop)).fetchall():
        same = sa.and_(
            m.c.person_id == drop, m.c.district_id == row.district_id, m.c.source == row.source, m.c.ref == row.ref
        )
        if (row.district_id, row.source, row.ref) in mine:
            conn.execute(sa.delete(m).where(same))
        else:
            conn.execute(sa.update(m).where(same).values(person_id=keep))
