"""The council tables: matters and what residents say about them, polls and their votes, the roll.

Part of the public API of the council plugin: the meetings, convention, action-item and adoption
tables (``community_tables``) are declared on the same :data:`metadata`.
"""

from __future__ import annotations

import sqlalchemy as sa

from linli.core.plugin import UTCDateTime, plugin_table

__all__ = ["comments", "history", "matters", "metadata", "polls", "roll", "supports", "votes"]

metadata = sa.MetaData()

# 议题: open → proposal → voting → passed / rejected / withdrawn → implementing → done (states.py)
matters = plugin_table(
    "council",
    "matters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("raised_by", sa.Integer, nullable=True),
    sa.Column("proposal", sa.Text, nullable=False, server_default=""),
    # what the decision was: the poll's outcome, the winning option, or the note of a move
    sa.Column("outcome", sa.Text, nullable=False, server_default=""),
    # the number of the matter this one was merged into
    sa.Column("merged_into", sa.Integer, nullable=True),
    sa.Column("review_on", sa.Date, nullable=True),
    sa.Column("review_reminded_on", sa.Date, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("district_id", "number", name="uq_council_matters_number"),
)

supports = plugin_table(
    "council",
    "supports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("matter_id", sa.Integer, nullable=False, index=True),
    sa.Column("person_id", sa.Integer, nullable=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "matter_id", "person_id", name="uq_council_supports_person"),
)

comments = plugin_table(
    "council",
    "comments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("matter_id", sa.Integer, nullable=False, index=True),
    sa.Column("person_id", sa.Integer, nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

# every move of a matter, by whom and why (the record the ledger is made from)
history = plugin_table(
    "council",
    "history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("matter_id", sa.Integer, nullable=False, index=True),
    sa.Column("person_id", sa.Integer, nullable=True),
    sa.Column("state_from", sa.String(16), nullable=True),
    sa.Column("state_to", sa.String(16), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("at", UTCDateTime, nullable=False),
)

# kinds: yesno (同意/反对/弃权, with objections) | single | multiple | ranked
polls = plugin_table(
    "council",
    "polls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("matter_id", sa.Integer, nullable=True, index=True),
    # what else the poll decides, for other parts of the plugin: ("convention", article id), ...
    sa.Column("subject", sa.String(32), nullable=True),
    sa.Column("subject_ref", sa.Integer, nullable=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("secret", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("counting", sa.String(16), nullable=False, server_default="person"),
    sa.Column("quorum", sa.Float, nullable=False),
    sa.Column("threshold", sa.Float, nullable=False),
    # the room the poll was announced in, where its result goes
    sa.Column("room", sa.String(300), nullable=False, server_default=""),
    sa.Column("status", sa.String(8), nullable=False, server_default="open"),
    sa.Column("opened_by", sa.Integer, nullable=True),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("closes_at", UTCDateTime, nullable=False),
    sa.Column("reminded_at", UTCDateTime, nullable=True),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    # filled at close: eligible voters (persons or households), those who took part, the count per
    # option, and the outcome ("passed", "rejected", "no_quorum", "tie" or the winning option)
    sa.Column("electorate", sa.Integer, nullable=True),
    sa.Column("turnout", sa.Integer, nullable=True),
    sa.Column("tally", sa.JSON, nullable=True),
    sa.Column("outcome", sa.Text, nullable=True),
    sa.UniqueConstraint("district_id", "number", name="uq_council_polls_number"),
)

# every ballot cast; a voter's latest row is the one that counts
votes = plugin_table(
    "council",
    "votes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("poll_id", sa.Integer, nullable=False, index=True),
    sa.Column("person_id", sa.Integer, nullable=True),
    sa.Column("household", sa.String(64), nullable=False, server_default=""),
    # indexes into the poll's options, in the voter's order (a ranking for ranked polls)
    sa.Column("choice", sa.JSON, nullable=False),
    sa.Column("objection", sa.Text, nullable=False, server_default=""),
    # the facilitator who entered it for an offline resident
    sa.Column("proxy_by", sa.Integer, nullable=True),
    sa.Column("cast_at", UTCDateTime, nullable=False),
)

# the residents who take part in the council here (居民名册), with their household (户)
roll = plugin_table(
    "council",
    "roll",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_id", sa.Integer, nullable=False),
    sa.Column("household", sa.String(64), nullable=False, server_default=""),
    sa.Column("enrolled_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "person_id", name="uq_council_roll_person"),
)
