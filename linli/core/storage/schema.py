"""The core tables. Plugins declare their own with :func:`plugin_table`."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = [
    "OUTBOX_PENDING",
    "UTCDateTime",
    "delete_dialog",
    "insert_ignore",
    "insert_on_conflict",
    "metadata",
    "plugin_table",
    "utcnow",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@functools.cache
def _sqlite_datetime() -> type[sa.types.TypeEngine[Any]]:
    """SQLite's DATETIME, its text written by ``isoformat``: the same text as SQLAlchemy's
    storage format (``2026-11-27 08:00:00.000000``) for a few times less (three per event).

    Made on first use, as :func:`insert_on_conflict` imports its dialect: a PostgreSQL
    worker never imports SQLAlchemy's SQLite package.
    """
    from sqlalchemy.dialects import sqlite

    class SQLiteDateTime(sqlite.DATETIME):
        def bind_processor(self, dialect: Dialect) -> Callable[[dt.datetime | None], str | None]:
            def process(value: dt.datetime | None) -> str | None:
                return None if value is None else value.isoformat(" ", "microseconds")

            return process

    return SQLiteDateTime


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """An aware UTC datetime on every database (SQLite keeps no time zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return _sqlite_datetime()()
        return dialect.type_descriptor(self.impl_instance)

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        if value.tzinfo is not dt.UTC:
            value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

districts = sa.Table(
    "districts",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False, server_default="community"),
    sa.Column("language", sa.String(10), nullable=False, server_default="zh_CN"),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="Asia/Shanghai"),
    sa.Column("config", sa.JSON, nullable=False, default=dict),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
)

district_plugins = sa.Table(
    "district_plugins",
    metadata,
    sa.Column("district_id", sa.String(64), sa.ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("plugin", sa.String(64), primary_key=True),
    sa.Column("enabled_at", UTCDateTime, nullable=False, default=utcnow),
)

rooms = sa.Table(
    "rooms",
    metadata,
    sa.Column("room_key", sa.String(300), primary_key=True),
    sa.Column("district_id", sa.String(64), sa.ForeignKey("districts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("bound_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("bound_by", sa.String(200), nullable=False, server_default=""),
)

meta = sa.Table(
    "linli_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)

persons = sa.Table(
    "persons",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("language", sa.String(10), nullable=True),
    sa.Column("home_district", sa.String(64), nullable=True),
    sa.Column("consent_version", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
)

identities = sa.Table(
    "identities",
    metadata,
    sa.Column("identity", sa.String(300), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("private_room", sa.String(300), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
)

role_grants = sa.Table(
    "role_grants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False),
    sa.Column("district_id", sa.String(64), sa.ForeignKey("districts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("role", sa.String(64), nullable=False),
    sa.Column("scope", sa.String(200), nullable=False, server_default=""),
    sa.Column("granted_by", sa.String(200), nullable=False, server_default=""),
    sa.Column("granted_at", UTCDateTime, nullable=False, default=utcnow),
    sa.UniqueConstraint("person_id", "district_id", "role", "scope", name="uq_role_grants_grant"),
    sa.Index("ix_role_grants_person_district", "person_id", "district_id"),
)

#: who is a member of which district, and why: one row per reason (a group room they are in,
#: their household in the register, a role, an administrator's word). A person sees and does
#: things in a district only as its member; a ``/start`` link alone makes nobody one.
memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("district_id", sa.String(64), sa.ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True),
    #: room, household, role, staff (added by an administrator) or migrated (core_0004)
    sa.Column("source", sa.String(16), primary_key=True),
    #: the room's key for ``room``, the household's id for ``household``; "" otherwise
    sa.Column("ref", sa.String(300), primary_key=True, server_default=""),
    sa.Column("since", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("added_by", sa.String(200), nullable=False, server_default=""),
    sa.Index("ix_memberships_district", "district_id"),
)

processed = sa.Table(
    "processed_events",
    metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("processed_at", UTCDateTime, nullable=False, default=utcnow),
    # Marks are only ever found by their key: on SQLite the key's own B-tree is the table
    # (WITHOUT ROWID), one B-tree to write per event instead of the table's and its primary
    # key index. Migration core_0002 creates it so; the option is not repeated here, because
    # a dialect's options make SQLAlchemy import that dialect (0.6 MB in a PostgreSQL worker).
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(400), nullable=False, unique=True),
    sa.Column("kind", sa.String(10), nullable=False, server_default="message"),
    sa.Column("district_id", sa.String(64), nullable=True),
    sa.Column("platform", sa.String(32), nullable=False),
    sa.Column("room", sa.String(300), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("sent_at", UTCDateTime, nullable=True),
)

#: the outbox rows still to be sent. The value is written into the SQL instead of bound, in
#: the queries as in the index below, so that both databases may use that partial index.
OUTBOX_PENDING = outbox.c.status == sa.literal_column("'pending'")

# A room's pending rows, oldest first: the deliverer's one question. The index holds pending
# rows only (WHERE OUTBOX_PENDING), so it stays small, and marking a row sent just takes its
# entry out. Migration core_0002 creates it with that condition; as for processed_events, the
# dialect options that would say it here are left out.
sa.Index("ix_outbox_pending", outbox.c.room, outbox.c.id)

#: the stored files an outbox message sends (its payload names them too): what a blob store's
#: clean-up must keep while a message waits, and what sent messages referred to until pruned
outbox_files = sa.Table(
    "outbox_files",
    metadata,
    sa.Column("outbox_key", sa.String(400), sa.ForeignKey("outbox.key", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("name", sa.String(300), nullable=False, server_default=""),
    sa.Column("size", sa.Integer, nullable=False, server_default="0"),
)

dialogs = sa.Table(
    "dialogs",
    metadata,
    sa.Column("room_key", sa.String(300), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("district_id", sa.String(64), nullable=False),
    sa.Column("plugin", sa.String(64), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("step", sa.String(64), nullable=False, server_default=""),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

# Stored attachments (docs/plugins.md, "Attachments"): one row per file a person sent that is
# in the blob store, and per record it belongs to. A row without a plugin is a file fetched
# for an event and not (yet) attached to anything; ``event_key`` (platform:event id:index)
# finds it again when the event is redelivered, so that it is not fetched twice.
attachments = sa.Table(
    "attachments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("district_id", sa.String(64), nullable=True),
    sa.Column("person_id", sa.Integer, nullable=True),
    sa.Column("event_key", sa.String(400), nullable=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("name", sa.String(300), nullable=False, server_default=""),
    sa.Column("mime", sa.String(100), nullable=False, server_default=""),
    sa.Column("size", sa.Integer, nullable=False, server_default="0"),
    sa.Column("plugin", sa.String(64), nullable=False, server_default=""),
    sa.Column("subject", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Index("ix_attachments_event_key", "event_key"),
    sa.Index("ix_attachments_sha256", "sha256"),
    sa.Index("ix_attachments_person_id", "person_id"),
    sa.Index("ix_attachments_subject", "district_id", "plugin", "subject"),
)

# Where a person's next photo or file in a room goes: the record they have just made there
# (``ctx.accept_attachments``), until ``until``.
attachment_targets = sa.Table(
    "attachment_targets",
    metadata,
    sa.Column("room_key", sa.String(300), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("district_id", sa.String(64), nullable=False),
    sa.Column("plugin", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("label", sa.String(300), nullable=False, server_default=""),
    sa.Column("until", UTCDateTime, nullable=False),
)

# Blobs whose last row may have gone: after the transaction that deleted the rows commits, the
# housekeeping deletes each that nothing refers to any more (never inside that transaction,
# which may still roll back).
blob_releases = sa.Table(
    "blob_releases",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("since", UTCDateTime, nullable=False, default=utcnow),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("district_id", sa.String(64), nullable=True, index=True),
    sa.Column("person_id", sa.Integer, nullable=True, index=True),
    sa.Column("actor", sa.String(200), nullable=False, server_default=""),
    sa.Column("plugin", sa.String(64), nullable=False, server_default=""),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("target", sa.String(300), nullable=False, server_default=""),
    sa.Column("detail", sa.JSON, nullable=False),
    #: the person this was done for, when the actor acted for someone (a captain for an
    #: elderly resident without a chat account); the actor is ``actor``/``person_id``
    sa.Column("acted_for", sa.Integer, nullable=True, index=True),
)
# a district's recent actions (the dashboard's activity per week) without reading its years
sa.Index("ix_audit_log_district_at", audit_log.c.district_id, audit_log.c.at)

consents = sa.Table(
    "consents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("granted", sa.Boolean, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False, default=utcnow),
)

cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow),
)

schedule_state = sa.Table(
    "schedule_state",
    metadata,
    sa.Column("district_id", sa.String(64), primary_key=True),
    sa.Column("plugin", sa.String(64), primary_key=True),
    sa.Column("job", sa.String(64), primary_key=True),
    sa.Column("last_fire", UTCDateTime, nullable=False),
)


# --- the register: district → grid → building → (unit) → household → person -------------
# A person of the register is a row of ``persons`` with a ``residents`` row in the district;
# one without ``identities`` rows has no chat account (most elderly residents never will).

grids = sa.Table(
    "grids",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("district_id", sa.String(64), sa.ForeignKey("districts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    sa.UniqueConstraint("district_id", "code", name="uq_grids_code"),
)

buildings = sa.Table(
    "buildings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("district_id", sa.String(64), sa.ForeignKey("districts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("grid_id", sa.Integer, sa.ForeignKey("grids.id", ondelete="SET NULL"), nullable=True, index=True),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("address", sa.String(300), nullable=False, server_default=""),
    sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    sa.UniqueConstraint("district_id", "code", name="uq_buildings_code"),
)

# households, residents and household_members hold one row per household or person (a
# hundred thousand in a district) and are written in bulk by the importer: they have no
# foreign keys, whose per-row checks made a PostgreSQL import several times slower. Their
# only writers are the register's code (linli.core.register); districts, buildings and
# households are never deleted, and a person is deleted only by a merge, which moves
# their register rows first.
households = sa.Table(
    "households",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("district_id", sa.String(64), nullable=False),
    sa.Column("building_id", sa.Integer, nullable=False),
    #: the unit (单元) within the building; "" when the building has none
    sa.Column("unit", sa.String(32), nullable=False, server_default=""),
    #: the door or household number (门牌号/户号), unique within building and unit
    sa.Column("number", sa.String(64), nullable=False),
    sa.Column("phone", sa.String(64), nullable=True),
    #: active, or moved_out (a household is never deleted: its history stays)
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    sa.UniqueConstraint("building_id", "unit", "number", name="uq_households_address"),
    sa.Index("ix_households_district", "district_id"),
)

residents = sa.Table(
    "residents",
    metadata,
    # person first: the key serves "this person's entries" too (a merge, a link)
    sa.Column("person_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("district_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("gender", sa.String(8), nullable=False, server_default=""),
    sa.Column("birth_date", sa.Date, nullable=True),
    #: the ID number (身份证号) as a salted hash, never in clear
    sa.Column("id_hash", sa.String(64), nullable=True),
    sa.Column("phone", sa.String(64), nullable=True),
    sa.Column("deceased_on", sa.Date, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Index("ix_residents_id_hash", "district_id", "id_hash"),
)

household_members = sa.Table(
    "household_members",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("district_id", sa.String(64), nullable=False),
    sa.Column("household_id", sa.Integer, nullable=False),
    sa.Column("person_id", sa.Integer, nullable=False, index=True),
    #: the relation to the head of the household (户主, 配偶, 子女 …)
    sa.Column("relation", sa.String(32), nullable=False, server_default=""),
    #: when the person moved out (or died); None while they live here
    sa.Column("left_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("household_id", "person_id", name="uq_household_members_member"),
)

link_codes = sa.Table(
    "link_codes",
    metadata,
    #: the code's SHA-256: a leaked table gives no usable code
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("district_id", sa.String(64), sa.ForeignKey("districts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("issued_by", sa.String(200), nullable=False, server_default=""),
    sa.Column("issued_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=True),
    sa.Column("used_by", sa.String(300), nullable=True),
)

household_changes = sa.Table(
    "household_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("district_id", sa.String(64), sa.ForeignKey("districts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id", ondelete="CASCADE"), nullable=False),
    #: move_in, move_out, death, phone
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    #: pending, approved, rejected
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("proposed_by", sa.Integer, nullable=True),
    sa.Column("proposed_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("decided_by", sa.Integer, nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Column("reason", sa.String(500), nullable=False, server_default=""),
    sa.Index("ix_household_changes_status", "district_id", "status"),
)

household_history = sa.Table(
    "household_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("district_id", sa.String(64), nullable=False),
    sa.Column("household_id", sa.Integer, nullable=False, index=True),
    sa.Column("change_id", sa.Integer, nullable=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    #: change (approved request), import, entry (added from chat or the API), merge
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("proposed_by", sa.Integer, nullable=True),
    sa.Column("approved_by", sa.Integer, nullable=True),
    sa.Column("actor", sa.String(200), nullable=False, server_default=""),
    sa.Column("at", UTCDateTime, nullable=False, default=utcnow),
)

#: pairs of register people a worker looked at and found to be two people
not_duplicates = sa.Table(
    "not_duplicates",
    metadata,
    sa.Column("district_id", sa.String(64), sa.ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("first_id", sa.Integer, primary_key=True),
    sa.Column("second_id", sa.Integer, primary_key=True),
    sa.Column("decided_by", sa.String(200), nullable=False, server_default=""),
    sa.Column("at", UTCDateTime, nullable=False, default=utcnow),
)

#: values made once per deployment and kept (the salt of ID-number hashes)
secrets = sa.Table(
    "linli_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

#: the dashboard's links (``linli web``): one-time login links from ``/web`` and the wall
#: displays' long-lived, view-only links; only the token's SHA-256 is kept
web_links = sa.Table(
    "web_links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    #: login (one person, once, minutes) or display (a district's wall, until revoked)
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=True, index=True),
    sa.Column("district_id", sa.String(64), sa.ForeignKey("districts.id", ondelete="CASCADE"), nullable=True),
    sa.Column("label", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("used_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)


_insert_ignore_cache: dict[tuple[str, str, str, frozenset[str]], Any] = {}


def delete_dialog(conn: sa.Connection, room_key: str, person_id: int) -> None:
    """End the dialog that ``person_id`` has in the room ``room_key``, if any."""
    conn.execute(sa.delete(dialogs).where(dialogs.c.room_key == room_key, dialogs.c.person_id == person_id))


def insert_on_conflict(conn: sa.Connection, table: sa.Table) -> Any:
    """An INSERT into ``table`` in the connection's dialect, which knows ``ON CONFLICT``.

    Only the dialect in use is imported: SQLAlchemy's SQLite package with its drivers
    would cost a PostgreSQL worker 0.6 MB that it never uses.
    """
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def insert_ignore(conn: sa.Connection, table: sa.Table, values: dict[str, Any], key: str) -> bool:
    """Insert a row unless one with the same ``key`` column exists; True when inserted.

    Concurrent writers of the same key wait for each other, and exactly one wins.
    The statement is built once per table, dialect and set of columns and run as a
    :class:`~linli.core.storage.prepared.Prepared` statement: this is on every event's path.
    """
    cache_key = (conn.dialect.name, table.name, key, frozenset(values))
    entry = _insert_ignore_cache.get(cache_key)
    if entry is None:
        from linli.core.storage.prepared import Prepared

        # the Python-side defaults (created_at) are filled in here: the statement names every column
        defaults: dict[str, Any] = {
            c.name: c.default
            for c in table.c
            if c.name not in values and c.default is not None and c.default.is_scalar | c.default.is_callable
        }
        columns = {name: sa.bindparam(name, type_=table.c[name].type) for name in (*values, *defaults)}
        # RETURNING rather than rowcount: psycopg reports -1 rows for an INSERT that
        # SQLAlchemy gave an implicit RETURNING, so rowcount cannot tell "skipped" apart
        stmt = (
            insert_on_conflict(conn, table)
            .values(columns)
            .on_conflict_do_nothing(index_elements=[key])
            .returning(table.c[key])
        )
        entry = (Prepared(stmt), defaults)
        _insert_ignore_cache[cache_key] = entry
    prepared, defaults = entry
    if defaults:
        values = {**values, **{name: d.arg(None) if d.is_callable else d.arg for name, d in defaults.items()}}
    return prepared.first(conn, values) is not None


def plugin_table(plugin: str, name: str, plugin_metadata: sa.MetaData, *columns: Any, **kw: Any) -> sa.Table:
    """Declare a plugin table ``<plugin>_<name>`` with the ``district_id`` column every
    plugin table carries; the scoped store filters and fills it.

    Parameters:
      plugin: the plugin's name.
      name: the table's name within the plugin.
      plugin_metadata: the plugin's own ``MetaData``.
      columns: the other columns and constraints.
    """
    return sa.Table(
        f"{plugin}_{name}",
        plugin_metadata,
        sa.Column("district_id", sa.String(64), nullable=False, index=True),
        *columns,
        **kw,
    )
