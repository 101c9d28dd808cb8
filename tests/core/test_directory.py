"""Districts in the database and in the settings file: what differs between them."""

from __future__ import annotations

import attrs
import pytest

from linli.core import directory
from linli.core.settings import DistrictSettings
from linli.core.storage import Store
from linli.core.storage.migrate import migration_dirs

HEPING = DistrictSettings(
    id="heping",
    name="和平社区",
    rooms=("console:heping",),
    plugins=("core", "suggestions"),
    config={"suggestions": {"staff_room": "console:staff"}},
)


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'linli.db'}", migration_dirs=migration_dirs([]))
    store.upgrade()
    with store.begin() as conn:
        directory.seed_districts(conn, [HEPING])
    yield store
    store.dispose()


def drift(store, *declared):
    with store.connect() as conn:
        return [str(m) for m in directory.settings_drift(conn, declared)]


def test_a_district_as_synced_does_not_differ(store):
    assert drift(store, HEPING) == []


def test_each_field_edited_in_the_settings_is_named(store):
    edited = attrs.evolve(
        HEPING, name="和平新社区", plugins=("core",), config={"suggestions": {"staff_room": "console:other"}}
    )

    assert drift(store, edited) == [
        "district heping in the settings file differs from the database (name, plugins, config); "
        "the database's copy is used until you run `linli districts sync`, which writes the file's version over it",
        "district heping: suggestions enabled in the database but not in the settings file; "
        "add them to its plugins, or sync disables them",
    ]


def test_a_plugin_in_the_file_only_is_said_to_be_enabled_by_sync(store):
    added = attrs.evolve(HEPING, plugins=(*HEPING.plugins, "mediation"))

    assert drift(store, added)[1:] == [
        "district heping: mediation in the settings file but not enabled yet; sync enables them"
    ]


def test_a_room_bound_from_the_command_line_only_is_no_difference(store):
    with store.begin() as conn:
        directory.bind_room(conn, "telegram:-100123", "heping", by="test")

    assert drift(store, HEPING) == []


def test_a_district_missing_from_the_database_is_named(store):
    assert drift(store, HEPING, DistrictSettings(id="xinglong", name="兴隆村", kind="village")) == [
        "district xinglong is in the settings file but not in the database: run `linli districts sync`"
    ]
