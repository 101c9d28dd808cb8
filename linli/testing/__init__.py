"""A test harness for plugin authors: a fake chat on the in-process broker.

A plugin test reads like a transcript::

    def test_a_resident_leaves_a_suggestion(chat):
        chat.say("张三", "/suggest 楼道灯坏了")
        chat.pick("张三", "维修")          # a button, by (part of) its label or its number
        assert "1" in chat.last()

The ``chat`` fixture is registered as a pytest plugin (entry point ``pytest11``),
so any project with linli installed can use it. It runs the real dispatcher,
actors, storage (SQLite in a temporary folder) and outbox; only the chat
platform is fake.

:mod:`linli.testing.telegram` has a fake Telegram Bot API server
(``FakeBotApi``) for tests that go through the real Telegram adapter; it is not
imported here, so the ``chat`` fixture does not start aiohttp.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest
from attrs import evolve

from linli.core import directory, members, people
from linli.core.adapter import ChatAdapter
from linli.core.clock import FrozenClock
from linli.core.errors import DeliveryError
from linli.core.events import Address, Attachment, Inbound, Outbound, Sender
from linli.core.plugin import Plugin
from linli.core.plugin_names import ALWAYS_ENABLED
from linli.core.registry import PluginRegistry, load_entry_points
from linli.core.settings import DistrictSettings, QueueSettings, Settings, StorageSettings

#: ``Inbound`` and ``Sender`` are here for tests that submit a raw event (``ChatHarness.submit``)
__all__ = ["ChatHarness", "Inbound", "RecordingAdapter", "Sender", "chat"]

GROUP = "group"


class RecordingAdapter(ChatAdapter):
    """The ``test`` platform: remembers every message instead of sending it."""

    platform = "test"

    def __init__(self) -> None:
        self.sent: list[Outbound] = []
        self._lock = threading.Lock()
        self.fail_with: BaseException | None = None
        #: the content of the files people "sent", by ``ref`` (:meth:`ChatHarness.send_file`)
        self.files: dict[str, bytes] = {}
        #: how many downloads fail (with :attr:`fetch_error`) before they work
        self.fetch_failures = 0
        self.fetch_error: BaseException = DeliveryError("download timed out")
        #: the refs fetched, in order (a test of "fetched once" counts them)
        self.fetched: list[str] = []

    def send(self, message: Outbound) -> str | None:
        if self.fail_with is not None:
            raise self.fail_with
        with self._lock:
            self.sent.append(message)
            return str(len(self.sent))

    def fetch(self, attachment: Attachment) -> bytes:
        """The content of a file a test person sent, as a platform's download would give it."""
        with self._lock:
            self.fetched.append(attachment.ref)
            if self.fetch_failures > 0:
                self.fetch_failures -= 1
                raise self.fetch_error
        return self.files[attachment.ref]


class ChatHarness:
    """A district with a group room, people who talk, and what the bot answers.

    Parameters:
      path: a folder for the database.
      plugins: plugin classes to load (default: every installed plugin); the basics plugin
        (/help, the privacy notice), which every district has, is added when missing.
      enabled: the plugins enabled in the district (default: all loaded).
      language: the district's language.
      kind: the district's kind (``community``, ``village``, ``grid``): it picks the words.
      consented: whether people have accepted the privacy notice before they speak.
      now: the time the clock starts at (it only moves with :meth:`advance`).
      config: per-plugin district configuration.
      rooms: more rooms of the district, besides the group (``"test:team"``).
      database_url: the database (default: SQLite in ``path``), e.g. the ``postgres_url`` fixture's.
    """

    def __init__(
        self,
        path: Path,
        *,
        plugins: Sequence[type[Plugin]] | None = None,
        enabled: Iterable[str] | None = None,
        language: str = "zh_CN",
        kind: Literal["community", "village", "grid"] = "community",
        consented: bool = True,
        now: dt.datetime | None = None,
        config: dict[str, dict[str, Any]] | None = None,
        rooms: Sequence[str] = (),
        settings: Settings | None = None,
        districts: Sequence[DistrictSettings] = (),
        database_url: str | None = None,
    ) -> None:
        from linli.workers.runtime import Runtime

        if plugins is not None and not any(p.manifest.name == ALWAYS_ENABLED for p in plugins):
            from linli.plugins.basics import BasicsPlugin

            plugins = [BasicsPlugin, *plugins]
        registry = PluginRegistry(plugins if plugins is not None else load_entry_points())
        district = DistrictSettings(
            id="test",
            name="测试社区" if language == "zh_CN" else "Test Community",
            language=language,
            kind=kind,
            rooms=(f"test:{GROUP}", *rooms),
            plugins=tuple(enabled if enabled is not None else registry.plugins),
            config=config or {},
        )
        base = settings or Settings()
        self.settings = evolve(
            base,
            storage=StorageSettings(url=database_url or f"sqlite:///{path / 'linli.db'}", blobs=str(path / "blobs")),
            queue=evolve(base.queue, broker="memory://") if settings else QueueSettings(),
            districts=(district, *districts),
        )
        self.clock = FrozenClock(now or dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
        self.adapter = RecordingAdapter()
        self.runtime = Runtime(self.settings, registry=registry, adapters={"test": self.adapter}, clock=self.clock)
        self.runtime.prepare_database()
        self.consented = consented
        self._ids = itertools.count(1)
        # unique per harness: a harness reopened on the same database must not reuse event ids
        self._session = uuid.uuid4().hex[:8]
        self._seen: dict[str, int] = {}
        self._outsiders: set[str] = set()
        self._ensured: set[str] = set()
        self._worker = self.runtime.worker(threads=2)
        self._worker.start()

    # --- speaking -----------------------------------------------------------------

    def address(self, who: str | None = None, *, private: bool = False) -> Address:
        return Address("test", f"@{who}" if private else GROUP)

    def _ensure(self, who: str) -> None:
        """``who`` is in the district's group (a member of the district, unless they were made
        an :meth:`outsider`) and, when the harness says so, has accepted the privacy notice."""
        joining = who not in self._ensured and who not in self._outsiders
        if not (joining or self.consented):
            return
        with self.runtime.store.begin() as conn:
            person = people.person_for(conn, f"test:{who}", who)
            assert person is not None
            if joining:  # once: someone who left the group later stays out
                members.add(conn, person.id, "test", "room", f"test:{GROUP}", by="test")
            if self.consented and not person.consent_version:
                people.record_consent(conn, person.id, self.settings.privacy.notice_version, True)
        self._ensured.add(who)

    def outsider(self, who: str) -> None:
        """``who`` is not in the district's group: a member of nothing until they speak in a group
        room, join one, hold a role or link their account (say nothing in ``group`` for them)."""
        self._outsiders.add(who)
        self._ensured.discard(who)

    def join(self, who: str, room: str = GROUP) -> list[str]:
        """``who`` joins a group room (the platform's join event)."""
        return self._membership(who, room, "join")

    def leave(self, who: str, room: str = GROUP) -> list[str]:
        """``who`` leaves a group room (the platform's leave event)."""
        return self._membership(who, room, "leave")

    def _membership(self, who: str, room: str, kind: Literal["join", "leave"]) -> list[str]:
        before = len(self.adapter.sent)
        self.submit(Inbound(self._event_id(), Address("test", room), Sender("test", who, who), kind=kind))
        return [m.text for m in self.adapter.sent[before:]]

    def say(self, who: str, text: str, *, private: bool = False) -> list[str]:
        """``who`` says ``text`` in the group (or privately); returns the texts sent back
        (to any room) as a result, once all work is done."""
        self._ensure(who)
        before = len(self.adapter.sent)
        self.submit(
            Inbound(
                self._event_id(),
                self.address(who, private=private),
                Sender("test", who, who),
                text=text,
                private=private,
            )
        )
        return [m.text for m in self.adapter.sent[before:]]

    def send_file(
        self,
        who: str,
        data: bytes,
        name: str = "",
        *,
        kind: Literal["photo", "file", "voice"] = "photo",
        text: str = "",
        private: bool = False,
        size: int | None = None,
    ) -> list[str]:
        """``who`` sends a photo, file or voice note (with ``text`` as its caption), as a
        platform would: the event carries a reference, the content is fetched by a worker
        from the ``test`` adapter. Returns the texts sent back.

        Parameters:
          size: what the platform says the size is (default: the content's).
        """
        self._ensure(who)
        ref = f"file{len(self.adapter.files) + 1}"
        self.adapter.files[ref] = data
        attachment = Attachment(kind, name, "", len(data) if size is None else size, ref=ref)
        before = len(self.adapter.sent)
        self.submit(
            Inbound(
                self._event_id(),
                self.address(who, private=private),
                Sender("test", who, who),
                text=text,
                private=private,
                attachments=(attachment,),
            )
        )
        return [m.text for m in self.adapter.sent[before:]]

    def release_blobs(self) -> int:
        """Delete the stored files nothing refers to any more, as the scheduler's housekeeping
        does; returns how many went."""
        from linli.core.attachments import release_blobs

        return release_blobs(self.runtime.store.begin, self.runtime.blobs)

    def pick(self, who: str, label_or_number: str | int, *, private: bool = False) -> list[str]:
        """``who`` presses a button of the last message with choices in that room."""
        address = self.address(who, private=private)
        with_choices = [m for m in self.adapter.sent if m.address == address and m.choices]
        if not with_choices:
            raise AssertionError(f"no message with choices in {address.room_key}")
        choices = with_choices[-1].choices
        if isinstance(label_or_number, int):
            choice = choices[label_or_number - 1]
        else:
            matches = [c for c in choices if label_or_number in c.label]
            if not matches:
                raise AssertionError(f"no choice {label_or_number!r} among {[c.label for c in choices]}")
            choice = matches[0]
        self._ensure(who)
        before = len(self.adapter.sent)
        self.submit(
            Inbound(
                self._event_id(),
                address,
                Sender("test", who, who),
                text=choice.label,
                kind="choice",
                private=private,
                choice=choice.value,
            )
        )
        return [m.text for m in self.adapter.sent[before:]]

    def submit(self, inbound: Inbound) -> None:
        """Send a raw event (to test redelivery, send the same one twice)."""
        self.runtime.submit(inbound)
        self.runtime.wait_idle()

    def _event_id(self) -> str:
        return f"test:{self._session}:{next(self._ids)}"

    # --- reading ----------------------------------------------------------------------

    @property
    def sent(self) -> list[Outbound]:
        return list(self.adapter.sent)

    def in_room(self, room: str = GROUP) -> list[str]:
        return [m.text for m in self.adapter.sent if m.address.room == room]

    def last(self, who: str | None = None, *, private: bool = False) -> str:
        """The last text sent to the group (or to ``who`` privately)."""
        room = f"@{who}" if private else GROUP
        texts = self.in_room(room)
        if not texts:
            raise AssertionError(f"nothing was sent to {room}")
        return texts[-1]

    def transcript(self) -> Iterator[str]:
        for m in self.adapter.sent:
            yield f"{m.address.room}: {m.text}"

    # --- setting the scene --------------------------------------------------------------

    def grant(self, who: str, role: str, scope: str = "") -> None:
        """Give ``who`` a role in the district."""
        with self.runtime.store.begin() as conn:
            person = people.person_for(conn, f"test:{who}", who)
            assert person is not None
            people.grant_role(conn, person.id, "test", role, scope, by="test")

    def enable(self, plugin: str, enabled: bool = True) -> None:
        with self.runtime.store.begin() as conn:
            (directory.enable_plugin if enabled else directory.disable_plugin)(conn, "test", plugin)

    def advance(self, **delta: float) -> None:
        """Move the clock (``advance(hours=1)``)."""
        self.clock.advance(dt.timedelta(**delta))

    def run_jobs(self) -> list[str]:
        """Fire the scheduled jobs due at the clock's time, as the scheduler would,
        and return the texts sent (to any room) once all work is done.

        The first call only starts the schedule: like a scheduler seeing a job for the
        first time, it does not replay the past. To test an 08:30 job, call it once,
        :meth:`advance` past 08:30, and call it again.
        """
        from linli.workers.scheduler import Scheduler

        # one scheduler per harness, made on first use (it keeps its cron triggers)
        scheduler: Scheduler | None = getattr(self, "_scheduler", None)
        if scheduler is None:
            scheduler = self._scheduler = Scheduler(self.runtime)
        before = len(self.adapter.sent)
        scheduler.fire_due()
        self.runtime.wait_idle()
        return [m.text for m in self.adapter.sent[before:]]

    def close(self) -> None:
        self._worker.stop()
        self.runtime.close()


@pytest.fixture
def chat(tmp_path: Path) -> Iterator[ChatHarness]:
    """A :class:`ChatHarness` with every installed plugin enabled, in Chinese, people consenting."""
    harness = ChatHarness(tmp_path)
    yield harness
    harness.close()
