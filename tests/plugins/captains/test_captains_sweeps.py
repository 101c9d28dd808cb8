"""Sweeps (排查): a campaign, captains marking households in a few taps, zero reports, coverage,
reminders and the summary at the deadline."""

from __future__ import annotations

import sqlalchemy as sa
from captains_helpers import assign_captains

from linli.plugins.captains.tables import visits


def start_sweep(chat, scope: str = "The whole community", names: str = "", deadline: str = "7") -> list[str]:
    chat.say("王主任", "/sweep 冬季供暖排查")
    out = chat.pick("王主任", scope)
    if names:
        out = chat.say("王主任", names)
    return chat.say("王主任", deadline) if out else out


def test_staff_start_a_sweep_and_captains_are_told(cap):
    chat, _ = cap
    assign_captains(chat)
    assert chat.say("王主任", "/sweep 冬季供暖排查") == ["Which households does it cover?"]
    assert chat.pick("王主任", "The whole community") == [
        "By when must it be done? Send a date (2026-12-10) or a number of days (7)."
    ]
    assert chat.say("王主任", "明天") == [
        "Please send a date from today within a year (2026-12-10), or a number of days (7)."
    ]
    out = chat.say("王主任", "2026-12-03")
    assert out[0] == (
        "Sweep 1 is started: 3 building(s), 6 household(s), due 2026-12-03. "
        "Captains are told; see how far it is with /coverage 1."
    )
    assert chat.last("政务甲", private=True) == (
        "A sweep is starting in your buildings: 冬季供暖排查 (sweep 1, due 2026-12-03). "
        "Send /visit to mark the households one by one."
    )
    assert chat.last("居务乙", private=True).startswith("A sweep is starting")


def test_a_captain_marks_households_in_a_few_taps_with_a_note(cap):
    chat, ids = cap
    assign_captains(chat)
    start_sweep(chat)
    assert chat.say("居务乙", "/visit", private=True) == [
        "Sweep 1 · household B1/1-101: what did you find?\n3 household(s) left to visit."
    ]
    assert chat.pick("居务乙", "All well", private=True) == [
        "B1/1-101: All well. (Write a note now if there is something to add.)",
        "Sweep 1 · household B1/1-102: what did you find?\n2 household(s) left to visit.",
    ]
    chat.pick("居务乙", "Needs help", private=True)
    assert chat.say("居务乙", "独居老人，暖气不热", private=True) == ["Noted."]
    chat.pick("居务乙", "Nobody at home", private=True)
    assert chat.last("居务乙", private=True) == ("Every household of your buildings is marked in sweep 1. Thank you!")
    with chat.runtime.store.connect() as conn:
        rows = conn.execute(
            sa.select(visits.c.household_id, visits.c.outcome, visits.c.note).order_by(visits.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (ids["B1/1-101"], "ok", ""),
        (ids["B1/1-102"], "help", "独居老人，暖气不热"),
        (ids["B1/1-201"], "absent", ""),
    ]


def test_coverage_per_district_grid_and_building(cap):
    chat, _ = cap
    assign_captains(chat)
    start_sweep(chat)
    chat.say("居务乙", "/visit", private=True)
    chat.pick("居务乙", "All well", private=True)
    chat.say("政务丙", "/zero B3")
    assert chat.say("王主任", "/coverage") == [
        "Sweep 1 (冬季供暖排查), under way, due 2026-12-03: 2 of 6 household(s) (33%), 1 of 3 building(s) complete.\n"
        "Grid1: 1/5 (20%), 0/2 building(s)\n"
        "Grid2: 1/1 (100%), 1/1 building(s)"
    ]
    assert chat.say("王主任", "/coverage 1 Grid1") == [
        "Sweep 1 (冬季供暖排查), under way, due 2026-12-03: 1 of 5 household(s) (20%), 0 of 2 building(s) complete.\n"
        "B1: 1/3 (33%)\n"
        "B2: 0/2 (0%)"
    ]
    # a captain sees their own buildings only
    assert chat.say("政务丙", "/coverage") == [
        "Sweep 1 (冬季供暖排查), under way, due 2026-12-03: 1 of 1 household(s) (100%), 1 of 1 building(s) complete.\n"
        "B3: 1/1 (100%) (zero report)"
    ]
    assert chat.say("张三", "/coverage") == ["Coverage is for the community's staff and its building captains."]
    # the grid worker of Grid1 sees its two buildings
    assert chat.say("网格员", "/coverage")[0].splitlines()[1:] == ["B1: 1/3 (33%)", "B2: 0/2 (0%)"]


def test_bad_marks_change_nothing(cap):
    chat, _ = cap
    assign_captains(chat)
    assert chat.say("居务乙", "/visit", private=True) == ["No sweep is open for your buildings."]
    assert chat.say("居务乙", "/visit") == ["Use /visit in a private chat with me, not in the group."]
    start_sweep(chat)
    assert chat.say("居务乙", "/visit 3-101", private=True) == [
        "Household B3/3-101 is not in your buildings; its own captains mark it."
    ]
    assert chat.say("居务乙", "/visit 9-999", private=True) == ["There is no household 9-999 here."]
    assert chat.say("张三", "/visit", private=True) == ["Only a building's captains mark its households in a sweep."]
    assert chat.say("居务乙", "/zero B3") == ["Only the captains of B3 report for it."]
    assert chat.say("居务乙", "/zero B9") == [
        "There is no building B9 in this community. Send /mybuildings to see yours."
    ]
    assert chat.say("张三", "/sweep 排查") == ["Sorry, /sweep is only for: community worker."]
    chat.say("居务乙", "/visit", private=True)
    chat.say("王主任", "/closesweep 1")
    assert chat.pick("居务乙", "All well", private=True) == ["Sweep 1 is closed; nothing more can be recorded in it."]
    assert chat.say("政务丙", "/zero B3 1") == ["Sweep 1 is closed; nothing more can be recorded in it."]
    with chat.runtime.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(visits)).scalar() == 0


def test_a_sweep_over_some_grids_covers_only_their_buildings(cap):
    chat, _ = cap
    assign_captains(chat)
    assert chat.say("王主任", "/sweep 防汛排查") == ["Which households does it cover?"]
    chat.pick("王主任", "Some grids")
    assert chat.say("王主任", "Grid9") == ["There is no grid Grid9 in this community."]
    chat.say("王主任", "Grid2")
    assert chat.say("王主任", "3")[0].startswith("Sweep 1 is started: 1 building(s), 1 household(s)")
    assert chat.say("居务乙", "/visit", private=True) == ["No sweep is open for your buildings."]


def test_captains_behind_schedule_are_reminded_and_the_summary_goes_to_the_room_at_the_deadline(cap):
    chat, _ = cap
    assign_captains(chat)
    start_sweep(chat, deadline="4")  # Thursday 26 November, due Monday 30 November
    chat.say("政务丙", "/zero B3")
    chat.run_jobs()
    chat.advance(days=2)  # Saturday, 09:00: half the time has gone
    sent = chat.run_jobs()
    reminders = [m for m in sent if m.startswith("Sweep 1 is due")]
    assert reminders == [
        "Sweep 1 is due 2026-11-30: 0 of 5 household(s) of your buildings are marked. Send /visit to go on.",
        "Sweep 1 is due 2026-11-30: 0 of 3 household(s) of your buildings are marked. Send /visit to go on.",
    ]
    assert not [m for m in chat.last("政务丙", private=True).splitlines() if m.startswith("Sweep 1 is due")]
    chat.advance(days=3)  # Tuesday 1 December: past the deadline
    chat.run_jobs()
    summary = chat.in_room("community")[-1]
    assert summary.startswith("Sweep 1 (冬季供暖排查), closed, due 2026-11-30: 1 of 6 household(s) (16%)")
    assert summary.endswith("Outcomes: —; zero reports: 1.")
    assert chat.say("王主任", "/closesweep 1") == ["Sweep 1 is closed; nothing more can be recorded in it."]


def test_a_deadline_in_odd_numbers_gets_a_clear_answer(cap):
    chat, _ = cap
    chat.say("王主任", "/sweep 防火排查")
    chat.pick("王主任", "The whole community")
    wrong = ["Please send a date from today within a year (2026-12-10), or a number of days (7)."]
    for text in ("²", "999999999", "2030-01-01", "-3", "2026-02-30"):
        assert chat.say("王主任", text) == wrong
    assert chat.say("王主任", "７")[0].startswith("Sweep 1 is started: 3 building(s), 6 household(s), due 2026-12-03.")


def test_a_bare_number_picks_an_outcome_and_is_never_taken_for_a_note(cap):
    chat, ids = cap
    assign_captains(chat)
    start_sweep(chat)
    chat.say("居务乙", "/visit", private=True)
    chat.say("居务乙", "3", private=True)  # 1-101: Needs help
    chat.say("居务乙", "暖气不热", private=True)  # its note
    assert chat.say("居务乙", "1", private=True)[0] == (
        "B1/1-102: All well. (Write a note now if there is something to add.)"
    )
    assert chat.say("居务乙", "9", private=True) == ["Please pick one of the choices above."]
    with chat.runtime.store.connect() as conn:
        rows = conn.execute(sa.select(visits.c.household_id, visits.c.outcome, visits.c.note).order_by(visits.c.id))
        assert [tuple(r) for r in rows] == [(ids["B1/1-101"], "help", "暖气不热"), (ids["B1/1-102"], "ok", "")]
