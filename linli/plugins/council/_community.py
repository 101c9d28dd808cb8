"""Helpers shared by meetings, the convention, action items and adoptions: numbers in
arguments, the council's room, telling a person privately in their own language."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from typing import Any

from linli.core.plugin import Address, Choice, PluginContext, parse_number
from linli.plugins.council.matters import COUNCIL

__all__ = ["add_months", "council_room", "group_room", "notify_council", "number", "tell"]


def number(ctx: PluginContext, word: str, usage: str) -> int:
    """The number in ``word`` (``3``, ``#3``, ``３``).

    Raises: UserError: ``word`` is not a number (the person reads ``usage``, already translated).
    """
    found = parse_number(word)
    if found is None:
        raise ctx.fail(usage)
    return found


def council_room(ctx: PluginContext) -> Address | None:
    """The council's own room (``council_room`` in the district's config), if it has one."""
    room = str(ctx.config.get("council_room", "") or "")
    return Address.parse(room) if room else None


def group_room(ctx: PluginContext) -> Address | None:
    """The residents' group where the council announces things: the configured ``room``, else the
    group the command came from, else the district's first room (as polls are announced)."""
    configured = str(ctx.config.get("room", "") or "")
    if configured:
        return Address.parse(configured)
    if ctx.address is not None and not ctx.private:
        return ctx.address
    return Address.parse(ctx.district.rooms[0]) if ctx.district.rooms else None


def notify_council(ctx: PluginContext, text: str, choices: Sequence[Choice] = ()) -> None:
    """Tell the council: in its room when it has one, else each council member privately."""
    room = council_room(ctx)
    if room is not None:
        ctx.send(room, text, choices=choices)
        return
    for pid in ctx.holders_of(COUNCIL):
        if ctx.person is None or pid != ctx.person.id:
            ctx.send_private(pid, text, choices=choices)


def tell(
    ctx: PluginContext,
    person_id: int | None,
    msgid: str,
    *,
    choices: Sequence[Choice] = (),
    labels: Sequence[str] = (),
    **values: Any,
) -> bool:
    """Send ``msgid`` to the person's private chat in their language.

    Parameters:
      msgid: the message, marked with ``N_`` by the caller.
      choices: buttons to send with it.
      labels: the names of ``values`` that are msgids themselves, translated for the person too.
      values: the placeholders.

    Returns False when they have no private chat (or were forgotten).
    """
    if person_id is None:
        return False
    t = ctx.translator_for(person_id)
    shown = {k: t(v) if k in labels else v for k, v in values.items()}
    return ctx.send_private(person_id, t(msgid, **shown), choices=choices)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved on by ``months`` calendar months (31 January + 1 month is 28/29 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
