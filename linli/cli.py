"""The ``linli`` command: each subcommand a thin shell over ``linli.core`` and ``linli.workers``.

Heavy modules (SQLAlchemy, Dramatiq) are imported inside the commands, so that
``linli --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from linli.core.settings import Settings
    from linli.workers.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])


def cli_language() -> str:
    """``LINLI_LANG``, else the locale of the terminal; Chinese unless English is asked for."""
    wanted = os.environ.get("LINLI_LANG") or os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    return "en" if wanted.lower().startswith("en") else "zh_CN"


def _t(msgid: str, /, **values: Any) -> str:
    from linli.core.i18n import translator

    return translator(cli_language())(msgid, **values)


class State:
    """What the commands share: the settings path, loaded once, and the runtime."""

    def __init__(self) -> None:
        self.settings_path: str | None = None
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from linli.core.settings import load_settings

            self._settings = load_settings(self.settings_path)
            from linli.core.logging import configure_logging

            configure_logging(self._settings.logging.level, self._settings.logging.format)
        return self._settings

    def runtime(self, **kw: Any) -> Runtime:
        from linli.workers.runtime import Runtime

        return Runtime(self.settings, **kw)


pass_state = click.make_pass_decorator(State, ensure=True)


def _remember_settings(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(State).settings_path = value


settings_option = click.option(
    "--settings",
    type=click.Path(dir_okay=False),
    expose_value=False,
    is_eager=True,
    callback=_remember_settings,
    help="settings.toml to use (default: $LINLI_SETTINGS or ./settings.toml)",
)


class LinliGroup(click.Group):
    """A group whose errors are one clear line and a non-zero exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from linli.core.errors import LinliError

        try:
            return super().invoke(ctx)
        except LinliError as exc:
            click.secho(_t("Error: {message}", message=exc.translated(_t)), fg="red", err=True)
            ctx.exit(exc.exit_code)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        cmd = settings_option(cmd) if not any(p.name == "settings" for p in cmd.params) else cmd
        super().add_command(cmd, name)


def command_group(name: str, help_text: str) -> LinliGroup:
    return LinliGroup(name=name, help=help_text)


@click.group(cls=LinliGroup, context_settings={"help_option_names": ["-h", "--help"]})
@settings_option
@click.version_option(package_name="linli")
def main() -> None:
    """linli (邻里): community governance through chat.

    Start with `linli run` to talk to the bot in this terminal.
    """




@main.command()
@click.option("--district", "-d", help="the district to talk in (default: the first one)")
@click.option("--as", "speaker", default="张三", show_default=True, help="who speaks first")
@pass_state
def run(state: State, district: str | None, speaker: str) -> None:
    """Talk to linli in this terminal: embedded broker, SQLite, the console adapter.

    Switch the speaker with /as NAME to play two neighbours; pipe a file in to
    run a scripted session.
    """
    from linli.workers.embedded import run_console

    run_console(state.settings, district=district, speaker=speaker)


@main.group(cls=LinliGroup)
def db() -> None:
    """The database: migrations."""


@db.command("upgrade")
@pass_state
def db_upgrade(state: State) -> None:
    """Apply pending migrations (core and every plugin) and add declared districts. Safe to repeat."""
    rt = state.runtime()
    applied, seeded = rt.prepare_database()
    if applied:
        click.echo(_t("Applied: {revisions}", revisions=", ".join(applied)))
    else:
        click.echo(_t("The database is up to date."))
    if seeded:
        click.echo(_t("Districts added from the settings: {districts}", districts=", ".join(seeded)))


def _register() -> None:
    from linli._cli import admin, processes

    admin.register(main)
    processes.register(main)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
