"""mediation: session records as codes worded at export time; escalated cases stay open

Before this revision some session records held English words written at the time
("risk:medium", "agreed to mediation", "agreed to the extension", "confirmed") and the
agreement's form translated into the mediator's language ("书面"); a granted extension was
recorded under the last party who agreed. They become codes with parameters, which the
ledger words in the district's language when it is exported. A case escalated to the police
is no longer closed until the police's answer is recorded, so it loses its closing date. A case
without the applicant's words for the other side was counted as two people even when only one was
known (a referral naming one resident): its headcount becomes the number of its parties.

Revision ID: mediation_0003
Revises: mediation_0002
Create Date: 2026-12-04 16:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "mediation_0003"
down_revision = "mediation_0002"
branch_labels = None
depends_on = None

#: the English notes written before, and the code and parameters they mean
OLD_NOTES: dict[str, tuple[str, dict[str, Any]]] = {
    "agreed to mediation": ("consent", {"agreed": True}),
    "refused mediation": ("consent", {"agreed": False}),
    "agreed to the extension": ("extension_answer", {"agreed": True}),
    "refused the extension": ("extension_answer", {"agreed": False}),
    "confirmed": ("confirm", {}),
}
#: the agreement's form as it was written into the move's reason, in either language
OLD_FORMS = {"written": "written", "书面": "written", "oral": "oral", "口头": "oral"}

records = sa.table(
    "mediation_records",
    sa.column("id", sa.Integer),
    sa.column("case_id", sa.Integer),
    sa.column("person_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("text", sa.Text),
    sa.column("state_to", sa.String),
    sa.column("params", sa.JSON),
    sa.column("at", sa.DateTime),
)
extensions = sa.table(
    "mediation_extensions",
    sa.column("case_id", sa.Integer),
    sa.column("days", sa.Integer),
    sa.column("reason", sa.Text),
    sa.column("asked_by", sa.Integer),
    sa.column("status", sa.String),
)
cases = sa.table(
    "mediation_cases",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("closed_at", sa.DateTime),
    sa.column("other_party", sa.Text),
    sa.column("headcount", sa.Integer),
)
members = sa.table("mediation_members", sa.column("case_id", sa.Integer), sa.column("role", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("mediation_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
    conn = op.get_bind()
    for row in conn.execute(sa.select(records.c.id, records.c.kind, records.c.text, records.c.state_to)).fetchall():
        code = _code(row.kind, row.text, row.state_to)
        if code is not None:
            kind, params = code
            conn.execute(sa.update(records).where(records.c.id == row.id).values(kind=kind, text="", params=params))
    _extended(conn)
    conn.execute(sa.update(cases).where(cases.c.status == "escalated").values(closed_at=None))
    parties = (
        sa.select(sa.func.count())
        .select_from(members)
        .where(members.c.case_id == cases.c.id, members.c.role == "party")
        .scalar_subquery()
    )
    conn.execute(
        sa.update(cases).where(cases.c.other_party == "", cases.c.headcount == 2, parties == 1).values(headcount=1)
    )


def _code(kind: str, text: str, state_to: str | None) -> tuple[str, dict[str, Any]] | None:
    if kind == "note" and text.startswith("risk:"):
        return "risk", {"risk": text.removeprefix("risk:")}
    if kind == "note" and text in OLD_NOTES:
        return OLD_NOTES[text]
    if kind == "transition" and state_to == "agreement" and text.strip() in OLD_FORMS:
        return "transition", {"form": OLD_FORMS[text.strip()]}
    return None


def _extended(conn: sa.Connection) -> None:
    """A granted extension's reason was a note under the last party who agreed: give it back to the
    mediator who asked, as an ``extended`` record with its days."""
    granted = conn.execute(
        sa.select(extensions.c.case_id, extensions.c.days, extensions.c.reason, extensions.c.asked_by).where(
            extensions.c.status == "agreed"
        )
    ).fetchall()
    for ext in granted:
        note = conn.execute(
            sa.select(records.c.id)
            .where(records.c.case_id == ext.case_id, records.c.kind == "note", records.c.text == ext.reason)
            .order_by(records.c.id.desc())
            .limit(1)
        ).first()
        if note is not None:
            conn.execute(
                sa.update(records)
                .where(records.c.id == note.id)
                .values(kind="extended", person_id=ext.asked_by, params={"days": ext.days})
            )


def downgrade() -> None:
    """Back to the English notes the older code reads (closing dates of escalated cases stay unset)."""
    conn = op.get_bind()
    back = {(code, params.get("agreed")): text for text, (code, params) in OLD_NOTES.items()}
    rows = conn.execute(sa.select(records.c.id, records.c.kind, records.c.text, records.c.params)).fetchall()
    for row in rows:
        params = row.params or {}
        if row.kind == "risk":
            values = {"kind": "note", "text": f"risk:{params.get('risk', '')}"}
        elif row.kind in ("consent", "extension_answer", "confirm"):
            values = {"kind": "note", "text": back[(row.kind, params.get("agreed"))]}
        elif row.kind == "extended":
            values = {"kind": "note"}
        elif row.kind == "transition" and params.get("form"):
            values = {"text": params["form"]}
        else:
            continue
        conn.execute(sa.update(records).where(records.c.id == row.id).values(**values))
    with op.batch_alter_table("mediation_records", schema=None) as batch_op:
        batch_op.drop_column("params")
