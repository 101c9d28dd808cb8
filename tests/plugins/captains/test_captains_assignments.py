"""The register of captains: /setcaptain, /endcaptain, /mybuildings, /gaps, /addbuilding."""

from __future__ import annotations

from captains_helpers import assign_captains

from linli.core.register import Registry


def test_staff_assign_both_captains_and_a_captain_sees_their_buildings(cap):
    chat, _ = cap
    assert chat.say("王主任", "/setcaptain B1 gov 政务甲 区财政局")[0] == (
        "政务甲 is now the government-affairs captain of B1."
    )
    assert chat.last("政务甲", private=True) == (
        "You are now the government-affairs captain of B1. Send /mybuildings to see your buildings."
    )
    chat.say("王主任", "/setcaptain B1 resident 居务乙")
    assert chat.say("政务甲", "/mybuildings") == [
        "Your buildings:\nB1 (Grid1) · government-affairs captain · 3 household(s) · with: 居务乙"
    ]
    assert chat.say("张三", "/mybuildings") == ["You are not a building captain here."]


def test_gaps_lists_the_buildings_waiting_for_a_captain(cap):
    chat, _ = cap
    assign_captains(chat)
    assert chat.say("王主任", "/gaps") == [
        "3 building(s): 3 have a government-affairs captain, 1 a resident-affairs captain; 2 wait for one or both.\n"
        "B2 (Grid1): no resident-affairs captain\n"
        "B3 (Grid2): no resident-affairs captain"
    ]
    chat.say("王主任", "/endcaptain B2 gov")
    assert chat.say("王主任", "/gaps")[0].splitlines()[1] == "B2 (Grid1): no captain yet"
    assert chat.say("张三", "/gaps") == ["Sorry, /gaps is only for: community worker."]


def test_a_new_captain_replaces_the_old_one_and_unassign_ends_an_assignment(cap):
    chat, _ = cap
    assign_captains(chat)
    chat.say("王主任", "/setcaptain B1 resident 李四")
    assert chat.say("居务乙", "/mybuildings") == ["You are not a building captain here."]
    assert chat.say("王主任", "/endcaptain B1 resident") == ["B1 has no resident-affairs captain from today."]
    assert chat.say("王主任", "/endcaptain B1 resident") == ["B1 has no resident-affairs captain now."]


def test_bad_assignments_get_a_clear_answer(cap):
    chat, _ = cap
    usage = "Usage: /setcaptain BUILDING gov|resident NAME [UNIT], for example /setcaptain 2号楼 gov 王伟 区财政局"
    assert chat.say("王主任", "/setcaptain B9 gov 政务甲 区财政局") == ["There is no building B9 in this community."]
    assert chat.say("王主任", "/setcaptain B1 boss 政务甲") == [usage]
    assert chat.say("王主任", "/setcaptain B1 gov 无名氏 区财政局") == [
        "无名氏 is not someone here that I know of: they must have written in this community's group once."
    ]
    assert chat.say("王主任", "/setcaptain B1 gov 政务甲") == [
        f"Please name the unit that sent the government-affairs captain: {usage}"
    ]
    assert chat.say("政务甲", "/setcaptain B1 gov 政务甲 区财政局") == [
        "Sorry, /setcaptain is only for: community worker."
    ]
    assert chat.say("政务甲", "/mybuildings") == ["You are not a building captain here."]


def test_staff_add_a_building_from_chat(cap):
    chat, _ = cap
    assert chat.say("王主任", "/addbuilding Grid2 B4") == [
        "B4 is added to Grid2. Give it captains with /setcaptain B4 gov|resident NAME."
    ]
    assert chat.say("王主任", "/addbuilding Grid2 B4") == ["B4 is already registered."]
    assert chat.say("王主任", "/addbuilding Grid9 B5") == ["There is no grid Grid9 in this community."]
    with chat.runtime.store.connect() as conn:
        assert [b.code for b in Registry(conn, "test").buildings()] == ["B1", "B2", "B3", "B4"]
