"""Polls: every kind, secret ballots in private chats, proxy votes, quorum, latest vote counts,
hidden results, households, and bad input that changes nothing."""

from __future__ import annotations

import sqlalchemy as sa
from council_helpers import RESIDENTS, make, raise_matter, to_vote

from linli.core.settings import DistrictSettings
from linli.plugins.council.tables import matters, polls, votes


def _votes(chat) -> int:  # type: ignore[no-untyped-def]
    with chat.runtime.store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(votes)).scalar() or 0)


def test_a_secret_ballot_is_cast_in_private_and_only_the_tally_reaches_the_group(council):
    raise_matter(council)
    announcement = to_vote(council, poll="secret")[-1]
    group = council.in_room("group")[-1]
    assert "This is a secret ballot: vote in a private chat with me (send /vote 1 there)." in group
    assert not [m for m in council.sent if m.address.room == "group" and m.text == group and m.choices]
    assert announcement  # the ballots went to the private chats of those on the roll
    assert council.last("张三", private=True).startswith("Poll 1 (agree / disagree / abstain)")

    assert council.say("李四", "/vote 1 yes") == [
        "Poll 1 is a secret ballot: vote in a private chat with me (send /vote 1 there). Nothing was recorded here."
    ]
    assert _votes(council) == 0
    assert council.pick("张三", "Agree", private=True)[0].startswith("张三, your vote in poll 1 is recorded: Agree.")
    assert council.say("李四", "/vote 1", private=True)[0].startswith("Poll 1")
    council.pick("李四", "Disagree", private=True)
    council.say("王五", "/vote 1 同意", private=True)
    group_before = council.in_room("group")
    assert not any("Agree" in m and "recorded" in m for m in group_before)

    council.say("刘书记", "/closepoll 1")
    result = council.in_room("group")[-1]
    assert "Turnout: 3 of 3 eligible voters (100%)." in result
    assert "Agree 2 · Disagree 1 · Abstain 0" in result
    for name in ("张三", "李四", "王五"):
        assert name not in result


def test_a_facilitator_enters_a_proxy_vote_that_is_logged_as_such(council):
    raise_matter(council)
    to_vote(council)
    assert council.say("张三", "/proxy 1 赵六 yes") == ["Sorry, /proxy is only for: council facilitator."]
    assert council.say("陈主任", "/proxy 1 赵六 yes") == [
        "Proxy vote recorded in poll 1 for 赵六: Agree (entered by 陈主任, logged as a proxy vote)."
    ]
    assert council.say("陈主任", "/proxy 1 钱七 yes") == [
        "钱七 is not a resident here that I know of: they must have written in this community's group once."
    ]
    council.pick("李四", "Disagree")
    assert council.say("陈主任", "/proxy 1 李四 yes") == [
        "李四 has voted in poll 1 themselves; a proxy vote is only for residents who cannot vote online."
    ]
    with council.runtime.store.connect() as conn:
        vote = conn.execute(sa.select(votes).where(votes.c.proxy_by.is_not(None))).one()
        facilitator = conn.execute(sa.text("select id from persons where display_name = '陈主任'")).scalar()
        audit = conn.execute(sa.text("select action, target from audit_log where action = 'council.proxy_vote'")).all()
    assert vote.proxy_by == facilitator
    assert [tuple(a) for a in audit] == [("council.proxy_vote", "poll:1")]


def test_without_quorum_nothing_is_decided_and_the_matter_goes_back_to_its_proposal(council):
    for who in RESIDENTS:
        council.say(who, "/household " + {"张三": "1-101", "李四": "1-102", "王五": "2-201", "赵六": "2-202"}[who])
    raise_matter(council)
    to_vote(council)
    council.pick("张三", "Agree")
    council.pick("李四", "Agree")
    result = council.say("刘书记", "/closepoll 1")[0]
    assert result.splitlines()[1:] == [
        "Turnout: 2 of 4 eligible voters (50%).",
        "Quorum (more than 50% taking part): not met.",
        "Agree 2 · Disagree 0 · Abstain 0",
        "Outcome: no decision: quorum not met.",
        "Matter 1 is now: proposal.",
    ]
    with council.runtime.store.connect() as conn:
        assert conn.execute(sa.select(matters.c.status)).scalar() == "proposal"
        assert conn.execute(sa.select(polls.c.outcome)).scalar() == "no_quorum"


def test_only_the_latest_vote_counts(council):
    raise_matter(council)
    to_vote(council)
    council.pick("张三", "Disagree")
    assert council.pick("张三", "Agree") == [
        "张三, your vote in poll 1 is changed to: Agree. Only your latest vote counts."
    ]
    assert council.say("张三", "/vote 1 yes") == ["This vote is already recorded in poll 1: Agree. Nothing changed."]
    council.pick("李四", "Agree")
    result = council.say("刘书记", "/closepoll 1")[0]
    assert "Agree 2 · Disagree 0 · Abstain 0" in result and "Turnout: 2 of 2" in result


def test_an_objection_is_a_disagreeing_vote_with_its_reason_in_the_result(council):
    raise_matter(council)
    to_vote(council)
    assert council.pick("李四", "Disagree")[0].endswith("To say why, send /object 1 REASON.")
    council.say("李四", "/object 1 路灯会照进二楼卧室")
    council.pick("张三", "Agree")
    council.pick("王五", "Abstain")
    result = council.say("刘书记", "/closepoll 1")[0]
    assert "Objections:\n- 路灯会照进二楼卧室" in result
    assert "Outcome: rejected." in result  # 1 of 3 agreed: not more than half


def test_the_same_vote_against_after_an_objection_keeps_the_objection_and_changes_nothing(council):
    raise_matter(council)
    to_vote(council)
    first = council.say("李四", "/object 1 路灯会照进二楼卧室", private=True)[0]
    assert first.startswith("李四, your vote in poll 1 is recorded: Disagree.")
    assert first.endswith("\nYour objection is published with the result, without your name.")
    assert council.say("李四", "/vote 1 no", private=True) == [
        "This vote is already recorded in poll 1: Disagree, with your objection. Nothing changed."
    ]
    council.pick("李四", "Disagree")  # the button, the same way
    result = council.say("刘书记", "/closepoll 1")[0]
    assert "Objections:\n- 路灯会照进二楼卧室" in result


def test_a_reason_added_to_a_vote_against_is_an_objection_not_a_changed_vote(council):
    raise_matter(council)
    to_vote(council)
    council.say("王五", "/vote 1 no", private=True)
    assert council.say("王五", "/object 1 路灯别正对卧室", private=True) == [
        "王五, your objection in poll 1 is recorded with your vote: Disagree. It is published with the result, "
        "without your name."
    ]


def test_changing_the_vote_withdraws_the_objection_and_says_so(council):
    raise_matter(council)
    to_vote(council)
    council.say("李四", "/object 1 路灯会照进二楼卧室", private=True)
    answer = council.say("李四", "/vote 1 yes", private=True)[0]
    assert answer.startswith("李四, your vote in poll 1 is changed to: Agree.")
    assert answer.endswith("Your objection is withdrawn with your vote against.")
    result = council.say("刘书记", "/closepoll 1")[0]
    assert "Objections" not in result


def test_a_secret_ballot_announced_without_buttons_does_not_ask_to_press_one(council):
    raise_matter(council)
    to_vote(council, poll="secret")
    group = council.in_room("group")[-1]
    assert "Press a button" not in group
    assert "This is a secret ballot: vote in a private chat with me (send /vote 1 there)." in group
    assert "Press a button" in council.last("张三", private=True)  # the ballot there has its buttons
    shown = council.say("李四", "/vote 1")[0]
    assert "Press a button" not in shown and "secret ballot" in shown
    council.say("刘书记", "/closepoll 1")
    closed = council.say("李四", "/vote 1")[0]
    assert "Press a button" not in closed and "secret ballot" not in closed


def test_single_choice_goes_to_the_option_with_most_votes(council):
    raise_matter(council)
    assert to_vote(council, poll="single 周六上午 / 周日上午 / 周日下午")[-1].splitlines()[1:4] == [
        "1. 周六上午",
        "2. 周日上午",
        "3. 周日下午",
    ]
    council.pick("张三", "周日上午")
    council.pick("李四", "周日上午")
    council.say("王五", "/vote 1 1")
    result = council.say("刘书记", "/closepoll 1")[0]
    assert "周六上午 1 · 周日上午 2 · 周日下午 0" in result
    assert "Outcome: 周日上午." in result
    with council.runtime.store.connect() as conn:
        assert conn.execute(sa.select(matters.c.status, matters.c.outcome)).one() == ("passed", "周日上午")


def test_multiple_choice_ballots_are_built_by_pressing_options(council):
    raise_matter(council)
    to_vote(council, poll="multiple 月季 荷花 菊花")
    council.pick("张三", "月季")
    assert council.pick("张三", "荷花")[0].startswith("张三, your ballot in poll 1 is now: 月季、荷花.")
    council.pick("张三", "月季")  # pressed again: unchosen
    council.say("李四", "/vote 1 2 3")
    result = council.say("刘书记", "/closepoll 1")[0]
    assert "月季 0 · 荷花 2 · 菊花 1" in result and "Outcome: 荷花." in result


def test_ranked_choice_is_counted_by_instant_runoff(council):
    raise_matter(council)
    to_vote(council, poll="ranked 修路 / 种花 / 装灯")
    council.say("张三", "/vote 1 1 2")
    council.say("李四", "/vote 1 1 2")
    council.say("王五", "/vote 1 2 1")
    council.pick("赵六", "装灯")
    assert council.pick("赵六", "种花")[0].startswith("赵六, your ballot in poll 1 is now: 装灯 > 种花.")
    assert council.pick("赵六", "装灯") == ["装灯 is already in your ranking; press Start over to change it."]
    council.say("刘书记", "/vote 1 2 1")
    result = council.say("刘书记", "/closepoll 1")[0]
    # first preferences 2 · 2 · 1: 装灯 goes out, 赵六's ballot moves to 种花, which wins 3 to 2
    assert "First preferences: 修路 2 · 种花 2 · 装灯 1" in result
    assert "Decided by instant runoff in 2 rounds." in result and "Outcome: 种花." in result


def test_hidden_results_show_only_at_close(tmp_path):
    chat = make(tmp_path, config={"council": {"hide_results": True}})
    try:
        raise_matter(chat)
        to_vote(chat)
        chat.pick("张三", "Agree")
        shown = chat.say("李四", "/vote 1")[0]
        assert "The results are shown when the poll closes." in shown and "Agree 1" not in shown
        result = chat.say("刘书记", "/closepoll 1")[0]
        assert "Agree 1 · Disagree 0 · Abstain 0" in result
    finally:
        chat.close()


def test_open_results_show_the_running_count(council):
    raise_matter(council)
    to_vote(council)
    council.pick("张三", "Agree")
    assert "Agree 1 · Disagree 0 · Abstain 0" in council.say("李四", "/vote 1")[0]


def test_counted_per_household_the_latest_vote_of_a_household_counts(tmp_path):
    chat = make(tmp_path, config={"council": {"counting": "household"}})
    try:
        for who, home in (("张三", "1-101"), ("李四", "1-101"), ("王五", "2-201"), ("赵六", "2-202")):
            assert chat.say(who, f"/household {home}") == [f"Noted: you belong to household {home}."]
        raise_matter(chat)
        to_vote(chat)
        chat.pick("张三", "Disagree")
        chat.pick("李四", "Agree")  # the same household: the later vote counts for both
        chat.pick("王五", "Agree")
        result = chat.say("刘书记", "/closepoll 1")[0]
        assert "Turnout: 2 of 4 households (50%)." not in result
        assert "Turnout: 2 of 3 households (67%)." in result
        assert "Agree 2 · Disagree 0 · Abstain 0" in result and "Outcome: passed." in result
    finally:
        chat.close()


def test_a_vote_on_a_closed_poll_is_refused_and_changes_nothing(council):
    raise_matter(council)
    to_vote(council)
    council.pick("张三", "Agree")
    council.say("刘书记", "/closepoll 1")
    before = _votes(council)
    assert council.say("李四", "/vote 1 no") == [
        "Poll 1 is closed; votes are no longer taken. Send /vote 1 to see the result."
    ]
    assert council.pick("李四", "Agree") == [
        "Poll 1 is closed; votes are no longer taken. Send /vote 1 to see the result."
    ]
    assert council.say("刘书记", "/closepoll 1") == ["Poll 1 is already closed."]
    assert _votes(council) == before
    assert "Outcome: passed." in council.say("李四", "/vote 1")[0]


def test_unknown_numbers_and_bad_choices_get_a_clear_answer(council):
    assert council.say("张三", "/matter 9") == ["There is no matter 9 here. Send /matters to see the open ones."]
    assert council.say("张三", "/support 9") == ["There is no matter 9 here. Send /matters to see the open ones."]
    assert council.say("刘书记", "/propose 9 x") == ["There is no matter 9 here. Send /matters to see the open ones."]
    assert council.say("张三", "/vote 3 yes") == ["There is no poll 3 here."]
    assert council.say("张三", "/matter abc") == [
        "“abc” is not a number I can use here: please give a whole number, such as 3. Use it like this: /matter NUMBER"
    ]
    raise_matter(council)
    assert council.say("刘书记", "/poll 1") == ["Only a proposal is put to the vote; first /propose 1 TEXT."]
    to_vote(council)
    assert council.say("张三", "/vote 1 maybe") == ["maybe is not a choice in poll 1. Send /vote 1 to see the choices."]
    assert council.say("张三", "/support 1") == ["张三 supports matter 1 (1 supporter(s))."]
    assert council.say("张三", "/support 1") == ["You already support matter 1."]
    assert _votes(council) == 0


def test_a_resident_of_another_district_reaches_nothing_here(tmp_path):
    village = DistrictSettings(
        id="village", name="Village", language="en", rooms=("test:village",), plugins=("core", "council")
    )
    chat = make(tmp_path, districts=[village])
    try:
        raise_matter(chat)
        to_vote(chat)
        from linli.core.events import Address, Inbound, Sender

        def village_says(text: str, private: bool = False) -> list[str]:
            before = len(chat.adapter.sent)
            room = Address("test", "@钱七" if private else "village")
            chat.submit(Inbound(chat._event_id(), room, Sender("test", "钱七", "钱七"), text=text, private=private))
            return [m.text for m in chat.adapter.sent[before:]]

        chat.outsider("钱七")  # in the village's group only
        chat._ensure("钱七")
        village_says("/whoami")
        assert village_says("/vote 1 yes", private=True) == ["There is no poll 1 here."]
        assert village_says("/support 1", private=True) == [
            "There is no matter 1 here. Send /matters to see the open ones."
        ]
        assert chat.say("陈主任", "/proxy 1 钱七 yes") == [
            "钱七 is not a resident here that I know of: they must have written in this community's group once."
        ]
        assert _votes(chat) == 0
    finally:
        chat.close()


def test_a_resident_may_not_move_a_matter_but_may_withdraw_their_own(council):
    raise_matter(council)
    for command in (
        "/propose 1 x",
        "/poll 1",
        "/merge 1 2",
        "/implement 1",
        "/done 1 x",
        "/review 1 2027-01-01",
        "/closepoll 1",
        "/refer 1",
    ):
        assert council.say("李四", command)[0].startswith(f"Sorry, {command.split()[0]} is only for: council member")
    assert council.say("李四", "/withdraw 1") == [
        "Only the resident who raised matter 1 or a council member may withdraw it."
    ]
    with council.runtime.store.connect() as conn:
        assert conn.execute(sa.select(matters.c.status)).scalar() == "open"
    assert council.say("张三", "/withdraw 1 已经有人修了") == ["Matter 1 is withdrawn."]
    assert council.say("张三", "/comment 1 x") == ["Matter 1 is withdrawn; it takes no more comments or support."]


def test_a_duplicate_is_merged_with_its_supporters_and_comments(council):
    raise_matter(council)
    raise_matter(council, who="李四", title="路灯不亮", text="3号楼门口的灯坏了一个月了")
    council.say("王五", "/support 2")
    council.say("王五", "/comment 2 我也觉得")
    assert council.say("刘书记", "/merge 2 1") == [
        "Matter 2 is merged into matter 1; its supporters and comments are carried over."
    ]
    shown = council.say("张三", "/matter 1")[0]
    assert "1 supporter(s)" in shown and "王五: 我也觉得" in shown
    assert "open for comment matter 2 was merged into this one" in shown
    assert "Merged into matter 1." in council.say("张三", "/matter 2")[0]
    assert council.say("刘书记", "/merge 1 2") == ["Matter 2 is closed; merge into an open matter."]


def test_a_vote_in_the_group_is_acknowledged_privately_when_the_voter_has_a_private_chat(council):
    raise_matter(council)
    to_vote(council)
    group_before = len(council.in_room("group"))
    council.pick("张三", "Agree")
    assert len(council.in_room("group")) == group_before
    assert council.last("张三", private=True).startswith("张三, your vote in poll 1 is recorded: Agree.")
    council.say("孙八", "/whoami")  # no private chat with the bot: the answer comes in the group
    assert council.pick("孙八", "Disagree")[0].startswith("孙八, your vote in poll 1 is recorded: Disagree.")
    assert council.last().startswith("孙八, your vote in poll 1 is recorded: Disagree.")
