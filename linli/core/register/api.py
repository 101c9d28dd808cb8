"""The register of one district, as plugins and the CLI use it (``ctx.registry``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from linli.core import members, people
from linli.core.errors import UserError
from linli.core.i18n import N_, translator
from linli.core.register import ids
from linli.core.register.merge import merge_persons
from linli.core.register.model import Building, Change, Duplicate, Grid, HistoryEntry, Household, Resident
from linli.core.storage import schema as s

__all__ = ["CHANGE_KINDS", "LINK_COMMANDS", "Added", "Registry", "district_of_code", "valid_code_district"]

#: what a change request may do to a household
CHANGE_KINDS = ("move_in", "move_out", "death", "phone")
#: the characters of link codes: no 0/O, 1/I/L, easy to read out on the phone
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_LENGTH = 8
DEFAULT_CODE_VALIDITY = dt.timedelta(days=7)
#: the basics plugin's command that redeems a code, and its alias: the dispatcher finds the
#: district of a resident's first ``/link CODE`` in a private chat from the code
LINK_COMMANDS = ("link", "绑定")

#: how registers write a building after its number (12栋, 12号楼, 12幢)
_BUILDING_SUFFIXES = ("号楼", "栋", "幢", "楼")

_H = s.households
_B = s.buildings
_R = s.residents
_M = s.household_members


class Added:
    """A person just added, and the register people they may be (never merged silently:
    show them to a worker, who merges with :meth:`Registry.merge` or keeps both)."""

    __slots__ = ("duplicates", "resident")

    def __init__(self, resident: Resident, duplicates: list[Duplicate]) -> None:
        self.resident = resident
        self.duplicates = duplicates


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace(" ", "").replace("-", "").encode()).hexdigest()


def district_of_code(conn: sa.Connection, code: str) -> str | None:
    """The district whose register issued a link code (used or not), or None."""
    lc = s.link_codes
    found: str | None = conn.execute(sa.select(lc.c.district_id).where(lc.c.code_hash == _code_hash(code))).scalar()
    return found


def valid_code_district(conn: sa.Connection, code: str, now: dt.datetime) -> str | None:
    """The district whose register issued a link code that still works (unused, not
    expired), or None: such a code is the one way in for someone who is not yet a member."""
    lc = s.link_codes
    row = conn.execute(
        sa.select(lc.c.district_id, lc.c.expires_at).where(lc.c.code_hash == _code_hash(code), lc.c.used_at.is_(None))
    ).first()
    if row is None or row.expires_at <= now:
        return None
    return str(row.district_id)


def _grid(row: Any) -> Grid:
    return Grid(row.id, row.code, row.name)


def _building(row: Any) -> Building:
    return Building(row.id, row.code, row.name, row.grid_id, row.address)


def _household(row: Any) -> Household:
    return Household(row.id, row.building_id, row.unit, row.number, row.status, row.phone)


def _change(row: Any) -> Change:
    return Change(
        row.id,
        row.household_id,
        row.kind,
        dict(row.detail),
        row.status,
        row.proposed_by,
        row.proposed_at,
        row.decided_by,
        row.decided_at,
        row.reason,
    )


class Registry:
    """The register of one district: grids, buildings, households and their people,
    including people without a chat account, whom a captain or worker acts for.

    Every read and write is limited to ``district_id``. Bad input raises
    :class:`~linli.core.errors.UserError` with a message in the translator's language;
    in a handler, let it propagate and the person reads it.

    Parameters:
      conn: the connection of the handler's (or the CLI's) transaction.
      district_id: the district.
      t: the translator for error messages.
      actor: who acts, for the audit log and histories (``person:12``, ``cli:admin``).
      person_id: the acting person's id, when a person acts.
      plugin: the plugin acting, for the audit log.
      now: the clock (an aware UTC datetime).
    """

    def __init__(
        self,
        conn: sa.Connection,
        district_id: str,
        *,
        t: Callable[..., str] | None = None,
        actor: str = "",
        person_id: int | None = None,
        plugin: str = "",
        now: Callable[[], dt.datetime] = s.utcnow,
    ) -> None:
        self.conn = conn
        self.district_id = district_id
        self.t: Callable[..., str] = t if t is not None else translator("en")
        self.actor = actor or (f"person:{person_id}" if person_id is not None else f"plugin:{plugin}")
        self.person_id = person_id
        self.plugin = plugin
        self.now = now
        self._salt: bytes | None = None

    # --- errors and audit ---------------------------------------------------------------

    def _fail(self, message: str, **values: Any) -> UserError:
        return UserError(self.t(message, **values))

    def _audit(self, action: str, target: str = "", *, acted_for: int | None = None, **detail: Any) -> None:
        people.audit(
            self.conn,
            action=action,
            actor=self.actor,
            district_id=self.district_id,
            person_id=self.person_id,
            plugin=self.plugin,
            target=target,
            detail=detail,
            acted_for=acted_for,
        )

    def act_for(self, person_id: int, action: str, target: str = "", **detail: Any) -> None:
        """Record that the acting person did ``action`` for ``person_id`` (a captain confirming
        a need for an elderly resident without a chat account): the audit log keeps who
        acted, for whom, what and when.

        Parameters:
          person_id: the person acted for (of this district's register).
          action: what was done (``captains.need_confirmed``).
          target: what it was done on (``need:17``).
          detail: more, as JSON (never an ID number, a phone or health data).

        Raises: UserError: ``person_id`` is not in this district's register.
        """
        self._resident_row(person_id)
        self._audit(action, target, acted_for=person_id, **detail)

    def acted_for(self, person_id: int) -> list[dict[str, Any]]:
        """What was done for ``person_id`` in this district, oldest first: dicts with
        ``at``, ``actor``, ``person_id`` (the actor's), ``plugin``, ``action``, ``target``."""
        a = s.audit_log
        rows = self.conn.execute(
            sa.select(a.c.at, a.c.actor, a.c.person_id, a.c.plugin, a.c.action, a.c.target)
            .where(a.c.district_id == self.district_id, a.c.acted_for == person_id)
            .order_by(a.c.id)
        )
        return [dict(r._mapping) for r in rows]

    # --- areas --------------------------------------------------------------------------

    def grids(self) -> list[Grid]:
        g = s.grids
        return [_grid(r) for r in self.conn.execute(sa.select(g).where(g.c.district_id == self.district_id))]

    def grid(self, code: str) -> Grid | None:
        """The grid called ``code`` (as the register writes it), or None."""
        g = s.grids
        row = self.conn.execute(
            sa.select(g).where(g.c.district_id == self.district_id, g.c.code == code.strip())
        ).first()
        return _grid(row) if row else None

    def add_grid(self, code: str, name: str = "") -> Grid:
        """Add a grid, or return the one of that code."""
        code = code.strip()
        if not code:
            raise self._fail(N_("A grid needs a name or number."))
        found = self.grid(code)
        if found is not None:
            return found
        new = self.conn.execute(
            sa.insert(s.grids).values(district_id=self.district_id, code=code, name=name.strip())
        ).inserted_primary_key
        assert new is not None
        self._audit("registry.grid_added", f"grid:{new[0]}")
        return Grid(new[0], code, name.strip())

    def buildings(self, grid_id: int | None = None) -> list[Building]:
        """The district's buildings (of one grid when ``grid_id`` is given), by code."""
        stmt = sa.select(_B).where(_B.c.district_id == self.district_id).order_by(_B.c.code)
        if grid_id is not None:
            stmt = stmt.where(_B.c.grid_id == grid_id)
        return [_building(r) for r in self.conn.execute(stmt)]

    def building(self, code: str) -> Building | None:
        """The building called ``code``, as the register spells it or as people say it: ``12``
        finds ``12栋`` (or ``12号楼``) and the other way round, when only one building fits."""
        code = code.strip()
        row = self.conn.execute(sa.select(_B).where(_B.c.district_id == self.district_id, _B.c.code == code)).first()
        if row is not None:
            return _building(row)
        bare = code
        for suffix in _BUILDING_SUFFIXES:
            if bare.endswith(suffix) and len(bare) > len(suffix):
                bare = bare[: -len(suffix)]
                break
        spellings = {bare, *(bare + suffix for suffix in _BUILDING_SUFFIXES)} - {code}
        rows = self.conn.execute(
            sa.select(_B).where(_B.c.district_id == self.district_id, _B.c.code.in_(sorted(spellings)))
        ).all()
        return _building(rows[0]) if len(rows) == 1 else None

    def building_by_id(self, building_id: int) -> Building | None:
        row = self.conn.execute(
            sa.select(_B).where(_B.c.district_id == self.district_id, _B.c.id == building_id)
        ).first()
        return _building(row) if row else None

    def add_building(self, code: str, *, grid: str | None = None, name: str = "", address: str = "") -> Building:
        """Add a building (staff, from chat); its grid is added when new.

        Raises: UserError: no code, or a building of that code exists.
        """
        code = code.strip()
        if not code or len(code) > 64:
            raise self._fail(N_("A building needs a number or name of at most 64 characters."))
        if self.building(code) is not None:
            raise self._fail(N_("Building {building} is already in the register."), building=code)
        grid_id = self.add_grid(grid).id if grid and grid.strip() else None
        new = self.conn.execute(
            sa.insert(_B).values(
                district_id=self.district_id,
                grid_id=grid_id,
                code=code,
                name=name.strip(),
                address=address.strip(),
                created_by=self.actor,
            )
        ).inserted_primary_key
        assert new is not None
        self._audit("registry.building_added", f"building:{new[0]}")
        return Building(new[0], code, name.strip(), grid_id, address.strip())

    # --- households ---------------------------------------------------------------------

    def households(self, building_id: int) -> list[Household]:
        """The households of a building, by unit and number."""
        rows = self.conn.execute(
            sa.select(_H)
            .where(_H.c.district_id == self.district_id, _H.c.building_id == building_id)
            .order_by(_H.c.unit, _H.c.number)
        )
        return [_household(r) for r in rows]

    def household_by_id(self, household_id: int) -> Household | None:
        row = self.conn.execute(
            sa.select(_H).where(_H.c.district_id == self.district_id, _H.c.id == household_id)
        ).first()
        return _household(row) if row else None

    def household(self, building: str, label: str) -> Household | None:
        """The household at ``label`` (``301``, or unit and number: ``2-301``, ``2单元301``) in
        the building called ``building``; None when there is none."""
        found = self.building(building)
        if found is None:
            return None
        label = label.strip().replace("单元", "-")
        candidates = [("", label)]
        if "-" in label:
            unit, _, number = label.partition("-")
            candidates.append((unit.strip(), number.strip()))
        for unit, number in candidates:
            row = self.conn.execute(
                sa.select(_H).where(
                    _H.c.district_id == self.district_id,
                    _H.c.building_id == found.id,
                    _H.c.unit == unit,
                    _H.c.number == number,
                )
            ).first()
            if row is not None:
                return _household(row)
        return None

    def add_household(self, building_id: int, number: str, *, unit: str = "", phone: str | None = None) -> Household:
        """Add a household to a building.

        Raises: UserError: unknown building, a bad phone, or the household exists.
        """
        if self.building_by_id(building_id) is None:
            raise self._fail(N_("There is no such building in this district."))
        number, unit = number.strip(), unit.strip()
        if not number or len(number) > 64 or len(unit) > 32:
            raise self._fail(N_("A household needs a door number of at most 64 characters."))
        clean_phone = self._phone(phone)
        exists = self.conn.execute(
            sa.select(_H.c.id).where(_H.c.building_id == building_id, _H.c.unit == unit, _H.c.number == number)
        ).first()
        if exists:
            raise self._fail(N_("Household {household} is already in the register."), household=number)
        new = self.conn.execute(
            sa.insert(_H).values(
                district_id=self.district_id, building_id=building_id, unit=unit, number=number, phone=clean_phone
            )
        ).inserted_primary_key
        assert new is not None
        self._history(new[0], "created", {}, source="entry")
        return Household(new[0], building_id, unit, number, "active", clean_phone)

    def _phone(self, phone: str | None) -> str | None:
        if phone is None or not phone.strip():
            return None
        clean = ids.normal_phone(phone)
        if clean is None:
            raise self._fail(N_("That does not look like a phone number."))
        return clean

    # --- people -------------------------------------------------------------------------

    def _resident_row(self, person_id: int) -> Any:
        row = self.conn.execute(
            sa.select(_R).where(_R.c.district_id == self.district_id, _R.c.person_id == person_id)
        ).first()
        if row is None:
            raise self._fail(N_("That person is not in this community's register."))
        return row

    def _residents(self, where: Any, *, current: bool = True, household_id: int | None = None) -> list[Resident]:
        """Register people with their household: the current one, or ``household_id``'s
        membership (one row each, also for who left it with ``current=False``)."""
        accounts = sa.exists().where(s.identities.c.person_id == _R.c.person_id)
        member = sa.and_(_M.c.person_id == _R.c.person_id, _M.c.district_id == _R.c.district_id)
        if household_id is not None:
            member = sa.and_(member, _M.c.household_id == household_id)
        if current:
            member = sa.and_(member, _M.c.left_at.is_(None))
        rows = self.conn.execute(
            sa.select(_R, accounts.label("has_account"), _M.c.household_id, _M.c.relation)
            .select_from(_R.outerjoin(_M, member))
            .where(_R.c.district_id == self.district_id, where)
            .order_by(_R.c.person_id)
        )
        return [
            Resident(
                r.person_id,
                r.name,
                r.gender,
                r.birth_date,
                r.phone,
                r.deceased_on,
                bool(r.has_account),
                r.household_id,
                r.relation or "",
            )
            for r in rows
        ]

    def resident(self, person_id: int) -> Resident | None:
        """A person of the register with their current household, or None."""
        found = self._residents(_R.c.person_id == person_id)
        return found[0] if found else None

    def members(self, household_id: int, *, current: bool = True) -> list[Resident]:
        """The people of a household (those who left too, with ``current=False``)."""
        m = _M.c.household_id == household_id
        if current:
            m = sa.and_(m, _M.c.left_at.is_(None))
        return self._residents(
            _R.c.person_id.in_(sa.select(_M.c.person_id).where(m)), current=current, household_id=household_id
        )

    def residents_of_building(self, building_id: int) -> list[Resident]:
        """The people living now in the households of a building, each with their household:
        one query for a whole building (a ledger, a sweep's list) instead of one per household."""
        living = (
            sa.select(_M.c.person_id)
            .join(_H, _H.c.id == _M.c.household_id)
            .where(_H.c.district_id == self.district_id, _H.c.building_id == building_id, _M.c.left_at.is_(None))
        )
        return self._residents(_R.c.person_id.in_(living))

    def residents_named(self, name: str) -> list[Resident]:
        """The register people called exactly ``name``."""
        return self._residents(_R.c.name == name.strip())

    def household_of(self, person_id: int) -> Household | None:
        """The household a person lives in now, or None."""
        row = self.conn.execute(
            sa.select(_H)
            .join(_M, _M.c.household_id == _H.c.id)
            .where(_M.c.person_id == person_id, _M.c.left_at.is_(None), _H.c.district_id == self.district_id)
        ).first()
        return _household(row) if row else None

    def id_hash(self, number: str) -> str:
        """The salted hash of an ID number (to compare, never to show).

        Raises: UserError: it is not a valid ID number.
        """
        clean = ids.check_id_number(number)
        if clean is None:
            raise self._fail(N_("That is not a valid ID number (18 characters, the last a digit or X)."))
        if self._salt is None:
            self._salt = ids.id_salt(self.conn)
        return ids.hash_id(self._salt, clean)

    def add_person(
        self,
        household_id: int,
        name: str,
        *,
        relation: str = "",
        gender: str = "",
        birth_date: dt.date | None = None,
        id_number: str | None = None,
        phone: str | None = None,
        source: str = "entry",
    ) -> Added:
        """Add a person to a household's register, with no chat account (they may link one
        later with a code from :meth:`issue_link_code`).

        Returns the new resident and the register people they may be: a duplicate is
        shown for a worker to merge, never merged here.

        Raises: UserError: unknown household, no name, a bad ID number or phone.
        """
        household = self.household_by_id(household_id)
        if household is None:
            raise self._fail(N_("There is no such household in this district."))
        name = name.strip()
        if not name or len(name) > 200:
            raise self._fail(N_("A person needs a name of at most 200 characters."))
        id_hash = self.id_hash(id_number) if id_number and id_number.strip() else None
        if birth_date is None and id_hash is not None and id_number is not None:
            birth_date = ids.birth_date_of(id_number.strip())
        clean_phone = self._phone(phone)
        new = self.conn.execute(sa.insert(s.persons).values(display_name=name)).inserted_primary_key
        assert new is not None
        person_id = new[0]
        self.conn.execute(
            sa.insert(_R).values(
                district_id=self.district_id,
                person_id=person_id,
                name=name,
                gender=gender.strip(),
                birth_date=birth_date,
                id_hash=id_hash,
                phone=clean_phone,
            )
        )
        self.conn.execute(
            sa.insert(_M).values(
                district_id=self.district_id, household_id=household_id, person_id=person_id, relation=relation.strip()
            )
        )
        if source == "entry":
            self._history(household_id, "move_in", {"person_id": person_id, "name": name}, source="entry")
        resident = Resident(
            person_id, name, gender.strip(), birth_date, clean_phone, None, False, household_id, relation.strip()
        )
        return Added(resident, self.duplicates_of(person_id))

    # --- duplicates ---------------------------------------------------------------------

    def duplicates(self) -> list[Duplicate]:
        """Register people of this district who may be one human: the same ID number, or
        the same name, date of birth and building. Pairs marked with :meth:`not_duplicate`
        are left out."""
        return self._duplicates()

    def duplicates_of(self, person_id: int) -> list[Duplicate]:
        """The possible duplicates that include ``person_id``: looked up for that person alone
        (by the ID-number index, and the people of that name in their buildings), so that
        adding someone from chat stays quick in a district of a hundred thousand."""
        d = self.district_id
        me = self.conn.execute(
            sa.select(_R.c.name, _R.c.birth_date, _R.c.id_hash).where(
                _R.c.district_id == d, _R.c.person_id == person_id
            )
        ).first()
        if me is None:
            return []
        dismissed = {
            r.first_id if r.second_id == person_id else r.second_id
            for r in self.conn.execute(
                sa.select(s.not_duplicates).where(
                    s.not_duplicates.c.district_id == d,
                    sa.or_(s.not_duplicates.c.first_id == person_id, s.not_duplicates.c.second_id == person_id),
                )
            )
        }
        out: list[Duplicate] = []
        if me.id_hash:
            same = set(
                self.conn.execute(
                    sa.select(_R.c.person_id).where(_R.c.district_id == d, _R.c.id_hash == me.id_hash)
                ).scalars()
            )
            if same - dismissed - {person_id}:
                out.append(Duplicate(tuple(sorted(same - dismissed)), "id"))
        if me.birth_date is not None:
            buildings = (
                sa.select(_H.c.building_id)
                .join(_M, _M.c.household_id == _H.c.id)
                .where(_M.c.person_id == person_id, _M.c.district_id == d)
            )
            # from the person's buildings down (by their keys), not across the district's residents
            neighbours = list(
                self.conn.execute(
                    sa.select(_M.c.person_id)
                    .join(_H, _H.c.id == _M.c.household_id)
                    .where(_H.c.building_id.in_(buildings), _M.c.district_id == d)
                ).scalars()
            )
            same = set(
                self.conn.execute(
                    sa.select(_R.c.person_id).where(
                        _R.c.person_id.in_(neighbours),
                        _R.c.district_id == d,
                        _R.c.name == me.name,
                        _R.c.birth_date == me.birth_date,
                    )
                ).scalars()
            )
            group = tuple(sorted(same - dismissed))
            if same - dismissed - {person_id} and all(group != dup.person_ids for dup in out):
                out.append(Duplicate(group, "name_birth_building"))
        return out

    def _duplicates(self) -> list[Duplicate]:
        d = self.district_id
        by_id: dict[str, set[int]] = {}
        for pid, key in self.conn.execute(
            sa.select(_R.c.person_id, _R.c.id_hash).where(
                _R.c.district_id == d,
                _R.c.id_hash.in_(
                    sa.select(_R.c.id_hash)
                    .where(_R.c.district_id == d, _R.c.id_hash.is_not(None))
                    .group_by(_R.c.id_hash)
                    .having(sa.func.count() > 1)
                ),
            )
        ):
            by_id.setdefault(key, set()).add(pid)
        key_cols = (_R.c.name, _R.c.birth_date, _H.c.building_id)
        joined = _R.join(_M, sa.and_(_M.c.person_id == _R.c.person_id, _M.c.district_id == d)).join(
            _H, _H.c.id == _M.c.household_id
        )
        twins = (
            sa.select(*key_cols)
            .select_from(joined)
            .where(_R.c.district_id == d, _R.c.birth_date.is_not(None))
            .group_by(*key_cols)
            .having(sa.func.count(sa.distinct(_R.c.person_id)) > 1)
            .subquery()
        )
        by_name: dict[tuple[Any, ...], set[int]] = {}
        for row in self.conn.execute(
            sa.select(_R.c.person_id, *key_cols)
            .select_from(joined)
            .join(
                twins,
                sa.and_(
                    twins.c.name == _R.c.name,
                    twins.c.birth_date == _R.c.birth_date,
                    twins.c.building_id == _H.c.building_id,
                ),
            )
            .where(_R.c.district_id == d)
        ):
            by_name.setdefault(tuple(row[1:]), set()).add(row[0])
        dismissed = {
            (r.first_id, r.second_id)
            for r in self.conn.execute(sa.select(s.not_duplicates).where(s.not_duplicates.c.district_id == d))
        }
        out: list[Duplicate] = []
        seen: set[tuple[int, ...]] = set()
        for reason, groups in (("id", by_id.values()), ("name_birth_building", by_name.values())):
            for group in groups:
                ids_ = tuple(sorted(group))
                pairs = [(a, b) for i, a in enumerate(ids_) for b in ids_[i + 1 :]]
                if all(p in dismissed for p in pairs) or ids_ in seen:
                    continue
                seen.add(ids_)
                out.append(Duplicate(ids_, reason))
        return sorted(out, key=lambda dup: dup.person_ids)

    def not_duplicate(self, first: int, second: int) -> None:
        """Record that two register people a duplicate check paired are two humans."""
        self._resident_row(first)
        self._resident_row(second)
        a, b = sorted((first, second))
        self._not_duplicate(a, b)
        self._audit("registry.not_duplicate", f"person:{a}", other=b)

    def _not_duplicate(self, a: int, b: int) -> None:
        nd = s.not_duplicates
        exists = self.conn.execute(
            sa.select(nd.c.first_id).where(
                nd.c.district_id == self.district_id, nd.c.first_id == a, nd.c.second_id == b
            )
        ).first()
        if not exists:
            self.conn.execute(
                sa.insert(nd).values(district_id=self.district_id, first_id=a, second_id=b, decided_by=self.actor)
            )

    def merge(self, keep: int, drop: int) -> Resident:
        """Merge register person ``drop`` into ``keep`` (a worker decided they are one human):
        accounts, roles, consents and memberships follow; ``keep``'s values win.

        The caller publishes ``linli.person_merged`` (``{"from": drop, "into": keep}``) so that
        plugins move their own rows.

        Raises: UserError: either is not in this district's register, or they are the same.
        """
        if keep == drop:
            raise self._fail(N_("Those are the same person."))
        self._resident_row(keep)
        self._resident_row(drop)
        households = set(
            self.conn.execute(
                sa.select(_M.c.household_id).where(_M.c.person_id == drop, _M.c.district_id == self.district_id)
            ).scalars()
        )
        merge_persons(self.conn, keep, drop)
        for household_id in sorted(households):
            self._history(household_id, "merge", {"person_id": keep, "merged": drop}, source="merge")
        self._audit("registry.merge", f"person:{keep}", merged=drop)
        merged = self.resident(keep)
        assert merged is not None
        return merged

    # --- link codes ---------------------------------------------------------------------

    def issue_link_code(self, person_id: int, *, valid_for: dt.timedelta = DEFAULT_CODE_VALIDITY) -> str:
        """A one-time code that links a chat account to ``person_id``: give it to the resident,
        who sends ``/link CODE`` to the bot. Only the code's hash is kept.

        Raises: UserError: ``person_id`` is not in this district's register.
        """
        self._resident_row(person_id)
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
        self.conn.execute(
            sa.insert(s.link_codes).values(
                code_hash=_code_hash(code),
                district_id=self.district_id,
                person_id=person_id,
                issued_by=self.actor,
                issued_at=self.now(),
                expires_at=self.now() + valid_for,
            )
        )
        self._audit("registry.link_code_issued", f"person:{person_id}", acted_for=person_id)
        return code

    def redeem_link_code(self, code: str, person_id: int, identity: str = "") -> Resident:
        """Link the chat person ``person_id`` to the register person the code was issued for:
        the chat person is merged into them (accounts, roles, consents carried). A code works
        once, in its district, before it expires.

        The caller publishes ``linli.person_merged`` when the returned resident's id differs
        from ``person_id``.

        Raises: UserError: an unknown, used or expired code.
        """
        lc = s.link_codes
        row = self.conn.execute(
            sa.select(lc).where(lc.c.code_hash == _code_hash(code), lc.c.district_id == self.district_id)
        ).first()
        if row is None or row.used_at is not None:
            raise self._fail(N_("That code is not valid or was used already. Ask your captain for a new one."))
        if row.expires_at <= self.now():
            raise self._fail(N_("That code has expired. Ask your captain for a new one."))
        self.conn.execute(
            sa.update(lc).where(lc.c.code_hash == row.code_hash).values(used_at=self.now(), used_by=identity or None)
        )
        merge_persons(self.conn, row.person_id, person_id)
        household = self.household_of(row.person_id)
        if household is not None:
            self._history(household.id, "linked", {"person_id": row.person_id}, source="entry")
        # a code from the district's staff makes its holder a member of the district, and
        # their private chat is about it from now on
        members.add(
            self.conn,
            row.person_id,
            self.district_id,
            "household",
            str(household.id) if household is not None else "",
            by=row.issued_by,
        )
        self.conn.execute(
            sa.update(s.persons).where(s.persons.c.id == row.person_id).values(home_district=self.district_id)
        )
        people.audit(
            self.conn,
            action="registry.linked",
            actor=f"person:{row.person_id}",
            district_id=self.district_id,
            person_id=row.person_id,
            plugin=self.plugin,
            target=f"person:{row.person_id}",
            detail={"merged": person_id} if person_id != row.person_id else {},
        )
        resident = self.resident(row.person_id)
        assert resident is not None
        return resident

    # --- change requests ----------------------------------------------------------------

    def propose_change(self, household_id: int, kind: str, **detail: Any) -> Change:
        """Propose a change to a household (a captain), applied when staff :meth:`approve` it.

        Kinds and their detail:
          ``move_in``: ``name`` and optionally ``relation``, ``gender``, ``birth_date`` (a date),
          ``id_number`` (kept only as its hash), ``phone``; or ``person_id`` (and ``relation``) for
          someone of the register moving over from another household;
          ``move_out``: ``person_id``; ``death``: ``person_id`` and optionally ``date``;
          ``phone``: ``phone``, and ``person_id`` for a person's phone (else the household's).

        Raises: UserError: unknown household or kind, or detail that does not fit.
        """
        if self.household_by_id(household_id) is None:
            raise self._fail(N_("There is no such household in this district."))
        clean = self._checked_detail(household_id, kind, dict(detail))
        new = self.conn.execute(
            sa.insert(s.household_changes).values(
                district_id=self.district_id,
                household_id=household_id,
                kind=kind,
                detail=clean,
                proposed_by=self.person_id,
                proposed_at=self.now(),
            )
        ).inserted_primary_key
        assert new is not None
        self._audit("registry.change_proposed", f"change:{new[0]}", kind=kind)
        return self.change(new[0])

    def _checked_detail(self, household_id: int, kind: str, detail: dict[str, Any]) -> dict[str, Any]:
        if kind not in CHANGE_KINDS:
            raise self._fail(N_("Unknown kind of change: {kind}."), kind=kind)
        if kind == "move_in" and detail.get("person_id") is not None:
            person_id = detail["person_id"]
            if not isinstance(person_id, int):
                raise self._fail(N_("That person is not in this community's register."))
            self._resident_row(person_id)
            if person_id in {r.person_id for r in self.members(household_id)}:
                raise self._fail(N_("That person lives in this household already."))
            return {"person_id": person_id, "relation": str(detail.get("relation") or "").strip()[:32]}
        if kind == "move_in":
            name = str(detail.get("name") or "").strip()
            if not name or len(name) > 200:
                raise self._fail(N_("A person needs a name of at most 200 characters."))
            number = detail.pop("id_number", None)
            out: dict[str, Any] = {
                "name": name,
                "relation": str(detail.get("relation") or "").strip(),
                "gender": str(detail.get("gender") or "").strip(),
            }
            birth = detail.get("birth_date")
            if number:
                out["id_hash"] = self.id_hash(str(number))
                birth = birth or ids.birth_date_of(str(number).strip())
            if birth:
                out["birth_date"] = birth.isoformat() if isinstance(birth, dt.date) else str(birth)
            if detail.get("phone"):
                out["phone"] = self._phone(str(detail["phone"]))
            return out
        if kind in ("move_out", "death"):
            person_id = detail.get("person_id")
            if not isinstance(person_id, int) or person_id not in {r.person_id for r in self.members(household_id)}:
                raise self._fail(N_("That person does not live in this household."))
            out = {"person_id": person_id}
            if kind == "death" and detail.get("date"):
                day = detail["date"]
                out["date"] = day.isoformat() if isinstance(day, dt.date) else str(day)
            return out
        phone = self._phone(str(detail.get("phone") or ""))
        if phone is None:
            raise self._fail(N_("That does not look like a phone number."))
        out = {"phone": phone}
        if detail.get("person_id") is not None:
            if detail["person_id"] not in {r.person_id for r in self.members(household_id)}:
                raise self._fail(N_("That person does not live in this household."))
            out["person_id"] = detail["person_id"]
        return out

    def change(self, change_id: int) -> Change:
        """A change request of this district.

        Raises: UserError: there is none with that number here.
        """
        row = self.conn.execute(
            sa.select(s.household_changes).where(
                s.household_changes.c.district_id == self.district_id, s.household_changes.c.id == change_id
            )
        ).first()
        if row is None:
            raise self._fail(N_("There is no change request #{id} here."), id=change_id)
        return _change(row)

    def changes(self, status: str | None = "pending", household_id: int | None = None) -> list[Change]:
        """Change requests, oldest first (all statuses with ``status=None``)."""
        c = s.household_changes
        stmt = sa.select(c).where(c.c.district_id == self.district_id).order_by(c.c.id)
        if status is not None:
            stmt = stmt.where(c.c.status == status)
        if household_id is not None:
            stmt = stmt.where(c.c.household_id == household_id)
        return [_change(r) for r in self.conn.execute(stmt)]

    def approve(self, change_id: int) -> Change:
        """Apply a pending change (staff) and write it into the household's history.

        Raises: UserError: unknown change, or decided already.
        """
        change = self._pending(change_id)
        detail = dict(change.detail)
        history: dict[str, Any]
        if change.kind == "move_in" and detail.get("person_id") is not None:
            history = self._move(detail["person_id"], change, detail.get("relation", ""))
        elif change.kind == "move_in":
            added = self.add_person(
                change.household_id,
                detail["name"],
                relation=detail.get("relation", ""),
                gender=detail.get("gender", ""),
                birth_date=dt.date.fromisoformat(detail["birth_date"]) if detail.get("birth_date") else None,
                phone=detail.get("phone"),
                source="change",
            )
            person_id = added.resident.person_id
            if detail.get("id_hash"):
                self.conn.execute(
                    sa.update(_R)
                    .where(_R.c.district_id == self.district_id, _R.c.person_id == person_id)
                    .values(id_hash=detail["id_hash"])
                )
            history = {"person_id": person_id, "name": detail["name"]}
        elif change.kind in ("move_out", "death"):
            person_id = detail["person_id"]
            self.conn.execute(
                sa.update(_M)
                .where(_M.c.household_id == change.household_id, _M.c.person_id == person_id)
                .values(left_at=self.now())
            )
            members.end(self.conn, person_id, self.district_id, ("household",), str(change.household_id))
            history = {"person_id": person_id}
            if change.kind == "death":
                day = dt.date.fromisoformat(detail["date"]) if detail.get("date") else self.now().date()
                self.conn.execute(
                    sa.update(_R)
                    .where(_R.c.district_id == self.district_id, _R.c.person_id == person_id)
                    .values(deceased_on=day)
                )
                history["date"] = day.isoformat()
        else:
            if detail.get("person_id") is not None:
                self.conn.execute(
                    sa.update(_R)
                    .where(_R.c.district_id == self.district_id, _R.c.person_id == detail["person_id"])
                    .values(phone=detail["phone"])
                )
            else:
                self.conn.execute(sa.update(_H).where(_H.c.id == change.household_id).values(phone=detail["phone"]))
            history = {"phone": ids.masked_phone(detail["phone"])}
            if detail.get("person_id") is not None:
                history["person_id"] = detail["person_id"]
        self._decide(change, "approved")
        self._history(
            change.household_id,
            change.kind,
            history,
            source="change",
            change_id=change.id,
            proposed_by=change.proposed_by,
            approved_by=self.person_id,
        )
        self._refresh_status(change.household_id)
        self._audit("registry.change_approved", f"change:{change.id}", kind=change.kind)
        return self.change(change.id)

    def _move(self, person_id: int, change: Change, relation: str) -> dict[str, Any]:
        """A register person moves into ``change``'s household, out of the one they lived in."""
        now = self.now()
        for old in (
            self.conn.execute(
                sa.select(_M.c.household_id).where(
                    _M.c.person_id == person_id, _M.c.district_id == self.district_id, _M.c.left_at.is_(None)
                )
            )
            .scalars()
            .all()
        ):
            self.conn.execute(
                sa.update(_M).where(_M.c.household_id == old, _M.c.person_id == person_id).values(left_at=now)
            )
            self._history(
                old,
                "move_out",
                {"person_id": person_id, "to_household": change.household_id},
                source="change",
                change_id=change.id,
                proposed_by=change.proposed_by,
                approved_by=self.person_id,
            )
            self._refresh_status(old)
        # a linked chat account's membership follows the person to their new household
        if members.end(self.conn, person_id, self.district_id, ("household",)):
            members.add(self.conn, person_id, self.district_id, "household", str(change.household_id), by=self.actor)
        back = self.conn.execute(
            sa.update(_M)
            .where(_M.c.household_id == change.household_id, _M.c.person_id == person_id)
            .values(left_at=None, relation=relation)
        ).rowcount
        if not back:
            self.conn.execute(
                sa.insert(_M).values(
                    district_id=self.district_id,
                    household_id=change.household_id,
                    person_id=person_id,
                    relation=relation,
                )
            )
        return {"person_id": person_id}

    def _refresh_status(self, household_id: int) -> None:
        """A household nobody lives in any more has moved out; one someone lives in is active."""
        status = "active" if self.members(household_id) else "moved_out"
        self.conn.execute(sa.update(_H).where(_H.c.id == household_id, _H.c.status != status).values(status=status))

    def reject(self, change_id: int, reason: str = "") -> Change:
        """Turn a pending change down (staff); nothing of the household changes.

        Raises: UserError: unknown change, or decided already.
        """
        change = self._pending(change_id)
        self._decide(change, "rejected", reason.strip()[:500])
        self._audit("registry.change_rejected", f"change:{change.id}", kind=change.kind)
        return self.change(change.id)

    def _pending(self, change_id: int) -> Change:
        change = self.change(change_id)
        if change.status != "pending":
            raise self._fail(N_("Change request #{id} was decided already."), id=change_id)
        return change

    def _decide(self, change: Change, status: str, reason: str = "") -> None:
        c = s.household_changes
        detail = dict(change.detail)
        if status == "rejected":
            detail.pop("phone", None)  # a phone that was turned down is not kept
        self.conn.execute(
            sa.update(c)
            .where(c.c.id == change.id)
            .values(status=status, decided_by=self.person_id, decided_at=self.now(), reason=reason, detail=detail)
        )

    # --- history ------------------------------------------------------------------------

    def history(self, household_id: int) -> list[HistoryEntry]:
        """Every applied change of a household, oldest first: what, who proposed, who
        approved (or which import or entry), when."""
        hh = s.household_history
        rows = self.conn.execute(
            sa.select(hh)
            .where(hh.c.district_id == self.district_id, hh.c.household_id == household_id)
            .order_by(hh.c.id)
        )
        return [
            HistoryEntry(
                r.id,
                r.household_id,
                r.kind,
                dict(r.detail),
                r.source,
                r.proposed_by,
                r.approved_by,
                r.actor,
                r.at,
                r.change_id,
            )
            for r in rows
        ]

    def _history(
        self,
        household_id: int,
        kind: str,
        detail: Mapping[str, Any],
        *,
        source: str,
        change_id: int | None = None,
        proposed_by: int | None = None,
        approved_by: int | None = None,
    ) -> None:
        self.conn.execute(
            sa.insert(s.household_history).values(
                district_id=self.district_id,
                household_id=household_id,
                change_id=change_id,
                kind=kind,
                detail=dict(detail),
                source=source,
                proposed_by=proposed_by if proposed_by is not None else self.person_id,
                approved_by=approved_by,
                actor=self.actor,
                at=self.now(),
            )
        )

    def history_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Write many history rows at once (the importer)."""
        batch = [{"district_id": self.district_id, "actor": self.actor, "at": self.now(), **r} for r in rows]
        if batch:
            self.conn.execute(sa.insert(s.household_history), batch)
