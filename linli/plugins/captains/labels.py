"""The words the captains' work is described with: kinds of captain, sweep outcomes, special
households, the states and levels of a need. Codes are stored; labels are msgids.

A district may configure its own outcome and special-household codes (``outcomes`` and
``special_codes`` under ``[districts.<id>.config.captains]``, each code to its label); the
defaults here are what a community in the seed article keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from linli.core.plugin import N_, PluginContext

__all__ = [
    "KINDS",
    "LEVELS",
    "NEED_STATES",
    "OUTCOMES",
    "SPECIAL_CODES",
    "outcomes",
    "special_codes",
]

KINDS = {"gov": N_("government-affairs captain"), "resident": N_("resident-affairs captain")}
#: the words people type for a kind of captain
KIND_WORDS = {
    "gov": "gov",
    "government": "gov",
    "政务": "gov",
    "政务楼长": "gov",
    "resident": "resident",
    "居务": "resident",
    "居务楼长": "resident",
}

#: what a captain found at a household in a sweep (排查); a district may replace the list
OUTCOMES = {
    "ok": N_("All well"),
    "absent": N_("Nobody at home"),
    "help": N_("Needs help"),
    "special": N_("Special household"),
    "moved": N_("Moved away / empty"),
}

#: special households (特殊户) as codes, never free text
SPECIAL_CODES = {
    "alone_elderly": N_("Elderly living alone"),
    "disabled": N_("Disabled"),
    "dibao": N_("Minimum income (低保)"),
    "tekun": N_("Extreme hardship (特困)"),
    "left_behind_child": N_("Left-behind child"),
    "left_behind_elderly": N_("Left-behind elderly"),
    "serious_illness": N_("Serious illness"),
}

NEED_STATES = {
    "reported": N_("reported"),
    "taken": N_("taken in the grid"),
    "in_progress": N_("in progress"),
    "resolved": N_("resolved"),
    "confirmed": N_("confirmed"),
    "referred": N_("referred to mediation"),
}
OPEN_NEED_STATES = ("reported", "taken", "in_progress")

#: where a need is handled: small matters stay in the grid, big ones in the community
LEVELS = {"grid": N_("grid"), "community": N_("community"), "street": N_("street")}
LEVEL_ORDER = ("grid", "community", "street")


def _configured(ctx: PluginContext, key: str, default: Mapping[str, str]) -> dict[str, str]:
    value: Any = ctx.config.get(key)
    if (
        isinstance(value, Mapping)
        and value
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    ):
        return dict(value)
    return dict(default)


def outcomes(ctx: PluginContext) -> dict[str, str]:
    """This district's sweep outcome codes and their labels (msgids or the district's own words)."""
    return _configured(ctx, "outcomes", OUTCOMES)


def special_codes(ctx: PluginContext) -> dict[str, str]:
    """This district's special-household codes and their labels."""
    return _configured(ctx, "special_codes", SPECIAL_CODES)
