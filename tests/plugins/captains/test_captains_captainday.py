"""Captain day (楼长日): the first Friday of the month or the next working day; the agenda the day
before; minutes and action items after."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from captains_helpers import SHANGHAI, assign_captains, make

from linli.core.calendar import WorkingDays
from linli.plugins.captains.calendar import captain_day, next_captain_day
from linli.plugins.captains.tables import action_items, captain_days

CALENDAR = WorkingDays()


def test_captain_day_is_the_first_friday_of_the_month():
    assert captain_day(2026, 11, CALENDAR.is_working_day) == dt.date(2026, 11, 6)
    assert captain_day(2026, 12, CALENDAR.is_working_day) == dt.date(2026, 12, 4)


def test_a_first_friday_in_the_national_day_holiday_moves_to_the_next_working_day():
    # 2 October 2026 falls in the National Day week (1–7 October): captain day is Thursday 8 October
    assert captain_day(2026, 10, CALENDAR.is_working_day) == dt.date(2026, 10, 8)
    assert next_captain_day(dt.date(2026, 10, 3), CALENDAR.is_working_day) == dt.date(2026, 10, 8)
    assert next_captain_day(dt.date(2026, 10, 9), CALENDAR.is_working_day) == dt.date(2026, 11, 6)


def test_a_district_can_choose_another_week_and_weekday():
    assert captain_day(2026, 11, CALENDAR.is_working_day, week=2, weekday=3) == dt.date(2026, 11, 11)
    with pytest.raises(ValueError):
        captain_day(2026, 11, CALENDAR.is_working_day, week=5)


def test_the_agenda_goes_to_each_grid_the_day_before_across_the_holiday(tmp_path):
    chat, _ = make(tmp_path, now=dt.datetime(2026, 9, 30, 9, 30, tzinfo=SHANGHAI))
    try:
        assign_captains(chat)
        chat.say("张三", "/need 楼道灯坏了")
        chat.run_jobs()
        for _ in range(6):  # 1 to 6 October: no agenda, the holiday moved captain day
            chat.advance(days=1)
            assert not [m for m in chat.run_jobs() if m.startswith("Captain day")]
        chat.advance(days=1)  # 7 October, 09:30: the day before Thursday 8 October
        agendas = [m for m in chat.run_jobs() if m.startswith("Captain day")]
        assert agendas[0] == (
            "Captain day 2026-10-08, Grid1: agenda\n"
            "1. Urgent needs: 1 open (#1), 0 overdue, 0 passed up.\n"
            "2. No sweep yet.\n"
            "3. Evaluations 2026Q4: 0 of 1 resident-affairs captain(s) rated.\n"
            "4. Care plans due for review within a month: 0.\n"
            "5. Other matters of the month."
        )
        assert chat.in_room("grid1") == [agendas[0]]  # Grid1's own room
        assert chat.in_room("community")[-1].startswith("Captain day 2026-10-08, Grid2: agenda")
        assert "楼道灯" not in "\n".join(agendas)
        chat.advance(days=1)
        assert not [m for m in chat.run_jobs() if m.startswith("Captain day")]
    finally:
        chat.close()


def test_minutes_and_action_items_are_recorded_after_captain_day(tmp_path):
    chat, _ = make(tmp_path, now=dt.datetime(2026, 11, 6, 16, 0, tzinfo=SHANGHAI))
    try:
        assign_captains(chat)
        assert chat.say("居务乙", "/captainday")[0].startswith("The next captain day is 2026-11-06.")
        assert chat.say("居务乙", "/dayminutes 讨论了冬季供暖和独居老人走访") == [
            "The minutes of captain day 2026-11-06 are recorded."
        ]
        assert chat.say("居务乙", "/dayaction 下周前完成1号楼暖气排查") == [
            "Action item 1 of captain day 2026-11-06 is recorded."
        ]
        assert chat.say("张三", "/dayminutes 我也来记") == [
            "Only the grid's captains, its workers and staff record its captain day."
        ]
        assert chat.say("王主任", "/dayminutes Grid2 三号楼无新情况") == [
            "The minutes of captain day 2026-11-06 are recorded."
        ]
        with chat.runtime.store.connect() as conn:
            days = conn.execute(sa.select(captain_days.c.grid_id, captain_days.c.minutes)).all()
            assert sorted(tuple(d) for d in days) == [(1, "讨论了冬季供暖和独居老人走访"), (2, "三号楼无新情况")]
            assert conn.execute(sa.select(action_items.c.text)).scalars().all() == ["下周前完成1号楼暖气排查"]
    finally:
        chat.close()
