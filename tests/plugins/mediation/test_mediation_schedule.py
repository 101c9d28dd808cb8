"""民情晨会 and reminders: on Chinese working days only, overdue cases, judicial confirmation, follow-up."""

from __future__ import annotations

import datetime as dt

from mediation_helpers import SHANGHAI, agree, file_case, make


def test_the_morning_meeting_comes_on_a_make_up_sunday_and_not_on_a_national_holiday(tmp_path):
    saturday = dt.datetime(2025, 9, 27, 12, 0, tzinfo=SHANGHAI)
    chat = make(tmp_path, now=saturday)
    try:
        file_case(chat)
        chat.run_jobs()  # starts the schedule
        chat.advance(hours=21)  # Sunday 28 September 2025, 09:00: a make-up working day (调休)
        digest = [m for m in chat.run_jobs() if m.startswith("Morning meeting")]
        assert digest == [
            "Morning meeting, 2025-09-28: 1 open mediation case(s).\n"
            "New, waiting to be accepted:\n"
            "#1 Between neighbours · registered · risk low · 0 day(s) · mediator: none yet"
        ]
        assert chat.in_room("team")[-1] == digest[0]
        for _ in range(3):  # Monday and Tuesday are working days; Wednesday 1 October is National Day
            chat.advance(days=1)
            sent = chat.run_jobs()
        assert chat.clock.now().astimezone(SHANGHAI).date() == dt.date(2025, 10, 1)
        assert [m for m in sent if m.startswith("Morning meeting")] == []
        assert sum(m.startswith("Morning meeting") for m in chat.in_room("team")) == 3
    finally:
        chat.close()


def test_the_digest_shows_overdue_and_high_risk_cases_without_personal_details(tmp_path):
    chat = make(tmp_path)  # Thursday 26 November 2026, 09:00
    try:
        file_case(chat)
        chat.say("王律师", "/take 1", private=True)
        chat.say("王律师", "/progress 1 accepted 同意调解", private=True)
        chat.say("王律师", "/risk 1 high", private=True)
        chat.run_jobs()
        chat.advance(days=32)  # Monday 28 December, 09:00: past the one-month limit
        digest = next(m for m in chat.run_jobs() if m.startswith("Morning meeting"))
        assert digest.splitlines() == [
            "Morning meeting, 2026-12-28: 1 open mediation case(s).",
            "Past the time limit:",
            "#1 Between neighbours · accepted · risk high · 32 day(s) · mediator: 王律师",
            "High risk:",
            "#1 Between neighbours · accepted · risk high · 32 day(s) · mediator: 王律师",
        ]
        for detail in ("张三", "李四", "排水", "800"):
            assert detail not in digest

        chat.say("王律师", "/extend 1 30 双方同意延长", private=True)
        chat.pick("张三", "I agree to the extension", private=True)  # the only party in the chat
        chat.advance(days=1)
        digest = next(m for m in chat.run_jobs() if m.startswith("Morning meeting"))
        assert "Past the time limit:" not in digest
    finally:
        chat.close()


def test_an_escalated_case_stays_in_the_digest_until_the_police_answer(tmp_path):
    chat = make(tmp_path)  # Thursday 26 November 2026, 09:00
    try:
        file_case(chat)
        chat.say("王律师", "/take 1", private=True)
        chat.say("王律师", "/progress 1 escalated 双方扬言动手", private=True)
        chat.run_jobs()
        chat.advance(days=1)  # Friday, a working day
        digest = next(m for m in chat.run_jobs() if m.startswith("Morning meeting"))
        assert digest.splitlines() == [
            "Morning meeting, 2026-11-27: 1 open mediation case(s).",
            "Escalated, waiting for the police's answer:",
            "#1 Between neighbours · escalated to the police · risk high · 1 day(s) · mediator: 王律师、赵警官",
        ]
        chat.say("赵警官", "/progress 1 police_handled 派出所已处理", private=True)
        chat.advance(days=3)  # Monday
        digest = next(m for m in chat.run_jobs() if m.startswith("Morning meeting"))
        assert digest == "Morning meeting, 2026-11-30: 0 open mediation case(s)."
    finally:
        chat.close()


def test_parties_are_reminded_before_the_window_for_judicial_confirmation_closes(med):
    file_case(med)
    agree(med)  # a written agreement on 26 November 2026
    med.run_jobs()
    med.advance(days=22)
    assert not [m for m in med.run_jobs() if "judicial confirmation" in m]
    med.advance(days=1)  # 7 days before the 30-day window closes
    reminders = [m for m in med.run_jobs() if "judicial confirmation" in m]
    assert len(reminders) == 3  # both parties and the mediator
    assert med.last("张三", private=True).startswith(
        "Case 1: the parties may jointly apply to the court for judicial confirmation of the agreement until"
    )
    med.advance(days=1)
    assert not [m for m in med.run_jobs() if "judicial confirmation" in m]  # once only


def test_the_mediator_is_reminded_to_visit_when_the_performance_deadline_comes(med):
    file_case(med)
    agree(med)  # to be performed by 10 December 2026
    med.pick("张三", "I confirm", private=True)
    med.pick("李四", "I confirm", private=True)
    med.say("王律师", "/progress 1 performing 开始履行", private=True)
    med.run_jobs()
    med.advance(days=13)  # 9 December
    assert not [m for m in med.run_jobs() if "performance deadline" in m]
    med.advance(days=1)
    assert [m for m in med.run_jobs() if "performance deadline" in m] == [
        "Case 1: the performance deadline 2026-12-10 has come; please visit the parties and record it with "
        "/followup 1 TEXT."
    ]
    assert med.say("王律师", "/followup 1 已回访，管道正常", private=True) == ["Recorded in case 1."]


def test_a_district_moves_the_morning_meeting_with_meeting_cron(tmp_path):
    from mediation_helpers import CONFIG

    chat = make(tmp_path, config={"mediation": {**CONFIG["mediation"], "meeting_cron": "0 10 * * *"}})
    try:
        chat.run_jobs()  # Thursday 09:00
        chat.advance(minutes=50)  # 09:50: not yet
        assert not [m for m in chat.run_jobs() if m.startswith("Morning meeting")]
        chat.advance(minutes=15)
        assert [m for m in chat.run_jobs() if m.startswith("Morning meeting")]
    finally:
        chat.close()


def test_the_digest_lists_agreements_whose_performance_deadline_is_near(med):
    file_case(med)
    agree(med)  # to be performed by 10 December 2026
    med.pick("张三", "I confirm", private=True)
    med.pick("李四", "I confirm", private=True)
    med.say("王律师", "/progress 1 performing 开始履行", private=True)
    med.run_jobs()
    med.advance(days=1)  # Friday 27 November: the deadline is 13 days away
    assert "Agreements due for performance:" not in next(m for m in med.run_jobs() if m.startswith("Morning"))
    med.advance(days=7)  # Friday 4 December: 6 days away
    digest = next(m for m in med.run_jobs() if m.startswith("Morning"))
    assert digest.splitlines()[1:] == [
        "Agreements due for performance:",
        "#1 Between neighbours · being performed · risk low · 8 day(s) · mediator: 王律师",
    ]
