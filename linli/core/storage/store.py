"""The one storage interface: an engine, transactions, migrations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import StaticPool

from linli.core.errors import StorageError
from linli.core.i18n import N_
from linli.core.storage import migrate
from linli.core.storage.prepared import Prepared

__all__ = ["Store"]


def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # WAL with synchronous=NORMAL is durable across application crashes; a power cut
    # may lose the last commits, never corrupt the file.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _first_line(exc: BaseException) -> str:
    """The driver's own message without SQLAlchemy's multi-line background notes."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# straight to the driver: through exec_driver_sql a BEGIN costs more than the commit
_BEGIN = Prepared(sa.text("BEGIN"))
_BEGIN_IMMEDIATE = Prepared(sa.text("BEGIN IMMEDIATE"))


def _sqlite_begin(conn: sa.Connection) -> None:
    options = conn.get_execution_options()
    if options.get("linli_autocommit"):
        return  # pysqlite runs with isolation_level None: each statement commits by itself
    (_BEGIN if options.get("linli_read_only") else _BEGIN_IMMEDIATE).rowcount(conn)


class Store:
    """The database linli and its plugins share.

    Parameters:
      url: a SQLAlchemy URL: ``sqlite:///path`` (WAL) or ``postgresql+psycopg://...``.
      migration_dirs: the plugins' migration folders, applied by :meth:`upgrade`.
    """

    def __init__(self, url: str, *, migration_dirs: Iterable[Path] = (), echo: bool = False) -> None:
        self.url = url
        self.migration_dirs = list(migration_dirs)
        kwargs: dict[str, Any] = {"echo": echo}
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path in ("", ":memory:"):
                kwargs["poolclass"] = StaticPool
            else:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False}
        # no pool_pre_ping: it costs a round trip per checkout (several per event); a
        # connection found dead fails as a transient error and the message is retried
        if not url.startswith(("sqlite", "postgresql")):
            raise StorageError(N_("[storage] url {url!r}: linli stores its data in SQLite or PostgreSQL "
                                  "(sqlite:///var/linli.db, postgresql+psycopg://user@host/db)"), url=url)
        try:
            self.engine = sa.create_engine(url, **kwargs)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise StorageError(N_("[storage] url {url!r} is not usable: {error}"), url=url, error=str(exc)) from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            # SQLite takes its write lock at BEGIN IMMEDIATE, so two writers queue up
            # instead of failing with "database is locked" half-way through.
            event.listen(self.engine, "begin", _sqlite_begin)

            @event.listens_for(self.engine, "connect")
            def _no_pysqlite_begin(dbapi_conn: Any, _: Any) -> None:
                dbapi_conn.isolation_level = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """One transaction: everything inside commits together or not at all."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        """A connection for reads."""
        with self.engine.connect().execution_options(linli_read_only=True) as conn:
            yield conn

    @contextmanager
    def autocommit(self) -> Iterator[sa.Connection]:
        """A connection whose statements each commit on their own: one round trip for a
        single read or a single-statement write, with no BEGIN and COMMIT around it."""
        options: dict[str, Any] = {"linli_autocommit": True}
        if self.engine.dialect.name != "sqlite":
            options["isolation_level"] = "AUTOCOMMIT"
        with self.engine.connect().execution_options(**options) as conn:
            yield conn

    def upgrade(self) -> list[str]:
        """Apply pending migrations of core and of every plugin; idempotent.

        Raises:
          StorageError: the database cannot be reached.
        """
        try:
            return migrate.upgrade(self.engine, self.migration_dirs)
        except sa.exc.OperationalError as exc:
            raise StorageError(N_("cannot reach the database {url}: {error}"), url=self.safe_url,
                               error=_first_line(exc.orig or exc)) from None

    def pending_migrations(self) -> list[str]:
        return migrate.pending(self.engine, self.migration_dirs)

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def ping(self) -> None:
        """Raises: StorageError: the database does not answer."""
        try:
            with self.autocommit() as conn:  # no BEGIN IMMEDIATE: a health check takes no write lock
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as exc:
            raise StorageError(N_("cannot reach the database {url}: {error}"), url=self.safe_url,
                               error=_first_line(exc)) from None

    def dispose(self) -> None:
        self.engine.dispose()
