"""What every part of the tracks plugin needs: roles, finding a unit, a track or a quarter from
what people type, the reporting quarter, and a definition error as a chat answer."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import N_, PluginContext, UserError
from linli.plugins.tracks.contest import quarter_row, rules_for
from linli.plugins.tracks.definitions import DefinitionError, Quarter, quarter_of
from linli.plugins.tracks.tables import enrolments, tracks, units

__all__ = [
    "ASSESSOR",
    "ORGANISER",
    "REPORTER",
    "STATUS",
    "deadline",
    "definition_error",
    "is_assessor",
    "is_enrolled",
    "is_organiser",
    "keyvalues",
    "my_units",
    "next_number",
    "quarter_arg",
    "reporting_quarter",
    "require_track",
    "require_unit",
    "today",
]

ORGANISER = "organiser"
ASSESSOR = "assessor"
REPORTER = "reporter"
#: a submission's states, as people read them
STATUS = {
    "pending": N_("pending review"),
    "queried": N_("queried"),
    "accepted": N_("verified"),
    "rejected": N_("rejected, with reason"),
}


def today(ctx: PluginContext) -> dt.date:
    return ctx.now().date()


def next_number(ctx: PluginContext, table: sa.Table) -> int:
    return int(ctx.store.execute(sa.select(sa.func.max(table.c.number))).scalar() or 0) + 1


def definition_error(ctx: PluginContext, error: DefinitionError) -> UserError:
    """A definition error as the person's answer, with "nothing changed"."""
    space = "" if ctx.t.language.startswith("zh") else " "
    return ctx.fail(ctx.t(error.msgid, **error.values) + space + ctx.t("Nothing was changed."))


def is_organiser(ctx: PluginContext) -> bool:
    return ctx.has_role(ORGANISER)


def is_assessor(ctx: PluginContext, track_code: str | None = None) -> bool:
    """An assessor of the track (a grant scoped ``track:CODE``, or district-wide)."""
    if track_code is None:
        return ctx.has_role(ASSESSOR)
    return ctx.has_role(ASSESSOR, scope=f"track:{track_code}")


def my_units(ctx: PluginContext) -> list[Any]:
    """The units the person reports for (grants of ``reporter`` scoped ``unit:CODE``; a
    district-wide grant reports for every unit)."""
    scopes = ctx.roles.get(REPORTER, frozenset())
    if not scopes:
        return []
    rows = ctx.store.select(units, order_by=[units.c.code])
    if "" in scopes:
        return list(rows)
    return [u for u in rows if f"unit:{u.code}" in scopes]


def require_unit(ctx: PluginContext, code: str) -> Any:
    unit = ctx.store.get(units, units.c.code == code.strip())
    if unit is None:
        raise ctx.fail(ctx.t("There is no unit {unit}. Send /tracks to see the tracks and their units.", unit=code))
    return unit


def require_track(ctx: PluginContext, code: str) -> Any:
    track = ctx.store.get(tracks, tracks.c.code == code.strip())
    if track is None:
        raise ctx.fail(ctx.t("There is no track {track}. Send /tracks to see them.", track=code))
    return track


def is_enrolled(ctx: PluginContext, track_id: int, unit_id: int) -> bool:
    return ctx.store.get(enrolments, enrolments.c.track_id == track_id, enrolments.c.unit_id == unit_id) is not None


def quarter_arg(ctx: PluginContext, word: str) -> Quarter:
    quarter = Quarter.parse(word)
    if quarter is None:
        raise ctx.fail(ctx.t("“{word}” is not a quarter; write it as 2026Q1.", word=word))
    return quarter


def deadline(ctx: PluginContext, quarter: Quarter) -> dt.date:
    row = quarter_row(ctx.store, quarter, int(ctx.config["deadline_days"]))
    return row.deadline  # type: ignore[no-any-return]


def reporting_quarter(ctx: PluginContext, track_id: int) -> Quarter:
    """The quarter a report is for when none is named: the last quarter until its deadline has
    passed (when the track ran then), then the current one."""
    current = quarter_of(today(ctx))
    previous = current.previous()
    if rules_for(ctx.store, track_id, previous) is not None and today(ctx) <= deadline(ctx, previous):
        return previous
    return current


def keyvalues(ctx: PluginContext, words: list[str], keys: dict[str, str]) -> dict[str, str]:
    """``key=value`` words (Chinese keys and full-width ``＝`` too) as a dict by English key."""
    out: dict[str, str] = {}
    for word in words:
        key, sep, value = _split(word)
        if not sep or key.lower() not in keys:
            raise ctx.fail(
                ctx.t(
                    "“{word}” is not one of {keys} followed by = and a value.",
                    word=word,
                    keys=", ".join(sorted(set(keys.values()))),
                )
            )
        out[keys[key.lower()]] = value
    return out


def _split(word: str) -> tuple[str, str, str]:
    m = re.match(r"^([^=＝]+)([=＝])(.*)$", word)
    if not m:
        return word, "", ""
    return m.group(1).strip(), m.group(2), m.group(3).strip()
