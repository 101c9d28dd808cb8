"""Monitoring (防返贫监测) as a village works it in chat: a lead, a home visit in private, a public
notice in the village room with a controlled clock, an objection in private, the village's
appraisal, the township's approval, measures and a helper, and risk eliminated with the record
kept; every decision names who made it."""

from __future__ import annotations

import sqlalchemy as sa
from rural_helpers import case, jobs, rows, to_monitored

from linli.core.register import Registry
from linli.plugins.rural.tables import case_events, measures, reviews


def test_a_household_goes_from_a_lead_to_risk_eliminated_with_every_decision_named(village):
    chat, ids = village
    assert chat.say("队员甲", "/lead 一组/13 grid 老人住院") == [
        "Case 1: a lead for household 一组/13 (a grid member), recorded by you. "
        "Next: a home visit (/homevisit 1 in private); a decision is due by 2026-12-11."
    ]
    assert chat.say(
        "队员甲",
        "/homevisit 1 income=6800 medical=15000 causes=illness,labour insurance=yes housing=safe",
        private=True,
    ) == [
        "Case 1 (一组/13): home visit of 2026 recorded by you.\n"
        "Recorded income 6800 yuan per person; the line of 2026 is 7300 yuan.\n"
        "Next: the village's public notice, /publicize 1 DAYS."
    ]
    assert chat.say("曲书记", "/publicize 1 5", private=True)[-1] == (
        "Case 1 is on public notice until 2026-11-30; appraise it after that with /appraise 1."
    )
    assert chat.in_room("village") == [
        "Public notice: the village proposes to take household 一组/13 (孙秀英) into relapse-prevention "
        "monitoring. The notice runs from 2026-11-26 to 2026-11-30. Objections privately to this bot: "
        "/dissent 1 YOUR WORDS"
    ]
    chat.advance(days=5)
    appraised = chat.say("曲书记", "/appraise 1 yes")
    assert appraised[-1] == (
        "Case 1: the village proposes monitoring, appraised by you. It goes to the township for approval. "
        "0 objections were received during the notice."
    )
    assert chat.in_room("@乡镇干部")[-1] == (
        "Case 1 was appraised by the village; it awaits your decision: /decide 1 yes|no"
    )
    assert chat.say("乡镇干部", "/decide 1 yes")[-1] == (
        "Case 1: household 一组/13 is monitored from today, approved by you. "
        "Next: a responsible helper (/sethelper) and measures (/addmeasure)."
    )
    assert chat.in_room("@曲书记")[-1] == "The township decided case 1: monitored."
    assert chat.say("队员甲", "/sethelper 1 李干部")[-1] == "Case 1: 李干部 is the responsible helper."
    assert chat.in_room("@李干部")[-1] == (
        "You are the responsible helper of monitoring case 1 (household 一组/13); see /casefile 1."
    )
    assert chat.say("李干部", "/addmeasure 1 medical 大病救助", private=True) == [
        "Case 1: measure recorded: medical aid."
    ]
    assert chat.say("队员甲", "/addmeasure 1 就业 公益岗", private=True) == [
        "Case 1: measure recorded: employment support."
    ]
    assert chat.say("乡镇干部", "/eliminate 1 务工收入稳定") == [
        "Case 1: risk eliminated, decided by you. The record is kept."
    ]

    c = case(chat)
    names = {name: pid for name, pid in ids.items()}
    assert c.state == "eliminated"
    assert c.income == 6800 and c.medical_spending == 15000 and c.causes == "illness,labour"
    assert c.appraised_by is not None and c.decided_by is not None and c.eliminated_by == c.decided_by
    assert c.appraised_by != c.decided_by
    assert c.household_id == names["一组/13"]
    kinds = [e.kind for e in rows(chat, case_events)]
    assert kinds == ["lead", "visit", "notice", "appraised", "approved", "helper", "measure", "measure", "eliminated"]
    assert all(e.by_id for e in rows(chat, case_events))
    assert [m.kind for m in rows(chat, measures)] == ["medical", "employment"]
    # the record is kept and shown to the team
    casefile = chat.say("曲书记", "/casefile 1", private=True)[0]
    assert casefile.startswith("Case 1, household 一组/13: risk eliminated")
    assert "approved by the township · 乡镇干部" in casefile


def test_an_objection_during_the_notice_reaches_the_secretary_privately_and_is_weighed(village):
    chat, _ = village
    chat.say("队员甲", "/lead 一组/13 department")
    chat.say("队员甲", "/homevisit 1 income=6900", private=True)
    chat.say("曲书记", "/publicize 1 7", private=True)
    chat.advance(days=2)
    assert chat.say("张三", "/dissent 1 他家儿子在城里有房", private=True)[-1] == (
        "Thank you: your objection to case 1 is recorded and kept private; the first secretary will look into it."
    )
    assert chat.in_room("@曲书记")[-1] == (
        "An objection to the public notice of case 1 came in; read it with /casefile 1."
    )
    assert "他家儿子在城里有房" in chat.say("曲书记", "/casefile 1", private=True)[0]
    assert not any("他家儿子" in text for text in chat.in_room("village") + chat.in_room("group"))
    # in the group the objection is refused: it would be public
    chat.say("李四", "/dissent 1 不同意")
    assert [e.kind for e in rows(chat, case_events)].count("objection") == 1
    chat.advance(days=5)  # the notice ran 26 Nov .. 2 Dec; today is 3 Dec
    assert chat.say("张三", "/dissent 1 还有意见", private=True) == ["Case 1 is not on public notice now."]
    assert chat.say("曲书记", "/appraise 1 no 经核实有城镇住房")[-1] == (
        "Case 1: the village decided, by you, not to propose monitoring. The record is kept. "
        "1 objection was received during the notice."
    )
    c = case(chat)
    assert c.state == "declined" and c.decided_by == c.appraised_by and c.decision_note == "经核实有城镇住房"


def test_the_appraisal_waits_until_the_public_notice_has_run_out(village):
    chat, _ = village
    chat.say("队员甲", "/lead 一组/13 grid")
    chat.say("队员甲", "/homevisit 1 income=6900", private=True)
    chat.say("曲书记", "/publicize 1 5", private=True)
    chat.advance(days=4)  # 30 Nov, the last day of the notice
    assert chat.say("曲书记", "/appraise 1 yes") == [
        "The public notice of case 1 runs until 2026-11-30; appraise it after that."
    ]
    assert case(chat).state == "notice"
    chat.advance(days=1)
    assert chat.say("曲书记", "/appraise 1 yes")[-1].startswith("Case 1: the village proposes monitoring")


def test_a_lead_undecided_after_fifteen_days_is_flagged_to_the_first_secretary_once(village):
    chat, _ = village
    chat.say("队员甲", "/lead 一组/13 grid")
    jobs(chat)
    chat.advance(days=15)
    assert jobs(chat) == []  # 11 Dec 09:00: the lead is exactly 15 days old
    chat.advance(days=1)
    assert jobs(chat) == ["Late monitoring cases, past 15 days from lead to decision: 1. Send /monitoring to see them."]
    assert chat.say("曲书记", "/monitoring", private=True) == [
        "Monitoring cases:\n1. 一组/13: lead (late: due 2026-12-11)"
    ]
    chat.advance(days=1)
    assert jobs(chat) == []
    assert case(chat).late_flagged_on.isoformat() == "2026-12-12"


def test_a_resident_applies_for_their_own_household_in_private(village):
    chat, _ = village
    assert chat.say("张三", "/apply 今年养的牛病死了", private=True)[0].startswith(
        "Case 1: a lead for household 一组/12 (the household's own application)"
    )
    assert chat.say("张三", "/apply", private=True) == ["Household 一组/12 already has case 1 (lead)."]
    assert case(chat).lead_note == "今年养的牛病死了"


def test_an_application_the_team_records_for_a_household_without_a_chat_account_says_who_acted(village):
    chat, ids = village
    chat.say("队员甲", "/lead 一组/13 申请 老人口头申请")
    with chat.runtime.store.connect() as conn:
        acted = Registry(conn, "test").acted_for(ids["孙秀英"])
    assert [(a["action"], a["plugin"]) for a in acted] == [("rural.application", "rural")]
    chat.say("队员甲", "/homevisit 1 income=6000", private=True)
    with chat.runtime.store.connect() as conn:
        acted = Registry(conn, "test").acted_for(ids["孙秀英"])
    assert [a["action"] for a in acted] == ["rural.application", "rural.home_visit"]


def test_the_yearly_review_counts_a_home_visit_of_that_year_against_its_line(village):
    chat, _ = village
    to_monitored(chat)
    assert chat.say("曲书记", "/yearreview 2026 2026-12-31") == [
        "Review of 2026 opened for 1 monitored household(s) against the line of 7300 yuan, due 2026-12-31. "
        "Each home visit of 2026 (/homevisit CASE income=… year=2026) counts."
    ]
    reply = chat.say("队员甲", "/homevisit 1 income=8100 year=2026", private=True)[0]
    assert reply.endswith("This counts as the case's review of 2026.")
    assert chat.say("曲书记", "/yearreview 2026") == ["Review of 2026: 1 of 1 household(s) reviewed; due 2026-12-31."]
    (review,) = rows(chat, reviews)
    assert (review.line, review.income) == (7300, 8100)


def test_an_overdue_yearly_review_is_told_to_the_first_secretary(village):
    chat, _ = village
    to_monitored(chat)
    chat.say("曲书记", "/yearreview 2026 2026-12-10")
    jobs(chat)
    chat.advance(days=10)  # 11 Dec
    assert (
        "1 household review(s) of the yearly review are past their deadline; send /yearreview YEAR to see them."
        in jobs(chat)
    )


def test_the_bot_points_out_incomes_near_the_line_and_labels_nobody(village):
    chat, _ = village
    chat.say("队员甲", "/lead 一组/14 grid")
    chat.say("队员甲", "/homevisit 1 income=7900", private=True)
    chat.say("曲书记", "/publicize 1 5", private=True)
    chat.advance(days=5)
    chat.say("曲书记", "/appraise 1 no 收入超过监测线")
    assert chat.say("曲书记", "/nearline", private=True) == [
        "Recorded income near the 2026 line of 7300 yuan, outside the monitoring — for you to look at; "
        "people decide:\n一组/14: 7900"
    ]
    assert case(chat).state == "declined"  # nothing was opened or labelled by the bot
    with chat.runtime.store.connect() as conn:
        from linli.plugins.rural.tables import cases

        assert conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar() == 1


def test_the_income_line_is_set_per_year(village):
    chat, _ = village
    assert chat.say("张三", "/incomeline") == ["The monitoring income line of 2026: 7300 yuan per person per year."]
    assert chat.say("张三", "/incomeline 2025") == [
        "The monitoring income line of 2025: 7000 yuan per person per year."
    ]
