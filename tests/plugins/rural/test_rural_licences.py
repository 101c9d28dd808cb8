"""The village collective enterprise and its certificates: recorded from chat, listed with the
days left, reminded to the first secretary and the work team 60, 30 and 7 days before expiry."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from rural_work_helpers import make

from linli.plugins.rural.enterprise_tables import certificates


def reminders(chat) -> list[str]:
    """The certificate reminders the day's jobs send (the 1st also brings the monthly report)."""
    return [m for m in chat.run_jobs() if "renew it in time" in m]


@pytest.fixture
def village(tmp_path):
    chat = make(tmp_path)
    chat.say("曲书记", "/enterprise 恒仁雅米农副产品加工有限公司")
    yield chat
    chat.close()


def test_a_certificate_is_recorded_with_number_issuer_scope_and_expiry(village):
    assert village.say("队员", "/licence 1 营业执照 91210522MA0Y 2029-05-31 桓仁县市场监督管理局 大米加工、销售") == [
        "Certificate #1 of 恒仁雅米农副产品加工有限公司: business licence 91210522MA0Y, issued by "
        "桓仁县市场监督管理局, valid until 2029-05-31."
    ]
    village.say("队员", "/licence 恒仁雅米农副产品加工有限公司 食品生产许可证 SC101 2027-01-25 本溪市市场监督管理局")
    assert village.say("乡镇", "/licences") == [
        "Certificates:\n"
        "#2 恒仁雅米农副产品加工有限公司 · production permit SC101 · expires 2027-01-25, in 60 days\n"
        "#1 恒仁雅米农副产品加工有限公司 · business licence 91210522MA0Y · expires 2029-05-31, in 917 days"
    ]
    with village.runtime.store.connect() as conn:
        row = conn.execute(sa.select(certificates).where(certificates.c.number == 1)).one()
    assert (row.kind, row.issuer, row.scope) == ("business_licence", "桓仁县市场监督管理局", "大米加工、销售")


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        (
            "/licence 1 营业执照 91210522MA0Y 2029-02-30 桓仁县市场监督管理局",
            "2029-02-30 is not a date; write it as 2029-05-31.",
        ),
        (
            "/licence 9 营业执照 91210522MA0Y 2029-05-31 桓仁县市场监督管理局",
            "There is no enterprise 9. Send /licences to see them.",
        ),
        ("/licence 1 营业执照 2029-05-31", "Usage: /licence ENTERPRISE KIND NUMBER EXPIRY ISSUER [SCOPE]"),
        ("/enterprise 恒仁雅米农副产品加工有限公司", "Enterprise 恒仁雅米农副产品加工有限公司 is already registered."),
    ],
)
def test_a_bad_certificate_gets_a_clear_answer_and_nothing_is_kept(village, line, answer):
    assert village.say("曲书记", line)[0].startswith(answer)
    with village.runtime.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(certificates)).scalar() == 0


def test_staff_are_reminded_60_30_and_7_days_before_a_certificate_expires(village):
    village.say("曲书记", "/licence 1 环保登记 ENV-77 2027-01-26 本溪市生态环境局")
    reminders(village)  # the schedule starts on 26 November
    village.advance(days=1)  # 27 November, 09:00: 60 days left
    reminder = (
        "Certificate #1 of 恒仁雅米农副产品加工有限公司 (environmental registration ENV-77) expires on "
        "2027-01-26, in {} days: renew it in time."
    )
    assert sorted(reminders(village)) == [reminder.format(60)] * 3  # 曲书记, 队员, the staff room
    assert village.in_room("staff")[-1] == reminder.format(60)
    assert village.in_room("@曲书记")[-1] == reminder.format(60)
    assert village.in_room("@队员")[-1] == reminder.format(60)
    village.advance(days=1)
    assert reminders(village) == []
    village.advance(days=29)  # 27 December: 30 days left
    assert reminders(village) == [reminder.format(30)] * 3
    village.advance(days=22)  # 18 January: 8 days left
    assert reminders(village) == []
    village.advance(days=1)  # 19 January: 7 days left
    assert reminders(village) == [reminder.format(7)] * 3
    village.advance(days=1)
    assert reminders(village) == []
    assert not [m for m in village.in_room("group") if "ENV-77" in m and "expires" in m]


def test_a_renewed_certificate_is_reminded_again_before_its_new_expiry(village):
    village.say("曲书记", "/licence 1 营业执照 L-1 2027-01-26 桓仁县市场监督管理局")
    reminders(village)
    village.advance(days=1)
    assert len(reminders(village)) == 3
    assert village.say("曲书记", "/renewlicence 1 2026-12-01") == [
        "The new expiry must be after the old one (2027-01-26)."
    ]
    assert village.say("曲书记", "/renewlicence 1 2027-01-28 L-2") == [
        "Certificate #1 (business licence L-2) is now valid until 2027-01-28."
    ]
    village.advance(days=1)  # 28 November: 61 days left
    assert reminders(village) == []
    village.advance(days=1)  # 29 November: 60 days left
    assert reminders(village)[0].startswith("Certificate #1 of 恒仁雅米农副产品加工有限公司 (business licence L-2)")


def test_a_certificate_found_late_gets_only_the_nearest_reminder(village):
    village.say("曲书记", "/licence 1 营业执照 L-1 2026-12-02 桓仁县市场监督管理局")
    reminders(village)
    village.advance(days=1)  # 27 November: 5 days left
    assert (
        reminders(village)
        == [
            "Certificate #1 of 恒仁雅米农副产品加工有限公司 (business licence L-1) expires on 2026-12-02, in 5 days: "
            "renew it in time."
        ]
        * 3
    )
    village.advance(days=1)
    assert reminders(village) == []


def test_each_staff_member_reads_the_reminder_in_their_own_language(village):
    village.say("队员", "/lang zh_CN", private=True)
    village.say("曲书记", "/licence 1 环保登记 ENV-77 2027-01-26 本溪市生态环境局")
    reminders(village)
    village.advance(days=1)
    reminders(village)
    assert village.in_room("@队员")[-1] == (
        "恒仁雅米农副产品加工有限公司 的证照 #1（环保登记 ENV-77）将于 2027-01-26 到期，还有 60 天，请及时办理换证。"
    )
    assert village.in_room("staff")[-1].startswith("Certificate #1 of 恒仁雅米农副产品加工有限公司 (environmental")
