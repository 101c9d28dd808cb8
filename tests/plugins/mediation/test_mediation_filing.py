"""Filing a mediation case: the dialog in the private chat, what the group and the team see."""

from __future__ import annotations

import sqlalchemy as sa
from mediation_helpers import file_case

from linli.plugins.mediation.tables import cases, members


def test_a_resident_files_a_case_from_the_group_and_the_dialog_goes_on_privately(med):
    med.say("张三", "/mediate")
    assert med.last() == "I have written to you privately; let us continue there."
    prompt = next(m for m in reversed(med.sent) if m.address == med.address("张三", private=True))
    assert prompt.text == "What kind of dispute is it? Everything you tell me stays between you and the mediators."
    assert [c.label for c in prompt.choices] == [
        "Owners and the property company",
        "Between neighbours",
        "Residents and a contractor",
        "Family",
        "Other",
    ]
    med.pick("张三", "Between neighbours", private=True)
    assert med.last("张三", private=True).startswith("Who is the other party?")
    med.say("张三", "楼上李四家", private=True)
    med.say("张三", "楼上排水管漏水", private=True)
    assert med.say("张三", "修好排水管", private=True) == ["How would you like to be contacted?"]
    done = med.pick("张三", "By phone", private=True)

    assert med.last("张三", private=True).startswith("Your request is registered as mediation case 1.")
    assert len(done) == 3  # the applicant, the team room and the group
    assert "New mediation case 1: Between neighbours, from a party's application." in med.in_room("team")
    with med.runtime.store.connect() as conn:
        row = conn.execute(sa.select(cases)).one()
        assert (row.number, row.category, row.status, row.contact, row.other_party, row.facts, row.claims) == (
            1,
            "neighbours",
            "registered",
            "phone",
            "楼上李四家",
            "楼上排水管漏水",
            "修好排水管",
        )
        assert conn.execute(sa.select(sa.func.count()).select_from(members)).scalar() == 1


def test_the_group_sees_only_that_a_case_was_filed_and_its_number(med):
    before = len(med.in_room("group"))
    file_case(med)
    group = med.in_room("group")[before:]
    assert group == ["I have written to you privately; let us continue there.", "A mediation case was filed: number 1."]
    transcript = "\n".join(group + med.in_room("team"))
    for detail in ("李四", "排水", "800", "张三"):
        assert detail not in transcript


def test_a_resident_without_a_private_chat_is_told_to_open_one(med):
    med.say("孙七", "/whoami")
    assert med.say("孙七", "/mediate") == [
        "Please open a private chat with me first (on the console: /dm), then send /mediate there; a dispute is "
        "not talked about in the group."
    ]


def test_a_dialog_abandoned_halfway_times_out_and_saves_nothing(med):
    med.say("张三", "/mediate", private=True)
    med.pick("张三", "Family", private=True)
    med.say("张三", "我弟弟", private=True)
    med.advance(minutes=31)
    med.say("张三", "他占了老房子", private=True)

    with med.runtime.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar() == 0
    assert med.in_room("team") == []


def test_an_empty_answer_keeps_the_dialog_at_its_step(med):
    med.say("张三", "/mediate", private=True)
    med.pick("张三", "Family", private=True)
    assert med.say("张三", "　", private=True) == ["Please write a few words."]
    assert med.say("张三", "我弟弟", private=True) == ["What happened? Tell it in a few sentences."]


def test_a_mediator_opens_a_case_found_at_the_morning_meeting(med):
    med.say("王律师", "/opencase", private=True)
    med.pick("王律师", "the morning meeting", private=True)
    med.pick("王律师", "Residents and a contractor", private=True)
    med.say("王律师", "装修公司", private=True)
    med.say("王律师", "施工堵塞了排水", private=True)
    med.say("王律师", "疏通并赔偿", private=True)
    med.pick("王律师", "In person", private=True)
    assert med.last("王律师", private=True).startswith("Mediation case 1 is open.")
    assert "New mediation case 1: Residents and a contractor, from the morning meeting." in med.in_room("team")


def test_residents_may_not_open_cases_for_the_team(med):
    assert "only for" in med.say("张三", "/opencase", private=True)[0]
