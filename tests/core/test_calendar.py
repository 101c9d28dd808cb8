"""The Chinese working-day calendar: weekends, public holidays, make-up working days (调休)."""

from __future__ import annotations

import datetime as dt

import pytest
from structlog.testing import capture_logs

from linli.core.calendar import WorkingDays
from linli.core.errors import SettingsError
from linli.core.settings import SchedulerSettings

D = dt.date


# --- the years the package knows ---------------------------------------------------------


def test_an_ordinary_weekday_is_a_working_day():
    assert WorkingDays().is_working_day(D(2025, 9, 26))  # a Friday


def test_an_ordinary_weekend_is_not_a_working_day():
    calendar = WorkingDays()

    assert not calendar.is_working_day(D(2025, 9, 27))  # Saturday
    assert not calendar.is_working_day(D(2025, 10, 12))  # Sunday


@pytest.mark.parametrize("day", [D(2025, 10, d) for d in range(1, 9)])
def test_every_day_of_the_national_day_holiday_is_a_day_off(day):
    assert not WorkingDays().is_working_day(day)


@pytest.mark.parametrize("day", [D(2025, 9, 28), D(2025, 10, 11), D(2026, 9, 20), D(2026, 10, 10)])
def test_a_make_up_working_weekend_day_is_a_working_day(day):
    assert day.weekday() >= 5
    assert WorkingDays().is_working_day(day)


def test_a_weekday_public_holiday_of_2026_is_a_day_off():
    assert not WorkingDays().is_working_day(D(2026, 10, 1))  # a Thursday


# --- years nobody has announced yet ----------------------------------------------------------


def test_an_unknown_year_falls_back_to_monday_to_friday():
    calendar = WorkingDays()

    assert calendar.is_working_day(D(2099, 1, 1))  # a Thursday, whatever the holiday will be
    assert not calendar.is_working_day(D(2099, 1, 3))  # Saturday


def test_an_unknown_year_is_warned_about_once():
    calendar = WorkingDays()

    with capture_logs() as logs:
        for day in range(1, 20):
            calendar.is_working_day(D(2099, 3, day))
        calendar.is_working_day(D(2098, 3, 2))

    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert [w["year"] for w in warnings] == [2099, 2098]
    assert "Monday to Friday" in warnings[0]["event"]


def test_a_known_year_logs_nothing():
    with capture_logs() as logs:
        WorkingDays().is_working_day(D(2026, 5, 1))

    assert logs == []


# --- days the settings add -------------------------------------------------------------------


def test_settings_holidays_and_workdays_override_the_package_and_the_fallback():
    calendar = WorkingDays.from_settings(
        SchedulerSettings(
            holidays=(D(2099, 1, 1), D(2025, 9, 26)),
            workdays=(D(2099, 1, 3), D(2025, 10, 1)),
        )
    )

    assert not calendar.is_working_day(D(2099, 1, 1))
    assert calendar.is_working_day(D(2099, 1, 3))
    assert not calendar.is_working_day(D(2025, 9, 26))
    assert calendar.is_working_day(D(2025, 10, 1))


def test_settings_days_of_an_unknown_year_need_no_warning():
    calendar = WorkingDays(holidays=[D(2099, 1, 1)])

    with capture_logs() as logs:
        calendar.is_working_day(D(2099, 1, 1))

    assert logs == []


def test_a_date_listed_as_holiday_and_workday_is_a_settings_error():
    with pytest.raises(SettingsError, match="2099-01-01"):
        WorkingDays(holidays=[D(2099, 1, 1)], workdays=[D(2099, 1, 1)])


def test_a_datetime_is_refused_because_its_date_depends_on_the_time_zone():
    with pytest.raises(TypeError, match="time zone"):
        WorkingDays().is_working_day(dt.datetime(2025, 10, 1, 1, 0, tzinfo=dt.UTC))
