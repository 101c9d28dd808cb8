"""The council's clock, moved by hand: polls close on time, non-voters are reminded before, and
passed matters come up for review."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from council_helpers import SHANGHAI, make, raise_matter, to_vote

from linli.core.plugin import Address, Manifest, Plugin, PluginContext, on_event
from linli.plugins.council.tables import matters


class Listener(Plugin):
    """A stand-in for a part of the plugin that acts on a poll's result."""

    manifest = Manifest(name="listener", version="1.0")

    @on_event("council.poll_closed")
    def closed(self, ctx: PluginContext) -> None:
        assert ctx.event is not None
        p = ctx.event.payload
        ctx.send(
            Address("test", "log"),
            f"closed {p['number']} {p['outcome']} matter={p['matter_id']} subject={p['subject']}",
        )


def test_a_poll_closes_on_time_and_its_result_goes_to_the_group(tmp_path):
    from linli.plugins.basics import BasicsPlugin
    from linli.plugins.council import CouncilPlugin

    chat = make(tmp_path, plugins=[BasicsPlugin, CouncilPlugin, Listener])
    try:
        raise_matter(chat)
        to_vote(chat, poll="2d")  # Thursday 09:00 → closes Saturday 09:00
        chat.pick("张三", "Agree")
        chat.pick("李四", "Agree")
        chat.pick("王五", "Agree")
        chat.run_jobs()
        chat.advance(days=1, hours=23, minutes=59)
        assert not [m for m in chat.run_jobs() if "is closed" in m]
        chat.advance(minutes=1)
        sent = chat.run_jobs()
        result = next(m for m in sent if m.startswith("Poll 1 is closed"))
        assert chat.in_room("group")[-1] == result
        assert "Outcome: passed." in result and "Matter 1 is now: passed." in result
        assert chat.in_room("log") == ["closed 1 passed matter=1 subject=None"]
        chat.advance(minutes=5)
        assert not [m for m in chat.run_jobs() if "is closed" in m]  # once only
    finally:
        chat.close()


def test_those_who_have_not_voted_are_reminded_once_before_the_poll_closes(council):
    raise_matter(council)
    council.say("李四", "/support 1")
    council.say("王五", "/support 1")
    to_vote(council)  # closes in 3 days, Sunday 09:00; reminder 24 hours before
    council.pick("张三", "Agree")
    council.run_jobs()
    council.advance(days=1, hours=23)
    assert not [m for m in council.run_jobs() if "have not voted" in m]
    council.advance(hours=1, minutes=1)
    reminders = [m for m in council.run_jobs() if "have not voted" in m]
    assert len(reminders) == 2  # 李四 and 王五, on the roll since they supported it; 张三 voted
    assert council.last("李四", private=True).startswith(
        "Poll 1 closes 11/29/26, 9:00\u202fAM and you have not voted yet: 在3号楼前加装两盏路灯"
    )
    assert "have not voted" not in council.last("张三", private=True)
    council.advance(hours=1)
    assert not [m for m in council.run_jobs() if "have not voted" in m]


def test_the_council_is_reminded_when_a_passed_matter_is_due_for_review(tmp_path):
    chat = make(
        tmp_path, config={"council": {"review_days": 10}}, now=dt.datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
    )
    try:
        raise_matter(chat)
        to_vote(chat)
        for who in ("张三", "李四", "王五"):
            chat.pick(who, "Agree")
        chat.say("刘书记", "/closepoll 1")
        with chat.runtime.store.connect() as conn:
            assert conn.execute(sa.select(matters.c.review_on)).scalar() == dt.date(2026, 12, 6)
        chat.run_jobs()
        chat.advance(days=9)  # 5 December, 10:00
        assert not [m for m in chat.run_jobs() if m.startswith("Review due")]
        chat.advance(days=1)  # 6 December: the review date, after 09:00
        due = [m for m in chat.run_jobs() if m.startswith("Review due")]
        assert (
            due
            == [
                "Review due: matter 1 3号楼前路灯坏了 (passed), decided on 11/26/26, 10:00\u202fAM. "
                "Send /matter 1 to see it."
            ]
            * 2
        )  # the council member and the facilitator, privately
        assert chat.last("刘书记", private=True) == due[0]
        chat.advance(days=1)
        assert not [m for m in chat.run_jobs() if m.startswith("Review due")]
        chat.say("刘书记", "/review 1 2026-12-20")
        chat.advance(days=13)
        assert [m for m in chat.run_jobs() if m.startswith("Review due")]
    finally:
        chat.close()


def test_a_short_poll_reminds_only_after_half_its_time(council):
    raise_matter(council)
    council.say("李四", "/support 1")
    to_vote(council, poll="2h")  # shorter than the 24 hours' lead
    council.run_jobs()
    council.advance(minutes=59)
    assert not [m for m in council.run_jobs() if "have not voted" in m]
    council.advance(minutes=1)
    assert len([m for m in council.run_jobs() if "have not voted" in m]) == 2  # 张三 and 李四
