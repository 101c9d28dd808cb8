"""When captain day (楼长日) falls: the first Friday of each month by default, or the next
working day of the Chinese calendar when that Friday is a holiday (2 October 2026, in the
National Day week, moves to Thursday 8 October). A district may choose another week and
weekday (``captain_day_week``, ``captain_day_weekday`` with Monday = 1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

__all__ = ["captain_day", "next_captain_day"]

WorkingDay = Callable[[dt.date], bool]


def _nth_weekday(year: int, month: int, nth: int, weekday: int) -> dt.date:
    """The ``nth`` (1–4) ``weekday`` (ISO, Monday = 1) of a month."""
    first = dt.date(year, month, 1)
    offset = (weekday - first.isoweekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (nth - 1))


def captain_day(year: int, month: int, is_working_day: WorkingDay, *, week: int = 1, weekday: int = 5) -> dt.date:
    """Captain day of a month: the ``week``-th ``weekday``, moved to the next working day if needed.

    Parameters:
      year, month: the month.
      is_working_day: the district's calendar (``ctx.is_working_day``).
      week: which week of the month, 1 to 4.
      weekday: ISO weekday, Monday = 1 … Sunday = 7 (Friday = 5).

    Raises:
      ValueError: ``week`` or ``weekday`` out of range.
    """
    if not 1 <= week <= 4 or not 1 <= weekday <= 7:
        raise ValueError("captain day: week is 1 to 4 and weekday 1 (Monday) to 7 (Sunday)")
    day = _nth_weekday(year, month, week, weekday)
    for _ in range(31):  # the longest holiday is 8 days; a month of days off means a broken calendar
        if is_working_day(day):
            return day
        day += dt.timedelta(days=1)
    return _nth_weekday(year, month, week, weekday)


def next_captain_day(today: dt.date, is_working_day: WorkingDay, *, week: int = 1, weekday: int = 5) -> dt.date:
    """The first captain day on or after ``today``."""
    year, month = today.year, today.month
    for _ in range(3):
        day = captain_day(year, month, is_working_day, week=week, weekday=weekday)
        if day >= today:
            return day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("unreachable: a captain day falls within every month")
