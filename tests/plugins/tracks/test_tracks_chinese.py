"""The contest in a Chinese district, as it will run: Chinese commands, keys and replies."""

from __future__ import annotations

from tracks_helpers import CONFIG, START

from linli.plugins.basics import BasicsPlugin
from linli.plugins.tracks import TracksPlugin
from linli.testing import ChatHarness


def test_a_result_is_reported_verified_and_explained_in_chinese(tmp_path):
    chat = ChatHarness(tmp_path, plugins=[BasicsPlugin, TracksPlugin], language="zh_CN", config=CONFIG, now=START)
    try:
        chat.grant("组织者", "organiser")
        chat.grant("审核员", "assessor")
        chat.grant("和平报", "reporter", scope="unit:HP")
        chat.say("组织者", "/参赛单位 HP district 和平区")
        chat.say("组织者", "/赛道 T01 营商环境新突破")
        assert chat.say("组织者", "/参赛报名 T01 HP") == ["已报名 T01：HP。"]
        assert chat.say("组织者", "/指标 T01 I1 名称=新增企业 单位=家 权重=80 规则=linear 目标=10")[0].endswith(
            "权重合计 80（应为 100）。"
        )
        assert chat.say("组织者", "/启用规则 T01") == ["T01：权重合计为 80，不是 100。未作任何改动。"]
        chat.say("组织者", "/指标 T01 I2 名称=群众满意 权重=20 规则=yesno")
        assert chat.say("组织者", "/启用规则 T01")[0].startswith("T01 第 1 版规则已启用，从 2027Q1 起考核。")
        assert chat.say("和平报", "/晒成绩 T01 I1 8 新增8家企业")[-1] == (
            "第 1 号成绩已登记：HP I1 = 8（2027Q1）。考核员审核通过后计分。"
        )
        assert chat.say("和平报", "/晒成绩 T01 I2 是")[-1].startswith("第 2 号成绩已登记")
        assert chat.say("审核员", "/通过 1") == ["第 1 号成绩（HP I1）由 审核员 审核通过。"]
        assert chat.say("审核员", "/驳回 2 没有佐证") == ["第 2 号成绩被 审核员 驳回：没有佐证"]
        assert chat.say("和平报", "/排名") == ["2027Q1 的排名尚未发布；/mine 可查看本单位得分。"]
        assert chat.say("和平报", "/得分明细 HP T01", private=True) == [
            "HP 和平区 在 T01 的得分，2027Q1（第 1 版规则）：\n"
            "I1 新增企业：8 家 → 完成目标 80% × 权重 80 = 64\n"
            "I2 群众满意：无核验通过的成绩 → 得 0 分（权重 20）\n"
            "指标 64 + 加分 0 − 减分 0 = 64\n"
            "T01 第 1 名。"
        ]
    finally:
        chat.close()
