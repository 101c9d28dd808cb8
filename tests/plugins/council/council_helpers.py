"""Helpers for the council tests: an English-speaking compound with its council (a member and a
facilitator) and residents who have greeted the group and opened a private chat with the bot.
A module of its own name: test modules import it, never ``conftest``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from linli.plugins.basics import BasicsPlugin
from linli.plugins.council import CouncilPlugin
from linli.testing import ChatHarness

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PLUGINS = [BasicsPlugin, CouncilPlugin]
RESIDENTS = ("张三", "李四", "王五", "赵六")


def meet(chat: ChatHarness, *people: str) -> None:
    """Each person greets the group once (so their district is known) and opens a private chat."""
    for who in people:
        chat.say(who, "/whoami")
        chat.say(who, "/whoami", private=True)


def make(tmp_path: Any, **kw: Any) -> ChatHarness:
    """The compound: residents 张三 李四 王五 赵六, council member 刘书记, facilitator 陈主任."""
    config = kw.pop("config", {})
    chat = ChatHarness(
        tmp_path, plugins=kw.pop("plugins", PLUGINS), language=kw.pop("language", "en"), config=config, **kw
    )
    meet(chat, *RESIDENTS, "刘书记", "陈主任")
    chat.grant("刘书记", "council")
    chat.grant("陈主任", "facilitator")
    return chat


def raise_matter(
    chat: ChatHarness,
    who: str = "张三",
    title: str = "3号楼前路灯坏了",
    text: str = "晚上太黑，老人出门不安全，希望修好路灯",
    category: str = "Repairs",
) -> list[str]:
    """``who`` raises a matter through the dialog; returns what the last step sent."""
    chat.say(who, f"/raise {title}")
    chat.say(who, text)
    return chat.pick(who, category)


def to_vote(chat: ChatHarness, number: int = 1, poll: str = "") -> list[str]:
    """The council makes matter ``number`` a proposal and opens a poll on it (``poll``: extra words)."""
    chat.say("刘书记", f"/propose {number} 在3号楼前加装两盏路灯，费用从公共收益中支出")
    return chat.say("刘书记", f"/poll {number} {poll}".rstrip())
