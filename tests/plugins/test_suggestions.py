"""意见箱 — the suggestion box, as residents and community workers use it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from linli.core.events import Address, Inbound, Sender
from linli.core.export import ledger_table
from linli.core.settings import DistrictSettings
from linli.core.storage import schema as s
from linli.plugins.basics import BasicsPlugin
from linli.plugins.suggestions import SuggestionsPlugin
from linli.plugins.suggestions.tables import suggestions
from linli.testing import ChatHarness

PLUGINS = [BasicsPlugin, SuggestionsPlugin]


@pytest.fixture
def box(tmp_path) -> Iterator[ChatHarness]:
    """An English-speaking district whose staff room gets the morning digest."""
    harness = ChatHarness(
        tmp_path, plugins=PLUGINS, language="en", config={"suggestions": {"staff_room": "test:staff"}}
    )
    yield harness
    harness.close()


def rows(chat: ChatHarness) -> list[tuple]:
    with chat.runtime.store.connect() as conn:
        result = conn.execute(
            sa.select(
                suggestions.c.district_id,
                suggestions.c.number,
                suggestions.c.category,
                suggestions.c.text,
                suggestions.c.status,
                suggestions.c.answer,
            ).order_by(suggestions.c.id)
        )
        return [tuple(r) for r in result]


def leave(chat: ChatHarness, who: str, text: str, category: str = "Repairs") -> str:
    chat.say(who, f"/suggest {text}")
    return chat.pick(who, category)[0]


# --- leaving a suggestion ------------------------------------------------------------------------


def test_a_resident_leaves_a_suggestion_through_a_dialog(chat):
    """The transcript of the README, in the district's own language (the ``chat`` fixture)."""
    chat.say("张三", "/suggest")
    chat.say("张三", "楼道灯坏了")
    chat.pick("张三", 2)

    assert "1" in chat.last()
    chat.grant("王主任", "staff")
    assert "楼道灯坏了" in chat.say("王主任", "/suggestions")[0]


def test_a_village_hears_of_the_village_staff_and_a_community_of_its_community_workers(tmp_path):
    for kind, staff in (("village", "村里的工作人员"), ("community", "社区工作者")):
        chat = ChatHarness(tmp_path / kind, plugins=[BasicsPlugin, SuggestionsPlugin], kind=kind)
        try:
            chat.say("张三", "/suggest 楼道灯坏了")
            assert chat.pick("张三", 2) == [f"谢谢您！您的建议编号是1，{staff}会尽快答复您。"]
            help_text = chat.say("张三", "/help")[0]
            assert ("给村里提个建议" in help_text) == (kind == "village")
        finally:
            chat.close()


def test_numbers_in_chinese_replies_have_no_spaces_around_them(chat):
    chat.say("张三", "/whoami", private=True)  # a private chat, where the answer reaches them
    chat.say("张三", "/suggest 楼道灯坏了")
    chat.pick("张三", 2)
    chat.grant("王主任", "staff")
    answered = chat.say("王主任", "/answer 1 已经修好了")
    assert "第1号建议已答复。" in answered
    assert "您的第1号建议有答复了：已经修好了" in [m.text for m in chat.sent]


def test_a_suggestion_given_with_the_command_asks_only_for_its_category(box):
    assert "Which kind of suggestion" in box.say("张三", "/suggest 楼道灯坏了")[0]
    assert [c.label for c in box.sent[-1].choices] == [
        "Environment and hygiene",
        "Repairs and facilities",
        "Safety",
        "Other",
    ]

    assert box.pick("张三", "Safety") == ["Thank you! Your suggestion is number 1; a community worker will answer it."]
    assert rows(box) == [("test", 1, "safety", "楼道灯坏了", "open", None)]


def test_the_chinese_alias_and_full_width_input_work_and_the_text_is_kept_as_written(box):
    box.say("张三", "／建议　把“文明养犬”写进公约")
    box.pick("张三", "Other")

    assert [r[3] for r in rows(box)] == ["把“文明养犬”写进公约"]


def test_suggestions_are_numbered_per_district(tmp_path):
    village = DistrictSettings(
        id="xinglong",
        name="兴隆村",
        kind="village",
        language="en",
        rooms=("test:xinglong",),
        plugins=("core", "suggestions"),
    )
    chat = ChatHarness(tmp_path, plugins=PLUGINS, language="en", districts=[village])
    try:
        leave(chat, "张三", "楼道灯坏了")
        leave(chat, "张三", "垃圾桶满了")
        chat.submit(
            Inbound("v1", Address("test", "xinglong"), Sender("test", "张三", "张三"), text="/suggest 路灯不亮")
        )
        button = chat.sent[-1].choices[0]
        chat.submit(
            Inbound(
                "v2",
                Address("test", "xinglong"),
                Sender("test", "张三", "张三"),
                text=button.label,
                kind="choice",
                choice=button.value,
            )
        )

        assert [(r[0], r[1]) for r in rows(chat)] == [("test", 1), ("test", 2), ("xinglong", 1)]
        assert "number 1" in chat.in_room("xinglong")[-1]
    finally:
        chat.close()


def test_a_suggestion_that_is_too_long_is_refused_and_nothing_is_saved(box):
    answer = box.say("张三", "/suggest " + "灯" * 2001)

    assert answer == ["That is too long (2001 characters); please keep it under 2000."]
    assert rows(box) == []


def test_a_new_suggestion_is_published_for_other_plugins(box):
    leave(box, "张三", "楼道灯坏了", "Other")

    with box.runtime.store.connect() as conn:
        payloads = [r.payload for r in conn.execute(sa.select(s.outbox).where(s.outbox.c.kind == "event"))]
    assert [(p["name"], p["payload"]) for p in payloads] == [
        ("suggestions.received", {"number": 1, "category": "other"})
    ]


# --- community workers answer ------------------------------------------------------------------------


def test_residents_cannot_list_or_answer_suggestions(box):
    leave(box, "张三", "楼道灯坏了")

    assert box.say("李四", "/suggestions") == ["Sorry, /suggestions is only for: community worker."]
    assert box.say("李四", "/answer 1 不修了") == ["Sorry, /answer is only for: community worker."]
    assert rows(box)[0][4] == "open"


def test_staff_list_the_open_suggestions_with_their_numbers_and_categories(box):
    leave(box, "张三", "楼道灯坏了", "Repairs")
    leave(box, "李四", "垃圾桶满了", "Environment")
    box.grant("王主任", "staff")

    listing = box.say("王主任", "/suggestions")[0].splitlines()

    assert listing == [
        "Open suggestions:",
        "#1 [Repairs and facilities] 楼道灯坏了",
        "#2 [Environment and hygiene] 垃圾桶满了",
        "Answer one with /answer NUMBER TEXT.",
    ]


def test_an_answer_closes_the_suggestion_and_tells_the_resident_privately(box):
    leave(box, "张三", "楼道灯坏了")
    box.say("张三", "在吗", private=True)  # linli now knows a private chat with 张三
    box.grant("王主任", "staff")

    box.say("王主任", "/answer 1 灯已经修好了")

    assert box.in_room()[-1] == "Suggestion 1 is answered."
    assert box.last("张三", private=True) == "Your suggestion number 1 was answered: 灯已经修好了"
    assert rows(box) == [("test", 1, "repairs", "楼道灯坏了", "answered", "灯已经修好了")]
    assert box.say("王主任", "/suggestions") == ["No open suggestions."]


def test_an_answer_is_written_to_the_audit_log(box):
    leave(box, "张三", "楼道灯坏了")
    box.grant("王主任", "staff")
    box.say("王主任", "/answer #1 好的")

    with box.runtime.store.connect() as conn:
        targets = list(
            conn.execute(sa.select(s.audit_log.c.target).where(s.audit_log.c.action == "suggestions.answer")).scalars()
        )
    assert targets == ["suggestion:1"]


@pytest.mark.parametrize("text", ["/answer", "/answer 1", "/answer one 好的"])
def test_an_answer_without_a_number_and_a_text_shows_the_usage(box, text):
    box.grant("王主任", "staff")

    assert box.say("王主任", text) == ["Usage: /answer NUMBER TEXT, for example /answer 3 The lamp is fixed."]


def test_an_answer_to_a_number_that_does_not_exist_says_so(box):
    box.grant("王主任", "staff")

    assert box.say("王主任", "/answer 9 好的") == ["There is no suggestion number 9."]


# --- the morning digest --------------------------------------------------------------------------------


def test_the_morning_digest_reaches_the_staff_room_on_working_days_only(box):
    leave(box, "张三", "楼道灯坏了")
    box.run_jobs()  # Thursday 26 Nov 2026, 09:00: the schedule starts

    box.advance(days=1)  # Friday 09:00: past Friday's 08:30
    friday = box.run_jobs()
    box.advance(days=1)  # Saturday
    saturday = box.run_jobs()
    box.advance(days=2)  # Monday
    monday = box.run_jobs()

    digest = "Good morning. 1 suggestion(s) are waiting for an answer: send /suggestions to see them."
    assert (friday, saturday, monday) == ([digest], [], [digest])
    assert box.in_room("staff") == [digest, digest]


def test_no_digest_is_sent_when_nothing_is_open(box):
    box.run_jobs()
    box.advance(days=1)

    assert box.run_jobs() == []


# --- the ledger ---------------------------------------------------------------------------------------


def test_the_ledger_has_a_row_per_suggestion_of_the_district(box):
    leave(box, "张三", "楼道灯坏了")
    box.grant("王主任", "staff")
    box.say("王主任", "/answer 1 已修好")

    table = ledger_table(box.runtime.store, box.runtime.registry, "suggestions.suggestions", "test", language="en")

    assert table.title == "Suggestion box ledger"
    assert table.columns == (
        "Number",
        "Date",
        "Category",
        "Suggestion",
        "Status",
        "Answer",
        "Answered on",
        "Attachments",
    )
    (row,) = table.rows
    assert (row[0], row[2], row[3], row[4], row[5]) == (1, "Repairs and facilities", "楼道灯坏了", "answered", "已修好")
