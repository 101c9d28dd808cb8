"""The suggestion box's tables."""

from __future__ import annotations

import sqlalchemy as sa

from linli.core.plugin import UTCDateTime, plugin_table

metadata = sa.MetaData()

suggestions = plugin_table(
    "suggestions",
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("person_id", sa.Integer, nullable=True),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("answer", sa.Text, nullable=True),
    sa.Column("answered_by", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("answered_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("district_id", "number", name="uq_suggestions_items_number"),
)
