"""急难愁盼: a need from report to confirmation; escalation, overdue, referral to mediation; a
household without a chat account handled by its captain, and later linked."""

from __future__ import annotations

import sqlalchemy as sa
from captains_helpers import CONFIG, PLUGINS, MediationPlugin, assign_captains, make

from linli.core.register import Registry
from linli.plugins.captains.tables import need_events, needs


def test_a_resident_reports_a_need_and_confirms_it_once_resolved(cap):
    chat, _ = cap
    assign_captains(chat)
    assert chat.say("张三", "/need 楼道灯坏了三天") == [
        "Need 1 is registered; the grid will take it up, and I will tell you in private when it is resolved."
    ]
    assert chat.say("网格员", "/needtake 1") == ["Need 1: taken in the grid."]
    assert chat.say("网格员", "/needprogress 1 已联系物业") == ["Need 1: in progress."]
    assert chat.say("居务乙", "/needresolve 1 换了灯泡")[0] == "Need 1: resolved."
    assert chat.last("张三", private=True) == (
        "Need 1 is marked resolved. If it is, send /needconfirm 1; if not, tell your captain."
    )
    assert chat.say("李四", "/needconfirm 1") == ["Only the resident who has need 1 (or their captain) can confirm it."]
    assert chat.say("张三", "/needconfirm 1") == ["Need 1 is confirmed resolved. Thank you!"]
    with chat.runtime.store.connect() as conn:
        moves = conn.execute(sa.select(need_events.c.state_to).order_by(need_events.c.id)).scalars().all()
    assert moves == ["reported", "taken", "in_progress", "resolved", "confirmed"]


def test_the_group_never_hears_what_the_need_is(cap):
    chat, _ = cap
    chat.say("张三", "/need 我家老人摔倒了需要帮助")
    assert "摔倒" not in "\n".join(chat.in_room("group"))
    assert chat.say("张三", "/needs") == ["1 open need(s): send /needs in your private chat with me to see them."]
    assert chat.say("张三", "/needs", private=True) == [
        "Open needs:\n#1 · reported · level grid: 我家老人摔倒了需要帮助"
    ]
    assert chat.say("赵六", "/needs", private=True) == ["No open needs."]


def test_a_captain_acts_for_a_household_without_a_chat_account_which_later_joins(cap):
    chat, ids = cap
    assign_captains(chat)
    assert chat.say("居务乙", "/need 1-102 孙奶奶家暖气不热", private=True) == [
        "Need 1 is registered; the grid will take it up, and I will tell you in private when it is resolved."
    ]
    assert chat.say("居务乙", "/need 3-101 不是我的楼") == [
        "Household B3/3-101 is not in your buildings; its own captains report for it."
    ]
    chat.say("网格员", "/needtake 1")
    chat.say("网格员", "/needresolve 1")
    # nobody to ask in chat: the captain confirms after asking 孙秀英 in person
    assert chat.say("张三", "/needconfirm 1") == ["Only the resident who has need 1 (or their captain) can confirm it."]
    assert chat.say("居务乙", "/needconfirm 1") == ["Need 1 is confirmed resolved. Thank you!"]
    with chat.runtime.store.connect() as conn:
        rows = conn.execute(sa.select(need_events.c.state_to, need_events.c.acted_for).order_by(need_events.c.id)).all()
        household = ids["B1/1-102"]
        assert [tuple(r) for r in rows] == [
            ("reported", household),
            ("taken", None),
            ("resolved", None),
            ("confirmed", household),
        ]
        done_for = Registry(conn, "test").acted_for(ids["孙秀英"])
    assert [(d["action"], d["target"]) for d in done_for] == [
        ("captains.need_reported", "need:1"),
        ("captains.need_confirmed", "need:1"),
    ]

    # 孙秀英 gets a phone: her captain gives her a one-time code and she links herself
    assert chat.say("居务乙", "/linkcode 1-101", private=True)[0].startswith(
        "Whose code is it? Household B1/1-101 has no chat account yet for: nobody."
    )
    code = chat.say("居务乙", "/linkcode 1-102", private=True)[0].split()[3].rstrip(".")
    chat.say("孙秀英", "/whoami")
    chat.say("孙秀英", "/whoami", private=True)
    assert chat.say("孙秀英", f"/link {code}", private=True)[0].startswith("Done: your account is now linked")
    chat.say("居务乙", "/need 1-102 水管漏水", private=True)
    chat.say("网格员", "/needtake 2")
    chat.say("网格员", "/needresolve 2")
    assert chat.last("孙秀英", private=True).startswith("Need 2 is marked resolved.")
    # a household that talks for itself confirms for itself
    assert chat.say("居务乙", "/needconfirm 2") == [
        "Only the resident who has need 2 (or their captain) can confirm it."
    ]
    assert chat.say("孙秀英", "/needconfirm 2") == ["Need 2 is confirmed resolved. Thank you!"]
    assert chat.say("政务丙", "/linkcode 1-102", private=True) == [
        "Household B1/1-102 is not in your buildings; its own captains give its codes."
    ]


def test_escalation_is_counted_and_only_staff_pass_a_need_to_the_street(cap):
    chat, _ = cap
    assign_captains(chat)
    chat.say("张三", "/need 小区门口道路塌陷")
    assert chat.say("张三", "/needescalate 1") == ["Only the grid, the building's captains and staff handle need 1."]
    assert chat.say("网格员", "/needescalate 1 需要市政维修")[0] == "Need 1 is passed up to the community."
    assert chat.in_room("staff") == ["Need 1 was escalated to the community."]
    assert chat.say("网格员", "/needescalate 1") == ["Only the community's staff pass a need on to the street."]
    assert chat.say("王主任", "/needescalate 1")[0] == "Need 1 is passed up to the street."
    assert chat.say("王主任", "/needescalate 1") == ["Need 1 is already with the street."]
    with chat.runtime.store.connect() as conn:
        row = conn.execute(sa.select(needs.c.level, needs.c.escalations)).one()
    assert tuple(row) == ("street", 2)


def test_overdue_needs_are_flagged_once_to_the_staff_room_without_their_text(cap):
    chat, _ = cap
    chat.say("张三", "/need 我家下水道堵了")
    chat.run_jobs()
    chat.advance(days=8)
    chat.run_jobs()
    assert chat.in_room("staff") == ["Urgent needs past their time limit:\n#1 · reported · level grid · OVERDUE"]
    chat.advance(days=1)
    chat.run_jobs()
    assert len(chat.in_room("staff")) == 1
    assert "OVERDUE" in chat.say("张三", "/needs", private=True)[0]


def test_bad_moves_of_a_need_change_nothing(cap):
    chat, _ = cap
    assign_captains(chat)
    chat.say("张三", "/need 楼道堆物")
    assert chat.say("网格员", "/needtake 9") == ["There is no need number 9."]
    assert chat.say("网格员", "/needtake x") == ["Usage: /needtake NUMBER [NOTE]"]
    assert chat.say("网格员", "/needprogress 1") == ["Need 1 is reported; it cannot be in progress now."]
    assert chat.say("张三", "/needconfirm 1") == ["Need 1 is reported; only a resolved need can be confirmed."]
    assert chat.say("政务丙", "/needtake 1") == ["Only the grid, the building's captains and staff handle need 1."]
    with chat.runtime.store.connect() as conn:
        assert conn.execute(sa.select(needs.c.state)).scalar() == "reported"


def test_a_dispute_is_referred_to_mediation_which_opens_a_case(tmp_path):
    chat, _ = make(tmp_path, plugins=[*PLUGINS, MediationPlugin], config=CONFIG)
    try:
        assign_captains(chat)
        chat.say("张三", "/need 楼上李四家漏水，协商不成")
        assert chat.say("居务乙", "/needrefer 1")[0] == (
            "Need 1 is a dispute: it is referred to the community's mediators."
        )
        assert chat.last("张三", private=True).startswith(
            "Your matter was passed to the community's mediators as mediation case 1."
        )
        assert chat.say("居务乙", "/needrefer 1") == ["Need 1 is referred to mediation; it cannot be referred."]
    finally:
        chat.close()


def test_without_mediation_a_dispute_cannot_be_referred(cap):
    chat, _ = cap
    chat.say("张三", "/need 邻里纠纷")
    assert chat.say("王主任", "/needrefer 1") == [
        "Mediation is not enabled in this community, so nothing can be referred to it."
    ]


def test_mydata_shows_the_needs_a_resident_reported_and_forgetme_removes_their_name(cap):
    chat, _ = cap
    chat.say("张三", "/need 楼道灯坏了")
    answer = "\n".join(chat.say("张三", "/mydata", private=True))
    assert "Building captains: 0 assignment(s) as captain, 1 need(s) you reported." in answer
    assert "楼道灯坏了" in answer
    chat.say("张三", "/forgetme", private=True)
    assert "forgotten you" in chat.pick("张三", "Yes, delete my data", private=True)[0]
    with chat.runtime.store.connect() as conn:
        assert conn.execute(sa.select(needs.c.reported_by)).scalar() is None
