"""Special households: codes only, seen by the building's captains, its grid and staff, in private
chats only; care plans with review reminders."""

from __future__ import annotations

import sqlalchemy as sa
from captains_helpers import assign_captains

from linli.core.storage import schema as s
from linli.plugins.captains.tables import care_plans, specials


def test_a_captain_registers_a_special_household_with_a_code_in_private(cap):
    chat, _ = cap
    assign_captains(chat)
    assert chat.say("居务乙", "/special 1-102", private=True) == [
        "Household B1/1-102: which kind of special household?"
    ]
    assert chat.pick("居务乙", "Elderly living alone", private=True) == [
        "Household B1/1-102 is registered as: Elderly living alone. Make a care plan with /careplan B1/1-102."
    ]
    assert chat.say("居务乙", "/special 1-102 alone_elderly", private=True) == [
        "Household B1/1-102 is already registered as: Elderly living alone."
    ]
    assert chat.say("居务乙", "/special 1-101 独居", private=True)[0].startswith("Please use one of the codes: ")
    assert chat.say("居务乙", "/specials", private=True) == [
        "Special households:\nB1/1-102 · Elderly living alone · no care plan yet"
    ]
    with chat.runtime.store.connect() as conn:
        assert conn.execute(sa.select(specials.c.code)).scalars().all() == ["alone_elderly"]
        reads = conn.execute(
            sa.select(s.audit_log.c.action).where(s.audit_log.c.action.like("captains.special%"))
        ).scalars()
        assert sorted(reads) == ["captains.special_registered", "captains.specials_read"]


def test_special_households_never_reach_a_group_room(cap):
    chat, _ = cap
    assign_captains(chat)
    chat.say("居务乙", "/special 1-102 disabled", private=True)
    for command in ("/special 1-102 dibao", "/specials", "/careplan 1-102", "/unspecial 1-102 disabled"):
        answer = chat.say("居务乙", command)
        assert len(answer) == 1 and "1-102" not in answer[0] and "Disabled" not in answer[0]
    assert all("1-102" not in m for m in chat.in_room("group"))


def test_only_the_buildings_captains_its_grid_and_staff_see_its_special_households(cap):
    chat, _ = cap
    assign_captains(chat)
    chat.say("居务乙", "/special 1-102 alone_elderly", private=True)
    seen = "Special households:\nB1/1-102 · Elderly living alone · no care plan yet"
    assert chat.say("政务甲", "/specials", private=True) == [seen]  # B1's other captain
    assert chat.say("网格员", "/specials", private=True) == [seen]  # Grid1's worker
    assert chat.say("王主任", "/specials", private=True) == [seen]  # staff
    refused = "Special households are seen only by their building's captains, its grid and staff."
    assert chat.say("政务丙", "/specials", private=True) == ["No special households registered."]  # B3's captain
    assert chat.say("政务丙", "/specials B1", private=True) == [refused]
    assert chat.say("张三", "/specials", private=True) == [refused]
    assert chat.say("政务丙", "/special 1-102 dibao", private=True) == [
        "Household B1/1-102 is not in your buildings; only its captains, its grid and staff see it."
    ]
    assert chat.say("政务丙", "/careplan 1-102", private=True) == [
        "Household B1/1-102 is not in your buildings; only its captains, its grid and staff see it."
    ]


def test_a_care_plan_is_made_and_its_review_is_reminded(cap):
    chat, _ = cap
    assign_captains(chat)
    assert chat.say("居务乙", "/careplan 1-102", private=True) == [
        "Register household B1/1-102 as a special household first with /special."
    ]
    chat.say("居务乙", "/special 1-102 alone_elderly", private=True)
    assert chat.say("居务乙", "/careplan 1-102", private=True) == [
        "What are the measures for household B1/1-102? (send /cancel to stop)"
    ]
    chat.say("居务乙", "每周上门两次，安装紧急呼叫器", private=True)
    assert chat.say("居务乙", "无名氏", private=True) == [
        '无名氏 is not someone here that I know of. Send a name, or "me".'
    ]
    assert chat.say("居务乙", "me", private=True) == ["When is it reviewed? Send a date (2027-01-15)."]
    assert chat.say("居务乙", "2026-11-01", private=True) == [
        "Please send a date after today, within a year (2027-01-15)."
    ]
    assert chat.say("居务乙", "2026-11-28", private=True) == [
        "The care plan for household B1/1-102 is kept; review on 2026-11-28."
    ]
    with chat.runtime.store.connect() as conn:
        assert conn.execute(sa.select(care_plans.c.measures)).scalar() == "每周上门两次，安装紧急呼叫器"
    chat.run_jobs()
    chat.advance(days=2, hours=1)  # 28 November, 10:00
    sent = [m for m in chat.run_jobs() if "care plan" in m]
    assert sent == ["The care plan of household B1/1-102 is due for review today."] * 2  # 居务乙 and 政务甲
    chat.advance(days=1)
    assert not [m for m in chat.run_jobs() if "care plan" in m]


def test_a_grid_worker_named_by_the_grids_code_sees_that_grid_only(cap):
    chat, _ = cap
    assign_captains(chat)
    chat.say("政务丙", "/special 3-101 disabled", private=True)
    chat.say("居务乙", "/special 1-102 alone_elderly", private=True)
    chat.say("网格员乙", "/whoami")
    chat.say("网格员乙", "/whoami", private=True)
    chat.grant("网格员乙", "grid_worker", "grid:Grid2")
    assert chat.say("网格员乙", "/specials", private=True) == [
        "Special households:\nB3/3-101 · Disabled · no care plan yet"
    ]


def test_a_special_household_may_be_named_by_the_label_a_captain_reads(cap):
    chat, _ = cap
    assign_captains(chat)
    assert chat.say("居务乙", "/special 1-102 elderly living alone", private=True) == [
        "Household B1/1-102 is registered as: Elderly living alone. Make a care plan with /careplan B1/1-102."
    ]
    assert chat.say("居务乙", "/unspecial 1-102 Elderly living alone", private=True) == [
        "Done: household B1/1-102 no longer has that registration."
    ]
    chat.say("居务乙", "/lang zh_CN", private=True)
    assert chat.say("居务乙", "/特殊户 1-102 低保户", private=True)[0].startswith("B1/1-102户已登记为：低保户。")
    with chat.runtime.store.connect() as conn:
        assert conn.execute(sa.select(specials.c.code).order_by(specials.c.id)).scalars().all() == [
            "alone_elderly",
            "dibao",
        ]
