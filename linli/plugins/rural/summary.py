"""The monitoring figures of a month, for the township's monthly report.

``monitoring_summary(conn_or_ctx, district_id, month_start, month_end)`` takes a handler's context
(its scoped store is used) or a plain SQLAlchemy connection (the report's CLI path); the days are
inclusive, in the district's time zone (``tz``, Asia/Shanghai by default; a context's own)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from linli.plugins.rural._common import STATES
from linli.plugins.rural.tables import cases, measures, visits

__all__ = ["SUMMARY_KEYS", "monitoring_summary"]

#: the keys of the summary, in the order a report shows them
SUMMARY_KEYS = (
    *(f"state_{s}" for s in STATES),
    "leads",
    "visits",
    "measures",
    "risk_eliminated",
    "leads_late",
)


def monitoring_summary(
    conn_or_ctx: Any, district_id: str, month_start: dt.date, month_end: dt.date, *, tz: str = "Asia/Shanghai"
) -> dict[str, int]:
    """Households by monitoring state (``state_<state>``, as of now), and for the days
    ``month_start``..``month_end``: new ``leads``, pairing ``visits``, ``measures`` logged,
    ``risk_eliminated``, and ``leads_late`` (cases flagged late by then and not decided before
    the month)."""
    store = getattr(conn_or_ctx, "store", None)
    if store is not None:
        run = store.execute
        district = getattr(conn_or_ctx, "district", None)
        tz = getattr(district, "timezone", tz) or tz
    else:
        run = conn_or_ctx.execute
    zone = ZoneInfo(tz)
    start = dt.datetime.combine(month_start, dt.time(), zone)
    end = dt.datetime.combine(month_end + dt.timedelta(days=1), dt.time(), zone)

    def one(stmt: Any) -> int:
        return int(run(stmt).scalar() or 0)

    out: dict[str, int] = {f"state_{s}": 0 for s in STATES}
    for state, n in run(
        sa.select(cases.c.state, sa.func.count()).where(cases.c.district_id == district_id).group_by(cases.c.state)
    ):
        out[f"state_{state}"] = int(n)
    count = sa.select(sa.func.count())
    out["leads"] = one(
        count.select_from(cases).where(
            cases.c.district_id == district_id, cases.c.lead_at >= start, cases.c.lead_at < end
        )
    )
    out["visits"] = one(
        count.select_from(visits).where(
            visits.c.district_id == district_id, visits.c.visited_on >= month_start, visits.c.visited_on <= month_end
        )
    )
    out["measures"] = one(
        count.select_from(measures).where(
            measures.c.district_id == district_id, measures.c.at >= start, measures.c.at < end
        )
    )
    out["risk_eliminated"] = one(
        count.select_from(cases).where(
            cases.c.district_id == district_id, cases.c.eliminated_at >= start, cases.c.eliminated_at < end
        )
    )
    out["leads_late"] = one(
        count.select_from(cases).where(
            cases.c.district_id == district_id,
            cases.c.late_flagged_on.is_not(None),
            cases.c.late_flagged_on <= month_end,
            sa.or_(cases.c.decided_at.is_(None), cases.c.decided_at >= start),
        )
    )
    return out
