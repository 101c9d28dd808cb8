"""What the register hands out: plain frozen records, safe to keep after the transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from attrs import frozen

__all__ = ["Building", "Change", "Duplicate", "Grid", "HistoryEntry", "Household", "Resident"]


@frozen
class Grid:
    id: int
    code: str
    name: str

    @property
    def scope(self) -> str:
        """The role scope of this grid (``grid:<id>``), for grants and :meth:`has_role`."""
        return f"grid:{self.id}"


@frozen
class Building:
    id: int
    code: str
    name: str
    grid_id: int | None
    address: str = ""

    @property
    def scope(self) -> str:
        """The role scope of this building (``building:<id>``)."""
        return f"building:{self.id}"


@frozen
class Household:
    id: int
    building_id: int
    unit: str
    number: str
    status: str
    phone: str | None = None

    @property
    def label(self) -> str:
        """Unit and number as people say them (``2-301``, or ``301`` without a unit)."""
        return f"{self.unit}-{self.number}" if self.unit else self.number


@frozen
class Resident:
    """A person of the register. ``has_account`` is False for someone who never talked to
    the bot (most elderly residents): a captain or worker acts for them."""

    person_id: int
    name: str
    gender: str
    birth_date: dt.date | None
    phone: str | None
    deceased_on: dt.date | None
    has_account: bool
    household_id: int | None = None
    relation: str = ""


@frozen
class Duplicate:
    """Register people who may be one human, and why (``id``: the same ID number;
    ``name_birth_building``: the same name, date of birth and building)."""

    person_ids: tuple[int, ...]
    reason: str


@frozen
class Change:
    id: int
    household_id: int
    kind: str
    detail: Mapping[str, Any]
    status: str
    proposed_by: int | None
    proposed_at: dt.datetime
    decided_by: int | None = None
    decided_at: dt.datetime | None = None
    reason: str = ""


@frozen
class HistoryEntry:
    id: int
    household_id: int
    kind: str
    detail: Mapping[str, Any]
    source: str
    proposed_by: int | None
    approved_by: int | None
    actor: str
    at: dt.datetime
    change_id: int | None = None
