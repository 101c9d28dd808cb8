"""lighter writes per event: processed_events without rowid (SQLite), a partial pending index on outbox

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-11-26 23:05:00

Every event writes a processed mark and an outbox row, and every delivery marks its
row sent. On SQLite the marks table becomes a WITHOUT ROWID table, one B-tree instead
of the table's and its key index (PostgreSQL has no rowid: nothing to do there). The
outbox's pending index keeps pending rows only, on both databases.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import linli.core.storage.schema

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None

_PENDING = sa.text("status = 'pending'")


def _processed_events(name: str, *, with_rowid: bool) -> None:
    op.create_table(
        name,
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("processed_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_processed_events")),
        sqlite_with_rowid=with_rowid,
    )


def _rebuild_processed_events(*, with_rowid: bool) -> None:
    """SQLite cannot change a table's rowid in place: copy the marks into a new table."""
    _processed_events("processed_events_new", with_rowid=with_rowid)
    op.execute(
        'INSERT INTO processed_events_new ("key", processed_at) SELECT "key", processed_at FROM processed_events'
    )
    op.drop_table("processed_events")
    op.rename_table("processed_events_new", "processed_events")


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        _rebuild_processed_events(with_rowid=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index(
            "ix_outbox_pending", ["room", "id"], unique=False, sqlite_where=_PENDING, postgresql_where=_PENDING
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index("ix_outbox_pending", ["status", "platform", "room", "id"], unique=False)
    if op.get_context().dialect.name == "sqlite":
        _rebuild_processed_events(with_rowid=True)
