"""Matters and polls on PostgreSQL: the migration applies (boolean defaults included), numbers are
unique per district, and a poll goes from opening to its result through the real workers."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from linli.core import people
from linli.core.clock import FrozenClock
from linli.core.events import Address, Inbound, Sender
from linli.core.registry import PluginRegistry
from linli.core.settings import DistrictSettings, Settings, StorageSettings
from linli.plugins.basics import BasicsPlugin
from linli.plugins.council import CouncilPlugin
from linli.plugins.council.tables import matters, polls, votes
from linli.testing import RecordingAdapter
from linli.workers.runtime import Runtime

pytestmark = pytest.mark.postgres


@pytest.fixture
def runtime(postgres_url) -> Iterator[Runtime]:  # type: ignore[no-untyped-def]
    district = DistrictSettings(
        id="test", name="Test", language="en", rooms=("test:group",), plugins=("core", "council")
    )
    settings = Settings(storage=StorageSettings(url=postgres_url), districts=(district,))
    rt = Runtime(
        settings,
        registry=PluginRegistry([BasicsPlugin, CouncilPlugin]),
        adapters={"test": RecordingAdapter()},
        clock=FrozenClock(dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC)),
    )
    rt.prepare_database()
    worker = rt.worker(threads=2)
    worker.start()
    yield rt
    worker.stop()
    rt.close()


def test_a_poll_decides_a_matter_on_postgresql(runtime):
    ids = itertools.count(1)
    adapter = runtime.adapters["test"]
    assert isinstance(adapter, RecordingAdapter)

    def say(who: str, text: str) -> list[str]:
        with runtime.store.begin() as conn:
            person = people.person_for(conn, f"test:{who}", who)
            assert person is not None
            if not person.consent_version:
                people.record_consent(conn, person.id, 1, True)
        before = len(adapter.sent)
        runtime.submit(Inbound(f"pg-{next(ids)}", Address("test", "group"), Sender("test", who, who), text=text))
        runtime.wait_idle()
        return [m.text for m in adapter.sent[before:]]

    with runtime.store.begin() as conn:
        person = people.person_for(conn, "test:刘书记", "刘书记")
        assert person is not None
        people.grant_role(conn, person.id, "test", "council", "", by="test")
    say("张三", "/raise 路灯坏了")
    say("张三", "晚上太黑")
    runtime.submit(
        Inbound(
            f"pg-{next(ids)}",
            Address("test", "group"),
            Sender("test", "张三", "张三"),
            text="Repairs",
            kind="choice",
            choice=adapter.sent[-1].choices[1].value,
        )
    )
    runtime.wait_idle()
    say("刘书记", "/propose 1 加装两盏路灯")
    say("刘书记", "/poll 1 secret")
    assert say("李四", "/vote 1 yes")[0].startswith("Poll 1 is a secret ballot")
    say("刘书记", "/poll 1")  # refused: the matter is already voting
    say("张三", "/support 1")
    with runtime.store.connect() as conn:
        assert conn.execute(sa.select(polls.c.secret, polls.c.hidden)).one() == (True, False)
    runtime.submit(
        Inbound(
            f"pg-{next(ids)}",
            Address("test", "@张三"),
            Sender("test", "张三", "张三"),
            text="/vote 1 yes",
            private=True,
        )
    )
    runtime.wait_idle()
    result = say("刘书记", "/closepoll 1")[0]
    assert "Turnout: 1 of 1 eligible voters (100%)." in result and "Outcome: passed." in result
    with runtime.store.connect() as conn:
        assert conn.execute(sa.select(matters.c.status)).scalar() == "passed"
        assert conn.execute(sa.select(sa.func.count()).select_from(votes)).scalar() == 1


def test_poll_numbers_are_unique_per_district_and_booleans_default_to_false(runtime):
    now = dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC)
    row = {
        "number": 1,
        "question": "q",
        "kind": "yesno",
        "options": ["yes", "no", "abstain"],
        "quorum": 0.5,
        "threshold": 0.5,
        "opened_at": now,
        "closes_at": now,
    }
    with runtime.store.begin() as conn:
        conn.execute(sa.insert(polls).values(district_id="a", **row))
        conn.execute(sa.insert(polls).values(district_id="b", **row))
    with pytest.raises(sa.exc.IntegrityError), runtime.store.begin() as conn:
        conn.execute(sa.insert(polls).values(district_id="a", **row))
    with runtime.store.connect() as conn:
        assert (
            conn.execute(sa.select(polls.c.secret, polls.c.hidden, polls.c.status)).all()
            == [(False, False, "open")] * 2
        )
