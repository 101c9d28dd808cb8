"""议事会: a meeting called with an agenda of the open matters, check-in with a short code read out
at the meeting, minutes, decisions linked to matters, and the meeting record ledger."""

from __future__ import annotations

import re

import openpyxl
import sqlalchemy as sa
from council_helpers import raise_matter

from linli.core.export import export_ledger
from linli.plugins.council.community_tables import agenda, attendance, meetings


def call(chat) -> str:  # type: ignore[no-untyped-def]
    """刘书记 calls meeting 1 for Thursday 3 December 2026, 19:00; returns its check-in code."""
    chat.say("刘书记", "/callmeeting 2026-12-03 19:00 红邻议事亭")
    found = re.search(r"check-in code of council meeting 1 is (\d{4})", chat.last("刘书记", private=True))
    assert found is not None
    return found.group(1)


def test_a_meeting_is_called_attended_minuted_and_its_decisions_linked_to_matters(council):
    raise_matter(council)
    raise_matter(council, "李四", "水塘清淤栽荷花", "景观水塘淤泥多，夏天有味道", "Greenery")
    sent = council.say("刘书记", "/callmeeting 2026-12-03 19:00 红邻议事亭")
    assert sent[0] == (
        "Council meeting 1: 12/3/26, 7:00\u202fPM, 红邻议事亭 (scheduled)\nAgenda:\n"
        "1. matter 1 3号楼前路灯坏了 (open for comment)\n2. matter 2 水塘清淤栽荷花 (open for comment)"
    )
    code = re.search(r"is (\d{4})\.", sent[1]).group(1)  # type: ignore[union-attr]
    assert sent[1] == (
        f"The check-in code of council meeting 1 is {code}. Read it out at the meeting; those present "
        f"send /checkin {code}."
    )
    assert council.in_room("@刘书记")[-1] == sent[1]
    assert code not in council.in_room("group")[-1]

    assert council.say("张三", f"/checkin {code}") == [
        "Check-in for council meeting 1 is open from an hour before it starts until it ends."
    ]
    council.advance(days=7, hours=9, minutes=30)  # 3 December, 18:30
    assert council.say("张三", f"/checkin {code}") == [
        "Welcome, 张三! You are checked in at council meeting 1 (1 present)."
    ]
    assert council.say("李四", f"/签到 {code}", private=True) == [
        "Welcome, 李四! You are checked in at council meeting 1 (2 present)."
    ]
    wrong = "0000" if code != "0000" else "1111"
    assert council.say("王五", f"/checkin {wrong}") == [
        "That check-in code is not right; please check it with the meeting's host."
    ]
    assert council.say("张三", f"/checkin {code}") == ["You are already checked in at council meeting 1."]

    assert council.say("刘书记", "/minutes 1 居民代表到会，讨论了路灯和水塘") == [
        "Added to the minutes of council meeting 1."
    ]
    assert council.say("刘书记", "/decision 1 2 同意清淤后栽种荷花，下周六组织志愿者") == [
        "Council meeting 1 decided on matter 2: 同意清淤后栽种荷花，下周六组织志愿者"
    ]
    summary = council.say("刘书记", "/closemeeting 1")[0]
    assert summary.splitlines() == [
        "Council meeting 1: 12/3/26, 7:00\u202fPM, 红邻议事亭 (closed)",
        "Agenda:",
        "1. matter 1 3号楼前路灯坏了 (open for comment)",
        "2. matter 2 水塘清淤栽荷花 (open for comment)",
        "   decided: 同意清淤后栽种荷花，下周六组织志愿者",
        "Checked in: 2.",
        "Minutes:",
        "居民代表到会，讨论了路灯和水塘",
    ]
    assert council.say("赵六", f"/checkin {code}") == [
        "That check-in code is not right; please check it with the meeting's host."
    ]
    with council.runtime.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(attendance)).scalar() == 2


def test_residents_see_the_meetings_and_the_agenda_but_not_the_code(council):
    raise_matter(council)
    code = call(council)
    assert council.say("张三", "/meetings") == [
        "Council meetings (send /meeting NUMBER for the agenda):\n#1 12/3/26, 7:00\u202fPM, 红邻议事亭 (scheduled)"
    ]
    assert code not in council.say("张三", "/meeting 1", private=True)[0]
    assert council.say("刘书记", "/meeting 1", private=True)[0].endswith(f"Check-in code: {code}")
    assert code not in council.say("刘书记", "/meeting 1")[0]  # not in the group


def test_a_decision_on_a_matter_not_on_the_agenda_adds_it(council):
    call(council)  # no open matters yet
    assert "No open matters for the agenda yet." in council.say("张三", "/meeting 1")[0]
    raise_matter(council)
    council.say("刘书记", "/decision 1 1 请物业本周修好")
    with council.runtime.store.connect() as conn:
        item = conn.execute(sa.select(agenda)).one()
        assert (item.position, item.decision) == (1, "请物业本周修好")


def test_bad_input_gets_a_clear_answer_and_changes_nothing(council):
    assert council.say("张三", "/callmeeting 2026-12-03 19:00")[0].startswith("Sorry, /callmeeting is only for")
    assert council.say("刘书记", "/callmeeting tomorrow evening")[0].startswith("Usage: /callmeeting DATE TIME")
    assert council.say("刘书记", "/callmeeting 2026-02-30 19:00")[0].startswith("Usage: /callmeeting DATE TIME")
    assert council.say("刘书记", "/callmeeting 2026-11-01 19:00") == [
        "That time has passed; please give a time to come."
    ]
    assert council.say("张三", "/meeting 3") == ["There is no council meeting 3 here. Send /meetings to see them."]
    assert council.say("张三", "/checkin 1234") == [
        "That check-in code is not right; please check it with the meeting's host."
    ]
    call(council)
    assert council.say("张三", "/minutes 1 我来写")[0].startswith("Sorry, /minutes is only for")
    assert council.say("刘书记", "/decision 1 7 同意") == [
        "There is no matter 7 here. Send /matters to see the open ones."
    ]
    assert council.say("张三", "/closemeeting 1")[0].startswith("Sorry, /closemeeting is only for")
    council.say("刘书记", "/closemeeting 1")
    assert council.say("刘书记", "/closemeeting 1") == ["Council meeting 1 is already closed."]
    with council.runtime.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(meetings)).scalar() == 1
        assert conn.execute(sa.select(meetings.c.minutes)).scalar() == ""


def test_the_meeting_record_ledger_has_a_row_per_agenda_item(council, tmp_path):
    raise_matter(council)
    raise_matter(council, "李四", "水塘清淤栽荷花", "景观水塘淤泥多", "Greenery")
    code = call(council)
    council.advance(days=7, hours=10)
    council.say("张三", f"/checkin {code}")
    council.say("刘书记", "/decision 1 2 同意清淤")
    council.say("刘书记", "/minutes 1 到会1人")
    result = export_ledger(
        council.runtime.store,
        council.runtime.registry,
        "council.meetings",
        "test",
        actor="cli:tester",
        path=tmp_path / "meetings.xlsx",
        clock=council.clock,
    )
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(result.path).active.iter_rows()]
    assert rows[0] == [
        "Meeting number",
        "Time",
        "Place",
        "State",
        "Present",
        "Matter number",
        "Matter",
        "Decision",
        "Minutes",
    ]
    assert rows[1:] == [
        [1, "2026-12-03 19:00", "红邻议事亭", "scheduled", 1, 1, "3号楼前路灯坏了", None, "到会1人"],
        [1, "2026-12-03 19:00", "红邻议事亭", "scheduled", 1, 2, "水塘清淤栽荷花", "同意清淤", "到会1人"],
    ]


def test_a_meeting_called_in_private_is_announced_in_the_group_and_reminded_the_day_before(council):
    raise_matter(council)
    sent = council.say("刘书记", "/callmeeting 12-03 19:00 红邻议事亭", private=True)
    assert council.in_room("group")[-1] == sent[0] == council.in_room("@刘书记")[-2]
    assert sent[0].startswith("Council meeting 1: 12/3/26, 7:00\u202fPM, 红邻议事亭 (scheduled)\nAgenda:")
    council.run_jobs()  # Thursday 26 November, 09:00: the schedule starts
    council.advance(days=5)  # Tuesday 1 December
    assert not [m for m in council.run_jobs() if m.startswith("Reminder")]
    council.advance(days=1)  # Wednesday 2 December: the meeting is tomorrow
    reminders = [m for m in council.run_jobs() if m.startswith("Reminder")]
    assert reminders == [
        "Reminder: the council meeting is tomorrow. Everyone is welcome; bring your neighbours.\n" + sent[0]
    ]
    assert council.in_room("group")[-1] == reminders[0]
    council.advance(days=1)
    assert not [m for m in council.run_jobs() if m.startswith("Reminder")]


def test_meetings_read_naturally_in_chinese(tmp_path):
    from council_helpers import make

    chat = make(tmp_path, language="zh_CN")
    try:
        raise_matter(chat, category="维修")
        sent = chat.say("刘书记", "/召开议事会 2026年12月3日 19:00 红邻议事亭")
        assert sent[0].splitlines()[0].startswith("第1次议事会：2026/12/3 19:00，红邻议事亭（待召开）")
        assert sent[0].splitlines()[1:] == ["议程：", "1. 议题1 3号楼前路灯坏了（征求意见中）"]
        code = re.search(r"签到码是(\d{4})", sent[1]).group(1)  # type: ignore[union-attr]
        chat.advance(days=7, hours=10)
        assert chat.say("张三", f"/签到 {code}") == ["欢迎您，张三！第1次议事会签到成功（已到1人）。"]
        assert chat.say("李四", "/签到 abcd") == ["签到码不对，请向会议主持人再确认一下。"]
    finally:
        chat.close()


def test_a_check_in_delivered_twice_is_recorded_once(council):
    from linli.core.events import Inbound, Sender

    code = call(council)
    council.advance(days=7, hours=10)
    press = Inbound("tg-77", council.address(), Sender("test", "张三", "张三"), text=f"/checkin {code}")
    council.submit(press)
    council.submit(press)  # the platform delivered it twice
    with council.runtime.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(attendance)).scalar() == 1
    welcome = "Welcome, 张三! You are checked in at council meeting 1 (1 present)."
    assert [m.text for m in council.sent].count(welcome) == 1
