"""The adapter against a fake homeserver over real HTTP: idempotent sends, rate limits and
errors, direct rooms, and the sync loop's token, gaps, invites and backoff."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fake_homeserver import FakeHomeserver, _json, batch, message

from linli.adapters.matrix import MatrixAdapter, MatrixConfig, RoomPolicy
from linli.adapters.matrix.api import retry_after_of
from linli.core.errors import DeliveryError, PermanentDeliveryError, SettingsError
from linli.core.events import Address, Choice, Inbound, Outbound
from linli.core.storage import schema as s

BOT = "@linli:fake"
ROOM = "!room:fake"


@pytest.fixture
def hs() -> Iterator[FakeHomeserver]:
    with FakeHomeserver() as fake:
        yield fake


@pytest.fixture
def make(hs: FakeHomeserver, tmp_path: Path) -> Iterator[Callable[..., MatrixAdapter]]:
    url = f"sqlite:///{tmp_path / 'linli.db'}"
    engine = sa.create_engine(url)
    s.metadata.create_all(engine)
    engine.dispose()
    made: list[MatrixAdapter] = []

    def build(*, allowed: Callable[[str], bool] = lambda room: False, **config: Any) -> MatrixAdapter:
        settings = {"homeserver": hs.url, "user_id": BOT, "sync_timeout": 0.2, **config}
        adapter = MatrixAdapter(
            MatrixConfig(settings, env={"LINLI_MATRIX_ACCESS_TOKEN": "secret-token"}),
            storage_url=url,
            policy=RoomPolicy(allowed),
            encrypted_notice=lambda language: f"cannot read ({language})",
        )
        made.append(adapter)
        return adapter

    yield build
    for adapter in made:
        adapter.stop()
        adapter.close()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


class Gateway:
    """An adapter's gateway in a thread, collecting what it submits."""

    def __init__(self, adapter: MatrixAdapter, *, fail: int = 0) -> None:
        self.adapter = adapter
        self.got: list[Inbound] = []
        self.fail = fail
        self.thread = threading.Thread(target=adapter.run_gateway, args=(self.submit,), daemon=True)
        self.thread.start()

    def submit(self, inbound: Inbound) -> None:
        if self.fail > 0:
            self.fail -= 1
            raise ConnectionError("the broker is down")
        self.got.append(inbound)

    def stop(self) -> None:
        self.adapter.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()


# --- settings ---------------------------------------------------------------------------


def test_settings_need_a_homeserver_a_user_and_a_secret():
    with pytest.raises(SettingsError, match="LINLI_MATRIX_ACCESS_TOKEN"):
        MatrixConfig({"homeserver": "https://m.example.org", "user_id": BOT}, env={})
    with pytest.raises(SettingsError, match="homeserver"):
        MatrixConfig({"user_id": BOT}, env={"LINLI_MATRIX_ACCESS_TOKEN": "t"})
    with pytest.raises(SettingsError, match="user_id"):
        MatrixConfig(
            {"homeserver": "https://m.example.org", "user_id": "linli"}, env={"LINLI_MATRIX_ACCESS_TOKEN": "t"}
        )
    config = MatrixConfig(
        {"homeserver": "https://m.example.org/", "user_id": BOT, "allow_rooms": ["matrix:!a:b"]},
        env={"LINLI_MATRIX_PASSWORD": "pw"},
    )
    assert (config.homeserver, config.allow_rooms, config.accept_direct) == (
        "https://m.example.org",
        frozenset({"!a:b"}),
        True,
    )


def test_allow_rooms_takes_room_ids_of_every_room_version_and_refuses_an_alias():
    v12 = "!FZzPps5Mak8xjI8fwqgT2cX-wXdq74PPDBK2uknozVc"
    env = {"LINLI_MATRIX_ACCESS_TOKEN": "t"}
    config = MatrixConfig(
        {"homeserver": "https://m.example.org", "user_id": BOT, "allow_rooms": [f"matrix:{v12}", "!old:b.org"]},
        env=env,
    )
    assert config.allow_rooms == frozenset({v12, "!old:b.org"})
    with pytest.raises(SettingsError, match=r"#hall:b\.org"):
        MatrixConfig({"homeserver": "https://m.example.org", "user_id": BOT, "allow_rooms": ["#hall:b.org"]}, env=env)


# --- sending ----------------------------------------------------------------------------


def test_the_same_outbox_row_sent_twice_is_one_event(hs, make):
    adapter = make()
    message = Outbound(Address("matrix", ROOM), "你好", key="k:1")
    assert adapter.send(message) == adapter.send(message)
    assert len(hs.sent) == 1


def test_a_split_message_that_failed_halfway_goes_on_from_the_part_that_failed(hs, make):
    adapter = make()
    text = "一" * 5000 + "\n" + "二" * 5000
    message = Outbound(Address("matrix", ROOM), text, key="long:1")
    original = hs._send

    def fail_second(room: str, event_type: str, txn: str, content: dict[str, Any]) -> Any:
        if txn.endswith(".1") and not getattr(fail_second, "done", False):
            fail_second.done = True  # type: ignore[attr-defined]
            return _json(502, {"errcode": "M_UNKNOWN"})
        return original(room, event_type, txn, content)

    hs._send = fail_second  # type: ignore[method-assign]
    with pytest.raises(DeliveryError):
        adapter.send(message)
    adapter.send(message)
    assert [m["content"]["body"][0] for m in hs.sent] == ["一", "二"]


def test_a_rate_limit_is_a_delivery_error_with_the_wait_asked_for(hs, make):
    adapter = make()
    hs.failures = [(429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 2500}, {})]
    with pytest.raises(DeliveryError) as caught:
        adapter.send(Outbound(Address("matrix", ROOM), "a", key="k:2"))
    assert caught.value.retry_after == 2.5
    hs.failures = [(429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 2500}, {"Retry-After": "7"})]
    with pytest.raises(DeliveryError) as caught:
        adapter.send(Outbound(Address("matrix", ROOM), "a", key="k:2"))
    assert caught.value.retry_after == 7.0
    adapter.send(Outbound(Address("matrix", ROOM), "a", key="k:2"))
    assert len(hs.sent) == 1


def test_retry_after_falls_back_to_five_seconds():
    assert retry_after_of({}, {}) == 5.0
    assert retry_after_of({"Retry-After": "soon"}, {"retry_after_ms": 100}) == 0.1


def test_a_5xx_or_an_unreachable_homeserver_is_retried_and_a_refusal_is_permanent(hs, make, tmp_path):
    adapter = make()
    hs.failures = [(502, {}, {})]
    with pytest.raises(DeliveryError) as caught:
        adapter.send(Outbound(Address("matrix", ROOM), "a", key="k:3"))
    assert not isinstance(caught.value, PermanentDeliveryError) and caught.value.retry_after is None
    hs.failures = [(403, {"errcode": "M_FORBIDDEN", "error": "not in room"}, {})]
    with pytest.raises(PermanentDeliveryError, match="M_FORBIDDEN"):
        adapter.send(Outbound(Address("matrix", ROOM), "a", key="k:4"))
    gone = make(homeserver="http://127.0.0.1:9")
    with pytest.raises(DeliveryError) as caught:
        gone.send(Outbound(Address("matrix", ROOM), "a", key="k:5"))
    assert not isinstance(caught.value, PermanentDeliveryError)


def test_a_message_to_a_person_opens_one_direct_room_and_reuses_it(hs, make):
    adapter = make()
    to_li = Address("matrix", "@li:fake")
    adapter.send(Outbound(to_li, "私信一", key="dm:1"))
    adapter.send(Outbound(to_li, "私信二", key="dm:2"))
    assert len(hs.created) == 1
    assert hs.created[0]["is_direct"] is True and hs.created[0]["invite"] == ["@li:fake"]
    assert [m["room"] for m in hs.sent] == ["!dm1:fake", "!dm1:fake"]
    assert hs.account_data["m.direct"] == {"@li:fake": ["!dm1:fake"]}
    assert adapter.state.direct_user("!dm1:fake") == "@li:fake"


def test_choices_are_remembered_for_numbers_and_reactions(hs, make):
    adapter = make()
    event_id = adapter.send(
        Outbound(Address("matrix", ROOM), "选", (Choice("是", "p:yes"), Choice("否", "p:no")), key="c:1")
    )
    assert adapter.state.room_choices(ROOM) == ["p:yes", "p:no"]
    assert adapter.state.event_choices(str(event_id)) == ["p:yes", "p:no"]
    assert adapter.state.room_choices(ROOM, within=0) == []


# --- receiving --------------------------------------------------------------------------


def test_the_first_sync_takes_the_token_without_replaying_history(hs, make):
    adapter = make()
    hs.batches = [batch("s1", {ROOM: [message("$old", "/help")]}), batch("s2", {ROOM: [message("$new", "/help")]})]
    gateway = Gateway(adapter)
    wait_for(lambda: len(gateway.got) == 1)
    gateway.stop()
    assert [i.event_id for i in gateway.got] == ["matrix:$new"]
    assert adapter.state.since() == "s2"
    assert "since" not in hs.syncs[0] and hs.syncs[1]["since"] == "s1"


def test_the_token_is_saved_only_after_the_events_are_queued(hs, make):
    adapter = make()
    adapter.state.save_since("s1")
    hs.batches = [batch("s2", {ROOM: [message("$a", "/help")]}), batch("s2", {ROOM: [message("$a", "/help")]})]
    gateway = Gateway(adapter, fail=1)
    wait_for(lambda: len(gateway.got) == 1)
    wait_for(lambda: adapter.state.since() == "s2")
    gateway.stop()
    assert [q.get("since") for q in hs.syncs[:2]] == ["s1", "s1"]  # the failed batch was fetched again


def test_a_limited_timeline_is_completed_by_paging_back_to_the_saved_token(hs, make):
    adapter = make()
    adapter.state.save_since("s1")
    hs.batches = [batch("s9", {ROOM: [message("$8", "8"), message("$9", "9")]}, limited="p7")]
    hs.pages = {
        "p7": {"chunk": [message("$7", "7"), message("$6", "6")], "end": "p5"},
        "p5": {"chunk": [message("$5", "5")], "end": "p4"},
        "p4": {"chunk": []},
    }
    gateway = Gateway(adapter)
    wait_for(lambda: adapter.state.since() == "s9")
    gateway.stop()
    assert [i.text for i in gateway.got] == ["5", "6", "7", "8", "9"]
    assert all(q["to"] == "s1" and q["dir"] == "b" for q in hs.messages_asked)


def test_an_event_seen_twice_is_queued_once(hs, make):
    adapter = make()
    adapter.state.save_since("s1")
    hs.batches = [batch("s2", {ROOM: [message("$a", "a")]}), batch("s3", {ROOM: [message("$a", "a")]})]
    gateway = Gateway(adapter)
    wait_for(lambda: adapter.state.since() == "s3")
    gateway.stop()
    assert [i.event_id for i in gateway.got] == ["matrix:$a"]


def test_sync_errors_back_off_instead_of_hammering_the_homeserver(hs, make):
    adapter = make()
    adapter.state.save_since("s1")
    hs.sync_failures = [502] * 100
    gateway = Gateway(adapter)
    time.sleep(1.5)
    gateway.stop()
    # waits of 0.25-0.5, 0.25-1, 0.25-2 ... s: a handful of tries, not hundreds
    assert 2 <= len(hs.syncs) <= 5


def invite(sender: str, *, direct: bool = False) -> list[dict[str, Any]]:
    content = {"membership": "invite", **({"is_direct": True} if direct else {})}
    return [{"type": "m.room.member", "sender": sender, "state_key": BOT, "content": content}]


def test_invites_are_accepted_for_allowed_rooms_and_direct_chats_and_declined_otherwise(hs, make):
    adapter = make(allowed=lambda room: room == "!bound:fake")
    adapter.state.save_since("s1")
    hs.batches = [
        batch(
            "s2",
            invites={
                "!bound:fake": invite("@li:fake"),
                "!other:fake": invite("@li:fake"),
                "!dm:fake": invite("@wang:fake", direct=True),
            },
        )
    ]
    gateway = Gateway(adapter)
    wait_for(lambda: adapter.state.since() == "s2")
    gateway.stop()
    assert sorted(hs.joined) == ["!bound:fake", "!dm:fake"]
    assert hs.left == ["!other:fake"]
    assert adapter.state.direct_user("!dm:fake") == "@wang:fake"


def test_direct_chats_are_declined_when_the_deployment_does_not_accept_them(hs, make):
    adapter = make(accept_direct=False)
    adapter.policy.accept_direct = False
    adapter.state.save_since("s1")
    hs.batches = [batch("s2", invites={"!dm:fake": invite("@wang:fake", direct=True)})]
    gateway = Gateway(adapter)
    wait_for(lambda: adapter.state.since() == "s2")
    gateway.stop()
    assert hs.left == ["!dm:fake"]


def test_messages_in_a_direct_room_are_private(hs, make):
    adapter = make()
    adapter.state.save_since("s1")
    adapter.state.save_direct("@li:fake", "!dm:fake")
    hs.batches = [batch("s2", {"!dm:fake": [message("$a", "/mydata", sender="@li:fake")]})]
    gateway = Gateway(adapter)
    wait_for(lambda: len(gateway.got) == 1)
    gateway.stop()
    assert gateway.got[0].private


def test_an_encrypted_message_is_answered_with_a_notice_once(hs, make):
    adapter = make()
    adapter.state.save_since("s1")
    encrypted = [
        {
            "type": "m.room.encrypted",
            "event_id": f"$x{n}",
            "sender": "@li:fake",
            "content": {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "..."},
        }
        for n in range(3)
    ]
    hs.batches = [batch("s2", {ROOM: encrypted})]
    gateway = Gateway(adapter)
    wait_for(lambda: adapter.state.since() == "s2")
    gateway.stop()
    assert gateway.got == []
    [notice] = hs.sent
    assert notice["content"]["body"] == "cannot read (zh_CN)"
    assert notice["content"]["m.relates_to"] == {"m.in_reply_to": {"event_id": "$x0"}}


def test_a_group_message_carries_the_senders_standing_and_private_address(hs, make):
    adapter = make()
    adapter.state.save_since("s1")
    hs.state[(ROOM, "m.room.power_levels")] = {"users": {"@mod:fake": 50}}
    hs.state[(ROOM, "m.room.create")] = {
        "type": "m.room.create",
        "sender": "@founder:fake",
        "content": {"room_version": "12"},
    }
    hs.batches = [
        batch(
            "s2",
            {
                ROOM: [
                    message("$a", "/help", sender="@mod:fake"),
                    message("$b", "/help", sender="@founder:fake"),
                    message("$c", "/help", sender="@li:fake"),
                ]
            },
        )
    ]
    gateway = Gateway(adapter)
    wait_for(lambda: len(gateway.got) == 3)
    gateway.stop()
    assert [i.platform_roles for i in gateway.got] == [("moderator",), ("moderator", "room_admin"), ()]
    # and where the person can be written to privately: their user id, a direct room the adapter opens
    assert gateway.got[2].private_address == "matrix:@li:fake"


def test_a_password_login_is_stored_and_reused_so_the_device_stays_the_same(hs, tmp_path, make):
    make()  # creates the tables
    url = f"sqlite:///{tmp_path / 'linli.db'}"
    config = MatrixConfig({"homeserver": hs.url, "user_id": BOT}, env={"LINLI_MATRIX_PASSWORD": "right-password"})
    for n in range(2):
        adapter = MatrixAdapter(config, storage_url=url)
        try:
            adapter.send(Outbound(Address("matrix", ROOM), "你好", key=f"pw:{n}"))
        finally:
            adapter.close()
    assert len(hs.logins) == 1 and hs.logins[0]["identifier"]["user"] == BOT
    assert len(hs.sent) == 2
    assert adapter.state.login() == ("secret-token", "LINLIDEV")


def test_a_wrong_password_is_a_permanent_failure(hs, tmp_path, make):
    make()
    config = MatrixConfig({"homeserver": hs.url, "user_id": BOT}, env={"LINLI_MATRIX_PASSWORD": "wrong"})
    adapter = MatrixAdapter(config, storage_url=f"sqlite:///{tmp_path / 'linli.db'}")
    try:
        with pytest.raises(PermanentDeliveryError, match="login refused"):
            adapter.send(Outbound(Address("matrix", ROOM), "你好", key="pw:x"))
    finally:
        adapter.close()


def test_when_the_person_leaves_their_direct_room_the_bot_leaves_and_opens_a_new_one_when_needed(hs, make):
    adapter = make()
    adapter.state.save_since("s1")
    adapter.state.save_direct("@li:fake", "!dm:fake")
    left = {
        "type": "m.room.member",
        "event_id": "$l",
        "sender": "@li:fake",
        "state_key": "@li:fake",
        "content": {"membership": "leave"},
        "unsigned": {"prev_content": {"membership": "join"}},
    }
    hs.batches = [batch("s2", {"!dm:fake": [left]})]
    gateway = Gateway(adapter)
    wait_for(lambda: adapter.state.since() == "s2")
    gateway.stop()
    assert hs.left == ["!dm:fake"] and gateway.got == []
    assert adapter.state.direct_room("@li:fake") is None
    adapter.send(Outbound(Address("matrix", "!dm:fake"), "还在吗", key="dm:after"))
    assert [m["room"] for m in hs.sent] == ["!dm1:fake"]
    assert hs.created[0]["invite"] == ["@li:fake"]


def test_a_refused_token_from_a_password_login_is_replaced_by_a_new_login(hs, tmp_path, make):
    make()
    config = MatrixConfig(
        {"homeserver": hs.url, "user_id": BOT, "sync_timeout": 0.2}, env={"LINLI_MATRIX_PASSWORD": "right-password"}
    )
    adapter = MatrixAdapter(config, storage_url=f"sqlite:///{tmp_path / 'linli.db'}")
    try:
        adapter.send(Outbound(Address("matrix", ROOM), "一", key="t:1"))
        hs.token = "rotated"  # the old token was logged out
        adapter.send(Outbound(Address("matrix", ROOM), "二", key="t:2"))
        assert adapter.state.login() == ("rotated", "LINLIDEV")
        hs.token = "rotated-again"
        adapter.state.save_since("s1")
        gateway = Gateway(adapter)
        wait_for(lambda: len(hs.logins) == 3 and len(hs.syncs) > 2)
        gateway.stop()
    finally:
        adapter.close()
    assert [m["content"]["body"] for m in hs.sent] == ["一", "二"]


def test_a_refused_token_from_the_environment_is_a_permanent_failure(hs, make):
    adapter = make()
    hs.token = "rotated"
    with pytest.raises(PermanentDeliveryError, match="M_UNKNOWN_TOKEN"):
        adapter.send(Outbound(Address("matrix", ROOM), "一", key="t:3"))
    assert hs.logins == []
