"""Who may do what: each command for the organiser, an assessor, a unit's reporter, another
unit's reporter and a resident; a refused command changes nothing."""

from __future__ import annotations

import pytest
from tracks_helpers import define, make

PEOPLE = ("组织者", "审核员", "和平报", "沈河报", "张三")

#: command (private chat?) → who may run it; everyone else is refused
MATRIX = [
    ("/unit X{n} department 某局", False, {"组织者"}),
    ("/track X{n} 某赛道", False, {"组织者"}),
    ("/enrol T01 DD", False, {"组织者"}),
    ("/indicator T01 I1 weight=60", False, {"组织者"}),
    ("/item T01 B1 points=2", False, {"组织者"}),
    ("/draft T01", False, {"组织者"}),
    ("/deadline 2027Q1 2027-04-1{n}", False, {"组织者"}),
    ("/recompute 2027Q1", False, {"组织者"}),
    ("/publish 2027Q1", False, {"组织者"}),
    ("/showcase 2027Q1", False, {"组织者"}),
    ("/pending", True, {"审核员"}),
    ("/evidence 1", True, {"审核员"}),
    ("/query 1 请说明", False, {"审核员"}),
    ("/onsite 1 pass", False, {"审核员"}),
    ("/penalty DD T01 P1 迟报", False, {"审核员"}),
    ("/bonus DD T01 B1 表彰", False, {"审核员"}),
    ("/result T01 I2 是", False, {"和平报", "沈河报"}),
    ("/mine", True, {"和平报", "沈河报"}),
    ("/correct 1 6 补充", False, {"和平报"}),
    ("/explain HP T01", True, {"组织者", "审核员", "和平报"}),
    ("/ranking 2027Q1", True, {"组织者", "审核员"}),
    ("/tracks", False, set(PEOPLE)),
    ("/rules T01", False, set(PEOPLE)),
]
REFUSALS = (
    "Sorry, /",
    "Only an assessor",
    "You have no result",
    "Before the ranking is published",
    "is not published yet",
)


def refused(answer: list[str]) -> bool:
    return bool(answer) and any(marker in answer[-1] for marker in REFUSALS)


@pytest.fixture
def scene(tmp_path):
    chat = make(tmp_path)
    define(chat)
    for who in PEOPLE:  # everyone has spoken in the group: their private chats know the district
        chat.say(who, "/tracks")
    chat.say("和平报", "/result T01 I1 5 五家")
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
