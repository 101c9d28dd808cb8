"""The rural plugin's tables. Villages, households and people are the core registry's: these
tables refer to them by id and keep only what monitoring and the village's work add."""

from __future__ import annotations

import sqlalchemy as sa

from linli.core.plugin import UTCDateTime, plugin_table

__all__ = [
    "case_events",
    "cases",
    "measures",
    "metadata",
    "pairs",
    "reviews",
    "visits",
]

metadata = sa.MetaData()

# --- monitoring (防返贫监测) ---------------------------------------------------------------------

# one monitoring case of a register household: from the lead to the decision, then monitored until
# its risk is eliminated (or the village or township decides against it); never deleted
cases = plugin_table(
    "rural",
    "cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("household_id", sa.Integer, nullable=False, index=True),
    # lead | visited | notice | appraised | monitored | eliminated | declined
    sa.Column("state", sa.String(12), nullable=False, server_default="lead"),
    sa.Column("source", sa.String(12), nullable=False),  # application | pairing | grid | department
    sa.Column("category", sa.String(12), nullable=False, server_default=""),  # unstable | marginal | sudden
    sa.Column("lead_note", sa.Text, nullable=False, server_default=""),
    sa.Column("lead_by", sa.Integer, nullable=True),
    sa.Column("lead_at", UTCDateTime, nullable=False),
    # the home visit (入户核查): income per person in the year, rigid spending, risks, conditions
    sa.Column("year", sa.Integer, nullable=True),
    sa.Column("income", sa.Integer, nullable=True),  # yuan per person in the year
    sa.Column("medical_spending", sa.Integer, nullable=True),  # yuan in the year
    sa.Column("school_spending", sa.Integer, nullable=True),
    sa.Column("causes", sa.String(200), nullable=False, server_default=""),  # codes, comma separated
    sa.Column("schooling", sa.String(12), nullable=False, server_default=""),  # ok | dropout | none
    sa.Column("insurance", sa.String(12), nullable=False, server_default=""),  # yes | no
    sa.Column("housing", sa.String(12), nullable=False, server_default=""),  # safe | unsafe
    sa.Column("water", sa.String(12), nullable=False, server_default=""),  # safe | unsafe
    sa.Column("labour", sa.String(12), nullable=False, server_default=""),  # full | partial | none
    sa.Column("visited_by", sa.Integer, nullable=True),
    sa.Column("visited_at", UTCDateTime, nullable=True),
    # the village's public notice (公示) and appraisal (评议)
    sa.Column("notice_from", sa.Date, nullable=True),
    sa.Column("notice_until", sa.Date, nullable=True),
    sa.Column("appraised_by", sa.Integer, nullable=True),
    sa.Column("appraised_at", UTCDateTime, nullable=True),
    # the township's decision (审批)
    sa.Column("decided_by", sa.Integer, nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Column("decision_note", sa.Text, nullable=False, server_default=""),
    sa.Column("helper_id", sa.Integer, nullable=True),  # the responsible helper (帮扶责任人)
    sa.Column("eliminated_by", sa.Integer, nullable=True),
    sa.Column("eliminated_at", UTCDateTime, nullable=True),
    sa.Column("late_flagged_on", sa.Date, nullable=True),
    sa.UniqueConstraint("district_id", "number", name="uq_rural_cases_number"),
)

# what happened to a case, who did it and when: the record kept after the risk is eliminated
case_events = plugin_table(
    "rural",
    "case_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, nullable=False, index=True),
    # lead | visit | notice | objection | appraised | approved | declined | helper | measure | review
    # | eliminated
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("by_id", sa.Integer, nullable=True),
    sa.Column("at", UTCDateTime, nullable=False),
)

# a measure of help (帮扶措施) for a household: under a monitoring case or a pair, or both
measures = plugin_table(
    "rural",
    "measures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("household_id", sa.Integer, nullable=False, index=True),
    sa.Column("case_id", sa.Integer, nullable=True, index=True),
    sa.Column("pair_id", sa.Integer, nullable=True),
    # industry | employment | medical | education | minimum | housing | other
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("by_id", sa.Integer, nullable=True),
    sa.Column("for_id", sa.Integer, nullable=True),  # the helper the team logged it for
    sa.Column("at", UTCDateTime, nullable=False),
)

# the yearly review (年度复核) of a monitored household against that year's income line
reviews = plugin_table(
    "rural",
    "reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("case_id", sa.Integer, nullable=False),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("income", sa.Integer, nullable=True),
    sa.Column("reviewed_by", sa.Integer, nullable=True),
    sa.Column("reviewed_at", UTCDateTime, nullable=True),
    sa.Column("opened_by", sa.Integer, nullable=True),
    sa.Column("reminded_on", sa.Date, nullable=True),
    sa.UniqueConstraint("district_id", "year", "case_id", name="uq_rural_reviews_case"),
)

# --- pairing (结对帮扶) -------------------------------------------------------------------------

# a department or unit paired with a household, many to many; the helper its unit sends
pairs = plugin_table(
    "rural",
    "pairs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("unit", sa.String(128), nullable=False),
    sa.Column("household_id", sa.Integer, nullable=False, index=True),
    sa.Column("helper_id", sa.Integer, nullable=True),
    sa.Column("start_on", sa.Date, nullable=False),
    sa.Column("end_on", sa.Date, nullable=True),
    sa.Column("paired_by", sa.Integer, nullable=True),
    sa.Column("paired_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "number", name="uq_rural_pairs_number"),
)

# a visit to a paired household, by its helper (from chat) or logged for them by the team
visits = plugin_table(
    "rural",
    "visits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("pair_id", sa.Integer, nullable=False),
    sa.Column("household_id", sa.Integer, nullable=False),
    sa.Column("visited_on", sa.Date, nullable=False),
    sa.Column("visitor_id", sa.Integer, nullable=True),
    sa.Column("logged_by", sa.Integer, nullable=True),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_rural_visits_pair_day", "district_id", "pair_id", "visited_on"),
)
