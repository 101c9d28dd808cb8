"""mediation_0003: session records written before it, with English words in them, become codes the
ledger words in the district's language; escalated cases lose the closing date they were given."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command

from linli.core.i18n import translator
from linli.core.storage import migrate
from linli.plugins.mediation.ledgers import record_text
from linli.plugins.mediation.tables import cases, members, records

NOW = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_old_english_records_become_codes_worded_in_the_ledgers_language(database):
    engine = sa.create_engine(database)
    dirs = migrate.migration_dirs(["linli.plugins.mediation"])
    cfg = migrate.alembic_config(engine, dirs)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "mediation_0002")
        case = {"district_id": "heping", "source": "application", "category": "neighbours", "opened_at": NOW}
        conn.execute(
            sa.insert(cases), [{**case, "number": 1, "deadline_at": NOW, "status": "escalated", "closed_at": NOW}]
        )
        # a referral naming one resident, and an application naming the other side in words
        conn.execute(sa.insert(cases), [{**case, "number": 2, "deadline_at": NOW, "source": "council"}])
        conn.execute(sa.insert(cases), [{**case, "number": 3, "deadline_at": NOW, "other_party": "楼上李四家"}])
        party = {"district_id": "heping", "person_id": 2, "role": "party", "added_at": NOW}
        conn.execute(sa.insert(members), [{**party, "case_id": 2}, {**party, "case_id": 3}])
        old = [
            ("note", "risk:medium", None, None),
            ("note", "agreed to mediation", None, None),
            ("note", "refused the extension", None, None),
            ("note", "confirmed", None, None),
            ("transition", "书面", "mediating", "agreement"),
            ("note", "对方出差", None, None),
            ("message", "您好", None, None),
        ]
        conn.execute(
            sa.text(
                "INSERT INTO mediation_records (district_id, case_id, person_id, kind, text, state_from, state_to, at)"
                " VALUES ('heping', 1, 2, :kind, :text, :state_from, :state_to, :at)"
            ),
            [{"kind": k, "text": t, "state_from": f, "state_to": to, "at": NOW} for k, t, f, to in old],
        )
        conn.execute(
            sa.text(
                "INSERT INTO mediation_extensions (district_id, case_id, days, reason, asked_by, asked_at, status)"
                " VALUES ('heping', 1, 15, '对方出差', 7, :at, 'agreed')"
            ),
            {"at": NOW},
        )
    assert "mediation_0003" in migrate.upgrade(engine, dirs)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(records).order_by(records.c.id)).all()
        assert conn.execute(sa.select(cases.c.closed_at).where(cases.c.number == 1)).scalar() is None
        assert conn.execute(sa.select(cases.c.number, cases.c.headcount).order_by(cases.c.number)).all() == [
            (1, 2),  # no party linked at all: left as it was
            (2, 1),
            (3, 2),
        ]
    zh = translator("zh_CN")
    assert [record_text(zh, r) for r in rows] == [
        "风险等级定为：中。",
        "同意调解。",
        "不同意延期。",
        "确认了调解协议。",
        "调解中→已达成协议（书面）",
        "办理期限延长15天。理由：对方出差",
        "您好",
    ]
    assert rows[5].person_id == 7  # the mediator who asked, not the last party who agreed
    assert rows[6].person_id == 2
    cfg = migrate.alembic_config(engine, dirs)
    with engine.begin() as conn:  # and back: the older code finds the notes it wrote
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "mediation_0002")
        notes = conn.execute(sa.text("SELECT kind, text FROM mediation_records ORDER BY id")).all()
    assert [tuple(n) for n in notes[:4]] == [
        ("note", "risk:medium"),
        ("note", "agreed to mediation"),
        ("note", "refused the extension"),
        ("note", "confirmed"),
    ]
    engine.dispose()
