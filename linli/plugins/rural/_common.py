"""What every part of the rural plugin needs: its roles, households as a village names them,
the income line of a year, the labels of codes.

A village's register is the core registry's: its groups (村民小组, ``一组``) are the register's
buildings and a household is called by its group and number (``一组/12``), or by its number
alone when only one group has it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from linli.core.plugin import N_, Household, PluginContext

__all__ = [
    "CAUSES",
    "EVENTS",
    "HELPER",
    "MEASURES",
    "SECRETARY",
    "SOURCES",
    "STATES",
    "TEAM",
    "TOWNSHIP",
    "find_household",
    "helper_units",
    "household_label",
    "income_line",
    "is_team",
    "joined",
    "labels",
    "require_household",
]

SECRETARY = "secretary"
TEAM = "village_team"
TOWNSHIP = "township"
HELPER = "helper"

#: how a lead came in
SOURCES: dict[str, str] = {
    "application": N_("the household's own application"),
    "pairing": N_("a pairing visit"),
    "grid": N_("a grid member"),
    "department": N_("a department's list"),
}
SOURCE_WORDS = {
    "application": ("申请", "自主申请", "application", "apply"),
    "pairing": ("走访", "结对", "帮扶走访", "pairing", "visit"),
    "grid": ("网格", "网格员", "grid"),
    "department": ("部门", "部门筛查", "department", "list"),
}

#: the states of a monitoring case
STATES: dict[str, str] = {
    "lead": N_("lead"),
    "visited": N_("home visit done"),
    "notice": N_("public notice"),
    "appraised": N_("appraised, awaiting the township"),
    "monitored": N_("monitored"),
    "eliminated": N_("risk eliminated"),
    "declined": N_("not taken into monitoring"),
}
OPEN_STATES = ("lead", "visited", "notice", "appraised")

#: what happened to a case
EVENTS = {
    "lead": N_("lead"),
    "visit": N_("home visit"),
    "notice": N_("public notice"),
    "objection": N_("objection"),
    "appraised": N_("village appraisal"),
    "approved": N_("approved by the township"),
    "declined": N_("declined"),
    "helper": N_("responsible helper"),
    "measure": N_("measure"),
    "review": N_("yearly review"),
    "eliminated": N_("risk eliminated"),
}

#: risk causes (返贫致贫风险)
CAUSES: dict[str, str] = {
    "illness": N_("illness"),
    "disability": N_("disability"),
    "schooling": N_("schooling costs"),
    "disaster": N_("natural disaster"),
    "accident": N_("accident"),
    "labour": N_("lack of labour"),
    "jobs": N_("unstable employment"),
    "industry": N_("failed industry"),
    "housing": N_("unsafe housing"),
    "water": N_("unsafe drinking water"),
    "other": N_("other"),
}
CAUSE_WORDS = {
    "illness": ("因病", "疾病", "病"),
    "disability": ("因残", "残疾", "残"),
    "schooling": ("因学", "上学"),
    "disaster": ("因灾", "灾"),
    "accident": ("意外", "事故"),
    "labour": ("缺劳力", "缺劳动力"),
    "jobs": ("务工不稳", "就业", "失业"),
    "industry": ("产业失败", "产业"),
    "housing": ("住房",),
    "water": ("饮水",),
    "other": ("其他",),
}

#: measures of help (帮扶措施)
MEASURES: dict[str, str] = {
    "industry": N_("industry support"),
    "employment": N_("employment support"),
    "medical": N_("medical aid"),
    "education": N_("education aid"),
    "minimum": N_("minimum income"),
    "housing": N_("housing safety"),
    "other": N_("other help"),
}
MEASURE_WORDS = {
    "industry": ("产业", "产业帮扶"),
    "employment": ("就业", "就业帮扶", "务工"),
    "medical": ("医疗", "医疗救助"),
    "education": ("教育", "教育资助", "助学"),
    "minimum": ("低保", "最低生活保障"),
    "housing": ("住房", "危房改造"),
    "other": ("其他",),
}

_SEPARATOR = re.compile(r"[/／:：]")


def joined(ctx: PluginContext, parts: Iterable[str]) -> str:
    return ("、" if ctx.t.language.startswith("zh") else ", ").join(parts)


def labels(ctx: PluginContext, codes: Mapping[str, str]) -> str:
    """The codes a person may type, with their labels: ``illness (因病)``."""
    return joined(ctx, [f"{code} ({ctx.t(label)})" for code, label in codes.items()])


def code_of(ctx: PluginContext, text: str, codes: Mapping[str, str], words: Mapping[str, Iterable[str]]) -> str | None:
    """The code a person typed: the code, its label in their language, or a usual word for it."""
    wanted = text.strip().casefold()
    for code, label in codes.items():
        if wanted in (code, ctx.t(label).casefold(), label.casefold()) or wanted in words.get(code, ()):
            return code
    return None


def is_team(ctx: PluginContext) -> bool:
    """The first secretary or the village work team (or an admin)."""
    return ctx.has_role(SECRETARY, TEAM)


def helper_units(ctx: PluginContext) -> set[str]:
    """The units the person helps for (``helper`` granted with scope ``unit:NAME``)."""
    return {s.split(":", 1)[1] for s in ctx.roles.get(HELPER, frozenset()) if s.startswith("unit:")}


def household_label(ctx: PluginContext, household: Household | None) -> str:
    if household is None:
        return "—"
    building = ctx.registry.building_by_id(household.building_id)
    return f"{building.code if building else ''}/{household.label}"


def find_household(ctx: PluginContext, text: str) -> Household | None:
    """The household called ``一组/12``, or ``12`` when exactly one group has it."""
    reg = ctx.registry
    text = text.strip()
    parts = _SEPARATOR.split(text, maxsplit=1)
    if len(parts) == 2:
        return reg.household(parts[0].strip(), parts[1].strip()) if parts[0].strip() and parts[1].strip() else None
    if not text:
        return None
    found = [h for b in reg.buildings() if (h := reg.household(b.code, text)) is not None]
    return found[0] if len(found) == 1 else None


def require_household(ctx: PluginContext, text: str) -> Household:
    household = find_household(ctx, text)
    if household is None:
        raise ctx.fail(
            ctx.t(
                "There is no household {household} in the register. Name it by group and number, e.g. 一组/12.",
                household=text,
            )
        )
    return household


def income_line(ctx: PluginContext, year: int) -> int:
    """The monitoring income line (yuan per person per year) of ``year`` in this place: the
    district's ``income_lines`` entry for the year, else its ``income_line``."""
    lines: Any = ctx.config.get("income_lines") or {}
    value = lines.get(str(year)) if isinstance(lines, Mapping) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1_000_000:
        return value
    if value is not None:
        ctx.log.warning("rural: income_lines entry is not a whole number of yuan; income_line used", year=year)
    return int(ctx.config.get("income_line", 0) or 0)


def today(ctx: PluginContext) -> dt.date:
    return ctx.now().date()


def who(ctx: PluginContext, ids: Iterable[int | None]) -> dict[int, str]:
    return ctx.display_names(sorted({i for i in ids if i is not None}))
