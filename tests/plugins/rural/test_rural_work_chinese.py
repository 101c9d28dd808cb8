"""The village's own work in Chinese, with the Chinese command words."""

from __future__ import annotations

import pytest
from rural_work_helpers import make


@pytest.fixture
def village(tmp_path):
    chat = make(tmp_path, language="zh_CN")
    yield chat
    chat.close()


def test_a_first_secretary_works_in_chinese(village):
    assert village.say("曲书记", "/集体企业 恒仁雅米农副产品加工有限公司")[0].startswith(
        "企业 #1 恒仁雅米农副产品加工有限公司 已登记。"
    )
    assert village.say("曲书记", "/证照 1 环保登记 ENV-7 2027-01-25 本溪市生态环境局") == [
        "恒仁雅米农副产品加工有限公司 的证照 #1：环保登记 ENV-7，发证机关 本溪市生态环境局，有效期至 2027-01-25。"
    ]
    village.say("曲书记", "/产品 大米 斤 雅河硕丰")
    assert village.say("队员", "/销售 大米 500 3.5 沈阳海关食堂 2026-11-20")[0].startswith(
        "销售 #1（2026-11-20）：大米（雅河硕丰） 500 斤，卖给 沈阳海关食堂，单价 ¥3.50，合计 ¥1,750.00，归村集体。"
    )
    assert village.say("乡镇", "/销售统计") == [
        "2026-11 销售：共 1 笔，合计 ¥1,750.00。归村集体 ¥1,750.00；归农户 ¥0.00（受益农户 0 户）。\n"
        "· 大米（雅河硕丰） 500 斤 · ¥1,750.00"
    ]
    village.say("曲书记", "/捐赠 6400 沈阳海关")
    village.say("曲书记", "/登记学生 王小明 雅河小学", private=True)
    assert village.say("曲书记", "/发放助学金 #1 6400.01 2026秋") == [
        "助学金余额只有 ¥6,400.00：不能发放 ¥6,400.01，未作任何改动。"
    ]
    assert village.say("曲书记", "/发放助学金 #1 32 2026秋") == [
        "已向学生 #1 发放 2026秋 助学金 ¥32.00。余额 ¥6,368.00。"
    ]
    report = village.say("乡镇", "/月报")[0]
    assert report.startswith("测试社区 2026-11 月报\n【防返贫监测】\n线索阶段户数：0\n")
    assert "\n【销售】\n销售笔数：1" in report
