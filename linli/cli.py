"""The ``linli`` command: the ``main`` group, ``run`` and ``db``; the other
subcommands live in ``linli._cli``, one module per area, each with a
``register(main)`` that :func:`_register` calls.

What the commands share (``State``, ``pass_state``, ``LinliGroup``, the
translator ``t``) is in ``linli._cli.shared``, which imports nothing from here.
Heavy modules (SQLAlchemy, Dramatiq) are imported inside the commands, so that
``linli --help`` starts fast.
"""

from __future__ import annotations

import sys

import click

from linli._cli.shared import LinliGroup, State, pass_state, settings_option
from linli._cli.shared import t as _t


@click.group(
    cls=LinliGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=_t(
        "linli (邻里): community governance through chat.\n\n"
        "Start with `linli run` to talk to the bot in this terminal; `linli doctor` checks a deployment."
    ),
)
@settings_option
@click.version_option(
    package_name="linli", message=_t("%(prog)s, version %(version)s"), help=_t("Show the version and exit.")
)
@click.help_option("-h", "--help", help=_t("Show this message and exit."))
def main() -> None:
    pass


@main.command(
    help=_t(
        "Talk to linli in this terminal: in-process broker, SQLite, the console.\n\n"
        "Switch the speaker with /as NAME to play two neighbours, /dm for a private chat with the bot, "
        "/group to go back, /quit to leave. Piped input is read one message per line."
    ),
    short_help=_t("Talk to linli in this terminal (the embedded default)."),
)
@click.option("--district", "-d", help=_t("the district to talk in (default: the first one)"))
@click.option("--as", "speaker", default="张三", show_default=True, help=_t("who speaks first"))
@pass_state
def run(state: State, district: str | None, speaker: str) -> None:
    from linli.workers.embedded import run_console

    run_console(state.settings, district=district, speaker=speaker)


@main.group(cls=LinliGroup, help=_t("The database: migrations."))
def db() -> None:
    pass


@db.command(
    "upgrade",
    help=_t(
        "Apply pending migrations (core and every plugin) and add the districts declared in the settings "
        "that the database lacks. Safe to repeat."
    ),
)
@pass_state
def db_upgrade(state: State) -> None:
    rt = state.runtime()
    applied, seeded = rt.prepare_database()
    if applied:
        click.echo(_t("Applied: {revisions}", revisions=", ".join(applied)))
    else:
        click.echo(_t("The database is up to date."))
    if seeded:
        click.echo(_t("Districts added from the settings: {districts}", districts=", ".join(seeded)))


@db.command(
    "revision",
    help=_t(
        "Write a plugin's next migration into its migrations folder: its tables are compared with "
        "a scratch database that has the earlier migrations, and what changed is written down. Read "
        "the file before you commit it."
    ),
)
@click.argument("plugin")
@click.option("--message", "-m", required=True, help=_t("what the migration does, in a few words"))
@click.option("--empty", is_flag=True, help=_t("write an empty migration to fill in by hand"))
def db_revision(plugin: str, message: str, empty: bool) -> None:
    from importlib import resources
    from pathlib import Path

    from linli._cli.database import load_registry
    from linli.core.errors import PluginError
    from linli.core.storage.migrate import migration_dirs, revision

    registry = load_registry()
    found = registry.plugins.get(plugin)
    if found is None:
        raise PluginError(
            _t(
                "no plugin {name!r} is installed (installed: {installed})",
                name=plugin,
                installed=", ".join(sorted(registry.plugins)),
            )
        )
    package = registry.package_of(plugin)
    if not package:
        raise PluginError(_t("plugin {name!r} is not in a package, so it has no migrations folder", name=plugin))
    folder = Path(str(resources.files(package))) / "migrations"
    tables = found.manifest.tables.tables if found.manifest.tables is not None else None
    others = [d for d in migration_dirs(registry.packages()) if d != folder]
    path = revision(plugin, folder, tables, message, other_dirs=others, autogenerate=not empty)
    if path is None:
        click.echo(
            _t(
                "The tables of {plugin} match its migrations: nothing to write "
                "(--empty writes an empty migration to fill in by hand).",
                plugin=plugin,
            )
        )
    else:
        click.echo(_t("Wrote {path}", path=str(path)))


def _register() -> None:
    """Add the commands of every module of ``linli._cli``; a new module goes in this list."""
    from linli._cli import districts, doctor, export, members, plugin_commands, processes, register, roles, web

    # plugin_commands last: a core command keeps its name
    for module in (processes, districts, roles, members, export, doctor, register, web, plugin_commands):
        module.register(main)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
