"""The basics plugin: the privacy notice and consent, /whoami, /lang, /mydata and /forgetme."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from linli.core import people
from linli.core.events import Inbound, Sender
from linli.core.i18n import translator
from linli.core.settings import DistrictSettings, PrivacySettings, Settings
from linli.core.storage import schema as s
from linli.plugins import basics
from linli.plugins.basics import PRIVACY_NOTICE, BasicsPlugin
from linli.plugins.suggestions import SuggestionsPlugin
from linli.plugins.suggestions.tables import suggestions
from linli.testing import ChatHarness

en = translator("en")
PLUGINS = [BasicsPlugin, SuggestionsPlugin]


@pytest.fixture
def chat(tmp_path) -> Iterator[ChatHarness]:
    """People here have not seen the privacy notice yet."""
    harness = ChatHarness(tmp_path, plugins=PLUGINS, language="en", consented=False)
    yield harness
    harness.close()


@pytest.fixture
def agreed(tmp_path) -> Iterator[ChatHarness]:
    """People here accepted the notice before they first spoke."""
    harness = ChatHarness(tmp_path, plugins=PLUGINS, language="en")
    yield harness
    harness.close()


def person_id(chat: ChatHarness, who: str) -> int | None:
    with chat.runtime.store.connect() as conn:
        person = people.person_for(conn, f"test:{who}", who, create=False)
    return person.id if person else None


def consents_of(chat: ChatHarness, pid: int) -> list[tuple[int, bool]]:
    with chat.runtime.store.connect() as conn:
        rows = conn.execute(
            sa.select(s.consents.c.version, s.consents.c.granted)
            .where(s.consents.c.person_id == pid)
            .order_by(s.consents.c.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def audit_actions(chat: ChatHarness, pid: int) -> list[str]:
    with chat.runtime.store.connect() as conn:
        rows = conn.execute(
            sa.select(s.audit_log.c.action).where(s.audit_log.c.person_id == pid).order_by(s.audit_log.c.id)
        )
        return list(rows.scalars())


def count_suggestions(chat: ChatHarness) -> int:
    with chat.runtime.store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(suggestions)).scalar_one())


NOTICE = en(PRIVACY_NOTICE, version=1)


# --- the privacy notice comes first -------------------------------------------------------------


def test_first_contact_shows_the_privacy_notice_with_two_choices(chat):
    assert chat.say("张三", "大家好") == [NOTICE]
    assert [c.label for c in chat.sent[-1].choices] == ["I agree", "I do not agree"]


def test_a_first_command_that_needs_consent_gets_the_notice_instead(chat):
    assert chat.say("张三", "/suggest 楼道灯坏了") == [NOTICE]
    assert count_suggestions(chat) == 0


def test_a_first_help_is_answered_and_the_notice_comes_too(chat):
    replies = chat.say("张三", "/help")

    # two handlers answer one message, each in its own transaction: either may finish first
    assert len(replies) == 2
    assert NOTICE in replies
    (listing,) = [r for r in replies if r != NOTICE]
    assert "/suggest" in listing


def test_agreeing_records_consent_and_unblocks_commands(chat):
    chat.say("张三", "大家好")

    assert chat.pick("张三", "I agree") == ["Thank you. Send /help to see what you can do here."]
    pid = person_id(chat, "张三")
    assert pid is not None
    assert consents_of(chat, pid) == [(1, True)]
    assert "privacy.consent" in audit_actions(chat, pid)
    assert "What is your suggestion" in chat.say("张三", "/suggest")[0]


def test_refusing_records_the_refusal_and_commands_stay_blocked(chat):
    chat.say("张三", "大家好")

    assert chat.pick("张三", "I do not agree") == [
        "Understood. linli takes in nothing you say until you agree; it keeps only your name and account as this "
        "chat shows them, and this answer. Send /privacy if you change your mind, or /forgetme to delete your name "
        "and account as well."
    ]
    pid = person_id(chat, "张三")
    assert pid is not None
    assert consents_of(chat, pid) == [(1, False)]
    assert "privacy.refuse" in audit_actions(chat, pid)
    assert chat.say("张三", "/suggest 楼道灯坏了") == [NOTICE]
    assert chat.say("张三", "/whoami") == [NOTICE]
    assert count_suggestions(chat) == 0


def test_withdrawing_consent_says_what_is_kept_and_points_to_forgetme(chat):
    chat.say("张三", "大家好")
    chat.pick("张三", "I agree")
    chat.say("张三", "/suggest 楼道灯坏了")
    chat.pick("张三", "Repairs")

    chat.say("张三", "/privacy")
    answer = chat.pick("张三", "I do not agree")[0]
    assert "will not keep anything" not in answer
    assert "stays until you have it deleted with /forgetme" in answer
    assert count_suggestions(chat) == 1  # withdrawing deletes nothing: the answer says so


def test_plain_talk_after_refusing_is_not_answered(chat):
    chat.say("张三", "大家好")
    chat.pick("张三", "I do not agree")

    assert chat.say("张三", "今天天气不错") == []


@pytest.mark.parametrize("text", ["/help", "/privacy", "/lang en", "/mydata", "/forgetme"])
def test_the_privacy_commands_work_without_consent(chat, text):
    chat.say("张三", "大家好")
    chat.pick("张三", "I do not agree")

    replies = chat.say("张三", text)

    assert replies
    assert replies != [NOTICE] or text == "/privacy"


def test_someone_who_refused_can_agree_later_with_privacy(chat):
    chat.say("张三", "大家好")
    chat.pick("张三", "I do not agree")

    assert chat.say("张三", "/privacy") == [NOTICE]
    chat.pick("张三", "I agree")

    pid = person_id(chat, "张三")
    assert pid is not None
    assert consents_of(chat, pid) == [(1, False), (1, True)]
    assert "You are 张三" in chat.say("张三", "/whoami")[0]


def test_a_new_notice_version_asks_again_and_records_the_new_version(tmp_path):
    chat = ChatHarness(
        tmp_path, plugins=PLUGINS, language="en", consented=False, settings=Settings(privacy=PrivacySettings(2))
    )
    try:
        with chat.runtime.store.begin() as conn:
            person = people.person_for(conn, "test:张三", "张三")
            assert person is not None
            people.record_consent(conn, person.id, 1, True)

        assert chat.say("张三", "/whoami") == [en(PRIVACY_NOTICE, version=2)]
        chat.pick("张三", "I agree")

        assert consents_of(chat, person.id) == [(1, True), (2, True)]
        assert "You are 张三" in chat.say("张三", "/whoami")[0]
    finally:
        chat.close()


# --- who am I, and in which language --------------------------------------------------------------


def test_whoami_of_a_resident_says_resident(agreed):
    reply = agreed.say("张三", "/whoami")[0]

    assert reply.splitlines() == [
        f"You are 张三 (person #{person_id(agreed, '张三')}) in Test Community.",
        "Your roles here: resident",
        "Language: English",
        "Your communities: Test Community (test, through its group)",
    ]


def test_whoami_names_every_community_one_belongs_to_and_how_to_switch(tmp_path):
    other = DistrictSettings(id="east", name="East Gate", language="en", rooms=("test:east",), plugins=("core",))
    chat = ChatHarness(tmp_path, plugins=PLUGINS, language="en", districts=[other])
    try:
        chat.say("张三", "hello")
        chat.grant("张三", "staff")
        with chat.runtime.store.begin() as conn:
            person = people.person_for(conn, "test:张三", "张三")
            assert person is not None
            people.grant_role(conn, person.id, "east", "staff", by="test")

        reply = chat.say("张三", "/whoami", private=True)[0].splitlines()

        assert reply[-2:] == [
            "Your communities: East Gate (east, through your role), Test Community (test, through its group, "
            "your role)",
            "In a private chat with me, send /start and a community's id to talk about that one.",
        ]
    finally:
        chat.close()


def test_whoami_shows_roles_with_their_scopes(agreed):
    agreed.grant("李楼长", "staff")
    agreed.grant("李楼长", "captain", "building:12")

    reply = agreed.say("李楼长", "/whoami")[0]

    assert "Your roles here: captain (building:12), community worker" in reply


def test_lang_en_switches_a_person_to_english_in_a_chinese_district(tmp_path):
    chat = ChatHarness(tmp_path, plugins=PLUGINS)
    try:
        assert chat.say("张三", "/lang en") == [en("From now on I will answer you in English.")]
        assert "Language: English" in chat.say("张三", "/whoami")[0]
        # others in the district keep its language
        assert "语言：中文" in chat.say("李四", "/whoami")[0]
    finally:
        chat.close()


def test_lang_zh_switches_back_and_confirms_in_chinese(agreed):
    zh = translator("zh_CN")
    confirm = "From now on I will answer you in English."  # the msgid; each language says it its own way
    agreed.say("张三", "/lang en")

    assert agreed.say("张三", "/lang 中文") == [zh(confirm)]
    assert zh(confirm) != en(confirm)
    assert "语言：中文" in agreed.say("张三", "/whoami")[0]


def test_lang_with_an_unknown_language_asks_which_one(agreed):
    assert agreed.say("张三", "/lang fr") == ["Which language? Send /lang zh for Chinese or /lang en for English."]


# --- seeing one's data ----------------------------------------------------------------------------------


def test_mydata_lists_accounts_roles_and_consents(agreed):
    agreed.say("张三", "/whoami")  # known in the group first, so the private chat has a community
    agreed.grant("张三", "staff")
    pid = person_id(agreed, "张三")
    assert pid is not None
    with agreed.runtime.store.begin() as conn:
        people.link_identity(conn, pid, "matrix:@zhang:example.org")

    replies = agreed.say("张三", "/mydata", private=True)

    (reply,) = [r for r in replies if "What linli holds about you" in r]
    assert f"person #{pid}" in reply
    assert "test:张三" in reply
    assert "matrix:@zhang:example.org" in reply
    assert "test/staff" in reply
    assert "agreed v1" in reply
    assert "privacy.access" in audit_actions(agreed, pid)


def test_mydata_in_a_private_chat_answers_there_with_each_plugins_part(agreed):
    agreed.say("张三", "/whoami")

    replies = agreed.say("张三", "/mydata", private=True)

    assert sorted(replies) == sorted(agreed.in_room("@张三"))
    assert any("What linli holds about you" in r for r in replies)
    assert any("Suggestion box" in r for r in replies)
    assert len(agreed.in_room()) == 1  # only the answer to /whoami went to the group


def test_mydata_asked_in_a_group_never_shows_the_data_in_the_group(agreed):
    assert agreed.say("张三", "/mydata") == ["Use /mydata in a private chat with me, not in the group."]
    assert not any("test:张三" in text for text in agreed.in_room())


# --- being forgotten -------------------------------------------------------------------------------------


def test_forgetme_asks_for_confirmation_first(agreed):
    reply = agreed.say("张三", "/forgetme")

    assert "It cannot be undone" in reply[0]
    assert [c.label for c in agreed.sent[-1].choices] == ["Yes, delete my data", "No, keep it"]
    assert person_id(agreed, "张三") is not None


def test_answering_no_deletes_nothing(agreed):
    agreed.say("张三", "/forgetme")
    pid = person_id(agreed, "张三")

    assert agreed.pick("张三", "No, keep it") == ["Nothing was deleted."]
    assert person_id(agreed, "张三") == pid


def test_answering_yes_removes_identities_name_and_roles_but_keeps_the_audit_log(agreed):
    agreed.grant("张三", "staff")
    pid = person_id(agreed, "张三")
    assert pid is not None
    agreed.say("张三", "/forgetme")
    audit_before = audit_actions(agreed, pid)

    assert "forgotten you" in agreed.pick("张三", "Yes, delete my data")[0]

    with agreed.runtime.store.connect() as conn:
        name = conn.execute(sa.select(s.persons.c.display_name).where(s.persons.c.id == pid)).scalar_one()
        identities = people.identities_of(conn, pid)
        roles = people.roles_in(conn, pid, "test")
    assert (name, identities, roles) == (f"#{pid}", [], {})
    audit_after = audit_actions(agreed, pid)
    assert audit_after[: len(audit_before)] == audit_before
    assert audit_after[-1] == "privacy.forget"
    assert consents_of(agreed, pid) == [(1, True)]


def test_a_forgotten_person_who_speaks_again_is_a_new_person(agreed):
    old = person_id(agreed, "张三")
    agreed.say("张三", "/forgetme")
    agreed.pick("张三", "Yes, delete my data")

    reply = agreed.say("张三", "/whoami")[0]

    new = person_id(agreed, "张三")
    assert new is not None and new != old
    assert f"(person #{new})" in reply


def test_a_forgotten_persons_suggestions_stay_without_their_name_or_words(agreed):
    agreed.say("张三", "/suggest 楼道灯坏了")
    agreed.pick("张三", "Repairs")
    agreed.say("张三", "/forgetme")

    agreed.pick("张三", "Yes, delete my data")

    with agreed.runtime.store.connect() as conn:
        rows = conn.execute(sa.select(suggestions.c.text, suggestions.c.person_id)).all()
    assert [tuple(r) for r in rows] == [("", None)]


def test_pressing_someone_elses_forgetme_button_deletes_nothing(agreed):
    agreed.say("张三", "/forgetme")
    agreed.say("李四", "/whoami")
    li = person_id(agreed, "李四")

    agreed.pick("李四", "Yes, delete my data")

    assert person_id(agreed, "李四") == li
    assert person_id(agreed, "张三") is not None


# --- renamed from "core" -----------------------------------------------------------------------------


def test_a_button_sent_when_the_plugin_was_called_core_still_works(chat):
    chat.say("张三", "大家好")
    old = Inbound(
        "old-button",
        chat.address("张三"),
        Sender("test", "张三", "张三"),
        text="I agree",
        kind="choice",
        choice="core:consent@1:yes:1",
    )

    chat.submit(old)

    assert chat.sent[-1].text == "Thank you. Send /help to see what you can do here."
    assert consents_of(chat, 1) == [(1, True)]


def test_a_district_whose_settings_still_say_core_has_the_basics_plugin(tmp_path):
    chat = ChatHarness(tmp_path, plugins=PLUGINS, language="en", enabled=["core", "suggestions"])
    try:
        assert chat.say("张三", "/whoami")[0].startswith("You are 张三")
    finally:
        chat.close()


def test_the_basics_plugin_imports_nothing_of_linli_but_the_public_plugin_api():
    tree = ast.parse(Path(basics.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}

    assert {name for name in imported if name.split(".")[0] in ("linli", "sqlalchemy")} == {"linli.core.plugin"}


def everything_in_the_database(chat: ChatHarness) -> str:
    """Every value of every table, as one text, to search for what must be gone."""
    values = []
    with chat.runtime.store.connect() as conn:
        for name in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{name}"')):
                values += [str(v) for v in row]
    return "\n".join(values)


def test_after_forgetme_their_suggestion_and_phone_number_are_nowhere_in_the_database(agreed):
    agreed.say("张三", "/suggest 楼道灯坏了, 请打13812345678")
    agreed.pick("张三", "Repairs")
    assert "13812345678" in everything_in_the_database(agreed)
    agreed.say("张三", "/forgetme", private=True)

    agreed.pick("张三", "Yes, delete my data", private=True)

    held = everything_in_the_database(agreed)
    assert "13812345678" not in held
    assert "楼道灯坏了" not in held


def test_a_forgotten_persons_suggestion_keeps_its_number_and_says_why_its_text_is_gone(agreed):
    agreed.say("张三", "/suggest 楼道灯坏了")
    agreed.pick("张三", "Repairs")
    agreed.say("张三", "/forgetme", private=True)
    agreed.pick("张三", "Yes, delete my data", private=True)
    agreed.grant("李四", "staff")

    listed = agreed.say("李四", "/suggestions")[0]

    assert "#1 " in listed and "its author asked linli to forget them" in listed


def test_after_forgetme_only_the_goodbye_is_left_in_the_outbox_for_their_private_chat(agreed):
    agreed.say("张三", "大家好")
    agreed.say("张三", "/whoami", private=True)
    agreed.say("张三", "/forgetme", private=True)
    room = agreed.address("张三", private=True).room_key

    agreed.pick("张三", "Yes, delete my data", private=True)

    with agreed.runtime.store.connect() as conn:
        left = conn.execute(sa.select(s.outbox.c.payload).where(s.outbox.c.room == room)).scalars().all()
    assert len(left) == 1 and "forgotten you" in str(left[0])
