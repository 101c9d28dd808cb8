"""``linli db``: ``upgrade`` applies the migrations, ``revision`` writes a plugin's next one."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from linli.plugins.basics import BasicsPlugin
from linli.plugins.suggestions import SuggestionsPlugin

PLUGIN = """
import sqlalchemy as sa

from linli.core.plugin import N_, Manifest, Plugin, UTCDateTime, plugin_table

metadata = sa.MetaData()
items = plugin_table(
    "lostfound",
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("what", sa.String(200), nullable=False),
    sa.Column("found_at", UTCDateTime, nullable=False),
)


class LostFound(Plugin):
    manifest = Manifest(name="lostfound", version="1.0", description=N_("Lost and found"), tables=metadata)
"""


@pytest.fixture
def lostfound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A plugin package ``linli_lostfound`` without migrations, installed beside core and suggestions."""
    root = tmp_path / "src"
    (root / "linli_lostfound").mkdir(parents=True)
    (root / "linli_lostfound" / "__init__.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delitem(sys.modules, "linli_lostfound", raising=False)
    module = importlib.import_module("linli_lostfound")
    plugins = [BasicsPlugin, SuggestionsPlugin, module.LostFound]
    monkeypatch.setattr("linli.core.registry.load_entry_points", lambda: plugins)
    monkeypatch.setattr("linli.workers.runtime.load_entry_points", lambda: plugins)
    yield module
    for name in [n for n in sys.modules if n.startswith("linli_lostfound")]:
        del sys.modules[name]


def _columns(url: str, table: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        return [c["name"] for c in sa.inspect(engine).get_columns(table)]
    finally:
        engine.dispose()


def test_db_revision_writes_a_plugins_first_migration_and_db_upgrade_applies_it(linli, lostfound):
    out = linli.ok("db", "revision", "lostfound", "-m", "lost and found")

    written = Path(lostfound.__file__).parent / "migrations" / "lostfound_0001_lost_and_found.py"
    assert str(written) in out
    text = written.read_text(encoding="utf-8")
    assert "branch_labels = ('lostfound',)" in text or 'branch_labels = ("lostfound",)' in text
    assert "create_table" in text and "lostfound_items" in text
    assert "suggestions_items" not in text  # only this plugin's tables are compared
    # linli's column types are named as the plugin API exports them, not by linli's internals
    assert "linli.core.plugin.UTCDateTime(" in text and "import linli.core.plugin\n" in text
    assert "linli.core.storage" not in text

    assert "lostfound_0001" in linli.ok("db", "upgrade")
    assert _columns(linli.database_url, "lostfound_items") == ["district_id", "id", "what", "found_at"]


def test_the_next_revision_follows_the_last_and_holds_only_what_changed(linli, lostfound):
    linli.ok("db", "revision", "lostfound", "-m", "lost and found")
    linli.ok("db", "upgrade")
    lostfound.items.append_column(sa.Column("place", sa.String(200), nullable=True))

    linli.ok("db", "revision", "lostfound", "-m", "where it was found")

    written = Path(lostfound.__file__).parent / "migrations" / "lostfound_0002_where_it_was_found.py"
    text = written.read_text(encoding="utf-8")
    assert "down_revision = 'lostfound_0001'" in text or 'down_revision = "lostfound_0001"' in text
    assert "add_column" in text and "create_table" not in text
    assert "lostfound_0002" in linli.ok("db", "upgrade")
    assert "place" in _columns(linli.database_url, "lostfound_items")


def test_db_revision_of_a_plugin_that_is_not_installed_is_one_clear_error(linli, lostfound):
    error = linli.fails("db", "revision", "lostfund", "-m", "typo")

    assert "'lostfund'" in error and "lostfound" in error


def test_db_revision_writes_nothing_when_the_tables_have_not_changed(linli, lostfound):
    linli.ok("db", "revision", "lostfound", "-m", "lost and found")

    out = linli.ok("db", "revision", "lostfound", "-m", "nothing new")

    assert "nothing to write" in out
    migrations = Path(lostfound.__file__).parent / "migrations"
    assert sorted(p.name for p in migrations.glob("lostfound_*.py")) == ["lostfound_0001_lost_and_found.py"]


def test_db_revision_empty_writes_a_migration_to_fill_in(linli, lostfound):
    linli.ok("db", "revision", "lostfound", "-m", "lost and found")

    linli.ok("db", "revision", "lostfound", "-m", "move old rows", "--empty")

    text = (Path(lostfound.__file__).parent / "migrations" / "lostfound_0002_move_old_rows.py").read_text("utf-8")
    assert "def upgrade() -> None:\n    pass" in text
