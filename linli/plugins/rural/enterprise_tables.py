"""The tables of the village's own work: the collective enterprise and its certificates, the
sales ledger, projects and the scholarship fund. They are on the plugin's one ``metadata``
(:mod:`linli.plugins.rural.tables`); households are the core register's, referred to by id.

Money is kept in integer fen (分), never as a float."""

from __future__ import annotations

import sqlalchemy as sa

from linli.core.plugin import UTCDateTime, plugin_table
from linli.plugins.rural.tables import metadata

__all__ = [
    "certificates",
    "enterprises",
    "fund_entries",
    "milestones",
    "products",
    "progress_reports",
    "projects",
    "sale_shares",
    "sales",
    "students",
]

# a village collective enterprise (村集体企业), numbered per village
enterprises = plugin_table(
    "rural",
    "enterprises",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("added_by", sa.Integer, nullable=True),
    sa.Column("added_at", UTCDateTime, nullable=False),
)

# a certificate of an enterprise (营业执照, 生产许可证, 环保登记…): number, issuer, scope, expiry;
# ``reminded_days`` is the smallest reminder (60, 30, 7 days before) already sent
certificates = plugin_table(
    "rural",
    "certificates",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("enterprise_id", sa.Integer, nullable=False, index=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("issuer", sa.String(128), nullable=False),
    sa.Column("scope", sa.Text, nullable=False, server_default=""),
    sa.Column("expires_on", sa.Date, nullable=False, index=True),
    sa.Column("reminded_days", sa.Integer, nullable=True),
    sa.Column("added_by", sa.Integer, nullable=True),
    sa.Column("added_at", UTCDateTime, nullable=False),
)

# what the village sells: a product, its brand and its unit (大米 · 雅河硕丰 · 斤)
products = plugin_table(
    "rural",
    "products",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(16), nullable=False),
    sa.Column("brand", sa.String(64), nullable=False, server_default=""),
    sa.Column("added_at", UTCDateTime, nullable=False),
)

# one sale: product, buyer, quantity, price per unit in fen, the amount in fen, the date
sales = plugin_table(
    "rural",
    "sales",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("product_id", sa.Integer, nullable=False),
    sa.Column("buyer", sa.String(128), nullable=False),
    sa.Column("quantity", sa.Numeric(14, 3), nullable=False),
    sa.Column("price_fen", sa.BigInteger, nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("sold_on", sa.Date, nullable=False, index=True),
    sa.Column("recorded_by", sa.Integer, nullable=True),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)

# the part of a sale's revenue that goes to a household of the register; the rest is the collective's
sale_shares = plugin_table(
    "rural",
    "sale_shares",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sale_id", sa.Integer, nullable=False, index=True),
    sa.Column("household_id", sa.Integer, nullable=False, index=True),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("recorded_by", sa.Integer, nullable=True),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)

# a project (草莓大棚, 产业园): its progress in percent is the last report's
projects = plugin_table(
    "rural",
    "projects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("progress", sa.Integer, nullable=False, server_default="0"),
    sa.Column("added_by", sa.Integer, nullable=True),
    sa.Column("added_at", UTCDateTime, nullable=False),
)

# a milestone of a project, due on a date; ``flagged_on`` is when it was flagged overdue
milestones = plugin_table(
    "rural",
    "milestones",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project_id", sa.Integer, nullable=False, index=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("due_on", sa.Date, nullable=False, index=True),
    sa.Column("done_on", sa.Date, nullable=True),
    sa.Column("flagged_on", sa.Date, nullable=True),
)

# a progress report from chat: the percent and what was done. Photos sent with it will be
# attached to this row (the ``rural.progress_reported`` event names it) once attachments land.
progress_reports = plugin_table(
    "rural",
    "progress_reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project_id", sa.Integer, nullable=False, index=True),
    sa.Column("progress", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
    sa.Column("reported_by", sa.Integer, nullable=True),
    sa.Column("reported_at", UTCDateTime, nullable=False, index=True),
)

# a student of the scholarship fund: a minor, whose name only staff see (never a group room)
students = plugin_table(
    "rural",
    "students",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("school", sa.String(128), nullable=False, server_default=""),
    sa.Column("added_by", sa.Integer, nullable=True),
    sa.Column("added_at", UTCDateTime, nullable=False),
)

# the fund's book: a donation (+) or a disbursement to a student for a term (−), in fen, with
# the balance after it; a disbursement never takes the balance below zero
fund_entries = plugin_table(
    "rural",
    "fund_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # donation | disbursement
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("balance_fen", sa.BigInteger, nullable=False),
    sa.Column("donor", sa.String(128), nullable=False, server_default=""),
    sa.Column("student_id", sa.Integer, nullable=True, index=True),
    sa.Column("term", sa.String(32), nullable=False, server_default=""),
    sa.Column("on_date", sa.Date, nullable=False, index=True),
    sa.Column("recorded_by", sa.Integer, nullable=True),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)
