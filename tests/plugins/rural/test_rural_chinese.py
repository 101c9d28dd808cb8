"""A Chinese village works the monitoring in Chinese: Chinese command aliases, Chinese keys for the
home visit (收入=、医疗=、风险=因病), and the bot's answers from the zh_CN catalog."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rural_helpers import case, make

from linli.core.i18n import translator

zh = translator("zh_CN")


@pytest.fixture
def cun(tmp_path) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    chat, _ = make(tmp_path, language="zh_CN")
    yield chat
    chat.close()


def test_a_chinese_village_takes_a_household_from_a_lead_to_monitoring_in_chinese(cun):
    chat = cun
    assert chat.say("队员甲", "/监测线索 一组/13 网格 老人住院") == [
        "第 1 号：一组/13 这一户的监测线索（网格员排查发现）已由您登记。下一步：入户核查（私聊发送 /homevisit 1）；"
        "须在 2026-12-11 前作出认定。"
    ]
    visit = "/入户核查 1 收入=6800元 医疗=15000 风险=因病、缺劳力 医保=是 住房=安全"
    assert chat.say("队员甲", visit, private=True) == [
        "第 1 号（一组/13）：2026 年度入户核查已由您登记。\n"
        "登记的人均纯收入 6800 元；2026 年监测收入标准为 7300 元。\n"
        "下一步：村内公示，/publicize 1 天数。"
    ]
    assert chat.say("曲书记", "/公示 1 3", private=True) == ["公示期不少于 5 天，3 天太短了。"]
    chat.say("曲书记", "/公示 1 5", private=True)
    assert chat.in_room("village") == [
        "【公示】经村级评议，拟将 一组/13（户主 孙秀英）纳入防返贫监测对象。公示期：2026-11-26 至 2026-11-30。"
        "如有异议，请私聊本机器人发送：/dissent 1 您的意见"
    ]
    chat.say("张三", "/公示异议 1 他家儿子在城里有房", private=True)
    chat.advance(days=5)
    assert chat.say("曲书记", "/评议 1 是")[-1] == (
        "第 1 号：经您评议，村里提出纳入监测，报乡镇审批。公示期间共收到 1 条异议。"
    )
    assert chat.say("曲书记", "/审批监测 1 是") == [
        zh("Sorry, /{command} is only for: {roles}.", command="decide", roles="乡镇")
    ]
    assert chat.say("乡镇干部", "/审批监测 1 是")[-1].startswith("第 1 号：经您审批，一组/13 这一户自今天起纳入监测。")
    c = case(chat)
    assert (c.state, c.income, c.medical_spending, c.causes, c.insurance) == (
        "monitored",
        6800,
        15000,
        "illness,labour",
        "yes",
    )
