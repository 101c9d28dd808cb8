"""mediation: requests to extend a case's time limit and the parties' answers

Revision ID: mediation_0002
Revises: mediation_0001
Create Date: 2026-11-26 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import linli.core.storage.schema

revision = "mediation_0002"
down_revision = "mediation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mediation_extensions",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("asked_by", sa.Integer(), nullable=True),
        sa.Column("asked_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("decided_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mediation_extensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mediation_extensions_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mediation_extensions_district_id"), ["district_id"], unique=False)

    op.create_table(
        "mediation_extension_answers",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("extension_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("agreed", sa.Boolean(), nullable=False),
        sa.Column("answered_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("district_id", "extension_id", "person_id", name="uq_mediation_extension_answers_person"),
    )
    with op.batch_alter_table("mediation_extension_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mediation_extension_answers_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mediation_extension_answers_extension_id"), ["extension_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mediation_extension_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mediation_extension_answers_extension_id"))
        batch_op.drop_index(batch_op.f("ix_mediation_extension_answers_district_id"))
    op.drop_table("mediation_extension_answers")
    with op.batch_alter_table("mediation_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mediation_extensions_district_id"))
        batch_op.drop_index(batch_op.f("ix_mediation_extensions_case_id"))
    op.drop_table("mediation_extensions")
