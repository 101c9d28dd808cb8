"""``linli registry``: import a district's register (CSV/XLSX), write its template, list its
possible duplicates. Heavy modules are imported inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from linli._cli._admin import BadInput, actor, console, opened, print_table
from linli.cli import LinliGroup, State, _t, pass_state

if TYPE_CHECKING:
    from linli.core.register.importer import ImportReport

__all__ = ["duplicates_command", "import_command", "register", "registry", "template_command"]


class _Bar:
    """The importer's progress on a rich progress bar (nothing when not on a terminal)."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.task: Any = None

    def stage(self, name: str, total: int | None) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[-1].total or 0)
        self.task = self.progress.add_task(_t(name), total=total)

    def advance(self, steps: int = 1) -> None:
        self.progress.advance(self.task, steps)


def _count_rows(path: Path) -> int | None:
    """The data rows of a CSV (its lines) or an XLSX (its sheet's dimension), for the bar."""
    try:
        if path.suffix.lower() == ".xlsx":
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True)
            try:
                return max((book.worksheets[0].max_row or 1) - 1, 0)
            finally:
                book.close()
        with path.open("rb") as f:
            return max(sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")) - 1, 0)
    except Exception:
        return None


def _rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejected{'.xlsx' if path.suffix.lower() == '.xlsx' else '.csv'}")


def _report(report: ImportReport) -> None:
    click.echo(_t("Rows read: {rows}", rows=report.rows))
    print_table(
        [_t("Register"), _t("Added"), _t("Updated")],
        [
            (_t("grids"), report.grids_added, 0),
            (_t("buildings"), report.buildings_added, report.buildings_updated),
            (_t("households"), report.households_added, report.households_updated),
            (_t("people"), report.people_added, report.people_updated),
        ],
    )
    if report.people_left:
        click.echo(
            _t(
                "People of the file who have left their household in the register (left as they are): {count}",
                count=report.people_left,
            )
        )


@click.command("import", help=_t("Import a register of households and people from a CSV or XLSX file."))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--district", "-d", "district_id", required=True, help=_t("the district's id"))
@click.option("--skip-bad", is_flag=True, help=_t("import the good rows and write the bad ones to a file"))
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_t("where --skip-bad writes the bad rows (default: FILE.rejected.csv beside FILE)"),
)
@pass_state
def import_command(state: State, file: Path, district_id: str, skip_bad: bool, rejects: Path | None) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from linli._cli._admin import district_named
    from linli.core.register.importer import import_rows
    from linli.core.register.tabular import FileError, read_rows, write_rows

    err = console(stderr=True)
    try:
        header, rows = read_rows(file)
    except FileError as exc:
        raise BadInput(f"{file.name}: {exc.translated(_t)}") from None
    total = _count_rows(file)
    with (
        opened(state, write=True) as rt,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress,
        rt.store.begin() as conn,
    ):
        district_named(conn, district_id)
        report = import_rows(
            conn, district_id, rows, skip_bad=skip_bad, actor=actor(), progress=_Bar(progress), total=total
        )
    for error in report.errors[:50]:
        click.echo(_t("line {line}: {reason}", line=error.line, reason=error.text(_t)))
    if len(report.errors) > 50:
        click.echo(_t("… and {count} more bad rows", count=len(report.errors) - 50))
    if not report.imported:
        raise BadInput(
            _t(
                "bad rows: {count}; nothing was imported. Correct them, or import the good rows with --skip-bad.",
                count=len(report.errors),
            )
        )
    _report(report)
    if report.errors:
        target = rejects or _rejects_path(file)
        reason = _t("error")
        write_rows(
            target,
            [_t("line"), reason, *header],
            [[e.line, e.text(_t), *["" if c is None else c for c in report.rejected[e.line]]] for e in report.errors],
        )
        click.echo(_t("Bad rows not imported: {count}; they are in {path}", count=len(report.errors), path=target))


@click.command("template", help=_t("Write an empty register with its columns (XLSX, or CSV by the file name)."))
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def template_command(file: Path | None) -> None:
    from linli.core.register.tabular import COLUMNS, write_template

    target = file or Path("register-template.xlsx")
    if target.suffix.lower() not in (".xlsx", ".csv"):
        raise BadInput(_t("the template is an .xlsx or a .csv file"))
    write_template(target, _t)
    click.echo(_t("Wrote {path}", path=target))
    print_table([_t("Column"), _t("Meaning")], [(c.header, _t(c.description)) for c in COLUMNS])


@click.command("duplicates", help=_t("List the people of a district's register who may be one person."))
@click.option("--district", "-d", "district_id", required=True, help=_t("the district's id"))
@pass_state
def duplicates_command(state: State, district_id: str) -> None:
    from linli._cli._admin import district_named
    from linli.core.register import Registry

    reasons = {
        "id": _t("same ID number"),
        "name_birth_building": _t("same name, date of birth and building"),
    }
    with opened(state, write=False) as rt, rt.store.begin() as conn:
        district_named(conn, district_id)
        registry = Registry(conn, district_id, t=_t, actor=actor())
        found = registry.duplicates()
        rows = []
        for dup in found:
            names = [registry.resident(p) for p in dup.person_ids]
            rows.append(
                (
                    ", ".join(f"#{p}" for p in dup.person_ids),
                    ", ".join(r.name for r in names if r is not None),
                    reasons.get(dup.reason, dup.reason),
                )
            )
    if not rows:
        click.echo(_t("No possible duplicates."))
        return
    print_table([_t("Persons"), _t("Names"), _t("Why")], rows)


@click.group("registry", cls=LinliGroup, help=_t("The register of households and people: import, template."))
def registry() -> None:
    pass


for _command in (import_command, template_command, duplicates_command):
    registry.add_command(_command)


def register(main: click.Group) -> None:
    main.add_command(registry)
