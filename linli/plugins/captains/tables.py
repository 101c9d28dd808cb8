"""The captains' tables. Buildings, grids, households and people are the core registry's:
these tables refer to them by id and keep only the captains' own work."""

from __future__ import annotations

import sqlalchemy as sa

from linli.core.plugin import UTCDateTime, plugin_table

__all__ = [
    "action_items",
    "assignments",
    "captain_days",
    "care_plans",
    "evaluations",
    "metadata",
    "need_events",
    "needs",
    "notices",
    "specials",
    "sweep_buildings",
    "sweeps",
    "tallies",
    "visits",
    "zero_reports",
]

metadata = sa.MetaData()

# who captains a building: a government-affairs captain (with the unit that sent them) and a
# resident-affairs captain, each with a start and (once replaced) an end
assignments = plugin_table(
    "captains",
    "assignments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("building_id", sa.Integer, nullable=False, index=True),
    sa.Column("person_id", sa.Integer, nullable=True, index=True),
    sa.Column("kind", sa.String(8), nullable=False),  # gov | resident
    sa.Column("unit", sa.String(128), nullable=False, server_default=""),
    sa.Column("start_on", sa.Date, nullable=False),
    sa.Column("end_on", sa.Date, nullable=True),
    sa.Column("assigned_by", sa.Integer, nullable=True),
    sa.Column("assigned_at", UTCDateTime, nullable=False),
)

# a sweep (排查) campaign: a reason, a scope (its buildings are listed in sweep_buildings), a deadline
sweeps = plugin_table(
    "captains",
    "sweeps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("scope", sa.String(16), nullable=False),  # district | grids | buildings
    sa.Column("scope_ids", sa.Text, nullable=False, server_default=""),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("state", sa.String(8), nullable=False, server_default="open"),  # open | closed
    sa.Column("started_by", sa.Integer, nullable=True),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.Column("reminded_on", sa.Date, nullable=True),
    sa.UniqueConstraint("district_id", "number", name="uq_captains_sweeps_number"),
)

# the buildings of a sweep with their household count when it started: the denominator of coverage
sweep_buildings = plugin_table(
    "captains",
    "sweep_buildings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sweep_id", sa.Integer, nullable=False),
    sa.Column("building_id", sa.Integer, nullable=False),
    sa.Column("grid_id", sa.Integer, nullable=True),
    sa.Column("households", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("district_id", "sweep_id", "building_id", name="uq_captains_sweep_buildings"),
)

# one household visited in a sweep, with an outcome code of the district's list
visits = plugin_table(
    "captains",
    "visits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sweep_id", sa.Integer, nullable=False),
    sa.Column("building_id", sa.Integer, nullable=False),
    sa.Column("household_id", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("captain_id", sa.Integer, nullable=True),
    sa.Column("visited_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "sweep_id", "household_id", name="uq_captains_visits_household"),
    sa.Index("ix_captains_visits_sweep_building", "district_id", "sweep_id", "building_id"),
)

# "nothing found" for a whole building of a sweep (零报告)
zero_reports = plugin_table(
    "captains",
    "zero_reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sweep_id", sa.Integer, nullable=False),
    sa.Column("building_id", sa.Integer, nullable=False),
    sa.Column("captain_id", sa.Integer, nullable=True),
    sa.Column("reported_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "sweep_id", "building_id", name="uq_captains_zero_reports"),
)

# special households (特殊户): codes only; ended_on once the household no longer is one
specials = plugin_table(
    "captains",
    "specials",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("household_id", sa.Integer, nullable=False, index=True),
    sa.Column("building_id", sa.Integer, nullable=False, index=True),
    sa.Column("code", sa.String(32), nullable=False),
    sa.Column("registered_by", sa.Integer, nullable=True),
    sa.Column("registered_at", UTCDateTime, nullable=False),
    sa.Column("ended_at", UTCDateTime, nullable=True),
)

# one person, one plan (一人一策) for a special household
care_plans = plugin_table(
    "captains",
    "care_plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("household_id", sa.Integer, nullable=False, index=True),
    sa.Column("building_id", sa.Integer, nullable=False),
    sa.Column("measures", sa.Text, nullable=False),
    sa.Column("responsible_id", sa.Integer, nullable=True),
    sa.Column("review_on", sa.Date, nullable=False),
    sa.Column("made_by", sa.Integer, nullable=True),
    sa.Column("made_at", UTCDateTime, nullable=False),
    sa.Column("reviewed_at", UTCDateTime, nullable=True),
    sa.Column("reminded_on", sa.Date, nullable=True),
)

# 急难愁盼: reported → taken → in_progress → resolved → confirmed (or referred to mediation)
needs = plugin_table(
    "captains",
    "needs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("household_id", sa.Integer, nullable=True),
    sa.Column("building_id", sa.Integer, nullable=True),
    sa.Column("grid_id", sa.Integer, nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("dispute", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("state", sa.String(16), nullable=False, server_default="reported"),
    sa.Column("level", sa.String(16), nullable=False, server_default="grid"),
    sa.Column("escalations", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reported_by", sa.Integer, nullable=True),
    # a captain reported it for the household (acting for it), not a member of the household
    sa.Column("on_behalf", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("taken_by", sa.Integer, nullable=True),
    sa.Column("reported_at", UTCDateTime, nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    sa.Column("confirmed_at", UTCDateTime, nullable=True),
    sa.Column("confirmed_by", sa.Integer, nullable=True),
    sa.Column("overdue_flagged_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("district_id", "number", name="uq_captains_needs_number"),
)

# every move of a need: who, when, for whom
need_events = plugin_table(
    "captains",
    "need_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("need_id", sa.Integer, nullable=False, index=True),
    sa.Column("person_id", sa.Integer, nullable=True),
    # the household the person acted for (a household without a chat account), if any
    sa.Column("acted_for", sa.Integer, nullable=True),
    sa.Column("state_from", sa.String(16), nullable=True),
    sa.Column("state_to", sa.String(16), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("at", UTCDateTime, nullable=False),
)

# a notice sent to the rooms of buildings, grids or the whole district
notices = plugin_table(
    "captains",
    "notices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("scope", sa.String(16), nullable=False),  # district | grid | building
    sa.Column("scope_id", sa.Integer, nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("rooms", sa.Integer, nullable=False, server_default="0"),
    sa.Column("sent_by", sa.Integer, nullable=True),
    sa.Column("sent_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "number", name="uq_captains_notices_number"),
)

# what captains did on paper per building: notices posted (张贴通知单), cards handed out (发放明白卡)
tallies = plugin_table(
    "captains",
    "tallies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("building_id", sa.Integer, nullable=False, index=True),
    sa.Column("captain_id", sa.Integer, nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),  # notices | cards
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)

# captain day (楼长日) of a grid: its agenda, sent the day before, and the minutes after
captain_days = plugin_table(
    "captains",
    "captain_days",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("grid_id", sa.Integer, nullable=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("agenda", sa.Text, nullable=False, server_default=""),
    sa.Column("agenda_sent_at", UTCDateTime, nullable=True),
    sa.Column("minutes", sa.Text, nullable=False, server_default=""),
    sa.Column("minutes_by", sa.Integer, nullable=True),
    sa.Column("minutes_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("district_id", "grid_id", "day", name="uq_captains_captain_days"),
)

action_items = plugin_table(
    "captains",
    "action_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("captain_day_id", sa.Integer, nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("responsible_id", sa.Integer, nullable=True),
    sa.Column("due_on", sa.Date, nullable=True),
    sa.Column("done_at", UTCDateTime, nullable=True),
    sa.Column("added_at", UTCDateTime, nullable=False),
)

# a government-affairs captain rates a resident-affairs captain of their building, per period
evaluations = plugin_table(
    "captains",
    "evaluations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(16), nullable=False),  # 2026Q4
    sa.Column("building_id", sa.Integer, nullable=False),
    sa.Column("rater_id", sa.Integer, nullable=True),
    sa.Column("ratee_id", sa.Integer, nullable=True),
    sa.Column("criterion", sa.String(32), nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("rated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint(
        "district_id", "period", "building_id", "ratee_id", "criterion", name="uq_captains_evaluations"
    ),
)
