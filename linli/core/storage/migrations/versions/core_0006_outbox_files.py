"""outbox files: the stored files an outbox message sends

Files a plugin sends (``ctx.send_file``) are kept in the blob store and named in the
message's payload; this table lists them by content key too, so that cleaning the store
keeps what a waiting message will upload, and prune takes them with their message.

Revision ID: core_0006
Revises: core_0005
Create Date: 2026-12-04 19:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0006"
down_revision = "core_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_files",
        sa.Column("outbox_key", sa.String(length=400), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=300), server_default="", nullable=False),
        sa.Column("size", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["outbox_key"], ["outbox.key"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("outbox_key", "position"),
    )
    with op.batch_alter_table("outbox_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_files_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_files_sha256"))
    op.drop_table("outbox_files")
