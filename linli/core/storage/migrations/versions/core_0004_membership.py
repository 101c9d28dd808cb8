"""district membership: who is a member of which district, and why

Until now the district of a private chat was the person's ``home_district``, which a
``/start <district id>`` link alone could set: anyone could read and act in any district.
Membership now comes from the group rooms a person is in, their roles and their household
in the register, one row per reason in ``memberships``.

What this migration records for an existing deployment:

- every role holder is a member of the districts of their roles (``role``);
- every register person with a chat account who lives in a household of the register is a
  member of its district (``household``);
- a person whose ``home_district`` is set and who has never written to the bot in a private
  chat got that district from speaking in one of its group rooms: they stay a member of it
  (``migrated``).

Everyone else whose ``home_district`` is set (they wrote to the bot privately, so the
district may have come from a ``/start`` link) is not made a member: nothing shows which
way it came. They keep working in their group as before, and the first thing they say
there (or joining it) makes them a member again, in private chats too; until then their
private chat tells them how to join. An administrator can add them at once with
``linli members add``.

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-12-04 18:55:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

import linli.core.storage.schema

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "memberships",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=300), server_default="", nullable=False),
        sa.Column("since", linli.core.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=200), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_memberships_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_memberships_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", "district_id", "source", "ref", name=op.f("pk_memberships")),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index("ix_memberships_district", ["district_id"], unique=False)
    _backfill()


def _backfill() -> None:
    m = linli.core.storage.schema.memberships
    s = linli.core.storage.schema
    now = sa.literal(dt.datetime.now(dt.UTC), type_=linli.core.storage.schema.UTCDateTime)
    known = sa.select(s.districts.c.id)
    columns = ["person_id", "district_id", "source", "ref", "since", "added_by"]
    conn = op.get_bind()
    roles = (
        sa.select(
            s.role_grants.c.person_id,
            s.role_grants.c.district_id,
            sa.literal("role"),
            sa.literal(""),
            now,
            sa.literal("migration core_0004"),
        )
        .where(s.role_grants.c.district_id.in_(known))
        .distinct()
    )
    conn.execute(m.insert().from_select(columns, roles))
    has_account = sa.select(s.identities.c.person_id)
    households = (
        sa.select(
            s.household_members.c.person_id,
            s.household_members.c.district_id,
            sa.literal("household"),
            sa.cast(s.household_members.c.household_id, sa.String),
            now,
            sa.literal("migration core_0004"),
        )
        .where(
            s.household_members.c.left_at.is_(None),
            s.household_members.c.person_id.in_(has_account),
            s.household_members.c.district_id.in_(known),
        )
        .distinct()
    )
    conn.execute(m.insert().from_select(columns, households))
    wrote_privately = sa.select(s.identities.c.person_id).where(s.identities.c.private_room.is_not(None))
    spoke_in_a_group = sa.select(
        s.persons.c.id,
        s.persons.c.home_district,
        sa.literal("migrated"),
        sa.literal(""),
        now,
        sa.literal("migration core_0004"),
    ).where(
        s.persons.c.home_district.in_(known),
        s.persons.c.id.in_(has_account),
        s.persons.c.id.not_in(wrote_privately),
    )
    conn.execute(m.insert().from_select(columns, spoke_in_a_group))


def downgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_memberships_district")
    op.drop_table("memberships")
