"""Bad input gets a clear answer and changes nothing: approval without the township role, a public
notice shorter than the minimum, an unknown household, steps out of order."""

from __future__ import annotations

import pytest
from rural_helpers import snapshot


def _ready(chat) -> None:
    chat.say("队员甲", "/lead 一组/13 grid")
    chat.say("队员甲", "/homevisit 1 income=6800", private=True)


@pytest.mark.parametrize(
    ("who", "text", "private", "answer"),
    [
        ("曲书记", "/publicize 1 4", True, "A public notice lasts at least 5 days; 4 is too short."),
        ("曲书记", "/publicize 1 0", True, None),
        ("曲书记", "/publicize 9 5", True, "There is no monitoring case 9."),
        ("曲书记", "/appraise 1 yes", False, "Case 1 is at the step: home visit done; this cannot be done now."),
        ("曲书记", "/decide 1 yes", False, "Sorry, /decide is only for: township."),
        ("队员甲", "/decide 1 yes", False, "Sorry, /decide is only for: township."),
        ("乡镇干部", "/decide 1 yes", False, "Case 1 is at the step: home visit done; this cannot be done now."),
        ("乡镇干部", "/decide 1 maybe", False, "Please answer yes or no, for example /decide 1 yes"),
        (
            "队员甲",
            "/lead 三组/99 grid",
            False,
            "There is no household 三组/99 in the register. Name it by group and number, e.g. 一组/12.",
        ),
        (
            "队员甲",
            "/lead 12 grid",  # two groups have a household 12
            False,
            "There is no household 12 in the register. Name it by group and number, e.g. 一组/12.",
        ),
        ("队员甲", "/lead 一组/13 rumour", False, None),
        ("队员甲", "/lead 一组/13 grid", False, "Household 一组/13 already has case 1 (home visit done)."),
        ("队员甲", "/homevisit 1 medical=100", True, "Please give the income per person in the year: income=YUAN."),
        ("队员甲", "/homevisit 1 income=很多", True, "income: please give whole yuan, for example 6500."),
        ("队员甲", "/homevisit 1 income=6000 causes=bad_luck", True, None),
        ("队员甲", "/homevisit 1 income=6000 colour=red", True, None),
        ("张三", "/dissent 1 不同意", True, "Case 1 is not on public notice now."),
        ("乡镇干部", "/eliminate 1", False, "Case 1 is at the step: home visit done; this cannot be done now."),
        ("李干部", "/addmeasure 1 medical", True, None),
        ("曲书记", "/yearreview 2026", False, "No household is monitored now; there is nothing to review."),
        ("曲书记", "/pair 区财政局 三组/1", False, None),
        ("李干部", "/helpvisit 一组/12", False, "No pair in force links household 一组/12 with that helper."),
    ],
)
def test_bad_input_gets_a_clear_answer_and_changes_nothing(village, who, text, private, answer):
    chat, _ = village
    _ready(chat)
    before = snapshot(chat)
    sent_to_rooms = (len(chat.in_room("village")), len(chat.in_room("group")))
    replies = chat.say(who, text, private=private)
    assert len(replies) == 1
    if answer is not None:
        assert replies == [answer]
    assert snapshot(chat) == before
    if private:
        assert (len(chat.in_room("village")), len(chat.in_room("group"))) == sent_to_rooms


def test_a_public_notice_cannot_be_shortened_below_the_district_minimum(tmp_path):
    from rural_helpers import CONFIG, make

    config = {"rural": {**CONFIG["rural"], "notice_days": 7}}
    chat, _ = make(tmp_path, config=config)
    try:
        _ready(chat)
        assert chat.say("曲书记", "/publicize 1 6", private=True) == [
            "A public notice lasts at least 7 days; 6 is too short."
        ]
        assert chat.in_room("village") == []
    finally:
        chat.close()
