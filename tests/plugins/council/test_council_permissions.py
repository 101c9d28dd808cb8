"""Who may run each council command: a resident, a council member, the facilitator, and a
resident of another district (who reaches nothing here)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from council_helpers import make, raise_matter, to_vote

from linli.core.events import Address, Inbound, Sender
from linli.core.settings import DistrictSettings
from linli.plugins.council.tables import history, matters, polls, votes

MOVERS_ONLY = "Sorry, /{command} is only for: council member, council facilitator."
UNKNOWN_MATTER = "There is no matter 1 here. Send /matters to see the open ones."
UNKNOWN_POLL = "There is no poll 1 here."

#: command → what each role reads first: None means it is allowed (the answer is not a refusal)
MATRIX = {
    "/matters": {"resident": None, "council": None, "facilitator": None, "outsider": "No matters are open."},
    "/matter 1": {"resident": None, "council": None, "facilitator": None, "outsider": UNKNOWN_MATTER},
    "/comment 1 好": {"resident": None, "council": None, "facilitator": None, "outsider": UNKNOWN_MATTER},
    "/support 1": {"resident": None, "council": None, "facilitator": None, "outsider": UNKNOWN_MATTER},
    "/vote 1 yes": {"resident": None, "council": None, "facilitator": None, "outsider": UNKNOWN_POLL},
    "/object 1 太贵": {"resident": None, "council": None, "facilitator": None, "outsider": UNKNOWN_POLL},
    "/polls": {"resident": None, "council": None, "facilitator": None, "outsider": "No poll is open."},
    "/propose 1 改为三盏": {"resident": MOVERS_ONLY, "council": None, "facilitator": None, "outsider": MOVERS_ONLY},
    "/review 1 2027-01-01": {"resident": MOVERS_ONLY, "council": None, "facilitator": None, "outsider": MOVERS_ONLY},
    "/merge 2 1": {"resident": MOVERS_ONLY, "council": None, "facilitator": None, "outsider": MOVERS_ONLY},
    "/closepoll 1": {"resident": MOVERS_ONLY, "council": None, "facilitator": None, "outsider": MOVERS_ONLY},
    "/implement 1": {"resident": MOVERS_ONLY, "council": None, "facilitator": None, "outsider": MOVERS_ONLY},
    "/done 1 好了": {"resident": MOVERS_ONLY, "council": None, "facilitator": None, "outsider": MOVERS_ONLY},
    "/refer 1": {"resident": MOVERS_ONLY, "council": None, "facilitator": None, "outsider": MOVERS_ONLY},
    "/poll 1": {"resident": MOVERS_ONLY, "council": None, "facilitator": None, "outsider": MOVERS_ONLY},
    "/proxy 1 赵六 yes": {
        "resident": "Sorry, /proxy is only for: council facilitator.",
        "council": "Sorry, /proxy is only for: council facilitator.",
        "facilitator": None,
        "outsider": "Sorry, /proxy is only for: council facilitator.",
    },
    "/withdraw 1": {
        "resident": "Only the resident who raised matter 1 or a council member may withdraw it.",
        "council": None,
        "facilitator": None,
        "outsider": UNKNOWN_MATTER,
    },
}
WHO = {"resident": "李四", "council": "刘书记", "facilitator": "陈主任", "outsider": "钱七"}


def _state(chat):  # type: ignore[no-untyped-def]
    with chat.runtime.store.connect() as conn:
        return (
            conn.execute(sa.select(matters.c.number, matters.c.status).order_by(matters.c.number)).all(),
            conn.execute(sa.select(sa.func.count()).select_from(history)).scalar(),
            conn.execute(sa.select(polls.c.status)).all(),
            conn.execute(sa.select(sa.func.count()).select_from(votes)).scalar(),
        )


@pytest.mark.parametrize("role", list(WHO))
@pytest.mark.parametrize("command", list(MATRIX))
def test_each_council_command_for_each_role(tmp_path, command, role):
    village = DistrictSettings(
        id="village", name="Village", language="en", rooms=("test:village",), plugins=("core", "council")
    )
    chat = make(tmp_path, districts=[village])
    try:
        raise_matter(chat)
        if command.startswith(("/vote", "/object", "/closepoll", "/proxy")):
            to_vote(chat)
        elif command.startswith(("/implement", "/done", "/review")):
            to_vote(chat)
            for voter in ("张三", "王五", "赵六"):
                chat.pick(voter, "Agree")
            chat.say("刘书记", "/closepoll 1")
            if command.startswith("/done"):
                chat.say("刘书记", "/implement 1")
        elif command.startswith("/merge"):
            raise_matter(chat, who="王五", title="路灯不亮")
        elif command.startswith("/poll"):
            chat.say("刘书记", "/propose 1 加装两盏路灯")
        before = _state(chat)
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
            assert not answer[0].startswith(("Sorry", "Only", "There is no")), answer
        else:
            assert answer[0].startswith(expected.format(command=command.split()[0][1:])), answer
            assert _state(chat) == before  # a refusal changes nothing
    finally:
        chat.close()
