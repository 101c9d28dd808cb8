"""The command modules stand on ``linli._cli.shared`` and never reach back into ``linli.cli``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import linli._cli

CLI_MODULES = sorted(Path(linli._cli.__file__).parent.glob("*.py"))


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_command_module_imports_linli_cli() -> None:
    offenders = [p.name for p in CLI_MODULES if "linli.cli" in _imported_modules(p)]
    assert offenders == []


def test_every_command_module_imports_alone_without_loading_linli_cli() -> None:
    names = [f"linli._cli.{p.stem}" for p in CLI_MODULES if p.stem != "__init__"]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print('linli.cli' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_command_module_that_registers_commands_is_registered_on_main() -> None:
    import importlib

    import click

    from linli.cli import main

    registering = [
        module
        for module in (importlib.import_module(f"linli._cli.{p.stem}") for p in CLI_MODULES if p.stem != "__init__")
        if hasattr(module, "register")
    ]
    assert len(registering) >= 5
    for module in registering:
        probe = click.Group("probe")
        module.register(probe)
        assert probe.commands, f"{module.__name__}.register adds no command"
        for name, command in probe.commands.items():
            assert main.commands.get(name) is command, f"{module.__name__}: {name} is not on linli"
