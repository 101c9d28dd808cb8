"""Helpers for the tracks tests: an English district with a contest room, an organiser, an
assessor and the reporters of two units. A module of its own name: tests import it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from linli.plugins.basics import BasicsPlugin
from linli.plugins.tracks import TracksPlugin
from linli.testing import ChatHarness

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
#: 5 January 2027, a Tuesday: the first quarter of 2027 has begun
START = dt.datetime(2027, 1, 5, 10, 0, tzinfo=SHANGHAI)
CONFIG = {"tracks": {"room": "test:contest", "assessor_room": "test:assessors"}}


def make(path: Path, now: dt.datetime = START, database_url: str | None = None) -> ChatHarness:
    extra = {"database_url": database_url} if database_url else {}
    chat = ChatHarness(path, plugins=[BasicsPlugin, TracksPlugin], language="en", config=CONFIG, now=now, **extra)
    chat.grant("组织者", "organiser")
    chat.grant("审核员", "assessor")
    chat.grant("和平报", "reporter", scope="unit:HP")
    chat.grant("沈河报", "reporter", scope="unit:SH")
    return chat


def define(chat: ChatHarness) -> None:
    """Three units, track T01 with two indicators, a bonus and a penalty item, adopted."""
    for line in (
        "/unit HP district 和平区",
        "/unit SH district 沈河区",
        "/unit DD district 大东区",
        "/track T01 营商环境新突破",
        "/enrol T01 HP SH DD",
        "/indicator T01 I1 name=新增企业 unit=家 weight=60 rule=linear target=10 evidence=text",
        "/indicator T01 I2 name=群众满意 weight=40 rule=yesno onsite=yes",
        "/item T01 B1 name=国家级表彰 kind=bonus points=2 cap=4",
        "/item T01 P1 name=信访问题 kind=penalty points=3",
        "/adoptrules T01",
    ):
        answer = chat.say("组织者", line)
        assert answer and not answer[0].startswith(("Sorry", "Usage")), (line, answer)
