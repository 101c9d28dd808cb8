"""Action items: created from a passed matter, volunteers sign up, progress is reported, and a
council member confirms that the work is done."""

from __future__ import annotations

import openpyxl
import sqlalchemy as sa
from council_helpers import raise_matter, to_vote

from linli.core.export import export_ledger
from linli.plugins.council.community_tables import task_updates, task_volunteers, tasks


def passed(chat) -> None:  # type: ignore[no-untyped-def]
    """Matter 1 (the street lamps) is raised, voted on and passed."""
    raise_matter(chat)
    to_vote(chat)
    for who in ("张三", "李四", "王五"):
        chat.say(who, "/vote 1 yes")
    chat.say("刘书记", "/closepoll 1")


def state(chat) -> str:  # type: ignore[no-untyped-def]
    with chat.runtime.store.connect() as conn:
        return str(conn.execute(sa.select(tasks.c.status)).scalar())


def test_volunteers_sign_up_report_progress_and_a_council_member_confirms_it_is_done(council):
    passed(council)
    assert council.say("刘书记", "/action 1 周六上午买灯泡、装路灯") == [
        "Action item 1 for matter 1: 周六上午买灯泡、装路灯\nVolunteers, send /signup 1 or press the button."
    ]
    assert council.pick("李四", "I will help") == [
        "Thank you, 李四! You are signed up for action item 1: 周六上午买灯泡、装路灯. Tell us how it goes with "
        "/report 1 TEXT."
    ]
    assert council.say("王五", "/signup 1")[0].startswith("Thank you, 王五! You are signed up for action item 1")
    assert council.say("张三", "/actions") == [
        "Action items:\n#1 (matter 1) 周六上午买灯泡、装路灯 · open · volunteers: 李四、王五"
    ]

    assert council.say("李四", "/report 1 灯泡已买好") == [
        "Progress on action item 1 noted. Send /finished 1 when it is done."
    ]
    assert council.say("李四", "/finished 1 两盏灯都亮了") == [
        "李四 says action item 1 (周六上午买灯泡、装路灯) is done. Please check and confirm.",
        "Thank you! A council member will confirm that action item 1 is done.",
    ]
    assert state(council) == "reported"
    assert council.pick("刘书记", "Confirm it is done", private=True) == [
        "Action item 1 (周六上午买灯泡、装路灯) is done. Thank you for your help!",
        "Action item 1 (周六上午买灯泡、装路灯) is done. Thank you for your help!",
        "Action item 1 is done; that was the last one of matter 1. A council member may now move the matter to done.",
    ]
    assert council.last("王五", private=True) == (
        "Action item 1 (周六上午买灯泡、装路灯) is done. Thank you for your help!"
    )
    assert state(council) == "done"
    assert council.say("张三", "/actions") == ["No action items to do."]
    with council.runtime.store.connect() as conn:
        assert list(conn.execute(sa.select(task_updates.c.text).order_by(task_updates.c.id)).scalars()) == [
            "灯泡已买好",
            "两盏灯都亮了",
        ]


def test_a_council_member_may_mark_an_item_done_directly(council):
    passed(council)
    council.say("刘书记", "/action 1 装灯")
    council.say("刘书记", "/action 1 修电闸")
    assert council.say("刘书记", "/finished 1") == ["Action item 1 is done. 1 more for matter 1."]
    assert council.say("张三", "/actions 1")[0].splitlines()[1:] == [
        "#1 (matter 1) 装灯 · done · volunteers: none yet",
        "#2 (matter 1) 修电闸 · open · volunteers: none yet",
    ]


def test_bad_input_gets_a_clear_answer_and_changes_nothing(council):
    raise_matter(council)
    assert council.say("张三", "/action 1 装灯")[0].startswith("Sorry, /action is only for")
    assert council.say("刘书记", "/action 1 装灯") == [
        "Matter 1 has not been passed; action items come after a decision."
    ]
    assert council.say("刘书记", "/action 9 装灯") == ["There is no matter 9 here. Send /matters to see the open ones."]
    assert council.say("刘书记", "/action 1")[0].startswith("Usage: /action MATTER TEXT")
    to_vote(council)
    for who in ("张三", "李四", "王五"):
        council.say(who, "/vote 1 yes")
    council.say("刘书记", "/closepoll 1")
    council.say("刘书记", "/action 1 装灯")
    assert council.say("张三", "/signup 5") == ["There is no action item 5 here. Send /actions to see them."]
    assert council.say("张三", "/report 1 我路过看了") == [
        "Only the volunteers of action item 1 and council members may report on it; send /signup 1 to join."
    ]
    assert council.say("张三", "/finished 1") == [
        "Only the volunteers of action item 1 and council members may report on it; send /signup 1 to join."
    ]
    council.say("张三", "/signup 1")
    assert council.say("张三", "/signup 1") == ["You are already signed up for action item 1."]
    council.say("张三", "/finished 1")
    assert council.say("张三", "/finished 1") == [
        "Action item 1 is already waiting for a council member to confirm it."
    ]
    council.say("刘书记", "/finished 1")
    assert council.say("张三", "/report 1 还有") == ["Action item 1 is already done."]
    assert council.say("李四", "/signup 1") == ["Action item 1 is already done. Thank you all the same!"]
    with council.runtime.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(task_volunteers)).scalar() == 1


def test_the_action_ledger_lists_items_with_volunteers_progress_and_confirmation(council, tmp_path):
    passed(council)
    council.say("刘书记", "/action 1 装灯")
    council.say("李四", "/signup 1")
    council.say("李四", "/report 1 灯泡已买好")
    council.say("刘书记", "/finished 1")
    result = export_ledger(
        council.runtime.store,
        council.runtime.registry,
        "council.actions",
        "test",
        actor="cli:tester",
        path=tmp_path / "actions.xlsx",
        clock=council.clock,
    )
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(result.path).active.iter_rows()]
    assert rows[0] == [
        "Action number",
        "Matter number",
        "Action item",
        "Volunteers",
        "State",
        "Progress",
        "Confirmed by",
        "Date done",
    ]
    assert rows[1][:7] == [1, 1, "装灯", "李四", "done", "2026-11-26 灯泡已买好", "刘书记"]


def test_an_action_item_created_in_a_private_chat_is_offered_to_volunteers_in_the_group(council):
    passed(council)
    sent = council.say("刘书记", "/action 1 装灯", private=True)
    assert sent == ["Action item 1 for matter 1: 装灯\nVolunteers, send /signup 1 or press the button."] * 2
    assert council.pick("王五", "I will help")[0].startswith("Thank you, 王五! You are signed up for action item 1")
