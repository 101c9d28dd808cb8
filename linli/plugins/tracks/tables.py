"""The contest's tables. Figures are kept as exact decimal text (``"87.5000"``), never floats."""

from __future__ import annotations

import sqlalchemy as sa

from linli.core.plugin import UTCDateTime, plugin_table

__all__ = [
    "decisions",
    "drafts",
    "enrolments",
    "history",
    "metadata",
    "overall",
    "quarters",
    "rules",
    "scores",
    "showcase",
    "submissions",
    "tracks",
    "units",
]

metadata = sa.MetaData()
P = "tracks"

# the competing units: districts, departments, streets, communities, internal offices
units = plugin_table(
    P,
    "units",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "code", name="uq_tracks_units_code"),
)

# a track (赛道): one breakthrough topic and the period it runs
tracks = plugin_table(
    P,
    "tracks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("topic", sa.Text, nullable=False, server_default=""),
    sa.Column("start_q", sa.String(7), nullable=False, server_default=""),
    sa.Column("end_q", sa.String(7), nullable=False, server_default=""),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "code", name="uq_tracks_tracks_code"),
)

enrolments = plugin_table(
    P,
    "enrolments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("track_id", sa.Integer, nullable=False),
    sa.Column("unit_id", sa.Integer, nullable=False),
    sa.UniqueConstraint("district_id", "track_id", "unit_id", name="uq_tracks_enrolments"),
)

# a version of a track's rules, in force from a quarter on (``from_q``) until a later version's;
# ``data`` is the rules as JSON (definitions.rules_to_data)
rules = plugin_table(
    P,
    "rules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("track_id", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("from_q", sa.String(7), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("source", sa.String(8), nullable=False),  # chat | file
    sa.Column("adopted_by", sa.Integer, nullable=True),
    sa.Column("adopted_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "track_id", "version", name="uq_tracks_rules_version"),
)

# the organiser's draft of a track's next rules, edited from chat until adopted
drafts = plugin_table(
    P,
    "drafts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("track_id", sa.Integer, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("edited_by", sa.Integer, nullable=True),
    sa.Column("edited_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "track_id", name="uq_tracks_drafts_track"),
)

# a quarter of the contest: its reporting deadline and whether its ranking is published
quarters = plugin_table(
    P,
    "quarters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("quarter", sa.String(7), nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("reminded_on", sa.Date, nullable=True),
    sa.Column("run", sa.Integer, nullable=False, server_default="0"),  # the last ranking computed
    sa.Column("published_run", sa.Integer, nullable=True),
    sa.Column("published_by", sa.Integer, nullable=True),
    sa.Column("published_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("district_id", "quarter", name="uq_tracks_quarters_quarter"),
)

# a unit's result for an indicator (one row, corrected in place: ``revision`` counts) or an
# award of a bonus or penalty item (a row each); photos will be kept beside it once the framework
# hands plugins the inbound attachments (see docs/tracks.md, "Evidence")
submissions = plugin_table(
    P,
    "submissions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("quarter", sa.String(7), nullable=False),
    sa.Column("track_id", sa.Integer, nullable=False),
    sa.Column("unit_id", sa.Integer, nullable=False),
    sa.Column("code", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),  # indicator | bonus | penalty
    sa.Column("value", sa.String(40), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
    sa.Column("link", sa.Text, nullable=False, server_default=""),
    sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
    sa.Column("onsite", sa.String(8), nullable=False, server_default=""),  # "" | passed | failed
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("submitted_by", sa.Integer, nullable=True),
    sa.Column("submitted_at", UTCDateTime, nullable=False),
    sa.Column("decided_by", sa.Integer, nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("district_id", "number", name="uq_tracks_submissions_number"),
    sa.Index("ix_tracks_submissions_quarter_track", "district_id", "quarter", "track_id"),
)

# everything that happened to a submission, with who did it: the verification record
decisions = plugin_table(
    P,
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.Integer, nullable=False, index=True),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("value", sa.String(40), nullable=False, server_default=""),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("actor_id", sa.Integer, nullable=True),
    sa.Column("at", UTCDateTime, nullable=False),
)

# a unit's score on a track in a quarter, as last computed
scores = plugin_table(
    P,
    "scores",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("quarter", sa.String(7), nullable=False),
    sa.Column("track_id", sa.Integer, nullable=False),
    sa.Column("unit_id", sa.Integer, nullable=False),
    sa.Column("base", sa.String(24), nullable=False),
    sa.Column("bonus", sa.String(24), nullable=False),
    sa.Column("penalty", sa.String(24), nullable=False),
    sa.Column("total", sa.String(24), nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # the rules' version it was scored by
    sa.Column("computed_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "quarter", "track_id", "unit_id", name="uq_tracks_scores"),
)

# a unit's overall place in a quarter: its mean total over its tracks
overall = plugin_table(
    P,
    "overall",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("quarter", sa.String(7), nullable=False),
    sa.Column("unit_id", sa.Integer, nullable=False),
    sa.Column("mean", sa.String(24), nullable=False),
    sa.Column("tracks", sa.Integer, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.UniqueConstraint("district_id", "quarter", "unit_id", name="uq_tracks_overall"),
)

# every ranking that differed from the one before it, per quarter (``run``); track 0 is overall
history = plugin_table(
    P,
    "history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("quarter", sa.String(7), nullable=False),
    sa.Column("run", sa.Integer, nullable=False),
    sa.Column("track_id", sa.Integer, nullable=False),
    sa.Column("unit_id", sa.Integer, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("total", sa.String(24), nullable=False),
    sa.Column("computed_at", UTCDateTime, nullable=False),
    sa.Index("ix_tracks_history_quarter", "district_id", "quarter", "run"),
)

# the units proposed for a showcase venue (赛场) in a quarter, and the organiser's decision
showcase = plugin_table(
    P,
    "showcase",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("quarter", sa.String(7), nullable=False),
    sa.Column("track_id", sa.Integer, nullable=False),
    sa.Column("unit_id", sa.Integer, nullable=False),
    sa.Column("venue", sa.String(100), nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("state", sa.String(10), nullable=False, server_default="proposed"),  # proposed | confirmed
    sa.Column("proposed_at", UTCDateTime, nullable=False),
    sa.Column("confirmed_by", sa.Integer, nullable=True),
    sa.Column("confirmed_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("district_id", "quarter", "track_id", "unit_id", name="uq_tracks_showcase"),
)
