"""A Matrix deployment as processes against a real Synapse: ``linli gateway --platform matrix``
and ``linli worker`` on the Redis broker and PostgreSQL, a resident talking through matrix-nio.

Bound rooms get replies; history before the first start is not replayed; a SIGKILLed
gateway loses and repeats nothing (with the gap read back through /messages); a retried
send posts once; reactions and numbers pick choices; unbound rooms are declined; the
homeserver's M_LIMIT_EXCEEDED is obeyed; encrypted rooms are told they cannot be read.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from matrix_homeserver import SERVER_NAME, Synapse

from linli.core.errors import PermanentDeliveryError
from linli.pipeline import Next

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

T = TypeVar("T")
WAIT = 40.0


#: the room versions every test runs on: the homeserver's default (12 on current Synapse, whose
#: room ids have no server part: !FZzPps5Mak8xjI8fwqgT2cX-wXdq74PPDBK2uknozVc) and an older one
#: (!abc:linli.test)
ROOM_VERSIONS = [pytest.param(None, id="default-room-version"), pytest.param("10", id="room-version-10")]


@pytest.fixture(scope="session", params=ROOM_VERSIONS)
def synapse(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    """One Synapse for the session per room version; skipped here when it cannot start, failed on CI."""
    try:
        import synapse as _  # noqa: F401 - only whether it is installed
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("matrix-synapse is not installed, and CI needs it (pip install -e '.[test]')")
        pytest.skip("matrix-synapse is not installed")
    server = Synapse(tmp_path_factory.mktemp("synapse"), room_version=request.param)
    try:
        server.start()
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"synapse did not start, and CI needs it: {exc}")
        pytest.skip(f"synapse did not start: {exc}")
    print(f"\nsynapse started in {server.started_in:.1f} s (rooms: {request.param or 'default'})", file=sys.stderr)
    yield server
    server.stop()


class Resident:
    """A person's Matrix client (matrix-nio), on an event loop in a thread of its own."""

    def __init__(self, server: Synapse, localpart: str) -> None:
        from nio import AsyncClient

        login = server.register(localpart)
        self.user_id: str = login["user_id"]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.client = AsyncClient(server.url, self.user_id)
        self.client.restore_login(self.user_id, login["device_id"], login["access_token"])

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=WAIT)

    def _ok(self, response: Any) -> Any:
        from nio import ErrorResponse

        assert not isinstance(response, ErrorResponse), response
        return response

    def create_room(self, invite: list[str], **kw: Any) -> str:
        return str(self._ok(self.run(self.client.room_create(invite=invite, **kw))).room_id)

    def join(self, room: str) -> None:
        self._ok(self.run(self.client.join(room)))

    def say(self, room: str, text: str, **content: Any) -> str:
        body = {"msgtype": "m.text", "body": text, **content}
        return str(self._ok(self.run(self.client.room_send(room, "m.room.message", body))).event_id)

    def send(self, room: str, event_type: str, content: dict[str, Any]) -> str:
        return str(self._ok(self.run(self.client.room_send(room, event_type, content))).event_id)

    def react(self, room: str, event_id: str, key: str) -> str:
        return self.send(
            room, "m.reaction", {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        )

    def events(self, room: str) -> list[dict[str, Any]]:
        """The room's timeline, oldest first, as JSON."""
        from nio import MessageDirection

        found: list[dict[str, Any]] = []
        now = self.run(self.client.sync(timeout=0, sync_filter={"room": {"timeline": {"limit": 1}}}))
        token = self._ok(now).next_batch
        while True:
            page = self._ok(
                self.run(self.client.room_messages(room, start=token, direction=MessageDirection.back, limit=100))
            )
            found.extend(e.source for e in page.chunk)
            if not page.chunk or not page.end:
                return found[::-1]
            token = page.end

    def membership(self, room: str, user: str) -> str:
        from nio import RoomGetStateEventResponse

        answer = self.run(self.client.room_get_state_event(room, "m.room.member", user))
        return str(answer.content.get("membership")) if isinstance(answer, RoomGetStateEventResponse) else ""

    def invites(self) -> dict[str, Any]:
        answer = self._ok(self.run(self.client.sync(timeout=0, full_state=True)))
        return dict(answer.rooms.invite)

    def close(self) -> None:
        self.run(self.client.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


class MatrixDeployment:
    """Settings, the database prepared, the bot's account, and the processes a test starts."""

    def __init__(self, path: Path, server: Synapse, *, redis_url: str, storage_url: str, limited: bool = False) -> None:
        from linli.core.settings import load_settings
        from linli.workers.runtime import Runtime

        self.path, self.server = path, server
        self.bot = server.register(f"bot{path.name[-12:].lower().replace('_', '')}", limited=limited)
        self.resident = Resident(server, f"resident{path.name[-12:].lower().replace('_', '')}")
        self.settings_path = path / "settings.toml"
        self.settings_path.write_text(
            f'[storage]\nurl = "{storage_url}"\n'
            f'[queue]\nbroker = "{redis_url}"\nworker_threads = 2\nworker_timeout_ms = 50\n'
            '[logging]\nlevel = "info"\nformat = "json"\n'
            f'[platforms.matrix]\nhomeserver = "{server.url}"\nuser_id = "{self.bot["user_id"]}"\n'
            "sync_timeout = 2\ntimeline_limit = 3\n"
            '[districts.t]\nname = "测试社区"\nplugins = ["core", "suggestions"]\n'
            '[districts.t.config.core]\nplatform_roles = { room_admin = "staff" }\n',
            encoding="utf-8",
        )
        self.settings = load_settings(self.settings_path, env={})
        self.rt = Runtime(self.settings)
        self.rt.prepare_database()
        self.consented(self.resident.user_id)
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def consented(self, user_id: str) -> None:
        """Make ``user_id`` a person who accepted the privacy notice already."""
        from linli.core import people

        with self.rt.store.begin() as conn:
            person = people.person_for(conn, f"matrix:{user_id}", user_id)
            assert person is not None
            people.record_consent(conn, person.id, self.settings.privacy.notice_version, True)

    def bind(self, room: str) -> None:
        from linli.core import directory

        with self.rt.store.begin() as conn:
            directory.bind_room(conn, f"matrix:{room}", "t", by="test")

    def join(self, room: str) -> None:
        """The bot joins ``room`` (invited) without a gateway."""
        from linli.adapters.matrix.api import MatrixApi

        api = MatrixApi(self.server.url, self.bot["user_id"], self.bot["access_token"])
        asyncio.run(_closing(api, api.join(room)))

    def bound_room(self) -> str:
        """A room of the resident's, bound to the district, with the bot invited."""
        room = self.resident.create_room([])
        self.bind(room)
        self.resident.run(self.resident.client.room_invite(room, self.bot["user_id"]))
        return room

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = self.path / f"proc-{len(self.procs)}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
        env["LINLI_MATRIX_ACCESS_TOKEN"] = self.bot["access_token"]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "linli", "--settings", str(self.settings_path), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        self.procs.append((proc, log))
        return proc

    def worker(self) -> subprocess.Popen[bytes]:
        return self.start("worker", "--processes", "1", "--threads", "4")

    def gateway(self) -> subprocess.Popen[bytes]:
        """Start the gateway and wait for its first sync (its token saved)."""
        proc = self.start("gateway", "--platform", "matrix")
        self.wait_for(lambda: self.since() is not None, "the gateway did not sync")
        return proc

    def since(self) -> str | None:
        from linli.adapters.matrix.state import MatrixState

        state = MatrixState(self.settings.storage.url, self.bot["user_id"])
        try:
            return state.since()
        finally:
            state.close()

    def outputs(self) -> str:
        return "\n".join(f"--- {p.args[4:6]}\n{log.read_text(errors='replace')[-6000:]}" for p, log in self.procs)

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not condition():
            for proc, _ in self.procs:
                if proc.poll() not in (None, -signal.SIGKILL, -signal.SIGTERM, 0):
                    pytest.fail(f"{what}: a process exited with {proc.returncode}:\n{self.outputs()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{what} after {WAIT} s; processes said:\n{self.outputs()}")
            time.sleep(0.2)

    def bot_messages(self, room: str) -> list[dict[str, Any]]:
        return self.bot_messages_seen_by(self.resident, room)

    def bot_messages_seen_by(self, resident: Resident, room: str) -> list[dict[str, Any]]:
        return [
            e
            for e in resident.events(room)
            if e.get("sender") == self.bot["user_id"] and e.get("type") == "m.room.message"
        ]

    def replies(self, room: str) -> dict[str, list[dict[str, Any]]]:
        """The bot's messages in ``room`` by the event they reply to."""
        found: dict[str, list[dict[str, Any]]] = {}
        for event in self.bot_messages(room):
            relation = event["content"].get("m.relates_to", {})
            target = relation.get("m.in_reply_to", {}).get("event_id", "")
            found.setdefault(target, []).append(event)
        return found

    def close(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=WAIT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.resident.close()
        self.rt.close()


@pytest.fixture
def mx(tmp_path: Path, synapse: Synapse, postgres_url: str) -> Iterator[MatrixDeployment]:
    with _deployment(tmp_path, synapse, postgres_url) as deployment:
        yield deployment


@pytest.fixture
def limited_mx(tmp_path: Path, synapse: Synapse, postgres_url: str) -> Iterator[MatrixDeployment]:
    """A deployment whose bot has the homeserver's ordinary message rate limit."""
    with _deployment(tmp_path, synapse, postgres_url, limited=True) as deployment:
        yield deployment


@contextlib.contextmanager
def _deployment(tmp_path: Path, synapse: Synapse, postgres_url: str, **kw: Any) -> Iterator[MatrixDeployment]:
    import redis

    # a Redis database of its own, and the shared one left alone: another test run's workers
    # there would take these messages, and emptying it would lose theirs
    own = os.environ.get("LINLI_TEST_MATRIX_REDIS_URL") or (
        os.environ.get("LINLI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/12"
    )
    client = redis.Redis.from_url(own, socket_connect_timeout=0.5)
    try:
        client.flushdb()
    except redis.RedisError:
        client.close()
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not running at {own}, and CI needs it")
        pytest.skip(f"Redis is not running at {own}")
    deployment = MatrixDeployment(tmp_path, synapse, redis_url=own, storage_url=postgres_url, **kw)
    try:
        yield deployment
    finally:
        deployment.close()
        client.flushdb()
        client.close()


def test_a_command_in_a_bound_room_gets_its_reply(mx):
    room = mx.bound_room()
    mx.worker()
    gateway = mx.gateway()
    mx.wait_for(lambda: mx.resident.membership(room, mx.bot["user_id"]) == "join", "the bot did not join")
    asked = mx.resident.say(room, "!help")  # "/help" is the Matrix client's own command
    mx.wait_for(lambda: asked in mx.replies(room), "no reply to !help")
    [reply] = mx.replies(room)[asked]
    assert "/help" in reply["content"]["body"] or "help" in reply["content"]["body"].lower()
    assert reply["content"]["format"] == "org.matrix.custom.html"
    assert reply["content"]["msgtype"] == "m.notice"
    # a command written in a thread is answered in that thread
    threaded = mx.resident.say(
        room,
        "!whoami",
        **{
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": asked,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": asked},
            }
        },
    )
    mx.wait_for(lambda: threaded in mx.replies(room), "no reply in the thread")
    relation = mx.replies(room)[threaded][0]["content"]["m.relates_to"]
    assert (relation["rel_type"], relation["event_id"]) == ("m.thread", asked)
    gateway.send_signal(signal.SIGTERM)
    gateway.wait(timeout=WAIT)
    assert gateway.returncode == 0, mx.outputs()


def test_a_room_bound_with_linli_rooms_bind_gets_its_reply_whatever_its_room_version(mx):
    room = mx.resident.create_room([])
    # room version 12 and later: the id is the create event's hash, without a server part
    assert (":" in room) == (mx.server.room_version is not None), room
    bound = subprocess.run(
        [
            sys.executable,
            "-m",
            "linli",
            "--settings",
            str(mx.settings_path),
            "rooms",
            "bind",
            f"matrix:{room}",
            "-d",
            "t",
        ],
        capture_output=True,
        text=True,
        timeout=WAIT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}, "LINLI_LANG": "en"},
    )
    assert bound.returncode == 0, bound.stderr
    mx.resident.run(mx.resident.client.room_invite(room, mx.bot["user_id"]))
    mx.worker()
    mx.gateway()
    mx.wait_for(lambda: mx.resident.membership(room, mx.bot["user_id"]) == "join", "the bot did not join")
    asked = mx.resident.say(room, "!whoami")
    mx.wait_for(lambda: asked in mx.replies(room), "no reply to !whoami")


def test_history_from_before_the_first_start_is_not_replayed(mx):
    room = mx.resident.create_room([mx.bot["user_id"]])
    mx.bind(room)
    mx.join(room)
    old = mx.resident.say(room, "/help")
    mx.worker()
    mx.gateway()
    new = mx.resident.say(room, "/help")
    mx.wait_for(lambda: new in mx.replies(room), "no reply to the new /help")
    time.sleep(1)
    assert old not in mx.replies(room)


async def _closing(api: Any, call: Any) -> Any:
    try:
        return await call
    finally:
        await api.close()


def test_no_event_is_lost_or_repeated_when_the_gateway_is_killed_and_restarted(mx):
    room = mx.bound_room()
    mx.worker()
    gateway = mx.gateway()
    mx.wait_for(lambda: mx.resident.membership(room, mx.bot["user_id"]) == "join", "the bot did not join")
    asked = [mx.resident.say(room, "/help") for _ in range(4)]
    mx.wait_for(lambda: len(mx.replies(room)) >= 1, "no reply")
    gateway.send_signal(signal.SIGKILL)
    gateway.wait()
    # more than the sync's timeline_limit (3): the restarted gateway must page back through /messages
    asked += [mx.resident.say(room, "/help") for _ in range(8)]
    mx.gateway()
    mx.wait_for(lambda: set(asked) <= set(mx.replies(room)), "not every command answered")
    time.sleep(2)  # anything doubled would arrive by now
    replies = mx.replies(room)
    assert {target: len(events) for target, events in replies.items()} == dict.fromkeys(asked, 1)
    assert "caught up on a room after a gap" in mx.outputs()


def test_the_same_outbox_row_sent_twice_posts_one_event(mx):
    from linli.adapters.matrix import MatrixAdapter, MatrixConfig
    from linli.core.events import Address, Outbound

    room = mx.bound_room()
    mx.join(room)
    config = MatrixConfig(mx.settings.platforms["matrix"], env={"LINLI_MATRIX_ACCESS_TOKEN": mx.bot["access_token"]})
    adapter = MatrixAdapter(config, storage_url=mx.settings.storage.url)
    try:
        message = Outbound(Address("matrix", room), "只发一次 <b>&</b>", key="outbox:42")
        first = adapter.send(message)
        second = adapter.send(message)
    finally:
        adapter.close()
    assert first == second
    sent = [e for e in mx.bot_messages(room) if e["content"]["body"] == "只发一次 <b>&</b>"]
    assert len(sent) == 1
    assert sent[0]["content"]["formatted_body"] == "只发一次 &lt;b&gt;&amp;&lt;/b&gt;"


def test_a_reaction_or_a_number_picks_a_choice(mx):
    room = mx.bound_room()
    mx.worker()
    mx.gateway()
    mx.wait_for(lambda: mx.resident.membership(room, mx.bot["user_id"]) == "join", "the bot did not join")
    asked = mx.resident.say(room, "/privacy")
    mx.wait_for(lambda: asked in mx.replies(room), "no privacy notice")
    [notice] = mx.replies(room)[asked]
    assert "1\ufe0f\u20e3" in notice["content"]["body"]
    before = len(mx.bot_messages(room))
    mx.resident.react(room, notice["event_id"], "1\ufe0f\u20e3")
    mx.wait_for(lambda: len(mx.bot_messages(room)) == before + 1, "the reaction was not answered")
    assert "/help" in mx.bot_messages(room)[-1]["content"]["body"]
    asked = mx.resident.say(room, "/privacy")
    mx.wait_for(lambda: asked in mx.replies(room), "no second privacy notice")
    before = len(mx.bot_messages(room))
    mx.resident.say(room, "1")
    mx.wait_for(lambda: len(mx.bot_messages(room)) == before + 1, "the number was not answered")
    assert "/help" in mx.bot_messages(room)[-1]["content"]["body"]


def test_an_invite_to_an_unbound_room_is_declined(mx):
    mx.worker()
    mx.gateway()
    room = mx.resident.create_room([mx.bot["user_id"]])
    mx.wait_for(lambda: mx.resident.membership(room, mx.bot["user_id"]) == "leave", "the invite was not declined")
    assert "invite declined" in mx.outputs()


def test_an_encrypted_room_is_told_that_the_bot_cannot_read_it(mx):
    room = mx.resident.create_room(
        [],
        initial_state=[
            {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}
        ],
    )
    mx.bind(room)
    mx.resident.run(mx.resident.client.room_invite(room, mx.bot["user_id"]))
    mx.worker()
    mx.gateway()
    mx.wait_for(lambda: mx.resident.membership(room, mx.bot["user_id"]) == "join", "the bot did not join")
    secret = mx.resident.send(
        room,
        "m.room.encrypted",
        {
            "algorithm": "m.megolm.v1.aes-sha2",
            "ciphertext": "AwgAEn...",
            "sender_key": "x",
            "device_id": "D",
            "session_id": "s",
        },
    )
    mx.wait_for(lambda: secret in mx.replies(room), "the encrypted room was not told")
    assert "加密" in mx.replies(room)[secret][0]["content"]["body"]


def test_a_private_message_opens_a_direct_room_that_the_person_can_answer_in(mx):
    import sqlalchemy as sa

    from linli.core import outbox
    from linli.core.events import Address, Outbound
    from linli.core.storage import schema as s

    mx.worker()
    mx.gateway()
    with mx.rt.store.begin() as conn:
        outbox.add_message(conn, Outbound(Address("matrix", mx.resident.user_id), "私信", key="dm:1"), "t")
    mx.rt.transport.send(Next(rooms=[f"matrix:{mx.resident.user_id}"]))
    invites: dict[str, Any] = {}
    mx.wait_for(lambda: bool(invites.update(mx.resident.invites()) or invites), "no direct room invite")
    [(room, invite)] = invites.items()
    assert any(getattr(e, "content", {}).get("is_direct") for e in invite.invite_state)
    mx.resident.join(room)
    mx.wait_for(lambda: len(mx.bot_messages(room)) == 1, "the private message did not arrive")
    assert mx.bot_messages(room)[0]["content"]["body"] == "私信"
    mx.resident.say(room, "/help")
    mx.wait_for(lambda: len(mx.bot_messages(room)) == 2, "no reply in the direct room")
    with mx.rt.store.connect() as conn:  # the dispatcher recorded it as the person's private chat
        assert (
            conn.execute(
                sa.select(s.identities.c.private_room).where(s.identities.c.identity == f"matrix:{mx.resident.user_id}")
            ).scalar()
            == f"matrix:{room}"
        )


def test_m_limit_exceeded_is_obeyed_with_the_wait_the_homeserver_asked_for(synapse, tmp_path):
    import sqlalchemy as sa

    from linli.adapters.matrix import MatrixAdapter, MatrixConfig
    from linli.adapters.matrix.api import MatrixApi
    from linli.core.errors import DeliveryError
    from linli.core.events import Address, Outbound
    from linli.core.storage import schema as s

    bot = synapse.register(f"limited{tmp_path.name[-10:].lower().replace('_', '')}", limited=True)
    resident = Resident(synapse, f"limres{tmp_path.name[-10:].lower().replace('_', '')}")
    try:
        room = resident.create_room([bot["user_id"]])
    finally:
        resident.close()
    config = MatrixConfig(
        {"homeserver": synapse.url, "user_id": bot["user_id"]}, env={"LINLI_MATRIX_ACCESS_TOKEN": bot["access_token"]}
    )
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = sa.create_engine(url)
    s.cursors.create(engine)
    engine.dispose()
    adapter = MatrixAdapter(config, storage_url=url)
    api = MatrixApi(synapse.url, bot["user_id"], bot["access_token"])
    asyncio.run(_closing(api, api.join(room)))
    try:
        with pytest.raises(DeliveryError) as caught:
            for n in range(20):
                adapter.send(Outbound(Address("matrix", room), f"第{n}条", key=f"limit:{n}"))
    finally:
        adapter.close()
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 10
    assert "rate limited" in str(caught.value)


def test_room_version_12_creators_and_moderators_have_roles_from_power_levels(mx):
    from linli.adapters.matrix.api import MatrixApi
    from linli.adapters.matrix.power import MODERATOR, ROOM_ADMIN, PowerLevels

    room = mx.resident.create_room(
        [mx.bot["user_id"]], room_version="12", power_level_override={"users": {mx.bot["user_id"]: 50}}
    )
    api = MatrixApi(mx.server.url, mx.bot["user_id"], mx.bot["access_token"])

    async def roles() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        await api.join(room)
        levels = PowerLevels(api)
        return (
            await levels.roles(room, mx.resident.user_id),
            await levels.roles(room, mx.bot["user_id"]),
            await levels.roles(room, "@nobody:" + SERVER_NAME),
        )

    creator, moderator, nobody = asyncio.run(_closing(api, roles()))
    assert creator == (MODERATOR, ROOM_ADMIN)
    assert moderator == (MODERATOR,)
    assert nobody == ()


def test_a_room_admin_acts_as_staff_where_the_district_says_so_and_answers_reach_people_privately(mx):
    room = mx.bound_room()  # the resident made it: power level 100
    other = Resident(mx.server, f"other{mx.path.name[-12:].lower().replace('_', '')}")
    mx.consented(other.user_id)
    try:
        mx.resident.run(mx.resident.client.room_invite(room, other.user_id))
        other.join(room)
        mx.worker()
        mx.gateway()
        mx.wait_for(lambda: mx.resident.membership(room, mx.bot["user_id"]) == "join", "the bot did not join")
        admin_asks = mx.resident.say(room, "!whoami")
        other_asks = other.say(room, "!whoami")
        mx.wait_for(lambda: {admin_asks, other_asks} <= set(mx.replies(room)), "no answers to !whoami")
        assert "社区工作者" in mx.replies(room)[admin_asks][0]["content"]["body"]
        assert "社区工作者" not in mx.replies(room)[other_asks][0]["content"]["body"]

        # the staff's answer reaches the suggester privately, in a direct room the bot opens
        suggested = other.say(room, "!suggest 楼道的灯坏了")
        mx.wait_for(lambda: suggested in mx.replies(room), "no reply to !suggest")  # which category?
        before = len(mx.bot_messages(room))
        other.say(room, "1")
        mx.wait_for(lambda: len(mx.bot_messages(room)) > before, "the category was not taken")
        answered = mx.resident.say(room, "!answer 1 明天修")
        mx.wait_for(lambda: answered in mx.replies(room), "no reply to !answer")
        invites: dict[str, Any] = {}
        mx.wait_for(lambda: bool(invites.update(other.invites()) or invites), "no direct room for the suggester")
        [(direct, _)] = invites.items()
        other.join(direct)
        mx.wait_for(lambda: len(mx.bot_messages_seen_by(other, direct)) == 1, "the answer did not arrive privately")
        assert "明天修" in mx.bot_messages_seen_by(other, direct)[0]["content"]["body"]
    finally:
        other.close()


def test_a_rate_limited_bot_delivers_every_message_once_and_in_order(limited_mx):
    from linli.core import outbox
    from linli.core.events import Address, Outbound

    mx = limited_mx
    room = mx.bound_room()
    mx.join(room)
    texts = [f"第{n}条通知" for n in range(8)]  # the burst is 3, then one a second
    with mx.rt.store.begin() as conn:
        for n, text in enumerate(texts):
            outbox.add_message(conn, Outbound(Address("matrix", room), text, key=f"notice:{n}"), "t")
    mx.rt.transport.send(Next(rooms=[f"matrix:{room}"]))
    mx.worker()
    mx.wait_for(lambda: len(mx.bot_messages(room)) >= len(texts), "not every message was delivered")
    time.sleep(1)
    assert [e["content"]["body"] for e in mx.bot_messages(room)] == texts


# --- photos and files ---------------------------------------------------------------------


def _media(synapse: Synapse, method: str, path: str, token: str | None, data: bytes | None = None) -> Any:
    import urllib.error
    import urllib.request

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if data is not None:
        headers["Content-Type"] = "image/png"
    request = urllib.request.Request(f"{synapse.url}{path}", data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_files_go_up_and_come_down_through_synapse_with_authenticated_media(synapse, tmp_path):
    import json

    import sqlalchemy as sa

    from linli.adapters.matrix import MatrixAdapter, MatrixConfig
    from linli.adapters.matrix.mapping import RoomFacts, to_inbound
    from linli.core.blobs import FileBlobStore
    from linli.core.events import Address, Attachment, Outbound
    from linli.core.storage import schema as s

    suffix = os.urandom(3).hex()
    bot, resident = synapse.register(f"filebot{suffix}"), synapse.register(f"neighbour{suffix}")
    room = synapse.call(
        "POST", "/_matrix/client/v3/createRoom", {"invite": [resident["user_id"]]}, token=bot["access_token"]
    )["room_id"]
    synapse.call("POST", f"/_matrix/client/v3/rooms/{room}/join", {}, token=resident["access_token"])
    url = f"sqlite:///{tmp_path / 'linli.db'}"
    engine = sa.create_engine(url)
    s.metadata.create_all(engine)
    engine.dispose()
    blobs = FileBlobStore(tmp_path / "blobs")
    config = MatrixConfig(
        {"homeserver": synapse.url, "user_id": bot["user_id"]}, env={"LINLI_MATRIX_ACCESS_TOKEN": bot["access_token"]}
    )
    adapter = MatrixAdapter(config, storage_url=url, blobs=blobs)
    png, xlsx = b"\x89PNG\r\n\x1a\n chart", b"PK\x03\x04 the ledger"
    files = (
        Attachment("photo", "chart.png", "image/png", len(png), sha256=blobs.put(png)),
        Attachment("file", "台账.xlsx", "application/vnd.ms-excel", len(xlsx), sha256=blobs.put(xlsx)),
        Attachment("location", latitude=31.23, longitude=121.47),
    )
    message = Outbound(Address("matrix", room), "本月台账", attachments=files, key="outbox:files:1")
    try:
        first = adapter.send(message)
        again = adapter.send(message)  # a retry of the same outbox row posts nothing new
        answer = synapse.call(
            "GET", f"/_matrix/client/v3/rooms/{room}/messages?dir=b&limit=20", token=resident["access_token"]
        )
        sent = [e for e in reversed(answer["chunk"]) if e["type"] == "m.room.message"]
        assert first == again
        assert [e["content"]["msgtype"] for e in sent] == ["m.notice", "m.image", "m.file", "m.location"]
        image, document = sent[1]["content"], sent[2]["content"]
        assert image["filename"] == "chart.png" and image["info"] == {"mimetype": "image/png", "size": len(png)}
        assert sent[3]["content"]["geo_uri"] == "geo:31.23,121.47"
        media = image["url"].removeprefix("mxc://")
        # the homeserver requires authenticated media: the legacy path refuses, the new one serves
        assert _media(synapse, "GET", f"/_matrix/client/v1/media/download/{media}", None)[0] == 401
        assert _media(synapse, "GET", f"/_matrix/client/v1/media/download/{media}", resident["access_token"]) == (
            200,
            png,
        )

        # the resident sends a photo with a caption: mapped, then downloaded by the bot
        status, body = _media(
            synapse, "POST", "/_matrix/media/v3/upload?filename=stairs.png", resident["access_token"], png + b"2"
        )
        assert status == 200
        uri = json.loads(body)["content_uri"]
        content = {
            "msgtype": "m.image",
            "body": "楼道灯坏了",
            "filename": "stairs.png",
            "url": uri,
            "info": {"mimetype": "image/png", "size": len(png) + 1},
        }
        event_id = synapse.call(
            "PUT", f"/_matrix/client/v3/rooms/{room}/send/m.room.message/t1", content, token=resident["access_token"]
        )["event_id"]
        event = {"type": "m.room.message", "sender": resident["user_id"], "event_id": event_id, "content": content}
        inbound = to_inbound(event, room, bot=bot["user_id"], facts=RoomFacts())
        assert inbound is not None and inbound.text == "楼道灯坏了"
        [photo] = inbound.attachments
        assert (photo.kind, photo.name, photo.mime, photo.ref) == ("photo", "stairs.png", "image/png", uri)
        assert adapter.fetch(photo) == png + b"2"
        assert adapter.fetch(Attachment("file", "x", ref=document["url"])) == xlsx
        with pytest.raises(PermanentDeliveryError):
            adapter.fetch(Attachment("photo", ref=f"mxc://{SERVER_NAME}/nosuchmedia"))
    finally:
        adapter.close()
