"""The permission matrix: every command of every installed plugin × every role × member of the
district or not.

The commands and roles are read from the plugins' manifests, so a new command or role is in the
matrix without a change here. Two districts have every plugin enabled: the test district,
where a matter and a suggestion are waiting, and East Gate.

- A **member** of the test district (in its group, and holding the role there) gets the
  behaviour of their role: a command their roles do not allow is refused before the plugin
  runs, with the dispatcher's answer; one they may use reaches its handler.
- A **non-member** (in East Gate's group, holding the role there, whose private chat still
  points at the test district as a ``/start`` link used to leave it) is refused ``/start
  test``; then no command, in a private chat, runs in the test district, shows anything of
  it, or changes any of its rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from linli.core import people
from linli.core.dispatcher import NOT_A_MEMBER
from linli.core.events import Address, Inbound, Sender
from linli.core.i18n import translator
from linli.core.registry import PluginRegistry, load_entry_points
from linli.core.settings import DistrictSettings
from linli.core.specs import CommandSpec
from linli.core.storage import schema as s
from linli.testing import ChatHarness

REGISTRY = PluginRegistry(load_entry_points())
#: a resident with no role, then every role a manifest declares (staff and admin among them)
ROLES = ["", *sorted({r.name for p in REGISTRY.plugins.values() for r in p.manifest.roles})]
#: every command of every plugin, by its name
COMMANDS = sorted(
    (h.spec.name, h.plugin, h.name, h.spec)
    for h in REGISTRY.commands.values()
    if isinstance(h.spec, CommandSpec) and h.spec.name not in ("cancel", "forgetme")
)
FORGET = [(h.spec.name, h.plugin, h.name, h.spec) for h in REGISTRY.commands.values() if h.spec.name == "forgetme"]
#: what the test district holds that nobody outside it may see
SECRETS = ("Test Community", "测试社区", "路灯机密", "赵六", "楼道机密")
en = translator("en")
_ids = itertools.count(1)


def test_the_matrix_reads_every_installed_plugin_and_role():
    assert {"basics", "council", "suggestions", "captains", "mediation"} <= set(REGISTRY.plugins)
    assert {"staff", "admin", "council"} <= set(ROLES)
    assert len(COMMANDS) > 50


def harness(tmp_path: Any) -> ChatHarness:
    everything = tuple(REGISTRY.plugins)
    east = DistrictSettings(id="east", name="East Gate", language="en", rooms=("test:east",), plugins=everything)
    return ChatHarness(tmp_path, language="en", districts=[east])


def said(chat: ChatHarness, who: str, room: str, text: str, *, private: bool = False) -> tuple[str, list[str]]:
    """``who`` says ``text`` in ``room``; the event's id and the texts sent back."""
    event_id = f"matrix:{next(_ids)}"
    before = len(chat.sent)
    chat.submit(Inbound(event_id, Address("test", room), Sender("test", who, who), text=text, private=private))
    return event_id, [m.text for m in chat.sent[before:]]


def ran(chat: ChatHarness, key: str) -> bool:
    """Whether the handler of this (event, handler) key was reached."""
    with chat.runtime.store.connect() as conn:
        return conn.execute(sa.select(s.processed.c.key).where(s.processed.c.key == key)).first() is not None


def snapshot(chat: ChatHarness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the test district in every table (core and plugins) that has a district."""
    tables = [t for t in s.metadata.tables.values()]
    for plugin in chat.runtime.registry.plugins.values():
        if plugin.manifest.tables is not None:
            tables += plugin.manifest.tables.tables.values()
    out: dict[str, list[tuple[Any, ...]]] = {}
    with chat.runtime.store.connect() as conn:
        for table in tables:
            if "district_id" in table.c:
                rows = conn.execute(sa.select(table).where(table.c.district_id == "test")).fetchall()
                out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def seed(chat: ChatHarness) -> None:
    """A matter and a suggestion of 赵六's in the test district."""
    chat.say("赵六", "/raise 路灯机密")
    chat.say("赵六", "晚上太黑")
    chat.pick("赵六", "Repairs")
    chat.say("赵六", "/suggest 楼道机密")
    if any(m.choices for m in chat.sent[-1:]):
        chat.pick("赵六", 1)


def refusal_prefix(command: str) -> str:
    return en("Sorry, /{command} is only for: {roles}.", command=command, roles="\x00").split("\x00")[0]


@pytest.fixture
def chat(tmp_path) -> Iterator[ChatHarness]:
    h = harness(tmp_path)
    seed(h)
    yield h
    h.close()


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "resident")
def test_a_member_gets_the_behaviour_of_their_role_on_every_command(chat, role):
    who = f"member-{role or 'resident'}"
    if role:
        chat.grant(who, role)
    chat.say(who, "hello")  # in the test district's group
    with chat.runtime.store.connect() as conn:
        person = people.find_person(conn, f"test:{who}")
        roles = people.roles_in(conn, person.id, "test")
    wrong = []
    for name, plugin, handler, spec in [*COMMANDS, *FORGET]:
        private = spec.where == "private"
        room = f"@{who}" if private else "group"
        event_id, answers = said(chat, who, room, f"/{name} 1 测试", private=private)
        reached = ran(chat, f"{event_id}:{plugin}.{handler}")
        may = not spec.roles or people.has_role(roles, spec.roles)
        if may and not reached:
            wrong.append(f"/{name}: not run for {role or 'a resident'}: {answers}")
        if not may and (reached or not answers or not answers[0].startswith(refusal_prefix(name))):
            wrong.append(f"/{name}: not refused for {role or 'a resident'}: {answers}")
        said(chat, who, room, "/cancel", private=private)  # a dialog it opened ends here
    assert wrong == []


def outsider_findings(chat: ChatHarness, role: str, commands: list[tuple[str, str, str, CommandSpec]]) -> list[str]:
    """What an outsider holding ``role`` in East Gate saw of, or changed in, the test district
    by sending ``commands`` privately; empty when nothing."""
    who = f"outsider-{role or 'resident'}"
    chat.outsider(who)
    with chat.runtime.store.begin() as conn:
        person = people.person_for(conn, f"test:{who}", who)
        assert person is not None
        people.record_consent(conn, person.id, chat.settings.privacy.notice_version, True)
        if role:
            people.grant_role(conn, person.id, "east", role, by="test")
    said(chat, who, "east", "hello")  # in East Gate's group
    with chat.runtime.store.begin() as conn:  # a private chat pointed at the test district, as /start left it
        conn.execute(sa.update(s.persons).where(s.persons.c.id == person.id).values(home_district="test"))
    before = snapshot(chat)
    wrong = []
    _, refused = said(chat, who, f"@{who}", "/start test", private=True)
    if refused != [en(NOT_A_MEMBER)]:
        wrong.append(f"/start test: {refused}")
    for name, _plugin, _handler, _spec in commands:
        for text in (f"/{name} 1 测试", f"/{name}"):
            _, answers = said(chat, who, f"@{who}", text, private=True)
            seen = [a for a in answers if any(secret in a for secret in SECRETS)]
            if seen:
                wrong.append(f"{text}: showed {seen}")
            said(chat, who, f"@{who}", "/cancel", private=True)
        after = snapshot(chat)
        if after != before:
            wrong.append(f"/{name}: changed the test district's rows")
            before = after
    return wrong


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "resident")
def test_a_non_member_sees_nothing_of_the_district_and_changes_nothing_on_every_command(chat, role):
    assert outsider_findings(chat, role, [*COMMANDS, *FORGET]) == []


def test_the_matrix_fails_when_a_start_link_is_trusted_again(chat, monkeypatch):
    """The matrix can fail: with the old rule (a /start link, or the home district it leaves
    behind, is enough) it finds the hole."""
    from linli.core import members

    real_seen = people.seen

    def trusting(*args: Any, **kw: Any) -> people.Seen:
        found = real_seen(*args, **kw)
        return people.Seen(found.person, found.roles, True, found.in_room)

    monkeypatch.setattr(members, "is_member", lambda conn, person_id, district_id: True)
    monkeypatch.setattr(people, "seen", trusting)
    some = [c for c in COMMANDS if c[0] in ("matter", "support", "comment")]

    found = outsider_findings(chat, "", some)

    assert any(f.startswith("/start test: ") and "Test Community" in f for f in found), found
    assert {"/comment: changed the test district's rows", "/support: changed the test district's rows"} <= set(found)
