"""How the commands reach the database: a runtime whose schema is current, the
installed plugins, the persons and districts the arguments name, who acts.

Heavy modules are imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from linli._cli.checks import checked_identity
from linli._cli.shared import State
from linli._cli.shared import t as _t

if TYPE_CHECKING:
    import sqlalchemy as sa

    from linli.core.directory import DistrictInfo
    from linli.core.people import PersonInfo
    from linli.core.registry import PluginRegistry
    from linli.workers.runtime import Runtime

__all__ = ["actor", "district_named", "load_registry", "opened", "person_named"]


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
