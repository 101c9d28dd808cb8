"""When plugin jobs fire: cron per district, in the district's time zone, once after downtime.

The logic here is pure except for :func:`load_state` and :func:`save_state`, which
read and write ``schedule_state`` (the last firing of each job in each district).
The scheduler process (:mod:`linli.workers.scheduler`) enqueues what :func:`plan`
decides. A firing's :class:`HandlerCall` key is derived from the job and the firing
time, so a firing enqueued twice is still handled once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
import structlog
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from attrs import frozen

from linli.core.calendar import WorkingDays
from linli.core.directory import DistrictInfo
from linli.core.errors import SettingsError
from linli.core.events import HandlerCall
from linli.core.registry import PluginRegistry
from linli.core.specs import JobSpec
from linli.core.storage import schema as s

__all__ = [
    "CronError",
    "Decision",
    "Job",
    "StateKey",
    "Timetable",
    "active_jobs",
    "due_firing",
    "job_call",
    "load_state",
    "next_firing",
    "parse_cron",
    "plan",
    "save_state",
]

#: (district id, plugin, job name): one row of ``schedule_state``.
StateKey = tuple[str, str, str]

_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_AFTER = dt.timedelta(microseconds=1)


class CronError(SettingsError):
    """A cron expression (a job's own, or a district's ``<job>_cron`` override) is not valid."""


# --- cron expressions ---------------------------------------------------------------


def _weekday(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token in _WEEKDAYS:
        return _WEEKDAYS.index(token)
    raise ValueError(f"{token!r} is not a day of the week (0-7 or sun-sat)")


def _weekdays(field: str) -> str:
    """A crontab day-of-week field (0 and 7 are Sunday) in APScheduler 3's numbering (0 is Monday)."""
    days: set[int] = set()
    for part in field.lower().split(","):
        body, slash, step_text = part.partition("/")
        step = int(step_text) if slash else 1
        if step < 1:
            raise ValueError(f"step {step_text!r} must be at least 1")
        if body == "*":
            low, high = 0, 6
        elif "-" in body:
            first, _, last = body.partition("-")
            low, high = _weekday(first), _weekday(last)
        else:
            low = _weekday(body)
            high = 6 if slash else low
        if high < low:
            raise ValueError(f"range {body!r} runs backwards")
        days.update(day % 7 for day in range(low, high + 1, step))
    return ",".join(str((day - 1) % 7) for day in sorted(days))


def parse_cron(expr: str, timezone: str) -> BaseTrigger:
    """A trigger for a five-field crontab expression (``30 8 * * 1-5``) in ``timezone``.

    Standard crontab meaning is kept where APScheduler 3 differs: day-of-week 0 and
    7 are Sunday, and when both day-of-month and day-of-week are restricted a day
    matching either one fires.

    Parameters:
      expr: minute, hour, day of month, month, day of week.
      timezone: an IANA time zone such as ``Asia/Shanghai``.

    Raises:
      CronError: the expression is not valid.
    """
    fields = expr.split() if isinstance(expr, str) else []
    if len(fields) != 5:
        raise CronError(f"cron {expr!r}: five fields are needed (minute hour day month weekday), as in '30 8 * * *'")
    minute, hour, day, month, weekday = fields
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(f"unknown time zone {timezone!r} (try 'Asia/Shanghai')") from None
    try:
        days_of_week = weekday if weekday == "*" else _weekdays(weekday)
        if day.startswith("*") or weekday.startswith("*"):
            return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=days_of_week, timezone=tz)
        return OrTrigger(
            [
                CronTrigger(minute=minute, hour=hour, day=day, month=month, timezone=tz),
                CronTrigger(minute=minute, hour=hour, month=month, day_of_week=days_of_week, timezone=tz),
            ]
        )
    except ValueError as exc:
        raise CronError(f"cron {expr!r}: {exc}") from None


def _fires(trigger: BaseTrigger, after: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
    """The firing times in ``(after, until]``, in order."""
    out: list[dt.datetime] = []
    when = after
    while True:
        when = trigger.get_next_fire_time(None, when + _AFTER)
        if when is None or when > until:
            return out
        out.append(when)


def next_firing(trigger: BaseTrigger, after: dt.datetime) -> dt.datetime | None:
    """The first firing strictly after ``after``; ``None`` when there is none."""
    when: dt.datetime | None = trigger.get_next_fire_time(None, after + _AFTER)
    return when


def due_firing(
    trigger: BaseTrigger,
    after: dt.datetime,
    now: dt.datetime,
    accept: Callable[[dt.datetime], bool] | None = None,
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The firings due in ``(after, now]``: the latest one, and the latest that ``accept`` takes.

    However long the scheduler was down, at most one firing runs: the latest. The
    search starts with the last hour and widens backwards, so a frequent job after a
    long stop costs no more than a rare one.

    Parameters:
      trigger: from :func:`parse_cron`.
      after: the last firing already handled.
      now: the current time.
      accept: which firings may run (working days only); all of them by default.
    """
    latest: dt.datetime | None = None
    high, window = now, dt.timedelta(hours=1)
    while high > after:
        low = max(after, now - window)
        fires = _fires(trigger, low, high)
        if fires and latest is None:
            latest = fires[-1]
        accepted = next((f for f in reversed(fires) if accept is None or accept(f)), None)
        if accepted is not None:
            return latest, accepted
        high, window = low, window * 8
    return latest, None


# --- jobs per district ----------------------------------------------------------------


@frozen
class Job:
    """One plugin job as it runs in one district."""

    district_id: str
    timezone: str
    language: str
    plugin: str
    handler: str
    name: str
    cron: str
    working_days_only: bool

    @property
    def key(self) -> StateKey:
        return (self.district_id, self.plugin, self.name)


def active_jobs(districts: Iterable[DistrictInfo], registry: PluginRegistry) -> list[Job]:
    """The jobs of the plugins enabled in each district, with the district's cron.

    A district overrides a job's cron with the plugin config key ``<job>_cron``
    (``digest_cron = "0 9 * * *"``); an empty value turns the job off there.
    """
    jobs = []
    for district in districts:
        for handler in registry.jobs:
            spec = handler.spec
            if handler.plugin not in district.plugins or not isinstance(spec, JobSpec):
                continue
            option = f"{spec.name}_cron"
            config = district.plugin_config(handler.plugin)
            defaults = registry.plugins[handler.plugin].manifest.defaults
            cron = config[option] if option in config else defaults.get(option, spec.cron)
            if cron == "":
                continue
            jobs.append(
                Job(
                    district.id,
                    district.timezone,
                    district.language,
                    handler.plugin,
                    handler.name,
                    spec.name,
                    cron,
                    spec.working_days_only,
                )
            )
    return jobs


class Timetable:
    """Turns jobs' cron expressions into triggers, keeping them, and reports a bad
    expression once instead of at every tick.

    Parameters:
      log: where bad expressions are reported (``linli.scheduler`` by default).
    """

    def __init__(self, log: Any = None) -> None:
        self.log = log if log is not None else structlog.get_logger("linli.scheduler")
        self._triggers: dict[tuple[str, str], BaseTrigger | None] = {}

    def trigger(self, job: Job) -> BaseTrigger | None:
        """The job's trigger; ``None`` when its cron is not valid (the job does not run)."""
        key = (str(job.cron), job.timezone)
        if key not in self._triggers:
            try:
                self._triggers[key] = parse_cron(job.cron, job.timezone)
            except CronError as exc:
                self._triggers[key] = None
                self.log.error(
                    f"job not scheduled: its cron is not valid; fix the plugin's {job.name}_cron setting",
                    district=job.district_id,
                    plugin=job.plugin,
                    job=job.name,
                    error=str(exc),
                )
        return self._triggers[key]


def job_call(job: Job, fire_time: dt.datetime) -> HandlerCall:
    """The handler call of one firing; the same firing always gets the same key."""
    utc = fire_time.astimezone(dt.UTC).isoformat()
    return HandlerCall(
        key=f"job:{job.district_id}:{job.plugin}.{job.name}:{utc}",
        plugin=job.plugin,
        handler=job.handler,
        kind="job",
        district_id=job.district_id,
        language=job.language,
        fire_time=fire_time.astimezone(ZoneInfo(job.timezone)).isoformat(),
    )


def _working(calendar: WorkingDays, timezone: str) -> Callable[[dt.datetime], bool]:
    tz = ZoneInfo(timezone)
    return lambda when: calendar.is_working_day(when.astimezone(tz).date())


@frozen
class Decision:
    """What a tick does with one job: record ``last_fire``, and run ``call`` if any."""

    job: Job
    last_fire: dt.datetime
    call: HandlerCall | None = None
    first_sight: bool = False


def plan(
    jobs: Iterable[Job],
    state: Mapping[StateKey, dt.datetime],
    now: dt.datetime,
    timetable: Timetable,
    calendar: WorkingDays,
) -> list[Decision]:
    """Decide which jobs fire now.

    A job seen for the first time starts from ``now``: it does not replay the past.
    Otherwise the latest firing due since its ``last_fire`` runs, once. A
    working-days-only job runs its latest firing that falls on a working day (in
    the district's time zone); firings on days off are recorded but not run.

    Parameters:
      jobs: from :func:`active_jobs`.
      state: the last firing of each job, from :func:`load_state`.
      now: the current time.
      timetable: the triggers.
      calendar: the working days.
    """
    decisions = []
    for job in jobs:
        last = state.get(job.key)
        if last is None:
            decisions.append(Decision(job, now, first_sight=True))
            continue
        trigger = timetable.trigger(job)
        if trigger is None:
            continue
        accept = _working(calendar, job.timezone) if job.working_days_only else None
        latest, run = due_firing(trigger, last, now, accept)
        if latest is None:
            continue
        decisions.append(Decision(job, latest, job_call(job, run) if run is not None else None))
    return decisions


# --- schedule_state ------------------------------------------------------------------


def load_state(conn: sa.Connection) -> dict[StateKey, dt.datetime]:
    """The last firing of every job in every district."""
    t = s.schedule_state
    return {(r.district_id, r.plugin, r.job): r.last_fire for r in conn.execute(sa.select(t))}


def save_state(conn: sa.Connection, decisions: Iterable[Decision], gone: Iterable[StateKey] = ()) -> None:
    """Record the decisions' firings and forget the jobs in ``gone``.

    ``last_fire`` only moves forward, so a slower scheduler that lost its lock
    cannot move a job back. A forgotten job (its plugin disabled, its cron turned
    off) starts afresh, without replaying the time it was off, when it returns.
    """
    t = s.schedule_state
    for d in decisions:
        district_id, plugin, job = d.job.key
        where = (t.c.district_id == district_id, t.c.plugin == plugin, t.c.job == job)
        if not d.first_sight:
            later = t.c.last_fire < d.last_fire
            conn.execute(sa.update(t).where(*where, later).values(last_fire=d.last_fire))
        values = {"district_id": district_id, "plugin": plugin, "job": job, "last_fire": d.last_fire}
        # a first sight, or a row removed meanwhile: insert unless another scheduler did
        conn.execute(
            s.insert_on_conflict(conn, t)
            .values(values)
            .on_conflict_do_nothing(index_elements=[t.c.district_id, t.c.plugin, t.c.job])
        )
    for district_id, plugin, job in gone:
        conn.execute(sa.delete(t).where(t.c.district_id == district_id, t.c.plugin == plugin, t.c.job == job))
