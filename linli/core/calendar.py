"""The Chinese working-day calendar: weekends, public holidays and make-up working days (调休).

The ``chinese_calendar`` package knows the years the State Council has announced
(each December for the next year). For a year it does not know, linli counts
Monday to Friday as working days and says so once in the log; ``[scheduler]
holidays`` and ``workdays`` in the settings add the announced days by hand until
the package is upgraded.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from typing import Any

import chinese_calendar
import structlog

from linli.core.errors import SettingsError
from linli.core.settings import SchedulerSettings

__all__ = ["WorkingDays"]


class WorkingDays:
    """Tells working days from days off, the way a Chinese office does.

    Parameters:
      holidays: extra days off, such as a public holiday of a year the package does not know yet.
      workdays: extra working days, such as a make-up working Saturday (调休) of such a year.
      log: where the "year unknown" warning goes (``linli.scheduler`` by default).

    Raises:
      SettingsError: a date is listed both as a holiday and as a working day.
    """

    def __init__(self, *, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = (), log: Any = None) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        both = sorted(self.holidays & self.workdays)
        if both:
            listed = ", ".join(d.isoformat() for d in both)
            raise SettingsError(f"[scheduler] holidays and workdays both list {listed}; keep each date in one of them")
        # a logger per instance, so that structlog's logger cache cannot hide it from capture_logs in tests
        self.log = log if log is not None else structlog.get_logger("linli.scheduler")
        self._warned: set[int] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: SchedulerSettings) -> WorkingDays:
        """The calendar with the ``[scheduler]`` holidays and workdays.

        Raises:
          SettingsError: a date is listed both as a holiday and as a working day.
        """
        return cls(holidays=settings.holidays, workdays=settings.workdays)

    def is_working_day(self, day: dt.date) -> bool:
        """Whether people work on ``day``.

        Parameters:
          day: a calendar date; take it in the district's time zone first
            (``ctx.now().date()``), since a UTC date is the day before until 08:00 in China.

        Raises:
          TypeError: ``day`` is a datetime, whose date depends on a time zone.
        """
        if isinstance(day, dt.datetime):
            raise TypeError(
                "is_working_day() takes a date: convert the datetime to the district's time zone and take its date()"
            )
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            self._warn_unknown(day.year)
            return day.weekday() < 5

    def _warn_unknown(self, year: int) -> None:
        with self._lock:
            if year in self._warned:
                return
            self._warned.add(year)
        self.log.warning(
            "the working-day calendar does not know this year; counting Monday to Friday as working days. "
            "Upgrade the chinesecalendar package, or list the year's holidays and make-up working days "
            "under [scheduler] holidays and workdays",
            year=year,
        )
