"""The arrows between the layers point one way: core ← adapters, pipeline ← transport ←
workers and the command line.

core knows no platform, no plugin and no process; adapters know no plugin and no
process (the composition root in ``linli.workers`` hands them what they share); the
pipeline's steps know no transport and no Dramatiq; plugins know only the public plugin API.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import linli

PACKAGE = Path(linli.__file__).parent


def _imports(path: Path) -> set[str]:
    """What the module imports, anywhere in it: ``from a.b import c`` is ``a.b.c``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
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


#: what no lower layer imports: the processes, the plugins, the command line, the test helpers
TOP = ("linli.workers", "linli.plugins", "linli.cli", "linli._cli", "linli.testing", "linli.web")


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("core", (*TOP, "linli.adapters", "linli.pipeline", "linli.transport")),
        ("adapters", (*TOP, "linli.pipeline", "linli.transport")),
        # the steps know no transport and no Dramatiq; the transports know no process
        ("pipeline", (*TOP, "linli.adapters", "linli.transport", "dramatiq")),
        ("transport", (*TOP, "linli.adapters")),
        # the dashboard knows no plugin (their pages are @view handlers) and no platform
        ("web", ("linli.plugins", "linli.cli", "linli._cli", "linli.testing", "linli.adapters")),
    ],
)
def test_a_lower_layer_imports_nothing_from_the_layers_above_it(folder: str, forbidden: tuple[str, ...]) -> None:
    assert _offenders(folder, forbidden) == []


@pytest.mark.parametrize(
    "plugin",
    sorted(p.name for p in (PACKAGE / "plugins").iterdir() if (p / "__init__.py").exists()),
)
def test_a_plugin_imports_only_the_public_plugin_api_and_its_own_modules(plugin: str) -> None:
    own = f"linli.plugins.{plugin}"
    offenders = sorted(
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in (PACKAGE / "plugins" / plugin).rglob("*.py")
        # migrations are written by Alembic against the tables' column types
        if "migrations" not in path.relative_to(PACKAGE).parts
        for name in _imports(path)
        if name.startswith("linli.")
        if not any(name.startswith(allowed + ".") for allowed in ("linli.core.plugin", "linli.testing", own))
    )
    assert offenders == []


def test_only_the_dramatiq_transport_imports_dramatiq() -> None:
    offenders = [o for o in _offenders("transport", ("dramatiq",)) if not o.startswith("linli/transport/dramatiq.py ")]
    assert offenders == []


def test_the_layer_check_sees_imported_modules_and_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from linli.core import people\n\ndef f():\n    from linli.workers.broker import build_rate_backend\n",
        encoding="utf-8",
    )
    assert _imports(module) == {"linli.core.people", "linli.workers.broker.build_rate_backend"}
