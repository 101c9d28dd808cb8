"""What the council tells a person about themselves (/mydata), and forgetting them (/forgetme)."""

from __future__ import annotations

import sqlalchemy as sa
from council_helpers import raise_matter, to_vote

from linli.core.storage import schema as s
from linli.plugins.council.tables import comments, matters, roll, votes


def test_a_person_sees_what_the_council_holds_about_them(council):
    council.say("张三", "/household 3-2-501")
    raise_matter(council)
    council.say("张三", "/comment 1 补充一下")
    to_vote(council)
    council.pick("张三", "Agree")
    answer = council.say("张三", "/mydata", private=True)
    assert (
        "Courtyard council: household 3-2-501; 1 matter(s) raised, 1 comment(s), 0 support(s), 1 ballot(s) cast."
        in answer
    )


def test_a_forgotten_person_leaves_the_record_without_their_name(council):
    council.say("张三", "/household 3-2-501")
    raise_matter(council)
    council.say("张三", "/comment 1 补充一下")
    to_vote(council)
    council.pick("张三", "Agree")
    with council.runtime.store.connect() as conn:
        pid = conn.execute(sa.select(s.persons.c.id).where(s.persons.c.display_name == "张三")).scalar()
    council.say("张三", "/forgetme", private=True)
    council.pick("张三", 1, private=True)
    with council.runtime.store.connect() as conn:
        assert conn.execute(sa.select(roll).where(roll.c.person_id == pid)).all() == []
        assert conn.execute(sa.select(matters.c.raised_by, matters.c.title)).one() == (None, "3号楼前路灯坏了")
        assert conn.execute(sa.select(comments.c.person_id)).scalar() is None
        assert conn.execute(sa.select(votes.c.person_id, votes.c.household)).one() == (None, "")
    result = council.say("刘书记", "/closepoll 1")[0]
    assert "Agree 1 · Disagree 0 · Abstain 0" in result  # the ballot still counts


def test_a_forgotten_person_s_matter_text_and_comments_are_scrubbed(council):
    raise_matter(council, text="路灯坏了，联系我13812345678")
    council.say("张三", "/comment 1 我家电话13812345678")
    council.say("张三", "/forgetme", private=True)

    council.pick("张三", 1, private=True)

    with council.runtime.store.connect() as conn:
        texts = conn.execute(sa.select(matters.c.text)).scalars().all()
        texts += conn.execute(sa.select(comments.c.text)).scalars().all()
    assert texts == ["", ""]


def test_a_forgotten_person_s_matter_says_why_its_words_are_gone(council):
    raise_matter(council)
    council.say("张三", "/comment 1 补充一下")
    council.say("张三", "/forgetme", private=True)
    council.pick("张三", 1, private=True)

    shown = council.say("李四", "/matter 1")[0]

    assert "补充一下" not in shown and shown.count("its author asked linli to forget them") == 2
