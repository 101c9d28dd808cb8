"""The council's community tables (council_0002) on PostgreSQL: the migration applies once, the
server defaults work (a boolean default must be a boolean there), numbers are unique per district."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import linli.plugins.council
from linli.core import people
from linli.core.clock import FrozenClock
from linli.core.events import Address, Inbound, Sender
from linli.core.registry import PluginRegistry
from linli.core.settings import DistrictSettings, Settings, StorageSettings
from linli.core.storage import Store
from linli.plugins.basics import BasicsPlugin
from linli.plugins.council import CouncilPlugin
from linli.plugins.council.community_tables import adoptables, adoptions, articles, versions
from linli.testing import RecordingAdapter
from linli.workers.runtime import Runtime

pytestmark = pytest.mark.postgres

MIGRATIONS = Path(linli.plugins.council.__file__).parent / "migrations"


def test_the_community_tables_apply_on_postgresql_with_their_defaults_and_unique_numbers(postgres_url):
    store = Store(postgres_url, migration_dirs=[MIGRATIONS])
    try:
        assert "council_0002" in store.upgrade()
        assert store.upgrade() == []
        now = dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC)
        thing = {"number": 1, "kind": "plot", "name": "东侧绿地", "created_at": now}
        with store.begin() as conn:
            conn.execute(sa.insert(adoptables).values(district_id="a", **thing))
            conn.execute(sa.insert(adoptables).values(district_id="b", **thing))
            conn.execute(sa.insert(adoptions).values(district_id="a", adoptable_id=1, person_id=7, applied_at=now))
        try:
            with store.begin() as conn:
                conn.execute(sa.insert(adoptables).values(district_id="a", **thing))
        except sa.exc.IntegrityError:
            pass
        else:
            raise AssertionError("a second thing 1 in district a was accepted")
        with store.connect() as conn:
            row = conn.execute(sa.select(adoptions)).one()
        assert (row.status, row.renewals, row.renewal_asked, row.duties) == ("applied", 0, False, "")
    finally:
        store.dispose()


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


def test_an_amendment_and_an_adoption_go_through_the_real_workers_on_postgresql(runtime):
    ids = itertools.count(1)
    adapter = runtime.adapters["test"]
    assert isinstance(adapter, RecordingAdapter)

    def submit(who: str, text: str, choice: str | None = None) -> list[str]:
        with runtime.store.begin() as conn:
            person = people.person_for(conn, f"test:{who}", who)
            assert person is not None
            if not person.consent_version:
                people.record_consent(conn, person.id, 1, True)
        before = len(adapter.sent)
        runtime.submit(
            Inbound(
                f"pg-{next(ids)}",
                Address("test", "group"),
                Sender("test", who, who),
                text=text,
                kind="choice" if choice else "message",
                choice=choice,
            )
        )
        runtime.wait_idle()
        return [m.text for m in adapter.sent[before:]]

    with runtime.store.begin() as conn:
        person = people.person_for(conn, "test:刘书记", "刘书记")
        assert person is not None
        people.grant_role(conn, person.id, "test", "council", "", by="test")
    submit("刘书记", "/article 1. 楼道内不堆放杂物")
    submit("刘书记", "/amend 1 楼道内不堆放杂物，宣传板报每季度更新一次")
    for who in ("张三", "李四"):
        submit(who, "/vote 1 yes")
    amended = (
        "The residents' convention is amended. Article 1 now reads (version 2):\n"
        "楼道内不堆放杂物，宣传板报每季度更新一次"
    )
    assert amended in submit("刘书记", "/closepoll 1")
    with runtime.store.connect() as conn:
        assert conn.execute(sa.select(articles.c.version)).scalar() == 2
        assert conn.execute(sa.select(sa.func.count()).select_from(versions)).scalar() == 2

    submit("刘书记", "/newadoptable plot 东侧绿地")
    submit("张三", "/adopt 1")
    submit("刘书记", "/offer 1 6")  # 张三 has no private chat: the agreement comes to the group, theirs to sign
    sign = next(c for c in adapter.sent[-2].choices if c.label == "I sign the agreement")
    assert submit("张三", "I sign the agreement", choice=sign.value)[-1] == (
        "Thank you! #1 东侧绿地 is yours to look after from 2026-11-26 until 2027-05-25."
    )
    with runtime.store.connect() as conn:
        row = conn.execute(sa.select(adoptions)).one()
    assert (row.status, row.months, row.renewal_asked, row.ends_on) == ("active", 6, False, dt.date(2027, 5, 25))
