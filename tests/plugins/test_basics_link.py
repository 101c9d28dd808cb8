"""A resident from the register, without a chat account, is acted for by a worker and later
links her account with ``/link CODE`` (the basics plugin), through ``ctx.registry``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest
import sqlalchemy as sa

from linli.core import people
from linli.core.i18n import translator
from linli.core.plugin import N_, Manifest, Plugin, PluginContext, command, on_event
from linli.core.register import Registry
from linli.core.storage import schema as s
from linli.plugins.basics import BasicsPlugin
from linli.testing import ChatHarness


class Helper(Plugin):
    """What a captains or rural plugin does with the register, in two commands."""

    manifest = Manifest(name="helper", version="1.0", description=N_("test"))
    merged: ClassVar[list[dict[str, int]]] = []

    @command("visit", help=N_("test"), roles=("staff",))
    def visit(self, ctx: PluginContext) -> None:
        reg = ctx.registry
        household = reg.household(ctx.args[0], ctx.args[1])
        if household is None:
            raise ctx.fail("no such household")
        for person in reg.members(household.id):
            if not person.has_account:
                reg.act_for(person.person_id, "helper.visited", f"household:{household.id}")
        ctx.reply("visited")

    @command("code", help=N_("test"), roles=("staff",), where="private")
    def code(self, ctx: PluginContext) -> None:
        reg = ctx.registry
        household = reg.household(ctx.args[0], ctx.args[1])
        assert household is not None
        person = next(p for p in reg.members(household.id) if p.name == ctx.args[2])
        ctx.reply(f"code {reg.issue_link_code(person.person_id)}")

    @on_event("linli.person_merged")
    def follow(self, ctx: PluginContext) -> None:
        assert ctx.event is not None
        Helper.merged.append(dict(ctx.event.payload))


@pytest.fixture
def chat(tmp_path) -> Iterator[ChatHarness]:
    harness = ChatHarness(tmp_path, plugins=[BasicsPlugin, Helper], language="en")
    with harness.runtime.store.begin() as conn:
        reg = Registry(conn, "test", actor="cli:test")
        household = reg.add_household(reg.add_building("12").id, "301", unit="2")
        reg.add_person(household.id, "王秀英", relation="户主")
    harness.grant("worker", "staff")
    harness.say("worker", "大家好")  # the group makes the district the worker's home, for private chats
    Helper.merged.clear()
    yield harness
    harness.close()


def register_person(chat: ChatHarness) -> int:
    with chat.runtime.store.connect() as conn:
        return conn.execute(sa.select(s.residents.c.person_id).where(s.residents.c.name == "王秀英")).scalar_one()


def test_a_worker_acts_for_a_resident_without_a_chat_account_and_the_record_says_so(chat):
    chat.say("worker", "/visit 12 2-301")

    with chat.runtime.store.connect() as conn:
        row = conn.execute(sa.select(s.audit_log).where(s.audit_log.c.action == "helper.visited")).one()
        worker = people.person_for(conn, "test:worker", "worker", create=False).id
    assert (row.person_id, row.acted_for, row.plugin) == (worker, register_person(chat), "helper")


def test_a_resident_links_herself_with_the_code_her_captain_gave_her(chat):
    code = chat.say("worker", "/code 12 2-301 王秀英", private=True)[0].split()[-1]

    answer = chat.say("wang", f"/link {code}", private=True)

    assert answer == [
        "Done: your account is now linked to your entry in the community's register. "
        "Your captain no longer needs to act for you."
    ]
    wang = register_person(chat)
    with chat.runtime.store.connect() as conn:
        assert people.person_for(conn, "test:wang", "wang", create=False).id == wang
    assert Helper.merged and Helper.merged[0]["into"] == wang
    assert "王秀英" in chat.say("wang", "/whoami", private=True)[0]


def test_a_code_used_once_does_not_link_a_second_account(chat):
    code = chat.say("worker", "/code 12 2-301 王秀英", private=True)[0].split()[-1]
    chat.say("wang", f"/link {code}", private=True)

    answer = chat.say("thief", f"/link {code}", private=True)

    assert answer == ["That code is not valid or was used already. Ask your captain for a new one."]
    with chat.runtime.store.connect() as conn:
        assert people.person_for(conn, "test:thief", "thief", create=False).id != register_person(chat)


def test_link_without_a_code_says_how(chat):
    assert "/link" in chat.say("wang", "/link")[0]


def test_a_wrong_code_in_a_first_private_message_gets_the_usual_answer(chat):
    chat.outsider("stranger")  # in no group: the code is their only way in

    answer = chat.say("stranger", "/link NOTACODE", private=True)

    assert answer == [
        translator("zh_CN")("That code is not valid or was used already. Ask your captain for a new one.")
    ]


def test_mydata_shows_the_register_entry_once_linked(chat):
    code = chat.say("worker", "/code 12 2-301 王秀英", private=True)[0].split()[-1]
    chat.say("wang", f"/link {code}", private=True)

    answer = chat.say("wang", "/mydata", private=True)[0]

    assert "In the community's register: 王秀英, household 2-301 of building 12" in answer
