"""A case from acceptance to a performed agreement, and the other ways a case ends."""

from __future__ import annotations

import sqlalchemy as sa
from mediation_helpers import agree, file_case

from linli.core.storage import schema as s
from linli.plugins.mediation.tables import cases, members, records


def status(chat) -> str:  # type: ignore[no-untyped-def]
    with chat.runtime.store.connect() as conn:
        return str(conn.execute(sa.select(cases.c.status)).scalar())


def test_a_case_is_accepted_mediated_agreed_confirmed_and_performed(med):
    file_case(med)
    assert sorted(med.say("王律师", "/take 1", private=True)) == [
        "Mediator 王律师 takes care of your case 1. Write to them with /case 1 MESSAGE.",
        "王律师 is the mediator of case 1.",
    ]
    agree(med)
    assert status(med) == "agreement"
    assert med.last("李四", private=True).startswith("Agreement of case 1 (written):\nTerms: 李四家三日内更换排水管")

    assert med.say("王律师", "/progress 1 performing start", private=True) == [
        "2 party(ies) have not confirmed the agreement yet."
    ]
    med.pick("张三", "I confirm", private=True)
    assert med.say("王律师", "/progress 1 performing start", private=True) == [
        "1 party(ies) have not confirmed the agreement yet."
    ]
    med.pick("李四", "I confirm", private=True)
    assert med.last("王律师", private=True).startswith("All parties confirmed the agreement of case 1.")

    med.say("王律师", "/progress 1 performing 李四开始维修", private=True)
    med.say("王律师", "/progress 1 performed 排水管已更换，赔偿已付", private=True)
    assert status(med) == "performed"
    assert med.last("张三", private=True) == "The agreement has been performed. Thank you for settling it peacefully."
    with med.runtime.store.connect() as conn:
        moves = conn.execute(
            sa.select(records.c.state_from, records.c.state_to, records.c.text)
            .where(records.c.kind == "transition")
            .order_by(records.c.id)
        ).all()
        assert [(a, b) for a, b, _ in moves] == [
            (None, "registered"),
            ("registered", "accepted"),
            ("accepted", "mediating"),
            ("mediating", "agreement"),
            ("agreement", "performing"),
            ("performing", "performed"),
        ]
        assert moves[-1].text == "排水管已更换，赔偿已付"
        audited = conn.execute(sa.select(s.audit_log.c.action).where(s.audit_log.c.action == "mediation.transition"))
        assert len(audited.all()) == 5


def test_parties_and_mediators_talk_through_the_bot_and_the_session_is_recorded(med):
    file_case(med)
    agree_to_talk = med.say("王律师", "/take 1", private=True)
    assert agree_to_talk
    med.say("王律师", "/addparty 1 李四", private=True)
    assert sorted(med.say("李四", "/case 1 我家管子上周已经修过了", private=True)) == [
        "Passed on to case 1.",
        "[Case 1] 李四: 我家管子上周已经修过了",
        "[Case 1] 李四: 我家管子上周已经修过了",
    ]
    assert med.last("张三", private=True) == "[Case 1] 李四: 我家管子上周已经修过了"
    assert med.last("王律师", private=True) == "[Case 1] 李四: 我家管子上周已经修过了"

    # /case N opens the case as the person's current one: plain messages go to it
    assert med.say("张三", "/case 1", private=True)[-1] == (
        "What you write here now goes to case 1 (send /cancel to stop)."
    )
    med.say("张三", "可是还在滴水", private=True)
    assert med.last("李四", private=True) == "[Case 1] 张三: 可是还在滴水"
    with med.runtime.store.connect() as conn:
        said = conn.execute(sa.select(records.c.text).where(records.c.kind == "message").order_by(records.c.id))
        assert said.scalars().all() == ["我家管子上周已经修过了", "可是还在滴水"]


def test_a_party_refuses_mediation_and_the_case_is_declined(med):
    file_case(med)
    med.say("王律师", "/take 1", private=True)
    med.say("王律师", "/progress 1 declined 李四不同意调解", private=True)
    assert med.last("王律师", private=True) == "Case 1 is now: declined."
    assert med.in_room("@张三")[-2:] == [
        "Your mediation case 1 is now: declined. Reason: 李四不同意调解",
        "Mediation is voluntary. You may still apply for arbitration, ask the competent administrative department "
        "to handle it, or go to court.",
    ]
    assert status(med) == "declined"


def test_a_case_ended_without_agreement_tells_the_parties_their_other_routes(med):
    file_case(med)
    med.say("王律师", "/take 1", private=True)
    med.say("王律师", "/progress 1 accepted 双方同意", private=True)
    med.say("王律师", "/progress 1 mediating 开始", private=True)
    med.say("王律师", "/progress 1 ended 分歧太大", private=True)
    assert med.last("张三", private=True).startswith(
        "The mediation ended without agreement. You may apply for arbitration"
    )
    with med.runtime.store.connect() as conn:
        assert conn.execute(sa.select(cases.c.closed_at)).scalar() is not None


def test_an_escalated_case_goes_to_the_community_police_and_the_team_room(med):
    file_case(med)
    med.say("王律师", "/take 1", private=True)
    med.say("王律师", "/progress 1 escalated 双方扬言动手", private=True)
    assert med.last("赵警官", private=True) == (
        "Case 1 (Between neighbours) was escalated for public-order or criminal risk; please take it up. "
        "Send /case 1 to read it."
    )
    assert med.in_room("team")[-1] == "Case 1 (Between neighbours) was escalated to the community police."
    assert "双方扬言动手" not in "\n".join(med.in_room("team"))
    # the police may now read the case
    assert med.say("赵警官", "/case 1", private=True)[0].startswith("Mediation case 1: Between neighbours")
    with med.runtime.store.connect() as conn:
        assert conn.execute(sa.select(cases.c.risk)).scalar() == "high"


def test_a_non_party_may_not_read_or_write_to_a_case(med):
    file_case(med)
    assert med.say("王五", "/case 1", private=True) == ["Only the parties and the mediators of case 1 may see it."]
    assert med.say("王五", "/case 1 我也有话说", private=True) == [
        "Only the parties and the mediators of case 1 may see it."
    ]
    # a mediator not assigned to the case may neither read it nor move it
    assert med.say("赵警官", "/case 1", private=True) == ["Only the parties and the mediators of case 1 may see it."]
    assert med.say("赵警官", "/progress 1 accepted 好", private=True) == [
        "Only the mediators of case 1 and the team lead may do that."
    ]
    assert status(med) == "registered"


def test_reading_a_case_as_staff_is_audited_and_the_group_cannot_read_it(med):
    file_case(med)
    assert med.say("刘主任", "/case 1") == ["Use /case in a private chat with me, not in the group."]
    med.say("刘主任", "/case 1", private=True)
    with med.runtime.store.connect() as conn:
        reads = conn.execute(sa.select(s.audit_log.c.target).where(s.audit_log.c.action == "mediation.read"))
        assert reads.scalars().all() == ["case:1"]


def test_moves_out_of_order_and_unknown_cases_change_nothing(med):
    file_case(med)
    med.say("王律师", "/take 1", private=True)
    assert med.say("王律师", "/progress 1 performed 好", private=True) == [
        "Case 1 is registered; it cannot become performed."
    ]
    assert med.say("王律师", "/progress 9 accepted 好", private=True) == ["There is no mediation case 9."]
    assert med.say("王律师", "/progress 1 finished 好", private=True)[0].startswith("Unknown state finished")
    assert med.say("王律师", "/progress 1 accepted", private=True)[0].startswith("Usage: /progress NUMBER STATE REASON")
    assert med.say("王律师", "/agreement 1", private=True) == [
        "An agreement can be recorded only while a case is being mediated."
    ]
    assert status(med) == "registered"


def test_the_team_lead_assigns_a_mediator_and_only_mediators_can_be_assigned(med):
    file_case(med)
    assert med.say("刘主任", "/assign 1 王五", private=True) == ["王五 is not a mediator here."]
    med.say("刘主任", "/assign 1 赵警官", private=True)
    assert med.last("刘主任", private=True) == "赵警官 is the mediator of case 1."
    assert med.last("赵警官", private=True) == "You were assigned to mediation case 1; send /case 1 to read it."
    with med.runtime.store.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(members).where(members.c.role == "mediator")).scalar()
            == 1
        )


def test_a_breached_agreement_points_the_parties_to_the_court(med):
    file_case(med)
    agree(med)
    med.pick("张三", "I confirm", private=True)
    med.pick("李四", "I confirm", private=True)
    med.say("王律师", "/progress 1 performing 开始", private=True)
    med.say("王律师", "/progress 1 breached 李四拒不赔偿", private=True)
    assert med.last("张三", private=True) == (
        "The agreement was not performed. You may bring a lawsuit in court; if the agreement was judicially "
        "confirmed, you may apply to the court for enforcement."
    )
    assert status(med) == "breached"
    assert med.say("王律师", "/progress 1 performed 补上了", private=True) == [
        "Case 1 is not performed; it cannot become performed."
    ]


def test_log_lines_carry_no_names_and_no_case_text(med):
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        file_case(med)
        med.say("王律师", "/take 1", private=True)
        med.say("王律师", "/case 1 周六上午入户", private=True)
        med.say("王五", "/case 1", private=True)
    assert any(e.get("event") == "mediation case opened" for e in logs)
    text = repr(logs)
    for personal in ("张三", "李四", "王律师", "王五", "排水", "800", "入户"):
        assert personal not in text


def test_casework_in_the_residents_group_is_refused_and_changes_nothing(med):
    file_case(med)
    med.say("王律师", "/take 1", private=True)
    for command in ("/progress 1 accepted 同意", "/risk 1 high", "/note 1 入户", "/cases", "/stats"):
        name = command.split()[0][1:]
        assert med.say("王律师", command) == [
            f"Please use /{name} in a private chat with me or in the mediation team's room, not in the group."
        ]
    assert status(med) == "registered"


def test_stopping_a_case_conversation_says_what_was_already_passed_on(med):
    file_case(med)
    med.say("王律师", "/take 1", private=True)
    med.say("张三", "/case 1", private=True)
    med.say("张三", "他们今天又漏水了", private=True)
    assert med.last("王律师", private=True) == "[Case 1] 张三: 他们今天又漏水了"
    answer = med.say("张三", "/cancel", private=True)
    assert answer == [
        "Stopped: what you write here no longer goes to case 1. What you sent to it before was passed on and "
        "stays in the case record."
    ]
    assert "Nothing" not in answer[0]
    # another dialog that kept nothing still says so
    med.say("王五", "/mediate", private=True)
    assert med.say("王五", "/cancel", private=True) == ["Cancelled. Nothing from that conversation was saved."]


def test_a_timed_out_case_conversation_says_the_message_was_not_passed_on(med):
    file_case(med)
    med.say("张三", "/case 1", private=True)
    med.advance(hours=3)
    assert med.say("张三", "还在吗", private=True) == [
        "That conversation had timed out, so this message was not taken.\n"
        "Stopped: what you write here no longer goes to case 1. What you sent to it before was passed on and "
        "stays in the case record."
    ]


def test_the_agreement_notice_shows_its_form_as_a_form_not_as_a_reason(med):
    file_case(med)
    agree(med)
    notices = [m.text for m in med.sent if m.address == med.address("张三", private=True)]
    assert "Your mediation case 1 is now: agreement reached (written)." in notices
    assert not any("Reason: written" in n for n in notices)


def test_an_escalated_case_stays_open_until_the_police_answer_is_recorded(med):
    file_case(med)
    med.say("王律师", "/take 1", private=True)
    med.say("王律师", "/progress 1 escalated 双方扬言动手", private=True)
    with med.runtime.store.connect() as conn:
        assert conn.execute(sa.select(cases.c.closed_at)).scalar() is None
    assert "#1 Between neighbours · escalated to the police" in med.say("刘主任", "/cases", private=True)[0]
    assert med.say("赵警官", "/progress 1 police_handled 派出所已受理，依法处理", private=True)[-1] == (
        "Case 1 is now: handled by the police."
    )
    with med.runtime.store.connect() as conn:
        assert conn.execute(sa.select(cases.c.closed_at)).scalar() is not None
    assert med.say("刘主任", "/cases", private=True) == ["No open mediation cases."]


def test_the_police_may_hand_an_escalated_case_back_to_mediation(med):
    file_case(med)
    med.say("王律师", "/take 1", private=True)
    med.say("王律师", "/progress 1 accepted 双方同意", private=True)
    med.say("王律师", "/progress 1 escalated 双方扬言动手", private=True)
    assert med.say("赵警官", "/progress 1 mediating 已调查，无治安风险，退回调解", private=True)[-1] == (
        "Case 1 is now: mediating."
    )
