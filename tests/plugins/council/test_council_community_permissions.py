"""Who may run each command of meetings, the convention, action items and adoptions: a resident,
a council member, the facilitator, and a resident of another district (who reaches nothing here).
A refusal changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from council_helpers import make, raise_matter, to_vote

from linli.core.events import Address, Inbound, Sender
from linli.core.settings import DistrictSettings
from linli.plugins.council import community_tables as ct

MOVERS_ONLY = "Sorry, /{command} is only for: council member, council facilitator."
ALLOWED = None


def everyone(outsider: str) -> dict[str, str | None]:
    return {"resident": ALLOWED, "council": ALLOWED, "facilitator": ALLOWED, "outsider": outsider}


def movers(answer: str | None = ALLOWED) -> dict[str, str | None]:
    return {"resident": MOVERS_ONLY, "council": answer, "facilitator": answer, "outsider": MOVERS_ONLY}


VOLUNTEERS_ONLY = "Only the volunteers of action item 1 and council members may report on it"
NO_ACTION = "There is no action item 1 here."
MATRIX: dict[str, dict[str, str | None]] = {
    "/meetings": everyone("No council meetings yet."),
    "/meeting 1": everyone("There is no council meeting 1 here."),
    "/callmeeting 2026-12-10 19:00": movers(),
    "/minutes 1 到会5人": movers(),
    "/decision 1 1 同意": movers(),
    "/closemeeting 1": movers(),
    "/convention": everyone("The residents' convention has not been written down here yet."),
    "/convention 1 history": everyone("The convention has no article 1 yet."),
    "/article 2 文明养犬": movers(),
    "/amend 1 爱护绿地，花籽换菜籽": movers(),
    "/action 1 修电闸": movers(),
    "/actions": everyone("No action items to do."),
    "/signup 1": everyone(NO_ACTION),
    "/report 1 灯泡买好了": {
        "resident": VOLUNTEERS_ONLY,
        "council": ALLOWED,
        "facilitator": ALLOWED,
        "outsider": NO_ACTION,
    },
    "/finished 1": {"resident": VOLUNTEERS_ONLY, "council": ALLOWED, "facilitator": ALLOWED, "outsider": NO_ACTION},
    "/adoptables": everyone("Nothing is registered for adoption yet."),
    "/adopt 1": {
        "resident": "#1 东侧绿地 is already adopted",
        "council": "#1 东侧绿地 is already adopted",
        "facilitator": "#1 东侧绿地 is already adopted",
        "outsider": "There is no adoptable thing 1 here.",
    },
    "/newadoptable bed 2号楼花坛": movers(),
    "/offer 1": movers("Nobody is waiting for an agreement for #1."),
    "/inspect 1 很好": movers(),
    "/renew 1": movers(),
    "/endadoption 1 搬走了": movers(),
}
WHO = {"resident": "李四", "council": "刘书记", "facilitator": "陈主任", "outsider": "钱七"}


def scene(chat) -> None:  # type: ignore[no-untyped-def]
    """Matter 1 passed, meeting 1 called, article 1 written, action item 1, plot 1 adopted by 张三."""
    raise_matter(chat)
    to_vote(chat)
    for voter in ("张三", "王五", "赵六"):
        chat.pick(voter, "Agree")
    chat.say("刘书记", "/closepoll 1")
    chat.say("刘书记", "/callmeeting 2026-12-03 19:00 红邻议事亭")
    chat.say("刘书记", "/article 1 爱护院内绿地")
    chat.say("刘书记", "/action 1 装灯")
    chat.say("刘书记", "/newadoptable plot 东侧绿地")
    chat.say("张三", "/adopt 1")
    chat.say("刘书记", "/offer 1")
    chat.pick("张三", "I sign the agreement", private=True)


def snapshot(chat) -> list[Any]:  # type: ignore[no-untyped-def]
    with chat.runtime.store.connect() as conn:
        return [
            conn.execute(sa.select(table).order_by(table.c.id)).all()
            for table in (
                ct.meetings,
                ct.agenda,
                ct.attendance,
                ct.articles,
                ct.versions,
                ct.amendments,
                ct.tasks,
                ct.task_volunteers,
                ct.task_updates,
                ct.adoptables,
                ct.adoptions,
                ct.inspections,
            )
        ]


@pytest.mark.parametrize("role", list(WHO))
@pytest.mark.parametrize("command", list(MATRIX))
def test_each_community_command_for_each_role(tmp_path, command, role):
    village = DistrictSettings(
        id="village", name="Village", language="en", rooms=("test:village",), plugins=("core", "council")
    )
    chat = make(tmp_path, districts=[village])
    try:
        scene(chat)
        before = snapshot(chat)
        expected = MATRIX[command][role]
        if role == "outsider":  # a resident of the village, in a private chat (their district is the village)
            chat._ensure("钱七")
            chat.submit(
                Inbound(chat._event_id(), Address("test", "village"), Sender("test", "钱七", "钱七"), text="/whoami")
            )
            n = len(chat.adapter.sent)
            chat.submit(
                Inbound(
                    chat._event_id(),
                    Address("test", "@钱七"),
                    Sender("test", "钱七", "钱七"),
                    text=command,
                    private=True,
                )
            )
            answer = [m.text for m in chat.adapter.sent[n:]]
        else:
            answer = chat.say(WHO[role], command)
        assert answer, f"{command} as {role} got no answer"
        if expected is None:
            assert not answer[0].startswith(("Sorry", "Only", "There is no", "Usage")), answer
        else:
            assert answer[0].startswith(expected.format(command=command.split()[0][1:])), answer
            assert snapshot(chat) == before  # a refusal changes nothing
    finally:
        chat.close()
