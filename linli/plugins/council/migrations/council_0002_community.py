"""council: meetings and their roll-call, the residents' convention and its amendments, action items,
adoptions

Revision ID: council_0002
Revises: council_0001
Create Date: 2026-11-26 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import linli.core.storage.schema

revision = "council_0002"
down_revision = "council_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "council_adoptables",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("district_id", "number", name="uq_council_adoptables_number"),
    )
    with op.batch_alter_table("council_adoptables", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_adoptables_district_id"), ["district_id"], unique=False)

    op.create_table(
        "council_adoptions",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("adoptable_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="applied", nullable=False),
        sa.Column("months", sa.Integer(), nullable=True),
        sa.Column("duties", sa.Text(), server_default="", nullable=False),
        sa.Column("applied_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("offered_by", sa.Integer(), nullable=True),
        sa.Column("signed_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("renewals", sa.Integer(), server_default="0", nullable=False),
        sa.Column("renewal_asked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("closed_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("council_adoptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_adoptions_adoptable_id"), ["adoptable_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_adoptions_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_adoptions_person_id"), ["person_id"], unique=False)

    op.create_table(
        "council_agenda",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("decision", sa.Text(), server_default="", nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("district_id", "meeting_id", "matter_id", name="uq_council_agenda_matter"),
    )
    with op.batch_alter_table("council_agenda", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_agenda_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_agenda_matter_id"), ["matter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_agenda_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "council_amendments",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="voting", nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=True),
        sa.Column("room", sa.String(length=300), server_default="", nullable=False),
        sa.Column("proposed_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("district_id", "poll_id", name="uq_council_amendments_poll"),
    )
    with op.batch_alter_table("council_amendments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_amendments_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_amendments_district_id"), ["district_id"], unique=False)

    op.create_table(
        "council_articles",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("district_id", "number", name="uq_council_articles_number"),
    )
    with op.batch_alter_table("council_articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_articles_district_id"), ["district_id"], unique=False)

    op.create_table(
        "council_attendance",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("district_id", "meeting_id", "person_id", name="uq_council_attendance_person"),
    )
    with op.batch_alter_table("council_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_attendance_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_attendance_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_attendance_person_id"), ["person_id"], unique=False)

    op.create_table(
        "council_inspections",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("adoption_id", sa.Integer(), nullable=False),
        sa.Column("by", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("council_inspections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_inspections_adoption_id"), ["adoption_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_inspections_district_id"), ["district_id"], unique=False)

    op.create_table(
        "council_meetings",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), server_default="", nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="scheduled", nullable=False),
        sa.Column("minutes", sa.Text(), server_default="", nullable=False),
        sa.Column("called_by", sa.Integer(), nullable=True),
        sa.Column("created_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("district_id", "number", name="uq_council_meetings_number"),
    )
    with op.batch_alter_table("council_meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_meetings_district_id"), ["district_id"], unique=False)

    op.create_table(
        "council_task_updates",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("council_task_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_task_updates_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_task_updates_task_id"), ["task_id"], unique=False)

    op.create_table(
        "council_task_volunteers",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("district_id", "task_id", "person_id", name="uq_council_task_volunteers_person"),
    )
    with op.batch_alter_table("council_task_volunteers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_task_volunteers_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_task_volunteers_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_task_volunteers_task_id"), ["task_id"], unique=False)

    op.create_table(
        "council_tasks",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reported_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("done_at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("district_id", "number", name="uq_council_tasks_number"),
    )
    with op.batch_alter_table("council_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_tasks_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_tasks_matter_id"), ["matter_id"], unique=False)

    op.create_table(
        "council_versions",
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=True),
        sa.Column("by", sa.Integer(), nullable=True),
        sa.Column("at", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("district_id", "article_id", "version", name="uq_council_versions_version"),
    )
    with op.batch_alter_table("council_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_versions_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_versions_district_id"), ["district_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("council_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_versions_district_id"))
        batch_op.drop_index(batch_op.f("ix_council_versions_article_id"))

    op.drop_table("council_versions")
    with op.batch_alter_table("council_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_tasks_matter_id"))
        batch_op.drop_index(batch_op.f("ix_council_tasks_district_id"))

    op.drop_table("council_tasks")
    with op.batch_alter_table("council_task_volunteers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_task_volunteers_task_id"))
        batch_op.drop_index(batch_op.f("ix_council_task_volunteers_person_id"))
        batch_op.drop_index(batch_op.f("ix_council_task_volunteers_district_id"))

    op.drop_table("council_task_volunteers")
    with op.batch_alter_table("council_task_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_task_updates_task_id"))
        batch_op.drop_index(batch_op.f("ix_council_task_updates_district_id"))

    op.drop_table("council_task_updates")
    with op.batch_alter_table("council_meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_meetings_district_id"))

    op.drop_table("council_meetings")
    with op.batch_alter_table("council_inspections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_inspections_district_id"))
        batch_op.drop_index(batch_op.f("ix_council_inspections_adoption_id"))

    op.drop_table("council_inspections")
    with op.batch_alter_table("council_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_attendance_person_id"))
        batch_op.drop_index(batch_op.f("ix_council_attendance_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_council_attendance_district_id"))

    op.drop_table("council_attendance")
    with op.batch_alter_table("council_articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_articles_district_id"))

    op.drop_table("council_articles")
    with op.batch_alter_table("council_amendments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_amendments_district_id"))
        batch_op.drop_index(batch_op.f("ix_council_amendments_article_id"))

    op.drop_table("council_amendments")
    with op.batch_alter_table("council_agenda", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_agenda_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_council_agenda_matter_id"))
        batch_op.drop_index(batch_op.f("ix_council_agenda_district_id"))

    op.drop_table("council_agenda")
    with op.batch_alter_table("council_adoptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_adoptions_person_id"))
        batch_op.drop_index(batch_op.f("ix_council_adoptions_district_id"))
        batch_op.drop_index(batch_op.f("ix_council_adoptions_adoptable_id"))

    op.drop_table("council_adoptions")
    with op.batch_alter_table("council_adoptables", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_adoptables_district_id"))

    op.drop_table("council_adoptables")
