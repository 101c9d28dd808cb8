"""A resident who links their chat account to their entry in the register (/link) keeps their
place on the roll, their matters, comments and ballots."""

from __future__ import annotations

import sqlalchemy as sa
from council_helpers import raise_matter, to_vote

from linli.core import people
from linli.core.register import Registry
from linli.plugins.council.tables import comments, matters, roll, votes


def register_entry(chat, name: str) -> tuple[int, str]:
    """``name``'s entry in the register (no chat account) and a one-time code for it."""
    with chat.runtime.store.begin() as conn:
        reg = Registry(conn, "test", actor="cli:test")
        household = reg.add_household(reg.add_building("3号楼").id, "501", unit="2")
        person = reg.add_person(household.id, name, relation="户主").resident.person_id
        return person, reg.issue_link_code(person)


def test_a_resident_who_links_their_account_keeps_their_council_record(council):
    council.say("张三", "/household 3-2-501")
    raise_matter(council)
    council.say("张三", "/comment 1 补充一下")
    to_vote(council)
    council.pick("张三", "Agree")
    with council.runtime.store.connect() as conn:
        chat_person = people.person_for(conn, "test:张三", "张三", create=False).id
    entry, code = register_entry(council, "张三")

    assert council.say("张三", f"/link {code}", private=True)[0].startswith("Done: your account is now linked")

    with council.runtime.store.connect() as conn:
        assert conn.execute(sa.select(roll.c.person_id, roll.c.household)).all() == [(entry, "3-2-501")]
        assert conn.execute(sa.select(matters.c.raised_by)).scalar() == entry
        assert conn.execute(sa.select(comments.c.person_id)).scalar() == entry
        assert conn.execute(sa.select(votes.c.person_id)).scalars().all() == [entry]
        assert chat_person not in conn.execute(sa.select(votes.c.person_id)).scalars().all()
    assert any("1 matter(s) raised, 1 comment(s)" in line for line in council.say("张三", "/mydata", private=True))


def test_a_ballot_cast_twice_by_one_person_counts_once_after_linking(council):
    council.say("张三", "/household 3-2-501")
    raise_matter(council)
    to_vote(council)
    council.pick("张三", "Agree")
    entry, code = register_entry(council, "张三")
    with council.runtime.store.begin() as conn:  # the register's 张三 had a ballot too (cast for them)
        ballot = conn.execute(sa.select(votes)).one()._asdict()
        conn.execute(sa.insert(votes).values({**ballot, "id": None, "person_id": entry}))
        enrolled = conn.execute(sa.select(roll)).one()._asdict()
        conn.execute(sa.insert(roll).values({**enrolled, "id": None, "person_id": entry}))

    council.say("张三", f"/link {code}", private=True)

    with council.runtime.store.connect() as conn:
        assert conn.execute(sa.select(votes.c.person_id)).scalars().all() == [entry]
        assert conn.execute(sa.select(roll.c.person_id)).scalars().all() == [entry]
