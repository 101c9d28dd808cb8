"""Notices to rooms, tallies of notices posted and cards handed out, evaluations and figures."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from captains_helpers import CONFIG, PLUGINS, SHANGHAI, MediationPlugin, assign_captains, link, make

from linli.core.register import Registry
from linli.plugins.captains.tables import evaluations, notices


def test_a_notice_goes_to_the_rooms_of_a_grid_and_its_buildings(cap):
    chat, _ = cap
    assert chat.say("王主任", "/notice Grid2 周六上午停水")[-1] == "Notice 1 goes to 1 room(s)."
    assert chat.in_room("b3") == ["Notice 1: 周六上午停水"]
    assert "Notice 2 goes to 3 room(s)." in chat.say("王主任", "/notice all 冬季防火，请勿在楼道堆放杂物")
    for room in ("group", "grid1", "b3"):
        assert "Notice 2: 冬季防火，请勿在楼道堆放杂物" in chat.in_room(room)
    assert chat.say("王主任", "/notice B2 电梯检修") == [
        "B2 has no chat room bound to it, so there is nowhere to send the notice. A room is bound in the "
        "settings: grid_rooms or building_rooms under the captains plugin's configuration."
    ]
    assert chat.say("王主任", "/notice Grid9 电梯检修") == ["There is no grid or building Grid9 in this community."]
    assert chat.say("张三", "/notice all 广告") == ["Sorry, /notice is only for: community worker."]
    with chat.runtime.store.connect() as conn:
        assert conn.execute(sa.select(notices.c.rooms).order_by(notices.c.number)).scalars().all() == [1, 3]


def test_a_notice_to_all_leaves_out_the_rooms_where_a_team_works(tmp_path):
    config = {**CONFIG, "mediation": {"team_room": "test:mediators"}}
    chat, _ = make(tmp_path, plugins=[*PLUGINS, MediationPlugin], config=config, rooms=("test:mediators",))
    assert "Notice 1 goes to 3 room(s)." in chat.say("王主任", "/notice all 明天停水")
    assert chat.in_room("mediators") == []
    assert "Notice 1: 明天停水" in chat.in_room("group")


def test_captains_tally_notices_posted_and_cards_handed_out(cap):
    chat, _ = cap
    assign_captains(chat)
    assert chat.say("居务乙", "/tally B1 notices 40") == ["B1: 40 notices posted recorded, 40 in all."]
    assert chat.say("居务乙", "/tally B1 明白卡 60") == ["B1: 60 cards handed out recorded, 60 in all."]
    assert chat.say("居务乙", "/tally B1 cards 30") == ["B1: 30 cards handed out recorded, 90 in all."]
    assert chat.say("居务乙", "/tally B3 cards 30") == ["Only the captains of B3 report for it."]
    assert chat.say("居务乙", "/tally B1 cards 0") == [
        "“0” is not a number I can use here: please give a whole number from 1 to 10000. "
        "Use it like this: /tally BUILDING notices|cards COUNT"
    ]
    assert chat.say("居务乙", "/tally B1 posters 3") == [
        "Usage: /tally BUILDING notices|cards COUNT, for example /tally 2号楼 cards 40"
    ]


def test_the_government_captain_rates_the_resident_captain_and_only_staff_see_it(cap):
    chat, _ = cap
    assign_captains(chat)
    assert chat.say("居务乙", "/evaluate B1", private=True) == [
        "Only the government-affairs captain of B1 rates its resident-affairs captain."
    ]
    assert chat.say("政务甲", "/evaluate B2", private=True) == ["B2 has no resident-affairs captain to rate."]
    assert chat.say("政务甲", "/evaluate B1", private=True) == [
        "Sweeps and visits: how well, from 1 (poor) to 5 (excellent)?"
    ]
    chat.pick("政务甲", "5", private=True)
    chat.pick("政务甲", "4", private=True)
    chat.pick("政务甲", "5", private=True)
    assert chat.pick("政务甲", "3", private=True) == [
        "Thank you: the evaluation for 2026Q4 is saved. Only the community's staff see it."
    ]
    assert chat.say("居务乙", "/evaluations", private=True) == ["Sorry, /evaluations is only for: community worker."]
    assert chat.say("王主任", "/evaluations", private=True) == [
        "Evaluations 2026Q4:\nB1 · 居务乙 · 4.2 (Sweeps and visits 5, Notices and publicity 4, "
        "Help with residents' needs 5, Captain day and meetings 3)"
    ]
    with chat.runtime.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(evaluations)).scalar() == 4


def test_staff_see_the_figures_of_a_captain_a_building_a_grid_and_the_district(cap):
    chat, _ = cap
    assign_captains(chat)
    chat.say("王主任", "/sweep 冬季排查")
    chat.pick("王主任", "The whole community")
    chat.say("王主任", "7")
    chat.say("居务乙", "/visit", private=True)
    chat.pick("居务乙", "All well", private=True)
    chat.pick("居务乙", "Special household", private=True)
    chat.say("居务乙", "/special 1-102 alone_elderly", private=True)
    chat.say("居务乙", "/tally B1 cards 30")
    chat.say("张三", "/need 灯坏了")
    chat.say("居务乙", "/needtake 1")
    chat.say("居务乙", "/needresolve 1")
    expected = (
        "Figures of 居务乙:\nSweeps taken part in: 1\nHouseholds visited: 2\nNotices posted: 0\n"
        "Cards handed out: 30\nSpecial households registered: 1\nNeeds resolved: 1\nMedian days to resolve: 0.0\n"
        "Needs passed up beyond the grid (the exception): 0"
    )
    assert chat.say("王主任", "/captainstats 居务乙") == [expected]
    assert chat.say("王主任", "/captainstats Grid2")[0].splitlines()[2] == "Households visited: 0"
    assert chat.say("王主任", "/captainstats B1")[0].splitlines()[2] == "Households visited: 2"
    assert chat.say("王主任", "/captainstats")[0].startswith("Figures of Test Community:")
    assert chat.say("王主任", "/captainstats 无此人") == ["There is no grid, building or captain 无此人 here."]
    assert chat.say("居务乙", "/captainstats") == ["Sorry, /captainstats is only for: community worker."]


def test_government_captains_are_reminded_to_rate_before_the_quarter_ends(tmp_path):
    chat, _ = make(tmp_path, now=dt.datetime(2026, 11, 30, 12, 0, tzinfo=SHANGHAI))
    try:
        assign_captains(chat)
        chat.run_jobs()
        chat.advance(days=1)  # 1 December, 12:00: the last month of 2026Q4
        reminders = [m for m in chat.run_jobs() if m.startswith("Evaluations")]
        assert reminders == [
            "Evaluations 2026Q4: please rate the resident-affairs captain of B1 before the quarter ends "
            "(/evaluate BUILDING)."
        ]
        assert chat.last("政务甲", private=True) == reminders[0]
    finally:
        chat.close()


def test_a_rated_captain_who_links_their_account_keeps_one_rating_per_criterion(cap):
    chat, _ = cap
    assign_captains(chat)
    chat.say("政务甲", "/evaluate B1", private=True)
    for score in ("5", "4", "5", "3"):
        chat.pick("政务甲", score, private=True)
    with chat.runtime.store.begin() as conn:  # 居务乙's register entry, rated on one criterion too
        reg = Registry(conn, "test", actor="cli:test")
        household = reg.household("B2", "2-102")
        assert household is not None
        entry = reg.add_person(household.id, "居务乙", relation="户主").resident.person_id
        first = conn.execute(sa.select(evaluations).order_by(evaluations.c.id)).first()
        assert first is not None
        conn.execute(sa.insert(evaluations).values({**first._asdict(), "id": None, "ratee_id": entry, "score": 1}))

    assert link(chat, "居务乙", entry)[0].startswith("Done: your account is now linked")

    with chat.runtime.store.connect() as conn:
        rated = conn.execute(sa.select(evaluations.c.ratee_id, evaluations.c.score).order_by(evaluations.c.id)).all()
    assert [tuple(r) for r in rated] == [(entry, 4), (entry, 5), (entry, 3), (entry, 1)]
