"""The register of a district: district → grid → building → (unit) → household → person.

A person of the register may have no chat account; a captain or worker acts for them
(:meth:`Registry.act_for`), and they may link an account later with a one-time code.
Plugins reach it as ``ctx.registry``; the CLI builds a :class:`Registry` itself.
"""

from linli.core.register.api import CHANGE_KINDS, Added, Registry
from linli.core.register.merge import PERSON_MERGED, merged_persons
from linli.core.register.model import Building, Change, Duplicate, Grid, HistoryEntry, Household, Resident

__all__ = [
    "CHANGE_KINDS",
    "PERSON_MERGED",
    "Added",
    "Building",
    "Change",
    "Duplicate",
    "Grid",
    "HistoryEntry",
    "Household",
    "Registry",
    "Resident",
    "merged_persons",
]
