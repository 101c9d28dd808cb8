"""Helpers for the mediation tests: a district with a mediation team (residents who have opened a
private chat, a lawyer, a community policeman and a team lead) and the team room for the morning
meeting. A module of its own name: test modules import it, never ``conftest``."""

from __future__ import annotations

import datetime as dt

from linli.plugins.basics import BasicsPlugin
from linli.plugins.mediation import MediationPlugin
from linli.testing import ChatHarness

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PLUGINS = [BasicsPlugin, MediationPlugin]
CONFIG = {"mediation": {"team_room": "test:team"}}


def meet(chat: ChatHarness, *people: str) -> None:
    """Each person greets the group once (so their district is known) and opens a private chat."""
    for who in people:
        chat.say(who, "/whoami")
        chat.say(who, "/whoami", private=True)


def team(chat: ChatHarness) -> None:
    meet(chat, "张三", "李四", "王五", "王律师", "赵警官", "刘主任")
    chat.grant("王律师", "mediator", "kind:lawyer")
    chat.grant("赵警官", "mediator", "kind:police")
    chat.grant("刘主任", "mediation_lead")


def file_case(chat: ChatHarness, who: str = "张三", *, in_group: bool = True) -> list[str]:
    """``who`` files a neighbours' dispute about drainage through the dialog; returns what the last step sent."""
    chat.say(who, "/mediate", private=not in_group)
    chat.pick(who, "Between neighbours", private=True)
    chat.say(who, "楼上李四家", private=True)
    chat.say(who, "楼上排水管漏水，我家厨房顶棚泡坏了", private=True)
    chat.say(who, "修好排水管，赔偿顶棚维修费800元", private=True)
    return chat.pick(who, "Here in the private chat", private=True)


def agree(chat: ChatHarness, number: int = 1) -> None:
    """The lawyer takes the case, adds 李四, and brings it to a written agreement."""
    chat.say("王律师", f"/take {number}", private=True)
    chat.say("王律师", f"/addparty {number} 李四", private=True)
    chat.say("王律师", f"/progress {number} accepted both parties agree to mediate", private=True)
    chat.say("王律师", f"/progress {number} mediating first session online", private=True)
    chat.say("王律师", f"/agreement {number}", private=True)
    chat.say("王律师", "李四家三日内更换排水管，赔偿张三600元", private=True)
    chat.say("王律师", "李四负责维修和赔偿，张三配合入户", private=True)
    chat.say("王律师", "物业维修工上门更换，现金当面支付", private=True)
    chat.say("王律师", "2026-12-10", private=True)
    chat.pick("王律师", "written", private=True)


def make(tmp_path, **kw) -> ChatHarness:  # type: ignore[no-untyped-def]
    chat = ChatHarness(
        tmp_path, plugins=kw.pop("plugins", PLUGINS), language="en", config=kw.pop("config", CONFIG), **kw
    )
    team(chat)
    return chat
