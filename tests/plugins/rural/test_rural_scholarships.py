"""The scholarship fund: donations and disbursements with a running balance, per student and per
term; a disbursement larger than the balance is refused and nothing changes; students are minors,
whose names only staff see, in private, and no group room ever receives."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from rural_work_helpers import PEOPLE, make

from linli.core.storage import schema as s
from linli.plugins.rural.enterprise_tables import fund_entries

STUDENTS = ("王小明", "李小红")


@pytest.fixture
def village(tmp_path):
    chat = make(tmp_path)
    for name in STUDENTS:
        chat.say("曲书记", f"/student {name} 雅河小学", private=True)
    yield chat
    chat.close()


def entries(chat) -> list[tuple[str, int, int]]:
    with chat.runtime.store.connect() as conn:
        rows = conn.execute(
            sa.select(fund_entries.c.kind, fund_entries.c.amount_fen, fund_entries.c.balance_fen).order_by(
                fund_entries.c.id
            )
        )
        return [tuple(r) for r in rows]


def test_the_balance_runs_with_donations_and_disbursements_per_student_and_term(village):
    assert village.say("曲书记", "/donate 6400 沈阳海关") == [
        "Donation of ¥6,400.00 from 沈阳海关 recorded. The fund holds ¥6,400.00."
    ]
    assert village.say("队员", "/disburse #1 32 2026秋") == [
        "Paid ¥32.00 to student #1 for 2026秋. The fund holds ¥6,368.00."
    ]
    assert village.say("队员", "/disburse 李小红 32 2026秋", private=True) == [
        "Paid ¥32.00 to student 李小红 for 2026秋. The fund holds ¥6,336.00."
    ]
    village.say("队员", "/disburse 1 32.50 2027春")
    assert village.say("乡镇", "/fund") == [
        "Scholarship fund: ¥6,303.50 held; ¥6,400.00 donated, ¥96.50 paid.\n"
        "2026秋: 2 students, ¥64.00\n"
        "2027春: 1 student, ¥32.50"
    ]
    assert village.say("乡镇", "/students", private=True) == [
        "Students:\n#1 王小明 · 雅河小学 · 2026秋 ¥32.00、2027春 ¥32.50\n#2 李小红 · 雅河小学 · 2026秋 ¥32.00"
    ]
    assert entries(village) == [
        ("donation", 640000, 640000),
        ("disbursement", 3200, 636800),
        ("disbursement", 3200, 633600),
        ("disbursement", 3250, 630350),
    ]


def test_a_disbursement_larger_than_the_balance_is_refused_and_nothing_changes(village):
    village.say("曲书记", "/donate 100 沈阳海关")
    before = entries(village)
    assert village.say("曲书记", "/disburse 1 100.01 2026秋") == [
        "The fund holds only ¥100.00: a disbursement of ¥100.01 is refused and nothing changed."
    ]
    assert entries(village) == before
    assert village.say("曲书记", "/disburse 1 100 2026秋")[0].endswith("The fund holds ¥0.00.")
    assert village.say("曲书记", "/disburse 2 0.01 2026秋") == [
        "The fund holds only ¥0.00: a disbursement of ¥0.01 is refused and nothing changed."
    ]


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("/donate -5 某单位", "-5 is not an amount of money"),
        ("/donate 1.001 某单位", "1.001 is not an amount of money"),
        ("/donate 100", "Usage: /donate AMOUNT DONOR"),
        ("/disburse 9 10 2026秋", "There is no such student."),
        ("/disburse 1 abc 2026秋", "abc is not an amount of money"),
        ("/disburse 王小明 10 2026秋", "In a group, name a student by their number only (#3), never by name."),
    ],
)
def test_bad_fund_input_gets_a_clear_answer_and_nothing_changes(village, line, answer):
    village.say("曲书记", "/donate 100 沈阳海关")
    assert village.say("曲书记", line)[0].startswith(answer)
    assert len(entries(village)) == 1


def test_no_group_room_ever_receives_a_students_name(village):
    village.say("曲书记", "/donate 6400 沈阳海关")
    for who in PEOPLE:
        for line in ("/disburse 1 10 2026秋", "/fund", "/students", "/monthreport", "/disburse 2 10 2026秋"):
            village.say(who, line)
    village.say("队员", "/disburse 王小明 10 2026秋", private=True)
    village.run_jobs()
    village.advance(days=6)
    village.run_jobs()  # the report and the totals of 1 December
    for room in ("group", "village", "staff", "township", "@帮扶人", "@村民"):
        text = "\n".join(village.in_room(room))
        assert not any(name in text for name in STUDENTS), room
    assert any("#1" in m for m in village.in_room("group"))


def test_only_staff_see_the_students_and_every_look_is_audited(village):
    refused = "Sorry, /students is only for: first secretary, village work team, township."
    assert village.say("帮扶人", "/students", private=True) == [refused]
    assert village.say("村民", "/students", private=True) == [refused]
    assert village.say("乡镇", "/students", private=True)[0].startswith("Students:")
    assert village.say("乡镇", "/students") == ["Use /students in a private chat with me, not in the group."]
    with village.runtime.store.connect() as conn:
        reads = conn.execute(sa.select(s.audit_log.c.action).where(s.audit_log.c.action == "rural.students_read"))
        assert len(reads.all()) == 1
