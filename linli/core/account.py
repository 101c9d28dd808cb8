"""A person's own record in linli's core tables, as the privacy commands see it
(``/lang``, ``/mydata``, ``/forgetme``, the consent buttons): ``ctx.account()``."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from attrs import field, frozen

from linli.core import attachments, members, people
from linli.core.attachments import StoredAttachment
from linli.core.storage import schema as s
from linli.core.storage.prepared import Prepared

__all__ = ["Account", "AccountData", "ConsentRecord", "DistrictHeld", "RoleHeld"]


@frozen
class ConsentRecord:
    """A consent given or refused: to which version of the notice, and when."""

    granted: bool
    version: int
    at: dt.datetime


@frozen
class RoleHeld:
    """A role the person holds somewhere."""

    district_id: str
    role: str
    scope: str


@frozen
class DistrictHeld:
    """A district the person is a member of, and why (``room``, ``household``, ``role``,
    ``staff``, ``migrated``: see :mod:`linli.core.members`)."""

    district_id: str
    name: str
    sources: tuple[str, ...]


@frozen
class AccountData:
    """What linli's core tables hold about a person (for ``/mydata``)."""

    identities: tuple[str, ...]
    roles: tuple[RoleHeld, ...]
    consents: tuple[ConsentRecord, ...]
    #: the photos, files and voice notes the person sent that are stored, and what each belongs to
    files: tuple[StoredAttachment, ...] = ()


_M, _G = s.memberships, s.role_grants
_HELD_BY = sa.union_all(
    sa.select(_M.c.district_id, _M.c.source).where(_M.c.person_id == sa.bindparam("person_id")),
    sa.select(_G.c.district_id, sa.literal_column("'role'").label("source")).where(
        _G.c.person_id == sa.bindparam("person_id")
    ),
).subquery()
#: the districts a person is a member of, with their names, and each reason
_HELD = Prepared(
    sa.select(s.districts.c.id, s.districts.c.name, _HELD_BY.c.source).select_from(
        _HELD_BY.join(s.districts, s.districts.c.id == _HELD_BY.c.district_id)
    )
)


@frozen
class Account:
    """One person's record; its writes belong to the handler's transaction."""

    person_id: int
    _conn: sa.Connection = field(repr=False, alias="conn")

    def web_login(self, *, now: dt.datetime, minutes: int) -> str:
        """A one-time login link's token for the dashboard (``/web``), valid ``minutes``."""
        from linli.core import weblinks

        return weblinks.issue_login(self._conn, self.person_id, now=now, minutes=minutes)

    def set_language(self, language: str) -> None:
        """Answer the person in ``language`` (``zh_CN``, ``en``) from now on."""
        self._conn.execute(sa.update(s.persons).where(s.persons.c.id == self.person_id).values(language=language))

    def notice_shown(self) -> None:
        """The privacy notice was shown: the person's next message is no longer a first contact."""
        self._conn.execute(
            sa.update(s.persons)
            .where(s.persons.c.id == self.person_id, s.persons.c.consent_version == 0)
            .values(consent_version=None)
        )

    def record_consent(self, version: int, granted: bool) -> None:
        """The person agreed to (or refused) version ``version`` of the privacy notice."""
        people.record_consent(self._conn, self.person_id, version, granted)

    def districts(self) -> tuple[DistrictHeld, ...]:
        """The districts the person is a member of, by id, each with why (one statement: /whoami asks)."""
        why: dict[str, set[str]] = {}
        names: dict[str, str] = {}
        for district_id, name, source in _HELD.rows(self._conn, {"person_id": self.person_id}):
            why.setdefault(district_id, set()).add(source)
            names[district_id] = name
        return tuple(DistrictHeld(d, names[d], tuple(x for x in members.SOURCES if x in why[d])) for d in sorted(why))

    def data(self) -> AccountData:
        """What the core tables hold about the person: accounts, roles, consents."""
        grants = [g for g in people.grants_of(self._conn) if g.person_id == self.person_id]
        consents = self._conn.execute(
            sa.select(s.consents).where(s.consents.c.person_id == self.person_id).order_by(s.consents.c.at)
        ).fetchall()
        return AccountData(
            identities=tuple(people.identities_of(self._conn, self.person_id)),
            roles=tuple(RoleHeld(g.district_id, g.role, g.scope) for g in grants),
            consents=tuple(ConsentRecord(bool(c.granted), int(c.version), c.at) for c in consents),
            files=tuple(attachments.of_person(self._conn, self.person_id)),
        )

    def forget(self) -> None:
        """Delete the person's name, accounts, language, roles, open dialogs, the files they
        sent (their content leaves the blob store once nothing else refers to it) and the
        messages addressed to their private chats (the outbox); the person id
        stays (as ``#id``) for the records the law requires to keep."""
        person_id = self.person_id
        rooms = [
            r
            for (r,) in self._conn.execute(
                sa.select(s.identities.c.private_room).where(
                    s.identities.c.person_id == person_id, s.identities.c.private_room.is_not(None)
                )
            )
        ]
        if rooms:
            # what was sent to them (or still waits) in their private chats goes with them; the
            # answer to /forgetme itself is written after this and stays until retention
            self._conn.execute(sa.delete(s.outbox).where(s.outbox.c.room.in_(rooms)))
        self._conn.execute(sa.delete(s.dialogs).where(s.dialogs.c.person_id == person_id))
        attachments.forget_person(self._conn, person_id, s.utcnow())
        self._conn.execute(sa.delete(s.role_grants).where(s.role_grants.c.person_id == person_id))
        self._conn.execute(sa.delete(s.memberships).where(s.memberships.c.person_id == person_id))
        self._conn.execute(sa.delete(s.identities).where(s.identities.c.person_id == person_id))
        self._conn.execute(sa.delete(s.web_links).where(s.web_links.c.person_id == person_id))
        self._conn.execute(
            sa.update(s.persons)
            .where(s.persons.c.id == person_id)
            .values(display_name=f"#{person_id}", language=None, home_district=None, consent_version=None)
        )
