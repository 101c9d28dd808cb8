"""Projects: milestones with dates, progress in percent from reports in chat, overdue milestones
flagged once to the first secretary and the work team."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from rural_work_helpers import make

from linli.core.storage import schema as s
from linli.plugins.rural.enterprise_tables import progress_reports


@pytest.fixture
def village(tmp_path):
    chat = make(tmp_path)
    chat.say("曲书记", "/project 草莓大棚29座")
    yield chat
    chat.close()


def flags(chat) -> list[str]:
    return [m for m in chat.run_jobs() if m.startswith("Overdue")]


def test_a_project_has_milestones_and_progress_from_chat(village):
    assert village.say("队员", "/milestone 1 2026-12-15 大棚主体完工") == [
        "Milestone 1.1 大棚主体完工, due 2026-12-15."
    ]
    village.say("队员", "/milestone 1 2027-03-31 草莓定植")
    assert village.say("队员", "/projectprogress 1 60% 已建成18座大棚") == ["Project #1 草莓大棚29座: 60% (was 0%)."]
    assert village.say("队员", "/projectprogress 1 75") == ["Project #1 草莓大棚29座: 75% (was 60%)."]
    assert village.say("队员", "/milestonedone 1 1") == ["Milestone 1.1 大棚主体完工 is done."]
    assert village.say("队员", "/milestonedone 1 1") == ["That milestone was done on 2026-11-26."]
    assert village.say("乡镇", "/projects") == ["Projects:\n#1 草莓大棚29座 · 75%\n  1.2 草莓定植 · due 2027-03-31"]
    with village.runtime.store.connect() as conn:
        reports = conn.execute(sa.select(progress_reports.c.progress, progress_reports.c.text)).all()
        assert [tuple(r) for r in reports] == [(60, "已建成18座大棚"), (75, "")]
        published = conn.execute(sa.select(s.outbox.c.payload).where(s.outbox.c.kind == "event")).scalars().all()
    assert sum("rural.progress_reported" in str(p) for p in published) == 2


def test_an_overdue_milestone_is_flagged_once(village):
    village.say("队员", "/milestone 1 2026-11-27 钢架到货")
    village.say("队员", "/milestone 1 2026-11-28 覆膜")
    village.run_jobs()
    village.advance(days=1)  # 27 November, due today: not late yet
    assert flags(village) == []
    village.say("队员", "/milestonedone 1 2")  # done early
    village.advance(days=1)  # 28 November
    flag = "Overdue: milestone 1.1 钢架到货 of 草莓大棚29座 was due on 2026-11-27 and is not done."
    assert flags(village) == [flag] * 3  # 曲书记, 队员, the staff room
    assert village.say("乡镇", "/projects") == ["Projects:\n#1 草莓大棚29座 · 0%\n  1.1 钢架到货 · overdue 2026-11-27"]
    village.advance(days=1)
    assert flags(village) == []
    assert not [m for m in village.in_room("group") if m.startswith("Overdue")]


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("/projectprogress 1 120%", "120% is not a percentage from 0 to 100."),
        ("/projectprogress 1 half", "half is not a percentage from 0 to 100."),
        ("/projectprogress 5 50", "There is no project #5. Send /projects to see them."),
        ("/milestone 1 2026/02/30 覆膜", "2026/02/30 is not a date; write it as 2029-05-31."),
        ("/milestone 1 2026-12-01", "Usage: /milestone PROJECT DATE TITLE"),
        ("/milestonedone 1 4", "Project #1 has no milestone 4."),
    ],
)
def test_bad_project_input_gets_a_clear_answer_and_nothing_changes(village, line, answer):
    assert village.say("队员", line)[0].startswith(answer)
    assert village.say("乡镇", "/projects") == ["Projects:\n#1 草莓大棚29座 · 0%"]
