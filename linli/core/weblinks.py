"""The dashboard's links (``linli web``): one-time login links and the wall displays' links.

A login link is what ``/web`` gives a person in a private chat: used once, within minutes.
A display link is what an admin gives a wall screen (``linli web display add``): it shows the
district's wall display only, until it is revoked. Only the token's SHA-256 is stored: a
leaked table opens nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from attrs import frozen

from linli.core.storage import schema as s

__all__ = ["Display", "consume_login", "display_district", "displays", "issue_display", "issue_login", "revoke_display"]

LOGIN = "login"
DISPLAY = "display"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_login(conn: sa.Connection, person_id: int, *, now: dt.datetime, minutes: int) -> str:
    """A new login link's token for ``person_id``, valid ``minutes`` from ``now``, once."""
    token = secrets.token_urlsafe(24)
    conn.execute(
        sa.insert(s.web_links).values(
            kind=LOGIN,
            token_hash=_hash(token),
            person_id=person_id,
            created_by=f"person:{person_id}",
            created_at=now,
            expires_at=now + dt.timedelta(minutes=minutes),
        )
    )
    return token


def consume_login(conn: sa.Connection, token: str, *, now: dt.datetime) -> int | None:
    """The person a login token is for, marking it used; None when it is unknown, used or
    expired (the caller cannot tell which, and neither can whoever guesses tokens)."""
    if not token or len(token) > 100:
        return None
    row = conn.execute(
        sa.update(s.web_links)
        .where(
            s.web_links.c.token_hash == _hash(token),
            s.web_links.c.kind == LOGIN,
            s.web_links.c.used_at.is_(None),
            s.web_links.c.expires_at > now,
        )
        .values(used_at=now)
        .returning(s.web_links.c.person_id)
    ).first()
    return None if row is None else int(row.person_id)


@frozen
class Display:
    id: int
    district_id: str
    label: str
    created_by: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def issue_display(conn: sa.Connection, district_id: str, *, label: str, by: str, now: dt.datetime) -> tuple[int, str]:
    """A new display link for ``district_id``'s wall: its id (to revoke it) and its token."""
    token = secrets.token_urlsafe(24)
    row = conn.execute(
        sa.insert(s.web_links)
        .values(
            kind=DISPLAY, token_hash=_hash(token), district_id=district_id, label=label, created_by=by, created_at=now
        )
        .returning(s.web_links.c.id)
    ).one()
    return int(row.id), token


def display_district(conn: sa.Connection, token: str) -> str | None:
    """The district whose wall a display token shows; None when unknown or revoked."""
    if not token or len(token) > 100:
        return None
    return conn.execute(
        sa.select(s.web_links.c.district_id).where(
            s.web_links.c.token_hash == _hash(token), s.web_links.c.kind == DISPLAY, s.web_links.c.revoked_at.is_(None)
        )
    ).scalar()


def displays(conn: sa.Connection) -> list[Display]:
    """Every display link, newest first."""
    rows = conn.execute(
        sa.select(s.web_links).where(s.web_links.c.kind == DISPLAY).order_by(s.web_links.c.id.desc())
    ).all()
    return [Display(r.id, r.district_id, r.label, r.created_by, r.created_at, r.revoked_at) for r in rows]


def revoke_display(conn: sa.Connection, link_id: int, *, now: dt.datetime) -> str | None:
    """Revoke a display link; its district, or None when there is no such live link."""
    row = conn.execute(
        sa.update(s.web_links)
        .where(s.web_links.c.id == link_id, s.web_links.c.kind == DISPLAY, s.web_links.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(s.web_links.c.district_id)
    ).first()
    return None if row is None else str(row.district_id)
