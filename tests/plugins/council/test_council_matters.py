"""A matter from raising to done: raise → comment → support → proposal → poll → votes → close →
outcome → implementing → done, each step recorded; and the API other parts of the plugin use."""

from __future__ import annotations

import sqlalchemy as sa
from council_helpers import raise_matter, to_vote

from linli.plugins.council.tables import history, matters


def test_a_matter_goes_from_raising_to_done(council):
    assert raise_matter(council) == [
        "Matter 1 is raised: 3号楼前路灯坏了 (Repairs and facilities). Neighbours, comment with /comment 1 TEXT "
        "and support it with /support 1 or the button."
    ]
    assert council.say("李四", "/comment 1 同意，晚上太黑") == [
        "Thank you, 李四: your comment on matter 1 is recorded."
    ]
    assert council.pick("王五", "Support") == ["王五 supports matter 1 (1 supporter(s))."]
    assert council.say("李四", "/support 1") == ["李四 supports matter 1 (2 supporter(s))."]
    announcement = to_vote(council)
    assert announcement[-1].startswith("Poll 1 (agree / disagree / abstain): 在3号楼前加装两盏路灯")
    council.pick("张三", "Agree")
    council.pick("李四", "Agree")
    council.pick("王五", "Disagree")
    result = council.say("刘书记", "/closepoll 1")
    assert result == [
        "Poll 1 is closed: 在3号楼前加装两盏路灯，费用从公共收益中支出\n"
        "Turnout: 3 of 3 eligible voters (100%).\n"
        "Quorum (more than 50% taking part): met.\n"
        "Agree 2 · Disagree 1 · Abstain 0\n"
        "Outcome: passed.\n"
        "Matter 1 is now: passed."
    ]
    assert council.say("刘书记", "/implement 1") == ["Matter 1 is being implemented."]
    assert council.say("刘书记", "/done 1 两盏路灯已装好") == ["Matter 1 is done. Thank you, neighbours!"]
    with council.runtime.store.connect() as conn:
        row = conn.execute(sa.select(matters)).one()
        assert (row.status, row.outcome, row.review_on.isoformat()) == ("done", "passed", "2026-12-26")
        moves = conn.execute(sa.select(history.c.state_from, history.c.state_to).order_by(history.c.id)).all()
    assert [tuple(m) for m in moves] == [
        (None, "open"),
        ("open", "proposal"),
        ("proposal", "voting"),
        ("voting", "passed"),
        ("passed", "implementing"),
        ("implementing", "done"),
    ]
    shown = council.say("张三", "/matter 1")[0]
    assert "done" in shown and "李四: 同意，晚上太黑" in shown
    assert "Poll 1 (agree / disagree / abstain): passed" in shown
