"""District membership: who may see and do things in a district, in a private chat above all.

A person is a member of a district through its group rooms (speaking or joining), their roles,
their household in the register, or an administrator; never through a ``/start`` link alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from linli.core import members, people
from linli.core.dispatcher import NOT_A_MEMBER, STRANGER
from linli.core.events import Address, Inbound, Sender
from linli.core.i18n import translator
from linli.core.register import Registry
from linli.core.settings import DistrictSettings
from linli.core.storage import schema as s
from linli.plugins.basics import BasicsPlugin
from linli.plugins.council import CouncilPlugin
from linli.testing import ChatHarness

EAST = DistrictSettings(id="east", name="East Gate", language="en", rooms=("test:east",), plugins=("core", "council"))
en = translator("en")


def harness(tmp_path: Any, **kw: Any) -> ChatHarness:
    """The test district (group ``group``) and East Gate (group ``east``), both with the council."""
    return ChatHarness(tmp_path, plugins=[BasicsPlugin, CouncilPlugin], language="en", districts=[EAST], **kw)


@pytest.fixture
def chat(tmp_path) -> Iterator[ChatHarness]:
    h = harness(tmp_path)
    h.outsider("王五")
    yield h
    h.close()


def said(chat: ChatHarness, who: str, room: str, text: str, *, private: bool = False) -> list[str]:
    """``who`` says ``text`` in ``room`` (any room, bound to any district)."""
    before = len(chat.sent)
    chat.submit(Inbound(chat._event_id(), Address("test", room), Sender("test", who, who), text=text, private=private))
    return [m.text for m in chat.sent[before:]]


def consented(chat: ChatHarness, who: str) -> int:
    with chat.runtime.store.begin() as conn:
        person = people.person_for(conn, f"test:{who}", who)
        assert person is not None
        people.record_consent(conn, person.id, chat.settings.privacy.notice_version, True)
    return person.id


def districts_of(chat: ChatHarness, who: str) -> list[str]:
    with chat.runtime.store.connect() as conn:
        person = people.find_person(conn, f"test:{who}")
        return members.districts_of(conn, person.id)


def raise_matter(chat: ChatHarness, who: str = "张三") -> None:
    chat.say(who, "/raise 3号楼前路灯坏了")
    chat.say(who, "晚上太黑，老人出门不安全")
    chat.pick(who, "Repairs")


def council_rows(chat: ChatHarness) -> list[tuple[Any, ...]]:
    """Every row of the council's tables in the test district."""
    out: list[tuple[Any, ...]] = []
    tables = CouncilPlugin.manifest.tables
    assert tables is not None
    with chat.runtime.store.connect() as conn:
        for table in sorted(tables.tables.values(), key=lambda t: t.name):
            out += [(table.name, *r) for r in conn.execute(sa.select(table).where(table.c.district_id == "test"))]
    return out


# --- the issue: /start of another district ------------------------------------------------------


def test_someone_seen_only_in_one_district_cannot_read_or_act_in_another_through_a_start_link(chat):
    raise_matter(chat)  # 张三's matter in the test district
    before = council_rows(chat)
    consented(chat, "王五")
    said(chat, "王五", "east", "大家好")  # 王五 is in East Gate's group only

    assert said(chat, "王五", "@王五", "/start test", private=True) == [en(NOT_A_MEMBER)]
    answers = [
        *said(chat, "王五", "@王五", "/matters", private=True),
        *said(chat, "王五", "@王五", "/matter 1", private=True),
        *said(chat, "王五", "@王五", "/support 1", private=True),
        *said(chat, "王五", "@王五", "/comment 1 我也同意", private=True),
    ]

    assert not any("路灯" in a or "张三" in a for a in answers), answers
    assert council_rows(chat) == before
    assert districts_of(chat, "王五") == ["east"]
    said(chat, "王五", "@王五", "/raise 东门的事", private=True)
    with chat.runtime.store.connect() as conn:
        dialogs = conn.execute(sa.select(s.dialogs.c.district_id)).scalars().all()
    assert dialogs == ["east"]  # a dialog of their own district, never of the test district


def test_someone_in_no_group_at_all_is_told_how_to_join_whatever_they_send(chat):
    consented(chat, "王五")

    assert said(chat, "王五", "@王五", "/start test", private=True) == [translator("zh_CN")(NOT_A_MEMBER)]
    assert said(chat, "王五", "@王五", "/matters", private=True) == [translator("zh_CN")(STRANGER)]
    assert said(chat, "王五", "@王五", "hello", private=True) == [translator("zh_CN")(STRANGER)]
    with chat.runtime.store.connect() as conn:
        home = conn.execute(sa.select(s.persons.c.home_district).where(s.persons.c.display_name == "王五")).scalar()
    assert home is None
    assert districts_of(chat, "王五") == []


def test_a_stale_home_district_from_before_memberships_opens_nothing(chat):
    raise_matter(chat)
    pid = consented(chat, "王五")
    with chat.runtime.store.begin() as conn:  # what a /start link used to leave behind
        conn.execute(sa.update(s.persons).where(s.persons.c.id == pid).values(home_district="test"))

    answers = said(chat, "王五", "@王五", "/matters", private=True)

    assert answers == [en(STRANGER)]  # in the district's language, telling nothing else of it


# --- where membership comes from --------------------------------------------------------------


def test_speaking_in_a_group_makes_one_a_member_once_with_the_room_and_the_time(chat):
    consented(chat, "王五")
    said(chat, "王五", "east", "大家好")
    said(chat, "王五", "east", "还有一件事")

    with chat.runtime.store.connect() as conn:
        rows = conn.execute(sa.select(s.memberships)).fetchall()
    assert [(r.district_id, r.source, r.ref) for r in rows] == [("east", "room", "test:east")]
    assert rows[0].since is not None
    assert said(chat, "王五", "@王五", "/whoami", private=True)[0].startswith("You are 王五")


def test_joining_a_group_makes_one_a_member_before_saying_anything(chat):
    consented(chat, "王五")
    assert chat.join("王五", "east") == []

    assert said(chat, "王五", "@王五", "/matters", private=True) != [translator("zh_CN")(STRANGER)]
    assert districts_of(chat, "王五") == ["east"]


def test_leaving_the_group_ends_the_membership_that_came_from_it(chat):
    chat.say("李四", "hello")
    assert chat.say("李四", "/matters", private=True) != [en(STRANGER)]

    assert chat.leave("李四") == []

    assert said(chat, "李四", "@李四", "/matters", private=True) == [en(STRANGER)]
    assert districts_of(chat, "李四") == []


def test_leaving_the_group_keeps_a_membership_that_comes_from_a_role(chat):
    chat.grant("刘书记", "council")
    chat.say("刘书记", "hello")

    chat.leave("刘书记")

    assert districts_of(chat, "刘书记") == ["test"]
    assert chat.say("刘书记", "/whoami", private=True)[0].startswith("You are 刘书记")


def test_leaving_one_group_keeps_the_membership_of_another_group_of_the_same_district(tmp_path):
    two_rooms = DistrictSettings(
        id="north", name="North", language="en", rooms=("test:north-1", "test:north-2"), plugins=("core",)
    )
    chat = ChatHarness(tmp_path, plugins=[BasicsPlugin], language="en", districts=[two_rooms])
    try:
        chat.outsider("王五")
        consented(chat, "王五")
        said(chat, "王五", "north-1", "hello")
        said(chat, "王五", "north-2", "hello")

        chat.leave("王五", "north-1")

        assert districts_of(chat, "王五") == ["north"]
        chat.leave("王五", "north-2")
        assert districts_of(chat, "王五") == []
    finally:
        chat.close()


def test_revoking_the_last_role_ends_the_membership_that_came_from_roles(chat):
    pid = consented(chat, "王五")
    with chat.runtime.store.begin() as conn:
        people.grant_role(conn, pid, "test", "council", by="test")
        people.grant_role(conn, pid, "test", "facilitator", by="test")
        people.revoke_role(conn, pid, "test", "council", by="test")
    assert districts_of(chat, "王五") == ["test"]

    with chat.runtime.store.begin() as conn:
        people.revoke_role(conn, pid, "test", "facilitator", by="test")

    assert districts_of(chat, "王五") == []
    assert said(chat, "王五", "@王五", "/matters", private=True) == [translator("zh_CN")(STRANGER)]


# --- several districts -----------------------------------------------------------------------------


def test_a_member_of_several_districts_without_a_current_one_is_asked_to_choose(chat):
    pid = consented(chat, "王五")
    said(chat, "王五", "east", "hello")
    with chat.runtime.store.begin() as conn:
        members.add(conn, pid, "test", "staff", by="test")
        conn.execute(sa.update(s.persons).where(s.persons.c.id == pid).values(home_district=None))

    answer = said(chat, "王五", "@王五", "/matters", private=True)

    assert answer == [
        translator("zh_CN")(
            "You are a member of several communities. Choose the one to talk about:\n{choices}",
            choices="/start east — East Gate\n/start test — Test Community",
        )
    ]
    said(chat, "王五", "@王五", "/start test", private=True)
    assert said(chat, "王五", "@王五", "/whoami", private=True)[0].startswith("You are 王五 (person")
    assert "in Test Community" in chat.last("王五", private=True)
    said(chat, "王五", "@王五", "/start east", private=True)
    assert "in East Gate" in said(chat, "王五", "@王五", "/whoami", private=True)[0]


def test_a_conversation_begun_in_a_district_one_has_left_goes_no_further(chat):
    chat.say("李四", "hello")
    said(chat, "李四", "east", "hello")
    chat.say("李四", "/start test", private=True)
    chat.say("李四", "/raise 楼道灯不亮", private=True)  # a dialog about the test district
    chat.leave("李四")
    said(chat, "李四", "@李四", "/start east", private=True)  # the private chat is about East Gate now

    answer = said(chat, "李四", "@李四", "每天晚上都不亮", private=True)

    assert answer == [en("Cancelled. Nothing from that conversation was saved.")]
    with chat.runtime.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(s.dialogs)).scalar() == 0


# --- the register: a link code from staff --------------------------------------------------------


def issue_code(chat: ChatHarness, district: str = "test") -> tuple[str, int]:
    with chat.runtime.store.begin() as conn:
        reg = Registry(conn, district, actor="cli:test")
        household = reg.add_household(reg.add_building("12").id, "301")
        added = reg.add_person(household.id, "王秀英", relation="户主")
        return reg.issue_link_code(added.resident.person_id), household.id


def test_a_link_code_from_staff_makes_its_holder_a_member_of_the_households_district(chat):
    code, household = issue_code(chat)
    consented(chat, "王五")
    said(chat, "王五", "east", "hello")  # a member of East Gate only

    answer = said(chat, "王五", "@王五", f"/link {code}", private=True)

    assert answer[-1].startswith("Done: your account is now linked")
    assert districts_of(chat, "王五") == ["east", "test"]
    with chat.runtime.store.connect() as conn:
        person = people.find_person(conn, "test:王五")
        why = [(m.district_id, m.source, m.ref) for m in members.memberships_of(conn, person.id)]
    assert ("test", "household", str(household)) in why
    assert "in Test Community" in said(chat, "王五", "@王五", "/whoami", private=True)[0]


def test_a_first_message_with_a_link_code_shows_the_notice_and_links_at_once(chat):
    code, _ = issue_code(chat)

    answer = said(chat, "新人", "@新人", f"/link {code}", private=True)

    assert any("Privacy notice" in a for a in answer)
    assert any(a.startswith("Done: your account is now linked") for a in answer)
    # the notice's buttons were for the account before it was linked: /privacy shows them again
    said(chat, "新人", "@新人", "/privacy", private=True)
    assert chat.pick("新人", "I agree", private=True) == ["Thank you. Send /help to see what you can do here."]
    assert districts_of(chat, "新人") == ["test"]


def test_a_used_or_unknown_link_code_opens_nothing(chat):
    code, _ = issue_code(chat)
    consented(chat, "王五")
    said(chat, "王五", "@王五", f"/link {code}", private=True)
    consented(chat, "赵六")

    # in the language of the district whose code it was
    invalid = "That code is not valid or was used already. Ask your captain for a new one."
    bad = en(invalid)
    assert said(chat, "赵六", "@赵六", f"/link {code}", private=True) == [bad]
    assert said(chat, "赵六", "@赵六", "/link 23456789", private=True) == [translator("zh_CN")(invalid)]
    assert districts_of(chat, "赵六") == []


# --- cost ------------------------------------------------------------------------------------------


def test_a_known_members_message_reads_membership_in_the_statement_that_loads_them_and_writes_none(chat):
    chat.say("李四", "hello")
    statements: list[str] = []
    engine = chat.runtime.store.engine

    def trace(dbapi_conn: Any, _record: Any) -> None:
        assert isinstance(dbapi_conn, sqlite3.Connection)
        dbapi_conn.set_trace_callback(statements.append)

    sa.event.listen(engine, "connect", trace)
    engine.pool.dispose()  # every connection from now on is a new, traced one
    try:
        chat.say("李四", "hello again")
        chat.say("李四", "/matters", private=True)
    finally:
        sa.event.remove(engine, "connect", trace)

    touching = [q for q in statements if "memberships" in q]
    assert len(touching) == 2, touching  # the one statement per event that loads the person
    assert all(q.lstrip().upper().startswith("SELECT") for q in touching), touching


@pytest.mark.postgres
def test_on_postgresql_a_start_link_opens_nothing_either(tmp_path, postgres_url):
    chat = harness(tmp_path, database_url=postgres_url)
    try:
        chat.outsider("王五")
        raise_matter(chat)
        before = council_rows(chat)
        consented(chat, "王五")
        said(chat, "王五", "east", "大家好")

        assert said(chat, "王五", "@王五", "/start test", private=True) == [en(NOT_A_MEMBER)]
        answers = said(chat, "王五", "@王五", "/matter 1", private=True)
        answers += said(chat, "王五", "@王五", "/support 1", private=True)

        assert not any("路灯" in a for a in answers), answers
        assert council_rows(chat) == before
        chat.leave("王五", "east")
        assert said(chat, "王五", "@王五", "/matters", private=True) == [en(STRANGER)]
    finally:
        chat.close()
