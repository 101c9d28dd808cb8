"""Extending a case's time limit: the mediator asks, the parties consent in their private
chats, and the limit moves only when every one of them has agreed."""

from __future__ import annotations

import sqlalchemy as sa
from mediation_helpers import agree, file_case

from linli.plugins.mediation.tables import cases


def deadline(chat):  # type: ignore[no-untyped-def]
    with chat.runtime.store.begin() as conn:
        return conn.execute(sa.select(cases.c.deadline_at).where(cases.c.number == 1)).scalar_one()


def test_the_limit_moves_only_when_both_parties_agree(med):
    file_case(med)
    agree(med)  # 李四 is a party too now
    before = deadline(med)
    assert med.say("王律师", "/extend 1 15 对方出差", private=True)[-1] == (
        "Asked the parties of case 1; the time limit changes when all of them agree."
    )
    asked = med.last("张三", private=True)
    assert asked == (
        "The mediator asks to extend the time limit of your case 1 by 15 day(s). Reason: 对方出差. Do you agree?"
    )
    assert med.pick("张三", "I agree to the extension", private=True)[-1] == (
        "Thank you. The extension of case 1 waits for the other party's answer."
    )
    assert deadline(med) == before
    med.pick("李四", "I agree to the extension", private=True)
    assert (deadline(med) - before).days == 15
    for who in ("张三", "李四", "王律师"):
        assert med.last(who, private=True).startswith("Case 1 now runs until")


def test_one_refusal_keeps_the_limit_and_the_mediator_is_told(med):
    file_case(med)
    agree(med)
    before = deadline(med)
    med.say("王律师", "/extend 1 15 对方出差", private=True)
    med.pick("李四", "I do not agree", private=True)
    assert med.last("李四", private=True) == "Noted: the time limit of case 1 stays as it is."
    assert med.last("王律师", private=True) == "李四 does not agree to extend case 1; its time limit stays."
    assert med.pick("张三", "I agree to the extension", private=True) == [
        "That request is no longer waiting for your answer."
    ]
    assert deadline(med) == before
    # a new request may be made once the last one is decided
    assert med.say("王律师", "/extend 1 7 再次协商", private=True)[-1].startswith("Asked the parties of case 1")


def test_a_party_answers_once_and_a_second_request_waits_for_the_first(med):
    file_case(med)
    agree(med)
    med.say("王律师", "/extend 1 15 对方出差", private=True)
    assert med.say("王律师", "/extend 1 20 另一个理由", private=True) == [
        "The parties of case 1 have not yet answered the last request to extend it."
    ]
    med.pick("张三", "I agree to the extension", private=True)
    assert med.pick("张三", "I agree to the extension", private=True) == ["You already answered this request."]


def test_only_the_parties_answer_and_others_cannot_press_their_buttons(med):
    file_case(med)
    agree(med)
    med.say("王律师", "/extend 1 15 对方出差", private=True)
    assert med.say("王五", "/extension 1", private=True) == ["Case 1 is not waiting for your answer."]
    # a party who missed the message gets the question again with its buttons
    assert med.say("李四", "/extension 1", private=True)[-1].startswith("The mediator asks to extend")
    med.pick("李四", "I agree to the extension", private=True)
    med.pick("张三", "I agree to the extension", private=True)
    assert med.last("张三", private=True).startswith("Case 1 now runs until")


def test_bad_requests_change_nothing(med):
    file_case(med)
    before = deadline(med)
    assert (
        med.say("王五", "/extend 1 15 x", private=True)[-1] != "Asked the parties of case 1; the time limit "
        "changes when all of them agree."
    )
    assert med.say("王律师", "/extend 1 abc x", private=True) == [
        "Usage: /extend NUMBER DAYS REASON, for example /extend 3 15 both parties agreed"
    ]
    assert med.say("王律师", "/extend 9 15 x", private=True) == ["There is no mediation case 9."]
    assert deadline(med) == before
