"""Pairing (结对帮扶): units paired with households many to many, visits logged by the helper or for
them by the team, and the Monday flag of pairs without a visit for longer than the limit."""

from __future__ import annotations

from rural_helpers import jobs, rows

from linli.plugins.rural.tables import measures, visits


def test_units_and_households_pair_many_to_many(village):
    chat, _ = village
    assert chat.say("队员甲", "/pair 区财政局 一组/12 李干部") == ["Pair 1: 区财政局 with household 一组/12."]
    assert chat.say("队员甲", "/pair 区财政局 一组/14") == ["Pair 2: 区财政局 with household 一组/14."]
    assert chat.say("曲书记", "/pair 沈阳海关 一组/12") == ["Pair 3: 沈阳海关 with household 一组/12."]
    assert chat.say("曲书记", "/pair 沈阳海关 一组/12") == ["沈阳海关 is already paired with household 一组/12."]
    listed = chat.say("李干部", "/pairs", private=True)[0]
    assert "1. 区财政局 — 一组/12" in listed and "2. 区财政局 — 一组/14" in listed and "沈阳海关" not in listed
    assert chat.say("曲书记", "/unpair 3") == ["Pair 3 has ended; its visits are kept."]
    assert chat.say("曲书记", "/unpair 3") == ["There is no pair 3 in force."]


def test_a_helper_logs_a_visit_and_the_team_logs_one_for_them(village):
    chat, _ = village
    chat.say("队员甲", "/pair 区财政局 一组/12")
    assert chat.say("李干部", "/helpvisit 一组/12 了解春耕") == ["Visit to household 一组/12 logged. Thank you."]
    chat.advance(days=3)
    assert chat.say("队员甲", "/helpvisit 一组/12 for=李干部 送化肥") == [
        "Visit to household 一组/12 logged for 李干部."
    ]
    assert chat.say("李干部", "/pairmeasure 一组/12 产业 草莓大棚一座", private=True) == [
        "Measure for household 一组/12 logged: industry support."
    ]
    logged = rows(chat, visits)
    assert [(v.visited_on.isoformat(), v.note) for v in logged] == [
        ("2026-11-26", "了解春耕"),
        ("2026-11-29", "送化肥"),
    ]
    assert logged[0].visitor_id == logged[1].visitor_id != logged[1].logged_by
    assert [(m.kind, m.note) for m in rows(chat, measures)] == [("industry", "草莓大棚一座")]
    # a helper of another unit may not log for this pair, nor log for someone else
    chat.grant("王五", "helper", "unit:沈阳海关")
    assert chat.say("王五", "/helpvisit 一组/12") == ["No pair in force links household 一组/12 with that helper."]
    assert chat.say("李干部", "/helpvisit 一组/12 for=王五") == ["Only the village work team logs visits for a helper."]
    assert len(rows(chat, visits)) == 2


def test_pairs_without_a_visit_for_longer_than_the_limit_are_flagged_each_monday(village):
    chat, _ = village
    chat.say("队员甲", "/pair 区财政局 一组/12 李干部")
    chat.say("队员甲", "/pair 沈阳海关 一组/14")
    jobs(chat)  # Thursday 26 Nov: starts the schedule
    chat.advance(days=4)  # Monday 30 Nov: nothing is overdue yet
    assert jobs(chat) == []
    chat.advance(days=25)  # Christmas day, a Friday
    chat.say("李干部", "/helpvisit 一组/12 回访")
    chat.advance(days=3)  # Monday 28 Dec: pair 2 has had no visit for 32 days
    assert jobs(chat) == ["1 pair has had no visit for more than 30 days:\n2. 沈阳海关 — 一组/14"]
    assert chat.in_room("@曲书记")[-1] == "1 pair has had no visit for more than 30 days:\n2. 沈阳海关 — 一组/14"
    assert "⚠" in chat.say("曲书记", "/pairs", private=True)[0]


def test_the_limit_is_the_districts_own(tmp_path):
    from rural_helpers import CONFIG, make

    chat, _ = make(tmp_path, config={"rural": {**CONFIG["rural"], "pair_visit_days": 3}})
    try:
        chat.say("队员甲", "/pair 区财政局 一组/12")
        jobs(chat)
        chat.advance(days=4)  # Monday 30 Nov
        assert jobs(chat) == ["1 pair has had no visit for more than 3 days:\n1. 区财政局 — 一组/12"]
    finally:
        chat.close()


def test_the_team_logs_a_visit_of_an_earlier_day_but_not_one_before_the_pairing(village):
    chat, _ = village
    chat.say("队员甲", "/pair 区财政局 一组/12 李干部")
    chat.advance(days=10)  # 6 Dec
    assert chat.say("队员甲", "/helpvisit 一组/12 for=李干部 on=2026-12-01 送米") == [
        "Visit to household 一组/12 logged for 李干部."
    ]
    assert chat.say("队员甲", "/helpvisit 一组/12 for=李干部 on=2026-11-01") == [
        "A visit is logged between the day of the pairing and today."
    ]
    assert chat.say("队员甲", "/helpvisit 一组/12 for=李干部 on=2026-12-31") == [
        "A visit is logged between the day of the pairing and today."
    ]
    assert chat.say("队员甲", "/helpvisit 一组/12 for=李干部 on=昨天") == [
        "Please write the day as YYYY-MM-DD, for example 2026-12-01."
    ]
    assert [(v.visited_on.isoformat(), v.note) for v in rows(chat, visits)] == [("2026-12-01", "送米")]
