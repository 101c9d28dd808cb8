"""What the admin commands share: opening the database, printing tables, checking names.

Private to ``linli._cli``; heavy modules are imported inside the functions.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from linli.cli import State, _t
from linli.core.errors import LinliError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from linli.core.directory import DistrictInfo
    from linli.core.people import PersonInfo
    from linli.core.registry import PluginRegistry
    from linli.workers.runtime import Runtime

__all__ = [
    "BadInput",
    "actor",
    "checked_identity",
    "checked_room",
    "console",
    "district_named",
    "joined",
    "load_registry",
    "opened",
    "person_named",
    "print_fields",
    "print_table",
    "scope_text",
    "warn",
]


class BadInput(LinliError):
    """A malformed argument (a room, an identity, a scope): one line, exit code 2 like click's usage errors."""

    exit_code = 2


def actor() -> str:
    """Who runs the command, for the audit log."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli:unknown"


@contextmanager
def opened(state: State, *, write: bool, seed: bool = True) -> Iterator[Runtime]:
    """A runtime whose database schema is current: brought up to date before a write,
    checked before a read (a read never migrates behind the admin's back).

    Parameters:
      state: the command line's state.
      write: whether the command changes the database.
      seed: before a write, also add the districts of the settings the database lacks,
        as ``linli db upgrade`` does.

    Raises:
      StorageError: the database is unreachable, or (for a read) needs ``linli db upgrade``.
    """
    import sqlalchemy as sa
    from dramatiq.brokers.stub import StubBroker

    from linli.core.errors import StorageError

    # admin commands send no work: an in-process broker spares them a RabbitMQ connection
    rt = state.runtime(broker=StubBroker())
    try:
        if write and seed:
            rt.prepare_database()
        elif write:
            rt.store.upgrade()
        else:
            pending = rt.store.pending_migrations()
            if pending:
                raise StorageError(
                    _t(
                        "the database schema is not current (pending: {revisions}); run `linli db upgrade`",
                        revisions=", ".join(pending),
                    )
                )
        yield rt
    except StorageError as exc:
        # driver errors span lines ("Is the server running...?"); the error is one line
        raise StorageError(exc.translated(_t).splitlines()[0]) from None
    except sa.exc.SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        raise StorageError(
            _t("database {url}: {reason}", url=rt.store.safe_url, reason=str(reason).splitlines()[0])
        ) from None
    finally:
        rt.close()


def load_registry() -> PluginRegistry:
    """The installed plugins, without opening the database."""
    from linli.core.registry import PluginRegistry, load_entry_points

    return PluginRegistry(load_entry_points())


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


def _split(key: str) -> tuple[str, str] | None:
    """``platform:rest`` split, or ``None`` when the platform is not one linli serves."""
    from linli.workers.runtime import PLATFORMS

    platform, sep, rest = key.partition(":")
    return (platform, rest) if sep and rest and platform in PLATFORMS else None


def _platforms() -> str:
    from linli.workers.runtime import PLATFORMS

    return ", ".join(PLATFORMS)


def checked_room(room: str) -> str:
    """``ROOM`` as ``platform:room``, checked the way each platform names its rooms.

    Raises: BadInput: it is not a room key linli can serve."""
    from linli.core.events import Address

    try:
        key = Address.parse(room).room_key
    except ValueError:
        key = ""
    parts = _split(key)
    if parts is None:
        raise BadInput(
            _t(
                "{room!r} is not a room: write platform:room (console:demo, telegram:-100123) with a "
                "platform among {platforms}",
                room=room,
                platforms=_platforms(),
            )
        )
    platform, rest = parts
    if platform == "telegram" and not re.fullmatch(r"-?\d+", rest):
        raise BadInput(
            _t(
                "{room!r}: a Telegram chat id is a number, such as telegram:-1001234567890 "
                "(add the bot to the group and read the id from its first message)",
                room=room,
            )
        )
    if platform == "matrix" and not re.fullmatch(r"![^:\s]+:\S+", rest):
        raise BadInput(
            _t(
                "{room!r}: use the Matrix room id, such as matrix:!abc:example.org "
                "(an alias #name:server is not a room id)",
                room=room,
            )
        )
    return key


def checked_identity(identity: str) -> str:
    """An identity ``platform:user``, checked the way each platform names its users.

    Raises: BadInput: it is not an identity linli can know."""
    parts = _split(identity)
    if parts is None:
        raise BadInput(
            _t(
                "{identity!r} is not a person: write #id or platform:user (console:张三, telegram:12345) "
                "with a platform among {platforms}",
                identity=identity,
                platforms=_platforms(),
            )
        )
    platform, rest = parts
    if platform == "telegram" and not re.fullmatch(r"\d+", rest):
        raise BadInput(
            _t("{identity!r}: a Telegram user is named by their numeric id, such as telegram:12345", identity=identity)
        )
    if platform == "matrix" and not re.fullmatch(r"@[^:\s]+:\S+", rest):
        raise BadInput(_t("{identity!r}: a Matrix user is written matrix:@name:example.org", identity=identity))
    return identity


def person_named(conn: sa.Connection, who: str, *, create: bool, name: str | None = None) -> tuple[PersonInfo, bool]:
    """The person named ``#id`` or ``platform:user``; returns it and whether it was created now.

    Raises: NotFound: no such person (and ``create`` is false or ``who`` is an ``#id``)."""
    from linli.core import people

    if who.startswith("#"):
        return people.find_person(conn, who), False
    identity = checked_identity(who)
    found = people.person_for(conn, identity, "", create=False)
    if found is not None:
        return found, False
    if not create:
        return people.find_person(conn, identity), False  # raises NotFound with the usual words
    person = people.person_for(conn, identity, name or identity.partition(":")[2])
    assert person is not None
    return person, True


def district_named(conn: sa.Connection, district_id: str) -> DistrictInfo:
    """Raises: NotFound: no such district."""
    from linli.core import directory

    return directory.load_district(conn, district_id)


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


def scope_text(scope: str) -> str:
    """A scope as people read it; the empty scope is the whole district."""
    return scope or _t("whole district")
