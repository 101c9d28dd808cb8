"""Who may do what: each command for a community worker, a grid worker, the building's two
captains, another building's captain and a resident; special-household data never reaches a
group room or another building's captain."""

from __future__ import annotations

import pytest
from captains_helpers import assign_captains, make

PEOPLE = ("王主任", "网格员", "政务甲", "居务乙", "政务丙", "张三")
# 王主任 staff · 网格员 grid worker of Grid1 · 政务甲 gov captain of B1 and B2 · 居务乙 resident captain
# of B1 · 政务丙 gov captain of B3 (Grid2) · 张三 a resident of B1

#: command (private chat?) → who may run it; everyone else is refused and nothing changes
MATRIX = [
    ("/setcaptain B3 resident 赵六", False, {"王主任"}),
    ("/endcaptain B2 gov", False, {"王主任"}),
    ("/gaps", False, {"王主任"}),
    ("/addbuilding Grid1 B{n}", False, {"王主任"}),
    ("/notice all 通知{n}", False, {"王主任"}),
    ("/captainstats", False, {"王主任"}),
    ("/evaluations", True, {"王主任"}),
    ("/coverage", False, {"王主任", "网格员", "政务甲", "居务乙", "政务丙"}),
    ("/tally B1 cards 1", False, {"政务甲", "居务乙"}),
    ("/zero B1", False, {"政务甲", "居务乙"}),
    ("/special 1-102 disabled", True, {"王主任", "网格员", "政务甲", "居务乙"}),
    ("/specials B1", True, {"王主任", "网格员", "政务甲", "居务乙"}),
    ("/evaluate B1", True, {"政务甲"}),
]
REFUSALS = (
    "Sorry, /",
    "Only ",
    "You are not",
    "Coverage is for",
    "Special households are seen only",
    "is not in your buildings",
)


def refused(answer: list[str]) -> bool:
    return bool(answer) and any(marker in answer[0] for marker in REFUSALS)


@pytest.fixture
def scene(tmp_path):
    chat, _ = make(tmp_path)
    assign_captains(chat)
    chat.say("王主任", "/sweep 排查")
    chat.pick("王主任", "The whole community")
    chat.say("王主任", "7")
    yield chat
    chat.close()


@pytest.mark.parametrize(("command", "private", "allowed"), MATRIX, ids=[m[0].split()[0] for m in MATRIX])
def test_each_command_is_refused_to_everyone_it_is_not_for(scene, command, private, allowed):
    for n, who in enumerate(sorted(PEOPLE, key=lambda p: p in allowed)):  # the refused ones first
        answer = scene.say(who, command.format(n=n), private=private)
        if who in allowed:
            assert not refused(answer), (who, answer)
        else:
            assert refused(answer), (who, answer)


def test_special_household_data_never_reaches_a_group_room_or_another_buildings_captain(scene):
    scene.say("居务乙", "/special 1-102 alone_elderly", private=True)
    scene.say("居务乙", "/visit", private=True)
    scene.pick("居务乙", "All well", private=True)
    scene.pick("居务乙", "Special household", private=True)
    for who in PEOPLE:
        for command in ("/specials", "/coverage", "/captainday", "/needs", "/mybuildings"):
            scene.say(who, command)
    scene.say("政务丙", "/specials", private=True)
    scene.say("政务丙", "/specials B1", private=True)
    scene.say("王主任", "/closesweep 1")
    for room in ("group", "community", "grid1", "b3", "@政务丙", "@张三"):
        text = "\n".join(scene.in_room(room))
        assert "Elderly living alone" not in text and "1-102" not in text, room
