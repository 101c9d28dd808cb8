"""Versioned migrations: one Alembic branch per component (``core`` and each plugin),
applied together by ``linli db upgrade``."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported inside the functions: workers never migrate, and it costs them ~7 MB.

__all__ = ["alembic_config", "current_heads", "pending", "upgrade"]

_HERE = Path(__file__).parent / "migrations"


def alembic_config(engine: sa.Engine, version_dirs: Iterable[Path]) -> Config:
    """An Alembic config whose branches are core's and each given plugin's migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    dirs = [str(_HERE / "versions"), *(str(d) for d in version_dirs)]
    cfg.set_main_option("version_locations", " ".join(dirs))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["engine"] = engine
    return cfg


def migration_dirs(packages: Iterable[str]) -> list[Path]:
    """The ``migrations`` folder of each plugin package that has one."""
    out = []
    for package in packages:
        if not package:  # a plugin class defined in a top-level module (a test) has none
            continue
        folder = Path(str(resources.files(package))) / "migrations"
        if folder.is_dir():
            out.append(folder)
    return out


def upgrade(engine: sa.Engine, version_dirs: Iterable[Path]) -> list[str]:
    """Apply every pending migration; returns the revisions applied (none when up to date)."""
    from alembic import command

    cfg = alembic_config(engine, version_dirs)
    before = set(current_heads(engine))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    after = set(current_heads(engine))
    return sorted(after - before)


def current_heads(engine: sa.Engine) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def pending(engine: sa.Engine, version_dirs: Iterable[Path]) -> list[str]:
    """Head revisions not yet applied."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine, version_dirs))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        applied: set[str] = set()
        for rev in context.get_current_heads():
            applied.update(r.revision for r in script.iterate_revisions(rev, "base"))
    return sorted(set(script.get_heads()) - applied)
