"""The council's community tables: meetings (议事会) and their roll-call, the residents'
convention (居民公约) and its amendments, action items, and adoptions (认领).

Declared on the council's :data:`~linli.plugins.council.tables.metadata`; created by the
migration ``council_0002``.
"""

from __future__ import annotations

import sqlalchemy as sa

from linli.core.plugin import UTCDateTime, plugin_table
from linli.plugins.council.tables import metadata

__all__ = [
    "adoptables",
    "adoptions",
    "agenda",
    "amendments",
    "articles",
    "attendance",
    "inspections",
    "meetings",
    "task_updates",
    "task_volunteers",
    "tasks",
    "versions",
]

# 议事会: scheduled → closed | cancelled
meetings = plugin_table(
    "council",
    "meetings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("place", sa.String(200), nullable=False, server_default=""),
    # the check-in code read out at the meeting (签到码)
    sa.Column("code", sa.String(8), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="scheduled"),
    sa.Column("minutes", sa.Text, nullable=False, server_default=""),
    sa.Column("called_by", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("district_id", "number", name="uq_council_meetings_number"),
)

# a matter on a meeting's agenda, and what the meeting decided about it
agenda = plugin_table(
    "council",
    "agenda",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("meeting_id", sa.Integer, nullable=False, index=True),
    sa.Column("matter_id", sa.Integer, nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("decision", sa.Text, nullable=False, server_default=""),
    sa.Column("decided_by", sa.Integer, nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("district_id", "meeting_id", "matter_id", name="uq_council_agenda_matter"),
)

attendance = plugin_table(
    "council",
    "attendance",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("meeting_id", sa.Integer, nullable=False, index=True),
    # None once the person asked to be forgotten: the meeting keeps its headcount
    sa.Column("person_id", sa.Integer, nullable=True, index=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "meeting_id", "person_id", name="uq_council_attendance_person"),
)

# 居民公约: an article (第N条) and the version in force
articles = plugin_table(
    "council",
    "articles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "number", name="uq_council_articles_number"),
)

# every text an article has had, the one in force included
versions = plugin_table(
    "council",
    "versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("article_id", sa.Integer, nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    # edit (written by a council member) | amendment (adopted by a poll)
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("poll_id", sa.Integer, nullable=True),
    sa.Column("by", sa.Integer, nullable=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "article_id", "version", name="uq_council_versions_version"),
)

# a proposed new text for an article, put to a poll: voting → adopted | rejected | no_quorum
amendments = plugin_table(
    "council",
    "amendments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("article_id", sa.Integer, nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("poll_id", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="voting"),
    sa.Column("proposed_by", sa.Integer, nullable=True),
    sa.Column("room", sa.String(300), nullable=False, server_default=""),
    sa.Column("proposed_at", UTCDateTime, nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("district_id", "poll_id", name="uq_council_amendments_poll"),
)

# an action item of a passed matter: open → reported (done, waiting for a council member) → done
tasks = plugin_table(
    "council",
    "tasks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("matter_id", sa.Integer, nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("reported_by", sa.Integer, nullable=True),
    sa.Column("confirmed_by", sa.Integer, nullable=True),
    sa.Column("done_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("district_id", "number", name="uq_council_tasks_number"),
)

task_volunteers = plugin_table(
    "council",
    "task_volunteers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("task_id", sa.Integer, nullable=False, index=True),
    sa.Column("person_id", sa.Integer, nullable=True, index=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "task_id", "person_id", name="uq_council_task_volunteers_person"),
)

task_updates = plugin_table(
    "council",
    "task_updates",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("task_id", sa.Integer, nullable=False, index=True),
    sa.Column("person_id", sa.Integer, nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

# the register of adoptable things: green plots, flower beds, a stair section ...
adoptables = plugin_table(
    "council",
    "adoptables",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "number", name="uq_council_adoptables_number"),
)

# an application and, once signed, the agreement (认领协议):
# applied → offered (terms set by the council) → active → lapsed | ended;  applied|offered → declined
adoptions = plugin_table(
    "council",
    "adoptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("adoptable_id", sa.Integer, nullable=False, index=True),
    sa.Column("person_id", sa.Integer, nullable=True, index=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="applied"),
    sa.Column("months", sa.Integer, nullable=True),
    sa.Column("duties", sa.Text, nullable=False, server_default=""),
    sa.Column("applied_at", UTCDateTime, nullable=False),
    sa.Column("offered_by", sa.Integer, nullable=True),
    sa.Column("signed_at", UTCDateTime, nullable=True),
    sa.Column("starts_on", sa.Date, nullable=True),
    sa.Column("ends_on", sa.Date, nullable=True),
    sa.Column("renewals", sa.Integer, nullable=False, server_default="0"),
    sa.Column("renewal_asked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reminded_on", sa.Date, nullable=True),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
)

inspections = plugin_table(
    "council",
    "inspections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("adoption_id", sa.Integer, nullable=False, index=True),
    sa.Column("by", sa.Integer, nullable=True),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)
