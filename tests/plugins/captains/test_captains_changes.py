"""Household changes from chat: a captain proposes, a community worker approves or rejects,
the register applies an approved change and keeps the household's history."""

from __future__ import annotations

import sqlalchemy as sa
from captains_helpers import assign_captains

from linli.core.register import Registry
from linli.core.storage import schema as s


def test_a_captain_proposes_a_move_and_staff_approve_it_into_the_register(cap):
    chat, ids = cap
    assign_captains(chat)
    assert chat.say("居务乙", "/change 1-102 movein 王秀英 女儿", private=True) == [
        "Change 1: B1/1-102 — moves in: 王秀英（女儿）. Proposed: a community worker will approve it."
    ]
    assert chat.say("王主任", "/changes", private=True) == [
        "Waiting for approval (/approvechange NUMBER or /rejectchange NUMBER REASON):\n"
        "Change 1: B1/1-102 — moves in: 王秀英（女儿）"
    ]
    assert chat.say("王主任", "/approvechange 1", private=True) == [
        "Change 1: B1/1-102 — moves in: 王秀英（女儿）. Approved: the register is updated."
    ]
    with chat.runtime.store.begin() as conn:
        reg = Registry(conn, "test", actor="cli:test")
        assert sorted(r.name for r in reg.members(ids["B1/1-102"])) == ["孙秀英", "王秀英"]
        assert [h.kind for h in reg.history(ids["B1/1-102"])][-1] == "move_in"
    assert chat.say("王主任", "/changes", private=True) == ["No household change is waiting for approval."]


def test_a_rejected_change_changes_nothing_and_needs_a_reason(cap):
    chat, ids = cap
    assign_captains(chat)
    chat.say("居务乙", "/change 1-101 phone 13812345678", private=True)
    assert chat.say("王主任", "/rejectchange 1", private=True) == [
        "Please give the reason: /rejectchange NUMBER REASON"
    ]
    assert chat.say("王主任", "/changes", private=True)[0].endswith("Change 1: B1/1-101 — new phone: 138****5678")
    assert chat.say("王主任", "/rejectchange 1 号码不对", private=True) == [
        "Change 1: B1/1-101 — new phone. Rejected: 号码不对"
    ]
    with chat.runtime.store.connect() as conn:
        phone = conn.execute(sa.select(s.households.c.phone).where(s.households.c.id == ids["B1/1-101"])).scalar()
    assert phone is None


def test_changes_outside_ones_buildings_and_by_non_staff_are_refused(cap):
    chat, _ = cap
    assign_captains(chat)
    assert chat.say("居务乙", "/change B3/3-101 moveout 赵六", private=True) == [
        "Household B3/3-101 is not in your buildings; only its captains, its grid and staff see it."
    ]
    assert chat.say("居务乙", "/change 1-101 moveout 王小明", private=True) == [
        "Nobody called 王小明 lives in household B1/1-101."
    ]
    assert chat.say("居务乙", "/change 1-101 moves 张三", private=True)[0].startswith("Usage: /change")
    assert chat.say("居务乙", "/approvechange 1", private=True) == [
        "Sorry, /approvechange is only for: community worker."
    ]
    assert chat.say("王主任", "/approvechange 99", private=True) == ["There is no change request #99 here."]
    with chat.runtime.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(s.household_changes)).scalar() == 0
