"""``linli districts``, ``linli rooms`` and ``linli plugins``, through the real command line."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from linli.core.plugin import N_, Manifest, Plugin
from linli.core.registry import PluginRegistry, load_entry_points
from linli.core.storage import Store
from linli.core.storage import schema as s


class Noticeboard(Plugin):
    """A plugin that cannot work without the suggestion box."""

    manifest = Manifest(name="noticeboard", version="0.1", description=N_("Notices"), depends=("suggestions",))


@pytest.fixture
def noticeboard(monkeypatch):
    """Noticeboard installed beside the real plugins, as if through its entry point."""
    plugins = [*load_entry_points(), Noticeboard]
    monkeypatch.setattr("linli.core.registry.load_entry_points", lambda: plugins)
    monkeypatch.setattr("linli.workers.runtime.load_entry_points", lambda: plugins)
    # a plugin defined in a test module has no package for migrations (PluginRegistry.packages gives "")
    packages = PluginRegistry.packages
    monkeypatch.setattr(PluginRegistry, "packages", lambda self: [p for p in packages(self) if p])


def _rows(url: str, table: sa.Table) -> list[sa.Row]:
    store = Store(url)
    try:
        with store.connect() as conn:
            return list(conn.execute(sa.select(table)))
    finally:
        store.dispose()


# --- districts ------------------------------------------------------------------------


def test_districts_list_shows_each_district_as_a_table_row(ready):
    out = ready.ok("districts", "list")
    heping = next(line for line in out.splitlines() if "heping" in line)
    for cell in ("和平社区", "community", "zh_CN", "Asia/Shanghai", "console:heping", "basics, suggestions"):
        assert cell in heping
    assert "兴隆村" in out and "village" in out


def test_reading_commands_ask_for_db_upgrade_instead_of_migrating(linli):
    error = linli.fails("districts", "list", code=3)
    assert "linli db upgrade" in error


def test_districts_show_tells_everything_about_one_district(ready):
    ready.ok("roles", "grant", "console:王主任", "staff", "--district", "heping")
    out = ready.ok("districts", "show", "heping")
    assert "和平社区" in out and "console:heping" in out
    assert "1 (staff: 1)" in out
    config = {line.split("│")[2].strip(): line for line in out.splitlines() if line.count("│") >= 4}
    assert '"console:heping-staff"' in config["staff_room"] and "district" in config["staff_room"]
    assert '"30 8 * * *"' in config["digest_cron"] and "default" in config["digest_cron"]


def test_districts_show_of_an_unknown_district_is_one_clear_error(ready):
    assert "no district 'nowhere'" in ready.fails("districts", "show", "nowhere", code=6)


def test_districts_sync_writes_the_settings_over_the_database_and_says_what_changed(ready):
    ready.ok("plugins", "disable", "suggestions", "--district", "heping")
    text = ready.settings.read_text(encoding="utf-8").replace('name = "兴隆村"', 'name = "兴隆村委会"')
    ready.settings.write_text(text + '\n[districts.dongshan]\nname = "东山社区"\n', encoding="utf-8")

    out = ready.ok("districts", "sync")

    assert "heping: updated: plugins +suggestions" in out
    assert "xinglong: updated: name '兴隆村' → '兴隆村委会'" in out
    assert "dongshan: added" in out
    listed = ready.ok("districts", "list")
    assert "兴隆村委会" in listed and "东山社区" in listed
    assert "heping: unchanged" in ready.ok("districts", "sync")


def test_districts_sync_refuses_a_district_whose_plugin_is_not_installed(ready):
    text = ready.settings.read_text(encoding="utf-8").replace('plugins = ["core"]', 'plugins = ["core", "nope"]')
    ready.settings.write_text(text, encoding="utf-8")
    error = ready.fails("districts", "sync", code=2)
    assert error.startswith("Error: settings.toml: districts.xinglong.plugins: no plugin nope is installed")


# --- rooms -------------------------------------------------------------------------------


def test_a_room_is_bound_and_then_moved_to_another_district(ready):
    assert "telegram:-100123 is bound to heping" in ready.ok("rooms", "bind", "telegram:-100123", "-d", "heping")
    moved = ready.ok("rooms", "bind", "telegram:-100123", "--district", "xinglong")
    assert "moved from heping to xinglong" in moved
    bound = {r.room_key: r for r in _rows(ready.database_url, s.rooms)}
    assert bound["telegram:-100123"].district_id == "xinglong"
    assert bound["telegram:-100123"].bound_by.startswith("cli:")


def test_rooms_bind_accepts_a_matrix_room_id(ready):
    ready.ok("rooms", "bind", "matrix:!abc:example.org", "--district", "heping")
    assert "matrix:!abc:example.org" in ready.ok("rooms", "list", "--district", "heping")


def test_rooms_bind_accepts_a_room_id_of_room_version_12_which_names_no_server(ready):
    room = "matrix:!FZzPps5Mak8xjI8fwqgT2cX-wXdq74PPDBK2uknozVc"
    ready.ok("rooms", "bind", room, "--district", "heping")
    assert room in ready.ok("rooms", "list", "--district", "heping")
    ready.ok("rooms", "unbind", room)
    assert room not in ready.ok("rooms", "list", "--district", "heping")


def test_rooms_bind_refuses_what_is_not_a_room(ready):
    assert "is not a room" in ready.fails("rooms", "bind", "demo", "--district", "heping", code=2)
    assert "is not a room" in ready.fails("rooms", "bind", "irc:#x", "--district", "heping", code=2)
    assert "Telegram chat id is a number" in ready.fails("rooms", "bind", "telegram:mygroup", "-d", "heping")
    assert "Matrix room id" in ready.fails("rooms", "bind", "matrix:#alias:example.org", "-d", "heping")
    assert "Matrix room id" in ready.fails("rooms", "bind", "matrix:!", "-d", "heping")
    assert "Matrix room id" in ready.fails("rooms", "bind", "matrix:!abc:", "-d", "heping")


def test_rooms_bind_to_an_unknown_district_fails(ready):
    assert "no district 'nowhere'" in ready.fails("rooms", "bind", "console:x", "--district", "nowhere", code=6)


def test_an_unbound_room_leaves_the_list(ready):
    ready.ok("rooms", "unbind", "console:heping")
    assert "No rooms are bound" in ready.ok("rooms", "list")
    assert "is not bound" in ready.fails("rooms", "unbind", "console:heping", code=6)


def test_rooms_list_filters_by_district(ready):
    ready.ok("rooms", "bind", "console:village", "--district", "xinglong")
    out = ready.ok("rooms", "list", "--district", "xinglong")
    assert "console:village" in out and "console:heping" not in out


# --- plugins -----------------------------------------------------------------------------


def test_plugins_list_shows_what_each_installed_plugin_brings(linli):
    out = linli.ok("plugins", "list")
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("│ suggestions"))
    # a row may wrap over several lines; it ends where the next row or the border starts
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("│") or line.split("│")[1].strip():
            break
        block.append(line)
    columns = zip(*(line.split("│") for line in block), strict=True)
    cells = " | ".join(" ".join(part.strip() for part in column if part.strip()) for column in columns)
    for cell in (
        "1.0",
        "Suggestion box",
        "basics",
        "/suggest",
        "linli.person_forgotten",
        "digest (30 8 * * *",
        "suggestions.suggestions",
    ):
        assert cell in cells


def test_plugins_list_with_a_district_marks_the_enabled_ones(ready):
    out = ready.ok("plugins", "list", "--district", "xinglong")
    cells = [line.split("│") for line in out.splitlines() if line.startswith("│ ")]
    enabled = {row[1].strip(): row[2].strip() for row in cells if row[1].strip()}
    assert enabled == {name: "" for name in ("suggestions", "mediation", "council", "captains", "rural", "tracks")} | {
        "basics": "✓"
    }


def test_a_plugin_is_enabled_and_disabled_in_a_district(ready):
    assert "suggestions is enabled in xinglong" in ready.ok("plugins", "enable", "suggestions", "-d", "xinglong")
    assert "already enabled" in ready.ok("plugins", "enable", "suggestions", "-d", "xinglong")
    assert {("xinglong", "suggestions")} <= {
        (r.district_id, r.plugin) for r in _rows(ready.database_url, s.district_plugins)
    }
    assert "data is kept" in ready.ok("plugins", "disable", "suggestions", "-d", "xinglong")
    assert ("xinglong", "suggestions") not in {
        (r.district_id, r.plugin) for r in _rows(ready.database_url, s.district_plugins)
    }


def test_enabling_an_unknown_plugin_is_refused(ready):
    error = ready.fails("plugins", "enable", "noticeboard", "--district", "heping", code=5)
    assert "no plugin 'noticeboard' is installed" in error


def test_enabling_a_plugin_whose_dependency_is_not_enabled_is_refused(ready, noticeboard):
    error = ready.fails("plugins", "enable", "noticeboard", "--district", "xinglong", code=5)
    assert "plugin noticeboard needs suggestions enabled too" in error
    ready.ok("plugins", "enable", "suggestions", "--district", "xinglong")
    ready.ok("plugins", "enable", "noticeboard", "--district", "xinglong")


def test_disabling_a_plugin_another_enabled_plugin_needs_is_refused(ready, noticeboard):
    ready.ok("plugins", "enable", "noticeboard", "--district", "heping")
    error = ready.fails("plugins", "disable", "suggestions", "--district", "heping", code=5)
    assert "cannot disable suggestions in heping: noticeboard need(s) it" in error


def test_the_basics_plugin_cannot_be_disabled_under_its_old_name_either(ready):
    assert "basics plugin cannot be disabled" in ready.fails("plugins", "disable", "basics", "-d", "heping", code=5)
    assert "basics plugin cannot be disabled" in ready.fails("plugins", "disable", "core", "-d", "heping", code=5)


def test_plugins_list_names_each_event_once_and_sorts_the_commands():
    from linli._cli.districts import _plugin_rows
    from linli.core.registry import PluginRegistry, load_entry_points

    council = _plugin_rows(PluginRegistry(load_entry_points()))["council"]

    assert council["events"].count("linli.person_forgotten") == 1
    assert council["commands"] == sorted(council["commands"]) and "/vote" in council["commands"]
