"""How the commands print: rich tables, label/value fields, warnings, lists.

Heavy modules (rich) are imported inside the functions.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import click

from linli._cli.shared import t as _t

if TYPE_CHECKING:
    from linli.core.registry import PluginRegistry

__all__ = [
    "console",
    "joined",
    "kind_text",
    "language_text",
    "print_fields",
    "print_table",
    "role_text",
    "scope_text",
    "warn",
]


def console(stderr: bool = False) -> Any:
    """A rich console on stdout (or stderr)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # piped output keeps whole rows on one line, so grep and scripts can read it
    wide = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(file=stream, highlight=False, width=200 if wide else None)


def print_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str | None = None) -> None:
    """Print rows under translated column headers."""
    from rich.table import Table
    from rich.text import Text

    table = Table(*columns, title=title)
    for row in rows:
        # Text, not str: a name with [brackets] is not rich markup
        table.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    console().print(table)


def print_fields(pairs: Iterable[tuple[str, Any]]) -> None:
    """Print label/value pairs aligned in two columns."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in pairs:
        grid.add_row(Text(label), Text(str(value)))
    console().print(grid)


def warn(message: str) -> None:
    """A warning on stderr; the command goes on."""
    click.secho(_t("Warning: {text}", text=message), fg="yellow", err=True)


def joined(items: Iterable[str]) -> str:
    return ", ".join(items) or "—"


def scope_text(scope: str) -> str:
    """A scope as people read it; the empty scope is the whole district."""
    return scope or _t("whole district")


def role_text(registry: PluginRegistry, role: str) -> str:
    """A role as an administrator reads it: what people call it, then the id they type (``社区工作者 (staff)``)."""
    title = registry.role_titles().get(role)
    return f"{_t(title)} ({role})" if title else role


def kind_text(kind: str) -> str:
    """A district's kind as people call it (村 for a village)."""
    from linli.core.settings import DISTRICT_KINDS

    name = DISTRICT_KINDS.get(kind)
    return _t(name) if name else kind


def language_text(language: str) -> str:
    """A language as people call it, with its code (``中文 (zh_CN)``)."""
    from linli.core.i18n import LANGUAGE_NAMES

    name = LANGUAGE_NAMES.get(language)
    return f"{_t(name)} ({language})" if name else language
