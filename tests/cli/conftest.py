"""A ``linli`` command line over a settings file in a temporary folder (SQLite next to it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from linli.cli import main

SETTINGS = """
[storage]
url = "sqlite:///linli.db"

[logging]
level = "error"

[districts.heping]
name = "和平社区"
rooms = ["console:heping"]
plugins = ["core", "suggestions"]

[districts.heping.config.suggestions]
staff_room = "console:heping-staff"

[districts.xinglong]
name = "兴隆村"
kind = "village"
language = "en"
plugins = ["core"]
"""


class Linli:
    """Runs ``linli --settings <file> ...`` in English, with only the environment the test gives.

    Parameters:
      folder: where the settings file and the database are.
      env: extra environment variables (``LINLI_DATABASE_URL``...).
    """

    def __init__(self, folder: Path, env: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.settings = folder / "settings.toml"
        self.settings.write_text(SETTINGS, encoding="utf-8")
        self.env: dict[str, str | None] = {
            "LINLI_LANG": "en",
            "LINLI_SETTINGS": None,
            "LINLI_DATABASE_URL": None,
            "LINLI_BROKER_URL": None,
            "LINLI_TELEGRAM_TOKEN": None,
            "LINLI_MATRIX_ACCESS_TOKEN": None,
            **(env or {}),
        }

    def __call__(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        """Run a command; the result has ``exit_code``, ``stdout`` and ``stderr``."""
        return CliRunner().invoke(main, ["--settings", str(self.settings), *args], env={**self.env, **(env or {})})

    def ok(self, *args: str, env: dict[str, str | None] | None = None) -> str:
        """Run a command that must succeed; returns what it printed."""
        result = self(*args, env=env)
        assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}{result.exception!r}"
        return result.stdout

    def fails(self, *args: str, code: int | None = None) -> str:
        """Run a command that must fail with one ``Error:`` line; returns that line."""
        result = self(*args)
        assert result.exit_code != 0, result.output
        if code is not None:
            assert result.exit_code == code, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
        return lines[0]

    @property
    def database_url(self) -> str:
        url = self.env.get("LINLI_DATABASE_URL")
        return url or f"sqlite:///{self.folder / 'linli.db'}"

    def add_suggestions(self, district: str, texts: Iterable[str]) -> None:
        """Put suggestions straight into the database, as residents would have left them."""
        from linli.core.storage import ScopedStore, Store
        from linli.plugins.suggestions.tables import suggestions

        store = Store(self.database_url)
        try:
            with store.begin() as conn:
                scoped = ScopedStore(conn, "suggestions", district)
                for number, text in enumerate(texts, start=scoped.count(suggestions) + 1):
                    scoped.insert(
                        suggestions,
                        number=number,
                        category="repairs",
                        text=text,
                        created_at=dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC),
                    )
        finally:
            store.dispose()


@pytest.fixture
def linli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Linli:
    """The command line over a fresh settings file with two districts, run in ``tmp_path``;
    the database is not created yet."""
    monkeypatch.chdir(tmp_path)
    return Linli(tmp_path)


@pytest.fixture
def ready(linli: Linli) -> Linli:
    """:func:`linli` after ``linli db upgrade``."""
    linli.ok("db", "upgrade")
    return linli
