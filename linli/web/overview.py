"""The overview of a district, from the core's tables: people, households, rooms, activity
per week and the plugins enabled. Only counts: no name is shown."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from linli.core.clock import Clock
from linli.core.directory import DistrictInfo
from linli.core.i18n import Translator
from linli.core.registry import PluginRegistry
from linli.core.storage import schema as s
from linli.core.views import Chart, Figure, Page, Series, Table

__all__ = ["WEEKS", "page"]

#: how many weeks the activity chart shows
WEEKS = 12


def page(conn: sa.Connection, district: DistrictInfo, t: Translator, clock: Clock, registry: PluginRegistry) -> Page:
    tz = ZoneInfo(district.timezone)
    now = clock.now().astimezone(tz)
    monday = (now - dt.timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    weeks = [monday - dt.timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    start = weeks[0].astimezone(dt.UTC)

    people_with_roles = conn.execute(
        sa.select(sa.func.count(sa.distinct(s.role_grants.c.person_id))).where(
            s.role_grants.c.district_id == district.id
        )
    ).scalar_one()
    residents = conn.execute(
        sa.select(sa.func.count()).select_from(s.residents).where(s.residents.c.district_id == district.id)
    ).scalar_one()
    households = conn.execute(
        sa.select(sa.func.count())
        .select_from(s.households)
        .where(s.households.c.district_id == district.id, s.households.c.status == "active")
    ).scalar_one()
    in_chat = conn.execute(
        sa.select(sa.func.count()).select_from(s.persons).where(s.persons.c.home_district == district.id)
    ).scalar_one()

    messages = _per_week(conn, s.outbox.c.created_at, s.outbox.c.district_id == district.id, start, weeks, tz)
    actions = _per_week(conn, s.audit_log.c.at, s.audit_log.c.district_id == district.id, start, weeks, tz)
    labels = [w.strftime("%m-%d") for w in weeks]

    enabled = sorted(district.plugins)
    plugin_rows = [
        (name, t(registry.plugins[name].manifest.description) if name in registry.plugins else "") for name in enabled
    ]
    return Page(
        title=t("{district}: overview", district=district.name),
        blocks=[
            Figure(t("Households in the register"), households),
            Figure(t("Residents in the register"), residents),
            Figure(t("People in the chat"), in_chat),
            Figure(t("People with a role"), people_with_roles),
            Figure(t("Rooms"), len(district.rooms)),
            Figure(t("Plugins enabled"), len(enabled)),
            Chart(
                t("Activity per week (week starting)"),
                labels,
                [Series(t("Messages sent by the bot"), messages), Series(t("Recorded actions"), actions)],
                kind="line",
            ),
            Table(t("Plugins enabled"), [t("Plugin"), t("What it does")], plugin_rows),
            Table(t("Rooms"), [t("Room")], [(room,) for room in district.rooms]),
        ],
    )


def _per_week(
    conn: sa.Connection,
    column: sa.ColumnElement[dt.datetime],
    where: sa.ColumnElement[bool],
    start: dt.datetime,
    weeks: list[dt.datetime],
    tz: ZoneInfo,
) -> list[int]:
    """How many rows fall in each week (counted by day in the database, grouped here)."""
    counts = [0] * len(weeks)
    day = sa.func.date(column) if conn.dialect.name == "sqlite" else sa.func.date_trunc("day", column)
    rows = conn.execute(sa.select(day, sa.func.count()).where(where, column >= start).group_by(day)).all()
    for when, n in rows:
        moment = when if isinstance(when, dt.datetime) else dt.datetime.fromisoformat(str(when))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        local = moment.astimezone(tz)
        for i in range(len(weeks) - 1, -1, -1):
            if local >= weeks[i]:
                counts[i] += n
                break
    return counts
