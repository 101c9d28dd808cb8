"""attachments: the stored files people sent, what they belong to, where the next one goes

A row per stored attachment and per record it belongs to (``plugin``, ``subject``); the
room and person whose next photo goes to a record they have just made; blobs to delete once
nothing refers to them.

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-12-04 18:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import linli.core.storage.schema

revision = "core_0005"
down_revision = "core_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("district_id", sa.String(length=64), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("event_key", sa.String(length=400), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=300), server_default="", nullable=False),
        sa.Column("mime", sa.String(length=100), server_default="", nullable=False),
        sa.Column("size", sa.Integer(), server_default="0", nullable=False),
        sa.Column("plugin", sa.String(length=64), server_default="", nullable=False),
        sa.Column("subject", sa.String(length=200), server_default="", nullable=False),
        sa.Column("created_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index("ix_attachments_event_key", ["event_key"], unique=False)
        batch_op.create_index("ix_attachments_person_id", ["person_id"], unique=False)
        batch_op.create_index("ix_attachments_sha256", ["sha256"], unique=False)
        batch_op.create_index("ix_attachments_subject", ["district_id", "plugin", "subject"], unique=False)

    op.create_table(
        "attachment_targets",
        sa.Column("room_key", sa.String(length=300), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("plugin", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=300), server_default="", nullable=False),
        sa.Column("until", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_attachment_targets_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("room_key", "person_id", name=op.f("pk_attachment_targets")),
    )
    op.create_table(
        "blob_releases",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("since", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_blob_releases")),
    )


def downgrade() -> None:
    op.drop_table("blob_releases")
    op.drop_table("attachment_targets")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_attachments_subject")
        batch_op.drop_index("ix_attachments_sha256")
        batch_op.drop_index("ix_attachments_person_id")
        batch_op.drop_index("ix_attachments_event_key")

    op.drop_table("attachments")
