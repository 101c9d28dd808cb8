"""What every ``linli`` command module shares: the terminal's translator, the state
passed to the commands, and the group class that prints errors as one line.

The command modules (``linli._cli.*``) import from here and never from
``linli.cli``, which only assembles them; so there is no import cycle. Only
click is imported at the top: the rest inside the functions, so that
``linli --help`` stays fast.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from linli.core.settings import Settings
    from linli.workers.runtime import Runtime

__all__ = ["LinliGroup", "State", "command_group", "pass_state", "settings_option", "t"]


def t(msgid: str, /, **values: Any) -> str:
    """``msgid`` translated into the terminal's language, formatted with ``values``."""
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
    help=t("settings.toml to use (default: $LINLI_SETTINGS or ./settings.toml)"),
)


class LinliGroup(click.Group):
    """A group whose errors are one clear line and a non-zero exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from linli.core.errors import LinliError

        try:
            return super().invoke(ctx)
        except LinliError as exc:
            click.secho(t("Error: {message}", message=exc.translated(t)), fg="red", err=True)
            ctx.exit(exc.exit_code)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        cmd = settings_option(cmd) if not any(p.name == "settings" for p in cmd.params) else cmd
        cmd.get_help_option = types.MethodType(_translated_help_option, cmd)  # type: ignore[method-assign]
        super().add_command(cmd, name)


def _translated_help_option(self: click.Command, ctx: click.Context) -> click.Option | None:
    """Click's --help option, with its text in the CLI's language."""
    option = click.Command.get_help_option(self, ctx)
    if option is not None:
        option.help = t("Show this message and exit.")
    return option


def command_group(name: str, help_text: str) -> LinliGroup:
    return LinliGroup(name=name, help=help_text)
