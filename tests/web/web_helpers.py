"""Helpers for the dashboard's tests: a district with people in each role, a mediation case
settled through the chat, and a logged-in client. A module of its own name: test modules import
it, never ``conftest``."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from linli.testing import ChatHarness
from linli.web import create_app

#: who holds which role in the test district (and 外人 holds one in another district only)
ROLES = {
    "admin": ("管理员", "admin", ""),
    "staff": ("王主任", "staff", ""),
    "lead": ("刘组长", "mediation_lead", ""),
    "mediator": ("王律师", "mediator", "kind:lawyer"),
    "council": ("陈委员", "council", ""),
    "grid_worker": ("周网格员", "grid_worker", ""),
}
RESIDENT = "张三"
OTHER = "李四"
#: a mediator not assigned to the case
SECOND_MEDIATOR = "赵警官"


def meet(chat: ChatHarness, *people: str) -> None:
    """Each person greets the group once (so their district is known) and opens a private chat."""
    for who in people:
        chat.say(who, "/whoami")
        chat.say(who, "/whoami", private=True)


def district(tmp_path: Path) -> ChatHarness:
    """A Chinese community with everyone in :data:`ROLES`, a resident and his neighbour, and a
    second district (``other``) that none of them belongs to."""
    from linli.core.settings import DistrictSettings

    chat = ChatHarness(
        tmp_path,
        config={"mediation": {"team_room": "test:team", "settled_before": 400}},
        districts=(
            DistrictSettings(id="other", name="别的社区", rooms=("test:other",), plugins=("basics", "mediation")),
        ),
    )
    meet(chat, RESIDENT, OTHER, SECOND_MEDIATOR, *(name for name, _, _ in ROLES.values()))
    for name, role, scope in ROLES.values():
        chat.grant(name, role, scope)
    chat.grant(SECOND_MEDIATOR, "mediator", "kind:police")
    return chat


def settle_case(chat: ChatHarness, number: int = 1) -> None:
    """张三 files a neighbours' dispute; the lawyer takes it and brings it to a written agreement."""
    chat.say(RESIDENT, "/mediate", private=True)
    chat.pick(RESIDENT, 2, private=True)  # between neighbours
    chat.say(RESIDENT, "楼上李四家", private=True)
    chat.say(RESIDENT, "楼上排水管漏水，我家厨房顶棚泡坏了", private=True)
    chat.say(RESIDENT, "修好排水管，赔偿顶棚维修费800元", private=True)
    chat.pick(RESIDENT, 1, private=True)  # here in the private chat
    lawyer = ROLES["mediator"][0]
    chat.say(lawyer, f"/take {number}", private=True)
    chat.say(lawyer, f"/addparty {number} {OTHER}", private=True)
    chat.say(lawyer, f"/progress {number} accepted 双方同意调解", private=True)
    chat.say(lawyer, f"/progress {number} mediating 第一次调解", private=True)
    chat.say(lawyer, f"/agreement {number}", private=True)
    chat.say(lawyer, "李四家三日内更换排水管，赔偿张三600元", private=True)
    chat.say(lawyer, "李四负责维修和赔偿，张三配合入户", private=True)
    chat.say(lawyer, "物业维修工上门更换，现金当面支付", private=True)
    chat.say(lawyer, "2026-12-10", private=True)
    chat.pick(lawyer, 1, private=True)  # written


def login_link(chat: ChatHarness, who: str) -> str:
    """The path of the login link ``who`` gets for /web in a private chat."""
    chat.say(who, "/web", private=True)
    found = re.search(r"https?://\S+?(/login/\S+)", chat.last(who, private=True))
    assert found, chat.last(who, private=True)
    return found.group(1)


def app_of(chat: ChatHarness):  # type: ignore[no-untyped-def]
    return create_app(chat.settings, store=chat.runtime.store, registry=chat.runtime.registry, clock=chat.clock)


def client(chat: ChatHarness, who: str | None = None) -> TestClient:
    """A browser for the dashboard, logged in as ``who`` (through /web) unless None."""
    browser = TestClient(app_of(chat), raise_server_exceptions=False, follow_redirects=False)
    if who is not None:
        answer = browser.get(login_link(chat, who))
        assert answer.status_code == 303, answer.text
    return browser
