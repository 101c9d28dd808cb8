"""A party who links their chat account to their entry in the register (/link) keeps their cases."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from mediation_helpers import file_case

from linli.core import people
from linli.core.register import Registry
from linli.plugins.mediation.tables import cases, members, records


def register_entry(chat, name: str) -> tuple[int, str]:
    """``name``'s entry in the register (no chat account) and a one-time code for it."""
    with chat.runtime.store.begin() as conn:
        reg = Registry(conn, "test", actor="cli:test")
        household = reg.add_household(reg.add_building("3号楼").id, "501", unit="2")
        person = reg.add_person(household.id, name, relation="户主").resident.person_id
        return person, reg.issue_link_code(person)


def test_a_party_who_links_their_account_keeps_their_case_under_their_register_entry(med):
    file_case(med)
    with med.runtime.store.connect() as conn:
        chat_person = people.person_for(conn, "test:张三", "张三", create=False).id
    entry, code = register_entry(med, "张三")

    assert med.say("张三", f"/link {code}", private=True)[0].startswith("Done: your account is now linked")

    with med.runtime.store.connect() as conn:
        assert conn.execute(sa.select(cases.c.opened_by)).scalar() == entry
        assert conn.execute(sa.select(members.c.person_id).where(members.c.role == "party")).scalars().all() == [entry]
        assert chat_person not in conn.execute(sa.select(records.c.person_id)).scalars().all()
    assert med.say("张三", "/case 1", private=True)[0].startswith("Mediation case 1:")


def test_a_party_listed_twice_in_a_case_is_listed_once_after_linking(med):
    file_case(med)
    entry, code = register_entry(med, "张三")
    with med.runtime.store.begin() as conn:  # a worker had added the register's 张三 to the case too
        case_id = conn.execute(sa.select(cases.c.id)).scalar_one()
        conn.execute(
            sa.insert(members).values(
                district_id="test", case_id=case_id, person_id=entry, role="party", added_at=dt.datetime.now(dt.UTC)
            )
        )

    med.say("张三", f"/link {code}", private=True)

    with med.runtime.store.connect() as conn:
        parties = conn.execute(sa.select(members.c.person_id).where(members.c.role == "party")).scalars().all()
    assert parties == [entry]
