"""The mediation tables: cases, who takes part in them, their session records and agreements."""

from __future__ import annotations

import sqlalchemy as sa

from linli.core.plugin import UTCDateTime, plugin_table

__all__ = ["agreements", "cases", "extension_answers", "extensions", "members", "metadata", "records"]

metadata = sa.MetaData()

cases = plugin_table(
    "mediation",
    "cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="registered"),
    sa.Column("risk", sa.String(8), nullable=False, server_default="low"),
    sa.Column("grid", sa.String(64), nullable=False, server_default=""),
    sa.Column("reference", sa.String(64), nullable=False, server_default=""),
    # who the applicant says the other side is, as they wrote it (they may not use linli)
    sa.Column("other_party", sa.Text, nullable=False, server_default=""),
    sa.Column("facts", sa.Text, nullable=False, server_default=""),
    sa.Column("claims", sa.Text, nullable=False, server_default=""),
    sa.Column("contact", sa.String(16), nullable=False, server_default="chat"),
    sa.Column("headcount", sa.Integer, nullable=False, server_default="2"),
    sa.Column("measures", sa.Text, nullable=False, server_default=""),
    sa.Column("followup", sa.Text, nullable=False, server_default=""),
    sa.Column("remarks", sa.Text, nullable=False, server_default=""),
    sa.Column("opened_by", sa.Integer, nullable=True),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("deadline_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.Column("judicial_reminded_at", UTCDateTime, nullable=True),
    sa.Column("followup_reminded_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("district_id", "number", name="uq_mediation_cases_number"),
)

members = plugin_table(
    "mediation",
    "members",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, nullable=False, index=True),
    # None once the person asked to be forgotten: the case keeps that someone took part
    sa.Column("person_id", sa.Integer, nullable=True, index=True),
    sa.Column("role", sa.String(16), nullable=False),  # party | mediator
    sa.Column("confirmed_at", UTCDateTime, nullable=True),
    sa.Column("added_at", UTCDateTime, nullable=False),
)

records = plugin_table(
    "mediation",
    "records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, nullable=False, index=True),
    sa.Column("person_id", sa.Integer, nullable=True),
    # message | transition | note (free text) — or a code the ledger words at export time:
    # risk, consent, extension_answer, confirm, extended (see ledgers.py)
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
    # the code's parameters: {"risk": "high"}, {"agreed": true}, {"days": 15}, {"form": "written"}
    sa.Column("params", sa.JSON, nullable=True),
    sa.Column("state_from", sa.String(16), nullable=True),
    sa.Column("state_to", sa.String(16), nullable=True),
    sa.Column("at", UTCDateTime, nullable=False),
)

agreements = plugin_table(
    "mediation",
    "agreements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, nullable=False),
    sa.Column("form", sa.String(8), nullable=False),  # written | oral
    sa.Column("terms", sa.Text, nullable=False),
    sa.Column("responsibilities", sa.Text, nullable=False),
    sa.Column("manner", sa.Text, nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("made_by", sa.Integer, nullable=True),
    sa.Column("made_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "case_id", name="uq_mediation_agreements_case"),
)

# a mediator's request to extend a case's time limit: asked → agreed (every party in the
# chat said yes) | refused (one said no)
extensions = plugin_table(
    "mediation",
    "extensions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, nullable=False, index=True),
    sa.Column("days", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("asked_by", sa.Integer, nullable=True),
    sa.Column("asked_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=True),
)

extension_answers = plugin_table(
    "mediation",
    "extension_answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("extension_id", sa.Integer, nullable=False, index=True),
    sa.Column("person_id", sa.Integer, nullable=True),
    sa.Column("agreed", sa.Boolean, nullable=False),
    sa.Column("answered_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("district_id", "extension_id", "person_id", name="uq_mediation_extension_answers_person"),
)
