"""The council speaks Chinese first: commands by their Chinese names, Chinese buttons and answers,
and a resident who chose English (/lang en) reads English in the same group."""

from __future__ import annotations

from council_helpers import PLUGINS, RESIDENTS, meet

from linli.core.i18n import translator
from linli.testing import ChatHarness

zh = translator("zh_CN")


def test_a_matter_is_raised_and_decided_in_chinese(tmp_path):
    chat = ChatHarness(tmp_path, plugins=PLUGINS)
    try:
        meet(chat, *RESIDENTS, "刘书记")
        chat.grant("刘书记", "council")
        assert chat.say("张三", "/提议题 3号楼前路灯坏了") == [
            zh("Tell the neighbours more: what is the matter, and what would you like done? (send /cancel to stop)")
        ]
        chat.say("张三", "晚上太黑，老人出门不安全")
        assert chat.pick("张三", "维修和设施") == [
            "第1号议题已提出：3号楼前路灯坏了（维修和设施）。邻居们可以发送 /comment 1 内容 发表意见，"
            "发送 /support 1 或点按钮表示支持。"
        ]
        assert chat.pick("李四", "支持") == ["李四支持第1号议题（共1人支持）。"]
        assert chat.say("王五", "/评论 1 同意，早该修了") == ["谢谢王五，您对第1号议题的意见已记下。"]
        chat.say("刘书记", "/提案 1 在3号楼前加装两盏路灯")
        announcement = chat.say("刘书记", "/发起表决 1")[0]
        assert announcement.startswith("第1号表决（同意／反对／弃权）：在3号楼前加装两盏路灯\n")
        assert [c.label for c in chat.sent[-1].choices] == ["同意", "反对", "弃权"]
        assert chat.pick("张三", "同意")[0].startswith("张三，您在第1号表决中的投票已记下：同意。")
        assert chat.say("李四", "/投票 1 同意")[0].startswith("李四，您在第1号表决中的投票已记下：同意。")
        assert chat.say("李四", "/投票 1 赞成") == ["第1号表决里已经记下这一票：同意。没有变动。"]
        chat.say("王五", "/异议 1 路灯会照进二楼卧室")
        assert chat.say("刘书记", "/结束表决 1") == [
            "第1号表决已结束：在3号楼前加装两盏路灯\n"
            "参加：3人中3人（100%）。\n"
            "参加人数（须超过50%）：已过半。\n"
            "同意 2 · 反对 1 · 弃权 0\n"
            "异议：\n- 路灯会照进二楼卧室\n"
            "结果：通过。\n"
            "第1号议题现在：通过。"
        ]
        assert chat.say("张三", "/议题 9") == ["这里没有第9号议题。发送 /matters 查看正在商议的议题。"]
    finally:
        chat.close()


def test_a_resident_who_chose_english_reads_english(tmp_path):
    chat = ChatHarness(tmp_path, plugins=PLUGINS)
    try:
        meet(chat, "张三", "Tom")
        chat.say("Tom", "/lang en")
        chat.say("张三", "/raise 楼道堆放杂物")
        chat.say("张三", "2单元楼道里堆了很多纸箱")
        chat.pick("张三", "安全隐患")
        assert chat.say("Tom", "/support 1") == ["Tom supports matter 1 (1 supporter(s))."]
        assert chat.say("张三", "/support 1") == ["张三支持第1号议题（共2人支持）。"]
        assert chat.say("张三", "/support 1") == ["您已经支持过第1号议题了。"]
        assert chat.say("Tom", "/matter 1")[0].startswith("Matter 1: 楼道堆放杂物\nSafety · open for comment · ")
    finally:
        chat.close()


def test_help_in_chinese_shows_no_english_keywords_and_roles_by_their_chinese_names(tmp_path):
    chat = ChatHarness(tmp_path, plugins=PLUGINS)
    try:
        meet(chat, "张三")
        shown = chat.say("张三", "/help")[0]
        assert "/convention [条款号] [历史]" in shown and "[history]" not in shown
        assert chat.say("张三", "/propose 1 x") == ["抱歉，/propose 只有这些角色可以用：议事会成员、议事会主持人。"]
        assert chat.say("张三", "/support -1") == ["“-1”不是可用的编号：请写一个整数，例如 3。用法：/support 编号"]
    finally:
        chat.close()
