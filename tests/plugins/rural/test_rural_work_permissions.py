"""Who may do what in the village's own work: the first secretary and the work team record,
the township reads, a pairing helper and a villager without a role are refused and nothing
changes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from rural_work_helpers import PEOPLE, make

from linli.plugins.rural.tables import metadata

WORKERS = {"曲书记", "队员"}
STAFF = WORKERS | {"乡镇"}

#: command (private chat?) → who may run it; everyone else is refused
MATRIX = [
    ("/enterprise 企业{n}", False, WORKERS),
    ("/licence 1 营业执照 L{n} 2029-01-01 桓仁县市场监督管理局", False, WORKERS),
    ("/renewlicence 1 20{n}3-01-01", False, WORKERS),
    ("/licences", False, STAFF),
    ("/product 产品{n} 斤", False, WORKERS),
    ("/sale 大米 1 1 买方{n}", False, WORKERS),
    ("/share 1 一组/12 1", False, WORKERS),
    ("/sales", False, STAFF),
    ("/project 项目{n}", False, WORKERS),
    ("/milestone 1 2027-01-01 节点{n}", False, WORKERS),
    ("/milestonedone 1 {n}", False, WORKERS),
    ("/projectprogress 1 {n}0", False, WORKERS),
    ("/projects", False, STAFF),
    ("/donate 10 捐赠方{n}", False, WORKERS),
    ("/disburse 1 1 2026秋", False, WORKERS),
    ("/fund", False, STAFF),
    ("/student 学生{n}", True, WORKERS),
    ("/students", True, STAFF),
    ("/monthreport", False, STAFF),
]


@pytest.fixture
def scene(tmp_path):
    chat = make(tmp_path)
    for line in (
        "/enterprise 恒仁雅米",
        "/licence 1 营业执照 L-1 2028-01-01 桓仁县市场监督管理局",
        "/product 大米 斤",
        "/sale 大米 1000 3 食堂",
        "/project 草莓大棚",
        "/donate 1000 沈阳海关",
        *(f"/milestone 1 2027-01-0{n} 节点{n}" for n in range(1, 6)),
    ):
        chat.say("曲书记", line)
    chat.say("曲书记", "/student 王小明", private=True)
    yield chat
    chat.close()


def rows(chat) -> dict[str, int]:
    with chat.runtime.store.connect() as conn:
        return {
            name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
        }


@pytest.mark.parametrize(("command", "private", "allowed"), MATRIX, ids=[m[0].split()[0] for m in MATRIX])
def test_each_command_is_refused_to_everyone_it_is_not_for(scene, command, private, allowed):
    for n, who in enumerate(sorted(PEOPLE, key=lambda p: p in allowed)):  # the refused ones first
        before = rows(scene)
        answer = scene.say(who, command.format(n=n), private=private)
        if who in allowed:
            assert answer and not answer[0].startswith("Sorry, /"), (who, answer)
        else:
            assert answer and answer[0].startswith(f"Sorry, {command.split()[0]} is only for: first secretary"), (
                who,
                answer,
            )
            assert rows(scene) == before
