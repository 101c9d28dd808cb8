"""Who may run which rural command: the permission matrix, checked command by command for a
resident, a pairing helper, the village work team, the first secretary and the township."""

from __future__ import annotations

import pytest
from rural_helpers import make

PEOPLE = ("张三", "李干部", "队员甲", "曲书记", "乡镇干部")
ROLE_OF = {"李干部": "helper", "队员甲": "village_team", "曲书记": "secretary", "乡镇干部": "township"}

#: command (as typed, in private when it must be) → the roles that may run it ("*": everyone)
MATRIX = {
    "/lead 一组/14 grid": ("secretary", "village_team", "helper"),
    "/apply": ("*",),
    "/homevisit 1 income=6000": ("secretary", "village_team"),
    "/publicize 1 5": ("secretary",),
    "/dissent 1 不同意": ("*",),
    "/appraise 1 yes": ("secretary",),
    "/decide 1 yes": ("township",),
    "/sethelper 1 李干部": ("secretary", "village_team"),
    "/addmeasure 1 medical": ("secretary", "village_team", "helper"),
    "/eliminate 1": ("township",),
    "/monitoring": ("secretary", "village_team", "township"),
    "/casefile 1": ("secretary", "village_team", "township", "helper"),
    "/nearline": ("secretary", "village_team"),
    "/incomeline": ("*",),
    "/yearreview 2026": ("secretary",),
    "/pair 区财政局 一组/14": ("secretary", "village_team"),
    "/unpair 1": ("secretary", "village_team"),
    "/pairs": ("secretary", "village_team", "township", "helper"),
    "/helpvisit 一组/12": ("secretary", "village_team", "helper"),
    "/pairmeasure 一组/12 industry": ("secretary", "village_team", "helper"),
}


@pytest.fixture(scope="module")
def village_once(tmp_path_factory):
    chat, _ = make(tmp_path_factory.mktemp("rural-permissions"))
    yield chat
    chat.close()


@pytest.mark.parametrize("text", list(MATRIX))
@pytest.mark.parametrize("who", PEOPLE)
def test_only_the_roles_of_the_matrix_may_run_a_command(village_once, who, text):
    chat = village_once
    name = text.split()[0][1:]
    replies = chat.say(who, text, private=True)
    refused = any(r.startswith(f"Sorry, /{name} is only for") for r in replies)
    allowed = MATRIX[text]
    may = "*" in allowed or ROLE_OF.get(who) in allowed
    assert refused is not may, (who, text, replies)
