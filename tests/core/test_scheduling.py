"""When jobs fire: cron per district and time zone, once after downtime, working days only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from structlog.testing import capture_logs

from linli.core import scheduling
from linli.core.calendar import WorkingDays
from linli.core.directory import DistrictInfo
from linli.core.events import HandlerCall
from linli.core.plugin import Manifest, Plugin, PluginContext, scheduled
from linli.core.registry import PluginRegistry

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clinic(Plugin):
    manifest = Manifest(name="clinic", version="1.0", config_defaults={"evening_cron": "0 20 * * *"})

    @scheduled("morning", "30 8 * * *")
    def morning(self, ctx: PluginContext) -> None:
        pass

    @scheduled("digest", "30 8 * * *", working_days_only=True)
    def send_digest(self, ctx: PluginContext) -> None:
        pass

    @scheduled("evening", "0 18 * * *")
    def evening(self, ctx: PluginContext) -> None:
        pass


REGISTRY = PluginRegistry([Clinic])


def district(
    district_id: str = "a",
    timezone: str = "Asia/Shanghai",
    *,
    plugins: Iterable[str] = ("clinic",),
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> DistrictInfo:
    return DistrictInfo(
        id=district_id,
        name=district_id,
        kind="community",
        language="zh_CN",
        timezone=timezone,
        plugins=frozenset(plugins),
        rooms=(),
        config=config or {},
    )


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


class Ticker:
    """A scheduler's ticks in memory: the state a real one keeps in ``schedule_state``."""

    def __init__(
        self, districts: Iterable[DistrictInfo], *, only: str | None = None, calendar: WorkingDays | None = None
    ) -> None:
        self.jobs = [j for j in scheduling.active_jobs(districts, REGISTRY) if only is None or j.name == only]
        self.state: dict[scheduling.StateKey, dt.datetime] = {}
        self.timetable = scheduling.Timetable()
        self.calendar = calendar or WorkingDays()

    def tick(self, now: dt.datetime) -> list[HandlerCall]:
        decisions = scheduling.plan(self.jobs, self.state, now, self.timetable, self.calendar)
        for d in decisions:
            self.state[d.job.key] = max(d.last_fire, self.state.get(d.job.key, d.last_fire))
        return [d.call for d in decisions if d.call is not None]

    def fired_days(self, start: dt.date, end: dt.date, at: dt.time = dt.time(9)) -> list[dt.date]:
        """Tick once a day at ``at`` (local) from ``start`` to ``end``; the days a job fired."""
        self.tick(dt.datetime.combine(start - dt.timedelta(days=1), at, SHANGHAI))
        days = []
        day = start
        while day <= end:
            if self.tick(dt.datetime.combine(day, at, SHANGHAI)):
                days.append(day)
            day += dt.timedelta(days=1)
        return days


# --- time zones --------------------------------------------------------------------------------


def test_a_job_fires_at_its_local_time_in_each_districts_time_zone():
    ticker = Ticker([district("shenyang"), district("london", "UTC")], only="morning")
    ticker.tick(dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC))

    shenyang = ticker.tick(dt.datetime(2026, 11, 26, 0, 30, tzinfo=dt.UTC))
    nothing = ticker.tick(dt.datetime(2026, 11, 26, 8, 29, tzinfo=dt.UTC))
    london = ticker.tick(dt.datetime(2026, 11, 26, 8, 30, tzinfo=dt.UTC))

    assert [(c.district_id, c.fire_time) for c in shenyang] == [("shenyang", "2026-11-26T08:30:00+08:00")]
    assert nothing == []
    assert [(c.district_id, c.fire_time) for c in london] == [("london", "2026-11-26T08:30:00+00:00")]


def test_a_firing_is_a_job_call_with_a_key_made_of_district_job_and_utc_time():
    ticker = Ticker([district("shenyang")], only="morning")
    ticker.tick(local(2026, 11, 26, 8, 0))

    (call,) = ticker.tick(local(2026, 11, 26, 8, 30))

    assert call.key == "job:shenyang:clinic.morning:2026-11-26T00:30:00+00:00"
    assert (call.kind, call.plugin, call.handler, call.language) == ("job", "clinic", "morning", "zh_CN")


def test_the_same_firing_always_gets_the_same_key():
    (job,) = [j for j in scheduling.active_jobs([district()], REGISTRY) if j.name == "morning"]
    when = local(2026, 11, 26, 8, 30)

    assert scheduling.job_call(job, when) == scheduling.job_call(job, when.astimezone(dt.UTC))


# --- downtime and first start ---------------------------------------------------------------------


def test_a_first_start_does_not_replay_the_past():
    ticker = Ticker([district()])

    assert ticker.tick(local(2026, 11, 26, 23, 0)) == []
    assert set(ticker.state.values()) == {local(2026, 11, 26, 23, 0)}


def test_several_missed_firings_fire_once_for_the_latest():
    ticker = Ticker([district()], only="morning")
    ticker.tick(local(2026, 11, 20, 9, 0))

    calls = ticker.tick(local(2026, 11, 26, 10, 0))  # six 08:30 firings missed

    assert [c.fire_time for c in calls] == ["2026-11-26T08:30:00+08:00"]
    assert ticker.tick(local(2026, 11, 26, 10, 1)) == []


def test_a_frequent_job_after_a_long_stop_fires_once():
    ticker = Ticker([district(config={"clinic": {"morning_cron": "* * * * *"}})], only="morning")
    ticker.tick(local(2025, 11, 26, 9, 0))

    calls = ticker.tick(local(2026, 11, 26, 9, 0, 30))

    assert [c.fire_time for c in calls] == ["2026-11-26T09:00:00+08:00"]


def test_nothing_fires_between_firings():
    ticker = Ticker([district()], only="morning")
    ticker.tick(local(2026, 11, 26, 8, 0))

    assert ticker.tick(local(2026, 11, 26, 8, 29, 59)) == []


# --- working days -------------------------------------------------------------------------------------


def test_a_working_days_job_skips_weekends_and_the_national_day_holiday_but_not_make_up_days():
    ticker = Ticker([district()], only="digest")

    fired = ticker.fired_days(dt.date(2025, 9, 26), dt.date(2025, 10, 13))

    assert fired == [
        dt.date(2025, 9, 26),  # Friday
        dt.date(2025, 9, 28),  # Sunday, a make-up working day (调休)
        dt.date(2025, 9, 29),
        dt.date(2025, 9, 30),
        # 1 to 8 October: National Day and Mid-Autumn holiday
        dt.date(2025, 10, 9),
        dt.date(2025, 10, 10),
        dt.date(2025, 10, 11),  # Saturday, a make-up working day
        dt.date(2025, 10, 13),
    ]


def test_a_job_without_working_days_only_fires_on_holidays_too():
    ticker = Ticker([district()], only="morning")

    assert len(ticker.fired_days(dt.date(2025, 10, 1), dt.date(2025, 10, 8))) == 8


def test_a_skipped_day_off_is_recorded_so_it_does_not_fire_later():
    ticker = Ticker([district()], only="digest")
    ticker.tick(local(2025, 9, 26, 9, 0))

    assert ticker.tick(local(2025, 9, 27, 9, 0)) == []  # Saturday
    assert ticker.state[("a", "clinic", "digest")] == local(2025, 9, 27, 8, 30)
    assert ticker.tick(local(2025, 9, 27, 10, 0)) == []


def test_a_missed_working_day_firing_runs_when_the_scheduler_returns_on_a_day_off():
    ticker = Ticker([district()], only="digest")
    ticker.tick(local(2025, 9, 25, 9, 0))  # Thursday, after the digest

    calls = ticker.tick(local(2025, 9, 27, 10, 0))  # back on Saturday; Friday's digest was missed

    assert [c.fire_time for c in calls] == ["2025-09-26T08:30:00+08:00"]


def test_a_long_holiday_is_searched_back_to_the_last_working_day():
    ticker = Ticker([district(config={"clinic": {"digest_cron": "* * * * *"}})], only="digest")
    ticker.tick(local(2026, 2, 13, 17, 59))

    calls = ticker.tick(local(2026, 2, 22, 12, 0))  # Spring Festival; the 14th was a make-up Saturday

    assert [c.fire_time for c in calls] == ["2026-02-14T23:59:00+08:00"]


def test_an_unknown_year_runs_working_days_jobs_monday_to_friday_with_a_warning():
    ticker = Ticker([district()], only="digest")

    with capture_logs() as logs:
        fired = ticker.fired_days(dt.date(2099, 1, 2), dt.date(2099, 1, 5))

    assert fired == [dt.date(2099, 1, 2), dt.date(2099, 1, 5)]  # Friday, Monday
    assert [e["year"] for e in logs if e["log_level"] == "warning"] == [2099]


def test_settings_holidays_and_workdays_decide_before_the_package():
    calendar = WorkingDays(holidays=[dt.date(2099, 1, 5)], workdays=[dt.date(2099, 1, 3)])
    ticker = Ticker([district()], only="digest", calendar=calendar)

    assert ticker.fired_days(dt.date(2099, 1, 2), dt.date(2099, 1, 6)) == [
        dt.date(2099, 1, 2),
        dt.date(2099, 1, 3),
        dt.date(2099, 1, 6),
    ]


# --- per-district overrides -----------------------------------------------------------------------


def test_a_district_overrides_a_jobs_cron_in_its_plugin_config():
    ticker = Ticker([district("a", config={"clinic": {"morning_cron": "0 18 * * *"}}), district("b")], only="morning")
    ticker.tick(local(2026, 11, 26, 8, 0))

    at_half_past_eight = ticker.tick(local(2026, 11, 26, 8, 30))
    at_six = ticker.tick(local(2026, 11, 26, 18, 0))

    assert [c.district_id for c in at_half_past_eight] == ["b"]
    assert [c.district_id for c in at_six] == ["a"]


def test_a_plugins_config_default_for_the_cron_applies_when_the_district_sets_none():
    (job,) = [j for j in scheduling.active_jobs([district()], REGISTRY) if j.name == "evening"]

    assert job.cron == "0 20 * * *"


def test_an_empty_cron_override_turns_the_job_off_in_that_district():
    jobs = scheduling.active_jobs([district(config={"clinic": {"morning_cron": ""}})], REGISTRY)

    assert "morning" not in {j.name for j in jobs}


def test_jobs_of_a_plugin_not_enabled_in_a_district_do_not_run_there():
    assert scheduling.active_jobs([district(plugins=("core",))], REGISTRY) == []


def test_a_bad_cron_override_is_reported_once_and_the_job_does_not_run():
    ticker = Ticker([district(config={"clinic": {"morning_cron": "30 25 * * *"}})], only="morning")

    with capture_logs() as logs:
        ticker.tick(local(2026, 11, 26, 8, 0))
        calls = ticker.tick(local(2026, 11, 27, 8, 0)) + ticker.tick(local(2026, 11, 28, 8, 0))

    assert calls == []
    errors = [e for e in logs if e["log_level"] == "error"]
    assert len(errors) == 1
    assert errors[0]["district"] == "a" and "morning_cron" in errors[0]["event"]


# --- crontab expressions ---------------------------------------------------------------------------


def first_fires(expr: str, n: int = 3) -> list[str]:
    trigger = scheduling.parse_cron(expr, "Asia/Shanghai")
    out, when = [], local(2026, 11, 26, 0, 0)  # a Thursday
    for _ in range(n):
        when = scheduling.next_firing(trigger, when)
        out.append(when.strftime("%a %d %H:%M"))
    return out


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("0 9 * * 5", ["Fri 27 09:00", "Fri 04 09:00", "Fri 11 09:00"]),
        ("0 9 * * 0", ["Sun 29 09:00", "Sun 06 09:00", "Sun 13 09:00"]),
        ("0 9 * * 7", ["Sun 29 09:00", "Sun 06 09:00", "Sun 13 09:00"]),
        ("0 9 * * 1-5", ["Thu 26 09:00", "Fri 27 09:00", "Mon 30 09:00"]),
        ("0 9 * * sat,sun", ["Sat 28 09:00", "Sun 29 09:00", "Sat 05 09:00"]),
        ("0 9 * * 5-7", ["Fri 27 09:00", "Sat 28 09:00", "Sun 29 09:00"]),
        ("0 9 1 * 1", ["Mon 30 09:00", "Tue 01 09:00", "Mon 07 09:00"]),  # day 1 or any Monday
        ("*/20 8 * * *", ["Thu 26 08:00", "Thu 26 08:20", "Thu 26 08:40"]),
    ],
)
def test_cron_expressions_mean_what_they_mean_in_crontab(expr, expected):
    assert first_fires(expr) == expected


@pytest.mark.parametrize("expr", ["30 8 * *", "61 8 * * *", "0 9 * * 8", "0 9 * * 5-1", "0 9 * * fri-mon", "a b c d e"])
def test_a_bad_cron_expression_is_a_clear_error(expr):
    with pytest.raises(scheduling.CronError, match="cron"):
        scheduling.parse_cron(expr, "Asia/Shanghai")


def test_a_bad_time_zone_is_a_clear_error():
    with pytest.raises(scheduling.CronError, match="Mars/Olympus"):
        scheduling.parse_cron("0 9 * * *", "Mars/Olympus")
