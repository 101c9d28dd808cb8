"""Versioned migrations: one Alembic branch per component (``core`` and each plugin),
applied together by ``linli db upgrade``."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported inside the functions: workers never migrate, and it costs them ~7 MB.

__all__ = ["alembic_config", "current_heads", "pending", "revision", "upgrade"]

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


def revision(
    plugin: str,
    folder: Path,
    tables: Mapping[str, sa.Table] | None,
    message: str,
    *,
    other_dirs: Iterable[Path] = (),
    autogenerate: bool = True,
) -> Path | None:
    """Write the plugin's next migration into ``folder`` (``<plugin>_0001_<message>.py``,
    then ``_0002`` …) and return its path.

    With ``autogenerate`` the plugin's ``tables`` are compared with a scratch SQLite
    database that has core's tables and the plugin's earlier revisions, so the migration
    creates or alters what changed, and nothing is written (None) when nothing did;
    without, it is empty for the author to fill.

    Parameters:
      plugin: the plugin's name: its revisions are ``<plugin>_NNNN`` on branch ``<plugin>``.
      folder: the plugin package's ``migrations`` folder (made, with ``__init__.py``, if missing).
      tables: the plugin's tables (``Manifest.tables.tables``).
      other_dirs: the other plugins' migration folders (a revision may depend on theirs).
    """
    from alembic import command

    from linli.core.storage.store import Store

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").touch()
    numbers = [
        int(m.group(1)) for f in folder.glob(f"{plugin}_*.py") if (m := re.match(rf"{plugin}_(\d{{4}})", f.name))
    ]
    number = max(numbers, default=0) + 1
    dirs = [folder, *(d for d in other_dirs if d != folder)]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/scratch.db", migration_dirs=dirs)
        try:
            store.upgrade()
            cfg = alembic_config(store.engine, dirs)
            if autogenerate and tables:
                target = sa.MetaData()
                for table in tables.values():
                    table.to_metadata(target)
                cfg.attributes["target_metadata"] = target
                # compare only this plugin's tables: the rest of the database belongs to others
                cfg.attributes["include_object"] = lambda obj, name, type_, reflected, compare_to: (
                    name if type_ == "table" else obj.table.name
                ).startswith(f"{plugin}_")
                cfg.attributes["process_revision_directives"] = _unless_empty
            cfg.attributes["user_module_prefix"] = "linli.core.plugin."
            first = number == 1
            with store.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.revision(
                    cfg,
                    message=message,
                    autogenerate=autogenerate and bool(tables),
                    rev_id=f"{plugin}_{number:04d}",
                    head="base" if first else f"{plugin}@head",
                    branch_label=plugin if first else None,
                    depends_on="core_0001" if first else None,
                    version_path=str(folder),
                )
        finally:
            store.dispose()
    return next(folder.glob(f"{plugin}_{number:04d}*.py"), None)


def _unless_empty(context: object, revision: object, directives: list[Any]) -> None:
    """Write no autogenerated migration that would change nothing."""
    if directives and directives[0].upgrade_ops.is_empty():
        directives[:] = []
