"""``linli export``: a ledger (台账) of a district as an XLSX or CSV file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from linli._cli.checks import BadInput
from linli._cli.database import actor, load_registry, opened
from linli._cli.output import console, print_table
from linli._cli.shared import State, pass_state
from linli._cli.shared import t as _t

__all__ = ["register"]


@click.command(
    "export", help=_t("Export a ledger (台账) of a district as XLSX or CSV. `linli export --list` shows the ledgers.")
)
@click.argument("ledger", required=False)
@click.option("--district", "-d", "district_id", help=_t("the district's id"))
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["xlsx", "csv"]),
    help=_t("file format (default: from --output, else xlsx)"),
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_t("the file to write (default: <district>-<ledger>-<date>.<format> here)"),
)
@click.option("--language", type=click.Choice(["zh_CN", "en"]), help=_t("default: the district's language"))
@click.option("--list", "list_only", is_flag=True, help=_t("list the ledgers instead"))
@pass_state
def export(
    state: State,
    ledger: str | None,
    district_id: str | None,
    fmt: str | None,
    output: Path | None,
    language: str | None,
    list_only: bool,
) -> None:
    from linli.core.specs import LedgerSpec

    if list_only:
        registry = load_registry()
        rows = [
            (name, h.plugin, _t(h.spec.title) if isinstance(h.spec, LedgerSpec) and h.spec.title else "")
            for name, h in sorted(registry.ledgers.items())
        ]
        if rows:
            print_table([_t("Ledger"), _t("Plugin"), _t("Title")], rows)
        else:
            click.echo(_t("No installed plugin has a ledger."))
        return
    if not ledger or not district_id:
        raise BadInput(
            _t("name a ledger and a district: linli export LEDGER --district ID (see `linli export --list`)")
        )
    if fmt is None:
        fmt = "csv" if output is not None and output.suffix.lower() == ".csv" else "xlsx"
    _export(state, ledger, district_id, fmt, output, language)


def _export(state: State, ledger: str, district_id: str, fmt: Any, output: Path | None, language: str | None) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from linli.core.export import export_ledger

    err = console(stderr=True)
    with (
        opened(state, write=True) as rt,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress,
    ):
        task = progress.add_task(_t("Writing {ledger}", ledger=ledger), total=None)
        result = export_ledger(
            rt.store,
            rt.registry,
            ledger,
            district_id,
            actor=actor(),
            fmt=fmt,
            path=output,
            language=language,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    click.echo(
        _t("Exported {rows} row(s) of {ledger} to {path}", rows=result.rows, ledger=ledger, path=str(result.path))
    )


def register(main: click.Group) -> None:
    """Add this module's commands to ``main``."""
    for command in (export,):
        main.add_command(command)
