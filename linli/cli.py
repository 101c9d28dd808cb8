"""The ``linli`` command: each subcommand a thin shell over ``linli.core`` and ``linli.workers``.

Heavy modules (SQLAlchemy, Dramatiq) are imported inside the commands, so that
``linli --help`` starts fast.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from linli.core.settings import Settings
    from linli.workers.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])


def _t(msgid: str, /, **values: Any) -> str:
    from linli.core.i18n import terminal_language, translator

    return translator(terminal_language())(msgid, **values)


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
            from linli.core.logging import configure_logging, log_stream

            settings = self._settings
            stream = log_stream(settings.logging.file, settings.base_dir)
            configure_logging(settings.logging.level, settings.logging.format, stream=stream)
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
    help=_t("settings.toml to use (default: $LINLI_SETTINGS or ./settings.toml)"),
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
        cmd.get_help_option = types.MethodType(_translated_help_option, cmd)  # type: ignore[method-assign]
        super().add_command(cmd, name)


def _translated_help_option(self: click.Command, ctx: click.Context) -> click.Option | None:
    """Click's --help option, with its text in the CLI's language."""
    option = click.Command.get_help_option(self, ctx)
    if option is not None:
        option.help = _t("Show this message and exit.")
    return option


def command_group(name: str, help_text: str) -> LinliGroup:
    return LinliGroup(name=name, help=help_text)


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


def _register() -> None:
    from linli._cli import admin, processes

    admin.register(main)
    processes.register(main)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
