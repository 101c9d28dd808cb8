"""The dispatcher: from a chat message to the plugin handler that should run, or a polite answer.

Everything here goes through the real dispatcher, actors, storage and outbox of
:class:`ChatHarness`; only the chat platform is fake.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from linli.core import directory, people
from linli.core.dispatcher import NOT_A_MEMBER, STRANGER
from linli.core.events import Address, Inbound, Sender
from linli.core.i18n import translator
from linli.core.plugin import N_, Manifest, Plugin, PluginContext, RoleSpec, command, on_dialog
from linli.core.settings import DistrictSettings, I18nSettings, Settings
from linli.core.storage import schema as s
from linli.plugins.basics import BasicsPlugin
from linli.plugins.suggestions import SuggestionsPlugin
from linli.plugins.suggestions.tables import suggestions
from linli.testing import ChatHarness, RecordingAdapter


class Probe(Plugin):
    """A plugin that remembers which of its handlers ran."""

    manifest = Manifest(
        name="probe",
        version="1.0",
        description=N_("Probe"),
        roles=(RoleSpec("staff"), RoleSpec("captain")),
    )

    def __init__(self, *, log: object = None) -> None:
        super().__init__(log=log)
        self.runs: list[str] = []

    @command("ping", help=N_("Answer pong"))
    def ping(self, ctx: PluginContext) -> None:
        self.runs.append("ping")
        assert ctx.person is not None
        ctx.reply(f"pong from {ctx.district.id} to #{ctx.person.id}")

    @command("staffonly", help=N_("Something only staff may do"), roles=("staff",))
    def staffonly(self, ctx: PluginContext) -> None:
        self.runs.append("staffonly")
        ctx.reply("staff business done")

    @command("captaincy", help=N_("Am I captain of this building?"), usage=N_("BUILDING"))
    def captaincy(self, ctx: PluginContext) -> None:
        scope = ctx.args[0] if ctx.args else None
        ctx.reply(f"captain of {scope}: {ctx.has_role('captain', scope=scope)}")

    @command("secret", help=N_("Only in a private chat"), where="private")
    def secret(self, ctx: PluginContext) -> None:
        self.runs.append("secret")
        ctx.reply("a private answer")

    @command("hiddenthing", help=N_("Not listed"), hidden=True)
    def hiddenthing(self, ctx: PluginContext) -> None:
        ctx.reply("found the hidden thing")


PLUGINS = [BasicsPlugin, SuggestionsPlugin, Probe]
UNBOUND = N_(
    "This room is not linked to a community yet. An administrator can "
    "link it with: linli rooms bind {room} --district ID"
)


@pytest.fixture
def chat(tmp_path) -> Iterator[ChatHarness]:
    """An English-speaking district with the core, suggestion box and probe plugins."""
    harness = ChatHarness(tmp_path, plugins=PLUGINS, language="en")
    yield harness
    harness.close()


def probe(chat: ChatHarness) -> Probe:
    plugin = chat.runtime.registry.plugins["probe"]
    assert isinstance(plugin, Probe)
    return plugin


def consent(chat: ChatHarness, identity: str, name: str) -> int:
    """Make ``identity`` a person who has accepted the privacy notice; returns the person id."""
    with chat.runtime.store.begin() as conn:
        person = people.person_for(conn, identity, name)
        assert person is not None
        people.record_consent(conn, person.id, chat.settings.privacy.notice_version, True)
    return person.id


def inbound(
    event_id: str,
    room: str,
    who: str,
    text: str,
    *,
    platform: str = "test",
    private: bool = False,
    kind: str = "message",
    choice: str | None = None,
) -> Inbound:
    return Inbound(
        event_id,
        Address(platform, room),
        Sender(platform, who, who),
        text=text,
        private=private,
        kind=kind,
        choice=choice,
    )  # type: ignore[arg-type]


def stored_suggestions(chat: ChatHarness) -> list[str]:
    with chat.runtime.store.connect() as conn:
        return list(conn.execute(sa.select(suggestions.c.text).order_by(suggestions.c.id)).scalars())


# --- where a message belongs ----------------------------------------------------------------


def test_the_district_comes_from_the_binding_of_the_room(tmp_path):
    other = DistrictSettings(
        id="xinglong", name="兴隆村", kind="village", language="en", rooms=("test:xinglong",), plugins=("core", "probe")
    )
    chat = ChatHarness(tmp_path, plugins=PLUGINS, language="en", districts=[other])
    try:
        person = consent(chat, "test:张三", "张三")

        chat.submit(inbound("e1", "xinglong", "张三", "/ping"))
        chat.submit(inbound("e2", "group", "张三", "/ping"))

        assert chat.in_room("xinglong") == [f"pong from xinglong to #{person}"]
        assert chat.in_room("group") == [f"pong from test to #{person}"]
    finally:
        chat.close()


def test_an_unbound_room_gets_one_polite_answer_and_never_a_second(chat):
    chat.submit(inbound("e1", "nowhere", "张三", "/help"))
    chat.submit(inbound("e2", "nowhere", "李四", "/ping"))
    chat.submit(inbound("e3", "nowhere", "张三", "/suggest 楼道灯坏了"))

    # nobody knows the room's language yet: the answer is in linli's default language
    assert chat.in_room("nowhere") == [translator("zh_CN")(UNBOUND, room="test:nowhere")]
    assert probe(chat).runs == []


def test_an_unbound_room_is_answered_in_the_deployments_default_language(tmp_path):
    settings = Settings(i18n=I18nSettings(default_language="en"))
    chat = ChatHarness(tmp_path, plugins=PLUGINS, language="en", settings=settings)
    try:
        chat.submit(inbound("e1", "nowhere", "张三", "/help"))

        assert chat.in_room("nowhere") == [translator("en")(UNBOUND, room="test:nowhere")]
    finally:
        chat.close()


def test_plain_talk_in_an_unbound_room_gets_no_answer(chat):
    chat.submit(inbound("e1", "nowhere", "张三", "大家好"))

    assert chat.in_room("nowhere") == []


def test_a_private_chat_belongs_to_the_district_where_the_person_last_spoke_in_a_group(chat):
    chat.say("张三", "/ping")

    replies = chat.say("张三", "/ping", private=True)

    assert replies == [replies[0]]
    assert replies[0].startswith("pong from test")
    assert chat.last("张三", private=True) == replies[0]


def test_a_private_chat_with_someone_from_no_known_group_is_asked_to_speak_in_a_group_first(chat):
    chat.submit(inbound("e1", "@stranger", "stranger", "/ping", private=True))

    assert chat.in_room("@stranger") == [translator("zh_CN")(STRANGER)]
    assert probe(chat).runs == []


def test_a_start_link_chooses_among_the_districts_one_is_a_member_of(tmp_path):
    village = DistrictSettings(
        id="village", name="Village", language="en", rooms=("test:village-group",), plugins=("core", "probe")
    )
    chat = ChatHarness(tmp_path, plugins=PLUGINS, language="en", districts=[village])
    try:
        consent(chat, "test:张三", "张三")
        chat.submit(inbound("e0", "group", "张三", "hello"))
        chat.submit(inbound("e1", "village-group", "张三", "hello"))  # in the village's group too
        chat.submit(inbound("e2", "@张三", "张三", "/ping", private=True))
        assert chat.in_room("@张三")[-1].startswith("pong from village")  # where they last spoke

        chat.submit(inbound("e3", "@张三", "张三", "/start test", private=True))
        chat.submit(inbound("e4", "@张三", "张三", "/ping", private=True))
        assert chat.in_room("@张三")[-1].startswith("pong from test")
    finally:
        chat.close()


def test_a_start_link_to_a_district_one_is_not_a_member_of_shows_and_changes_nothing(tmp_path):
    village = DistrictSettings(
        id="village", name="Village", language="en", rooms=("test:village-group",), plugins=("core", "probe")
    )
    chat = ChatHarness(tmp_path, plugins=PLUGINS, language="en", districts=[village])
    try:
        # t.me/<bot>?start=village: someone who was never in any group opens the bot
        chat.submit(inbound("e1", "@newcomer", "newcomer", "/start village", private=True))
        assert chat.in_room("@newcomer") == [translator("zh_CN")(NOT_A_MEMBER)]
        consent(chat, "test:newcomer", "newcomer")
        chat.submit(inbound("e2", "@newcomer", "newcomer", "/ping", private=True))
        assert chat.in_room("@newcomer")[-1] == translator("zh_CN")(STRANGER)
        assert probe(chat).runs == []
        with chat.runtime.store.connect() as conn:
            assert (
                conn.execute(
                    sa.select(s.persons.c.home_district).where(s.persons.c.display_name == "newcomer")
                ).scalar()
                is None
            )
    finally:
        chat.close()


def test_a_start_link_to_no_known_district_changes_nothing(chat):
    chat.say("张三", "/ping")  # 张三's home is the test district
    chat.submit(inbound("e1", "@张三", "张三", "/start nowhere", private=True))
    assert chat.in_room("@张三") == [translator("en")(NOT_A_MEMBER)]
    assert chat.say("张三", "/ping", private=True)[0].startswith("pong from test")

    chat.submit(inbound("e2", "@stranger", "stranger", "/start nowhere", private=True))
    assert chat.in_room("@stranger") == [translator("zh_CN")(NOT_A_MEMBER)]


def test_start_in_a_group_shows_what_one_can_do_there(chat):
    assert chat.say("张三", "/start")[0].startswith("Test Community: what you can do here")


# --- which commands exist here ---------------------------------------------------------------


def test_a_command_of_a_plugin_not_enabled_here_does_not_exist_until_it_is_enabled(tmp_path):
    chat = ChatHarness(tmp_path, plugins=PLUGINS, language="en", enabled=["core", "suggestions"])
    try:
        assert "There is no /ping here" in chat.say("张三", "/ping")[0]
        assert "/ping" not in chat.say("张三", "/help")[0]
        assert probe(chat).runs == []

        chat.enable("probe")

        assert chat.say("张三", "/ping")[0].startswith("pong from test")
        assert "/ping" in chat.say("张三", "/help")[0]

        chat.enable("probe", False)

        assert "There is no /ping here" in chat.say("张三", "/ping")[0]
        assert probe(chat).runs == ["ping"]
    finally:
        chat.close()


def test_an_unknown_command_suggests_close_matches(chat):
    answer = chat.say("张三", "/pnig")[0]

    assert "There is no /pnig here" in answer
    assert "/ping" in answer


def test_an_unknown_command_with_nothing_close_points_to_help(chat):
    answer = chat.say("张三", "/xyzzy")[0]

    assert "There is no /xyzzy here" in answer
    assert "/help" in answer
    assert "Did you mean" not in answer


def test_an_unknown_command_never_suggests_what_this_person_may_not_use(chat):
    assert "/staffonly" not in chat.say("张三", "/staffonl")[0]

    chat.grant("王主任", "staff")

    assert "/staffonly" in chat.say("王主任", "/staffonl")[0]


def test_a_chinese_alias_runs_the_command(chat):
    assert "What is your suggestion" in chat.say("张三", "/建议")[0]


# --- who may do what ------------------------------------------------------------------------------


def test_a_staff_command_from_a_resident_is_refused_before_the_plugin_runs(chat):
    answer = chat.say("张三", "/staffonly")

    assert answer == ["Sorry, /staffonly is only for: community worker."]
    assert probe(chat).runs == []


def test_a_staff_command_from_staff_runs(chat):
    chat.grant("王主任", "staff")

    assert chat.say("王主任", "/staffonly") == ["staff business done"]
    assert probe(chat).runs == ["staffonly"]


def test_an_administrator_may_run_every_command(chat):
    chat.grant("管理员", "admin")

    assert chat.say("管理员", "/staffonly") == ["staff business done"]


def test_a_role_in_another_district_gives_nothing_here(tmp_path):
    other = DistrictSettings(id="other", name="Other", language="en", rooms=("test:other",), plugins=("core", "probe"))
    chat = ChatHarness(tmp_path, plugins=PLUGINS, language="en", districts=[other])
    try:
        person = consent(chat, "test:王主任", "王主任")
        with chat.runtime.store.begin() as conn:
            people.grant_role(conn, person, "other", "staff", by="test")

        assert chat.say("王主任", "/staffonly") == ["Sorry, /staffonly is only for: community worker."]
        chat.submit(inbound("e-other", "other", "王主任", "/staffonly"))
        assert chat.in_room("other") == ["staff business done"]
    finally:
        chat.close()


def test_a_private_only_command_in_the_group_is_refused_and_works_in_private(chat):
    answer = chat.say("张三", "/secret")

    assert answer == ["Use /secret in a private chat with me, not in the group."]
    assert probe(chat).runs == []
    assert chat.say("张三", "/secret", private=True) == ["a private answer"]


def test_help_lists_only_what_a_resident_may_do_here(chat):
    listing = chat.say("张三", "/help")[0]

    assert "/ping" in listing
    assert "/suggest" in listing
    assert "/whoami" in listing
    assert "/staffonly" not in listing
    assert "/suggestions" not in listing
    assert "/answer" not in listing
    assert "/hiddenthing" not in listing


def test_help_lists_staff_commands_for_staff(chat):
    chat.grant("王主任", "staff")

    listing = chat.say("王主任", "/help")[0]

    assert "/staffonly" in listing
    assert "/suggestions" in listing
    assert "/answer NUMBER TEXT" in listing
    assert "/hiddenthing" not in listing


def test_a_hidden_command_still_works(chat):
    assert chat.say("张三", "/hiddenthing") == ["found the hidden thing"]


# --- persons, identities and scoped roles -----------------------------------------------------------


def test_one_person_with_two_identities_keeps_the_same_roles_on_both(chat):
    matrix = RecordingAdapter()
    chat.runtime.adapters["matrix"] = matrix
    person_id = consent(chat, "test:王主任", "王主任")
    chat.grant("王主任", "staff")
    with chat.runtime.store.begin() as conn:
        people.link_identity(conn, person_id, "matrix:@wang:example.org", "王主任")
        directory.bind_room(conn, "matrix:!group", "test", by="test")

    chat.submit(inbound("m1", "!group", "@wang:example.org", "/staffonly", platform="matrix"))
    chat.submit(inbound("m2", "!group", "@wang:example.org", "/ping", platform="matrix"))

    assert [m.text for m in matrix.sent] == ["staff business done", f"pong from test to #{person_id}"]
    assert chat.say("王主任", "/ping") == [f"pong from test to #{person_id}"]


def test_a_role_scoped_to_a_building_is_seen_at_that_building_only(chat):
    chat.grant("李楼长", "captain", "building:12")

    assert chat.say("李楼长", "/captaincy building:12") == ["captain of building:12: True"]
    assert chat.say("李楼长", "/captaincy building:13") == ["captain of building:13: False"]
    assert chat.say("李楼长", "/captaincy") == ["captain of None: True"]


def test_a_district_wide_role_covers_every_building(chat):
    chat.grant("赵书记", "captain")

    assert chat.say("赵书记", "/captaincy building:13") == ["captain of building:13: True"]


def test_someone_without_the_role_is_captain_nowhere(chat):
    assert chat.say("张三", "/captaincy building:12") == ["captain of building:12: False"]
    assert chat.say("张三", "/captaincy") == ["captain of None: False"]


# --- dialogs ---------------------------------------------------------------------------------------


def test_a_dialog_continues_across_messages_until_it_is_done(chat):
    assert "What is your suggestion" in chat.say("张三", "/suggest")[0]
    assert "Which kind of suggestion" in chat.say("张三", "楼道灯坏了")[0]

    assert "number 1" in chat.pick("张三", "Repairs")[0]
    assert stored_suggestions(chat) == ["楼道灯坏了"]
    assert chat.say("张三", "还有一件事") == []


def test_a_dialog_belongs_to_one_person_in_one_room(chat):
    chat.say("张三", "/suggest")

    assert chat.say("李四", "楼道灯坏了") == []
    assert "Which kind of suggestion" in chat.say("张三", "垃圾桶满了")[0]


def test_cancel_ends_a_dialog_and_nothing_is_saved(chat):
    chat.say("张三", "/suggest")
    chat.say("张三", "楼道灯坏了")

    assert chat.say("张三", "/cancel") == ["Cancelled. Nothing from that conversation was saved."]
    assert chat.say("张三", "垃圾桶满了") == []
    assert stored_suggestions(chat) == []


def test_a_button_of_a_cancelled_dialog_saves_nothing(chat):
    chat.say("张三", "/suggest 楼道灯坏了")
    chat.say("张三", "/取消")

    answer = chat.pick("张三", "Repairs")

    assert "already filed or cancelled" in answer[0]
    assert stored_suggestions(chat) == []


class Notebook(Plugin):
    """A dialog that keeps each line as it comes, and says so when stopped."""

    manifest = Manifest(name="notebook", version="1.0", description=N_("Notebook"))

    @command("note", help=N_("Write lines into a notebook"))
    def note(self, ctx: PluginContext) -> None:
        ctx.start_dialog("lines", data={"book": "A"}, prompt="write")

    @command("broken", help=N_("A dialog whose stopped text does not fit its data"))
    def broken(self, ctx: PluginContext) -> None:
        ctx.start_dialog("odd", data={}, prompt="write")

    @on_dialog("lines", stopped=N_("Stopped. The lines you wrote are kept in notebook {book}."))
    def lines(self, ctx: PluginContext) -> None:
        ctx.reply("kept")
        ctx.continue_dialog(step="", data=ctx.dialog.data if ctx.dialog else {})

    @on_dialog("odd", stopped=N_("Stopped. Kept in {missing}."))
    def odd(self, ctx: PluginContext) -> None:
        ctx.continue_dialog(step="")


def test_cancel_says_what_a_dialog_kept_when_it_declares_it(tmp_path):
    chat = ChatHarness(tmp_path, plugins=[BasicsPlugin, Notebook], language="en")
    try:
        chat.say("张三", "/note")
        assert chat.say("张三", "第一行") == ["kept"]
        assert chat.say("张三", "/cancel") == ["Stopped. The lines you wrote are kept in notebook A."]
        chat.say("张三", "/broken")  # a text that does not fit falls back to the usual answer
        assert chat.say("张三", "/cancel") == ["Cancelled. Nothing from that conversation was saved."]
    finally:
        chat.close()


def test_cancel_without_a_dialog_says_there_is_nothing_to_cancel(chat):
    assert chat.say("张三", "/cancel") == ["There is nothing to cancel."]


def test_a_dialog_left_for_more_than_thirty_minutes_times_out_and_saves_nothing(chat):
    chat.say("张三", "/suggest")
    chat.advance(minutes=31)

    answer = chat.say("张三", "楼道灯坏了")

    assert len(answer) == 1
    assert "timed out" in answer[0]
    assert "nothing from it was saved" in answer[0]
    assert chat.say("张三", "垃圾桶满了") == []
    assert stored_suggestions(chat) == []


def test_a_dialog_answered_within_thirty_minutes_continues(chat):
    chat.say("张三", "/suggest")
    chat.advance(minutes=29)

    assert "Which kind of suggestion" in chat.say("张三", "楼道灯坏了")[0]


def test_each_answer_gives_a_dialog_another_thirty_minutes(chat):
    chat.say("张三", "/suggest")
    chat.advance(minutes=20)
    chat.say("张三", "楼道灯坏了")
    chat.advance(minutes=20)

    assert "number 1" in chat.pick("张三", "Repairs")[0]


def test_a_bad_answer_keeps_the_dialog_at_the_same_step(chat):
    chat.say("张三", "/suggest")

    assert chat.say("张三", "   ") == ["The suggestion is empty. What would you like to suggest?"]
    assert "Which kind of suggestion" in chat.say("张三", "楼道灯坏了")[0]
    assert "number 1" in chat.pick("张三", "Safety")[0]
    assert stored_suggestions(chat) == ["楼道灯坏了"]


def test_typing_instead_of_picking_a_button_keeps_the_dialog_waiting_for_the_button(chat):
    chat.say("张三", "/suggest 楼道灯坏了")

    assert chat.say("张三", "维修") == ["Please pick one of the categories above."]
    assert "number 1" in chat.pick("张三", "Repairs")[0]


def test_a_worker_restart_in_the_middle_of_a_dialog_continues_it(tmp_path):
    first = ChatHarness(tmp_path, plugins=PLUGINS, language="en")
    first.say("张三", "/suggest")
    first.close()

    second = ChatHarness(tmp_path, plugins=PLUGINS, language="en")
    try:
        assert "Which kind of suggestion" in second.say("张三", "楼道灯坏了")[0]
        assert "number 1" in second.pick("张三", "Repairs")[0]
        assert stored_suggestions(second) == ["楼道灯坏了"]
    finally:
        second.close()


def test_a_reopened_harness_answers_a_command_the_previous_one_already_answered(tmp_path):
    first = ChatHarness(tmp_path, plugins=PLUGINS, language="en")
    assert first.say("张三", "/ping") != []
    first.close()

    second = ChatHarness(tmp_path, plugins=PLUGINS, language="en")
    try:
        assert second.say("张三", "/ping") != []
    finally:
        second.close()


# --- redelivery ---------------------------------------------------------------------------------------


def test_a_redelivered_button_press_stores_the_suggestion_once_and_answers_once(chat):
    chat.say("张三", "/suggest 楼道灯坏了")
    button = chat.sent[-1].choices[1]
    press = inbound("tg-1001", "group", "张三", button.label, kind="choice", choice=button.value)
    before = len(chat.sent)

    chat.submit(press)
    chat.submit(press)

    assert stored_suggestions(chat) == ["楼道灯坏了"]
    replies = [m.text for m in chat.sent[before:]]
    assert len(replies) == 1
    assert "number 1" in replies[0]


def test_a_redelivered_command_runs_its_handler_once(chat):
    consent(chat, "test:张三", "张三")
    event = inbound("tg-2001", "group", "张三", "/ping")

    chat.submit(event)
    chat.submit(event)

    assert probe(chat).runs == ["ping"]
    assert len(chat.in_room("group")) == 1


def test_a_redelivered_dialog_answer_moves_the_dialog_once(chat):
    chat.say("张三", "/suggest")
    answer = inbound("tg-3001", "group", "张三", "楼道灯坏了")

    chat.submit(answer)
    chat.submit(answer)

    prompts = [t for t in chat.in_room() if "Which kind of suggestion" in t]
    assert len(prompts) == 1


def test_a_redelivered_unknown_command_is_answered_once(chat):
    consent(chat, "test:张三", "张三")
    event = inbound("tg-4001", "group", "张三", "/pnig")

    chat.submit(event)
    chat.submit(event)

    assert len(chat.in_room()) == 1


def test_the_processed_mark_is_kept_per_handler_and_event(chat):
    consent(chat, "test:张三", "张三")
    chat.submit(inbound("tg-5001", "group", "张三", "/ping"))

    with chat.runtime.store.connect() as conn:
        keys = list(conn.execute(sa.select(s.processed.c.key)).scalars())

    assert "tg-5001:probe.ping" in keys


# --- the directory cache under concurrent events ----------------------------------------------------


def test_an_event_arriving_while_the_directory_loads_still_finds_its_room(chat, monkeypatch):
    import threading

    cache = directory.DirectoryCache()
    loading, release = threading.Event(), threading.Event()
    load = directory.list_districts

    def slow_load(conn):
        loading.set()
        release.wait(5)
        return load(conn)

    monkeypatch.setattr(directory, "list_districts", slow_load)
    found: dict[str, object] = {}

    def look(name):
        with chat.runtime.store.connect() as conn:
            found[name] = cache.district_of_room(conn, "test:group")

    first = threading.Thread(target=look, args=("first",))
    first.start()
    assert loading.wait(5)
    second = threading.Thread(target=look, args=("second",))
    second.start()
    second.join(0.2)  # with the bug it has answered by now; without it, it waits for the load
    release.set()
    first.join(5)
    second.join(5)

    assert found["first"] is not None
    assert found["second"] is not None


def test_a_button_pressed_by_someone_else_runs_nothing_for_either(chat):
    chat.say("张三", "/forgetme")
    button = chat.sent[-1].choices[0]
    before = len(chat.sent)

    chat.submit(
        Inbound(
            "someone-else",
            chat.address(),
            Sender("test", "李四", "李四"),
            text=button.label,
            kind="choice",
            choice=button.value,
        )
    )

    assert chat.in_room()[before:] == ["That button is for someone else; it was not pressed for them."]
    assert "agreed" in chat.say("张三", "/mydata", private=True)[0]  # 张三 is still known, with his consent


# --- a bare number ----------------------------------------------------------------------------------


def test_a_bare_number_that_answers_nothing_is_not_silently_lost(chat):
    assert chat.say("张三", "1") == [
        "I could not match “1” to a question or a list of choices. To choose from buttons, press one; "
        "send /help to see what you can do."
    ]
    assert chat.say("张三", "#2", private=True)[0].startswith("I could not match “#2”")


def test_a_bare_number_where_people_vote_says_how_to_vote(tmp_path):
    from linli.plugins.council import CouncilPlugin

    harness = ChatHarness(tmp_path, plugins=[BasicsPlugin, CouncilPlugin], language="zh_CN")
    try:
        harness.say("张三", "/polls")
        assert harness.say("张三", "1") == [
            "没能把“1”对应到任何问题或选项。要投票，请发送 /vote 编号 和您的选择，例如 /vote 1 同意；"
            "要选按钮上的选项，请直接点按钮。"
        ]
    finally:
        harness.close()


def test_a_number_within_a_sentence_is_chatter(chat):
    assert chat.say("张三", "我家 3 口人") == []
    assert chat.say("张三", "2026") == []


# --- any message, any command ----------------------------------------------------------------------

# a resident's thumbs on a phone: numbers of every size and script, signs, symbols, control
# characters and lone surrogates (a broken client or a fuzzer), Chinese, keywords commands know
_ODD = [
    "²",
    "¹²³",
    "٣",
    "99999999999999999999999",
    str(2**63),
    "#3",
    "＃３",
    "-1",
    "0",
    "3.5",
    "\ud800",
    "\udfff",
    "\x00",
    "\x1b[31m",
    "\r\n",
    "“",
    "@",
]
_WORDS = ["同意", "yes", "no", "history", "历史", "3d", "48h", "secret", "high", "张三", "1", "2"]


def _tokens() -> Any:
    from hypothesis import strategies as st

    return st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(_ODD + _WORDS),
        st.text(max_size=12),
    )


def test_no_message_ends_in_a_handler_failure(tmp_path):
    """Generated messages through the dispatcher and every command of every installed plugin.

    ``LINLI_FUZZ_EXAMPLES=100000 pytest --timeout=0 -k handler_failure`` runs the long version."""
    import os

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    harness = ChatHarness(tmp_path, language="en")
    harness.grant("刘书记", "admin")
    words = sorted({*harness.runtime.registry.commands, *harness.runtime.registry.aliases})
    message = st.one_of(
        st.tuples(st.sampled_from(words), st.lists(_tokens(), max_size=4)).map(lambda c: " ".join(["/" + c[0], *c[1]])),
        st.lists(_tokens(), min_size=1, max_size=4).map(" ".join),
    )
    failures: list[str] = []

    @settings(
        max_examples=int(os.environ.get("LINLI_FUZZ_EXAMPLES", "100")),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(text=message, who=st.sampled_from(["刘书记", "张三"]), private=st.booleans())
    def speak(text: str, who: str, private: bool) -> None:
        answers = harness.say(who, text, private=private)
        harness.say(who, "/cancel", private=private)  # a dialog it opened ends here
        if any(a.startswith("Sorry, something went wrong on my side") for a in answers):
            failures.append(repr(text))
        assert not failures, failures

    try:
        speak()
    finally:
        harness.close()
