"""The arrows between the layers point one way: core ← adapters ← workers and the command line.

core knows no platform, no plugin and no process; adapters know no plugin and no
process (the composition root in ``linli.workers`` hands them what they share).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import linli

PACKAGE = Path(linli.__file__).parent


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in (PACKAGE / folder).rglob("*.py")
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("core", ("linli.adapters", "linli.workers", "linli.plugins", "linli.cli", "linli._cli", "linli.testing")),
        ("adapters", ("linli.workers", "linli.plugins", "linli.cli", "linli._cli", "linli.testing")),
    ],
)
def test_a_lower_layer_imports_nothing_from_the_layers_above_it(folder: str, forbidden: tuple[str, ...]) -> None:
    assert _offenders(folder, forbidden) == []


def test_the_layer_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from linli.workers.broker import build_rate_backend\n", encoding="utf-8")
    assert "linli.workers.broker" in _imports(module)
