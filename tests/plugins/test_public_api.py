"""Every plugin shipped with linli is written on the public plugin API only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import linli.plugins

PLUGINS = Path(linli.plugins.__file__).parent
#: migrations are written by Alembic from linli's template (column types of linli.core.storage)
MODULES = sorted(p for p in PLUGINS.rglob("*.py") if "migrations" not in p.parts and p.parent != PLUGINS)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PLUGINS)))
def test_a_plugin_imports_of_linli_only_the_plugin_api_and_its_own_package(path):
    own = f"linli.plugins.{path.relative_to(PLUGINS).parts[0]}"

    foreign = {
        name
        for name in _imports(path)
        if name.startswith("linli") and name != "linli.core.plugin" and not name.startswith(own)
    }

    assert foreign == set()
