"""The captains' work in a Chinese community, as most will run it: Chinese commands and replies."""

from __future__ import annotations

from captains_helpers import CONFIG, PLUGINS, setup

from linli.testing import ChatHarness


def test_a_sweep_and_a_need_in_chinese(tmp_path):
    chat = ChatHarness(tmp_path, plugins=PLUGINS, language="zh_CN", config=CONFIG)
    try:
        setup(chat)
        assert chat.say("王主任", "/任命楼长 B1 政务 政务甲 区财政局")[0] == "政务甲现任B1的政务楼长。"
        chat.say("王主任", "/任命楼长 B1 居务 居务乙")
        assert chat.say("王主任", "/缺楼长")[0].startswith(
            "共 3 栋楼：1 栋已有政务楼长，1 栋已有居务楼长；2 栋还缺楼长。"
        )
        assert chat.say("王主任", "/排查 冬季供暖排查") == ["排查范围是？"]
        chat.pick("王主任", "全社区")
        assert chat.say("王主任", "7")[0].startswith("第 1 次排查已发起：3 栋楼，6 户，截止 2026-12-03。")
        assert chat.say("居务乙", "/走访", private=True) == ["第 1 次排查 · B1/1-101户：情况如何？\n还有 3 户待走访。"]
        assert (
            chat.pick("居务乙", "一切正常", private=True)[0] == "B1/1-101：一切正常。（如需补充，现在直接写备注即可。）"
        )
        assert chat.say("居务乙", "/急难愁盼 1-102 暖气不热", private=True) == [
            "第 1 号诉求已登记，网格会尽快受理；解决后我会私信告诉您。"
        ]
        answer = chat.say("居务乙", "/特殊户 1-102")  # in the group: refused, and nothing named
        assert len(answer) == 1 and "1-102" not in answer[0] and "私聊" in answer[0]
    finally:
        chat.close()
