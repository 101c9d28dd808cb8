"""The one storage interface: an engine, transactions, migrations."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
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


def _sqlite_pragmas(synchronous: str) -> Callable[[Any, Any], None]:
    def pragmas(dbapi_conn: Any, _: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # WAL with synchronous=NORMAL is durable across application crashes; a power cut
        # may lose the last commits, never corrupt the file. FULL syncs the WAL at every
        # commit, so that a power cut loses nothing committed either.
        cur.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'full' else 'NORMAL'}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA wal_autocheckpoint=10000")
        cur.close()

    return pragmas


def _first_line(exc: BaseException) -> str:
    """The driver's own message without SQLAlchemy's multi-line background notes."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# straight to the driver: through exec_driver_sql a BEGIN costs more than the commit
_BEGIN = Prepared(sa.text("BEGIN"))
_BEGIN_IMMEDIATE = Prepared(sa.text("BEGIN IMMEDIATE"))
_COMMIT = Prepared(sa.text("COMMIT"))

#: what begins a transaction on SQLite in each way a connection is used: SQLite takes its
#: write lock at BEGIN IMMEDIATE, so two writers queue up instead of failing with "database
#: is locked" half-way through; in autocommit each statement commits by itself (pysqlite
#: runs with isolation_level None)
_BEGINS: dict[str, Prepared | None] = {"write": _BEGIN_IMMEDIATE, "read": _BEGIN, "autocommit": None}

#: the key in a SQLite connection's info of the statement that SQLAlchemy's begin runs on it
#: (a plain dict entry, set at checkout and dropped at checkin: execution options copy
#: themselves and run events on every change)
_BEGINS_WITH = "linli_begins_with"


def _sqlite_begin(conn: sa.Connection) -> None:
    begin = conn.info.get(_BEGINS_WITH, _BEGIN_IMMEDIATE)
    if begin is not None:
        begin.rowcount(conn)


#: the key in a SQLite connection's info while a block of a session runs its transaction on
#: it: "open", then "ending" while the block itself commits
_BLOCK = "linli_block"


def _sqlite_commit(conn: sa.Connection) -> None:
    """Refuse a commit from inside a block: it would commit the block's transaction half-way
    (with an event's processed mark), and the rest would run in autocommit."""
    if conn.info.get(_BLOCK) == "open":
        raise RuntimeError(
            "a transaction of the store's is running on this connection: let the block "
            "commit it (use ctx.store, never begin or commit on the connection itself)"
        )


def _forget_begin(_: Any, record: Any) -> None:
    """A connection back in the pool is used in no way yet; whoever takes it next says how."""
    record.info.pop(_BEGINS_WITH, None)
    record.info.pop(_BLOCK, None)


class Store:
    """The database linli and its plugins share.

    Parameters:
      url: a SQLAlchemy URL: ``sqlite:///path`` (WAL) or ``postgresql+psycopg://...``.
      migration_dirs: the plugins' migration folders, applied by :meth:`upgrade`.
      sqlite_synchronous: SQLite's ``synchronous`` pragma, ``normal`` or ``full``
        (``[storage] sqlite_synchronous``).
    """

    def __init__(
        self,
        url: str,
        *,
        migration_dirs: Iterable[Path] = (),
        echo: bool = False,
        sqlite_synchronous: str = "normal",
    ) -> None:
        self.url = url
        self.migration_dirs = list(migration_dirs)
        # a statement's parameters are residents' words, names and identities: an error's text
        # (logged with its traceback) shows the statement without them
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
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
            raise StorageError(
                N_(
                    "[storage] url {url!r}: linli stores its data in SQLite or PostgreSQL "
                    "(sqlite:///var/linli.db, postgresql+psycopg://user@host/db)"
                ),
                url=url,
            )
        try:
            self.engine = sa.create_engine(url, **kwargs)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise StorageError(N_("[storage] url {url!r} is not usable: {error}"), url=url, error=str(exc)) from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas(sqlite_synchronous))
            event.listen(self.engine, "begin", _sqlite_begin)
            event.listen(self.engine, "checkin", _forget_begin)
            event.listen(self.engine, "commit", _sqlite_commit)

            @event.listens_for(self.engine, "connect")
            def _no_pysqlite_begin(dbapi_conn: Any, _: Any) -> None:
                dbapi_conn.isolation_level = None

        #: SQLite: the store runs BEGIN and COMMIT on a kept connection itself (see _Borrowed)
        self._sqlite = self.engine.dialect.name == "sqlite"
        self._kept = threading.local()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> AbstractContextManager[None]:
        """Keep one connection for this thread's transactions and autocommit statements
        inside the block, instead of checking one out of the pool for each.

        An event's dispatch, its handlers and its deliveries run one after the other in
        one thread: checking a connection out and back in for each of them cost more than
        some of their statements (``linli run`` keeps one for the whole session). Nested
        sessions share the outer one's connection; a transaction opened while the kept
        connection is in use gets a connection of its own.
        """
        return _Session(self)

    def _use(self, mode: str) -> AbstractContextManager[sa.Connection]:
        if getattr(self._kept, "conn", None) is None:
            return self._own(mode)
        return _Borrowed(self, mode)

    @contextmanager
    def _own(self, mode: str) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            if self._sqlite:
                conn.info[_BEGINS_WITH] = _BEGINS[mode]
            elif mode == "autocommit":
                conn.execution_options(isolation_level="AUTOCOMMIT")
            if mode == "write":
                with conn.begin():
                    yield conn
            else:
                yield conn

    def begin(self) -> AbstractContextManager[sa.Connection]:
        """One transaction: everything inside commits together or not at all."""
        return self._use("write")

    def connect(self) -> AbstractContextManager[sa.Connection]:
        """A connection for reads."""
        return self._use("read")

    def autocommit(self) -> AbstractContextManager[sa.Connection]:
        """A connection whose statements each commit on their own: one round trip for a
        single read or a single-statement write, with no BEGIN and COMMIT around it."""
        return self._use("autocommit")

    def upgrade(self) -> list[str]:
        """Apply pending migrations of core and of every plugin; idempotent.

        Raises:
          StorageError: the database cannot be reached.
        """
        try:
            return migrate.upgrade(self.engine, self.migration_dirs)
        except sa.exc.OperationalError as exc:
            raise StorageError(
                N_("cannot reach the database {url}: {error}"), url=self.safe_url, error=_first_line(exc.orig or exc)
            ) from None

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
            raise StorageError(
                N_("cannot reach the database {url}: {error}"), url=self.safe_url, error=_first_line(exc)
            ) from None

    def dispose(self) -> None:
        self.engine.dispose()


class _Session:
    """See :meth:`Store.session`."""

    __slots__ = ("_outer", "_store")

    def __init__(self, store: Store) -> None:
        self._store = store
        self._outer = False

    def __enter__(self) -> None:
        kept = self._store._kept
        self._outer = not getattr(kept, "active", False)
        if self._outer:
            conn = self._store.engine.connect()
            if self._store._sqlite:
                conn.info[_BEGINS_WITH] = None  # each block begins its transaction itself
            kept.conn, kept.active, kept.mode = conn, True, None

    def __exit__(self, *exc: object) -> None:
        if self._outer:
            kept = self._store._kept
            conn, kept.active, kept.conn = kept.conn, False, None
            conn.close()


class _Borrowed:
    """The session's kept connection, used in one way (write, read, autocommit) for a block.

    On SQLite the block runs its BEGIN and its COMMIT or ROLLBACK on the driver itself:
    SQLAlchemy's transaction objects and events cost more than those statements, and the
    console thread runs two blocks per event. A statement SQLAlchemy runs inside the block
    makes it begin a transaction of its own, which issues nothing (the connection's info
    says so); ending that one ends the block's on the driver.
    """

    __slots__ = ("_conn", "_mode", "_store", "_transaction")

    def __init__(self, store: Store, mode: str) -> None:
        self._store, self._mode = store, mode

    def __enter__(self) -> sa.Connection:
        kept = self._store._kept
        conn: sa.Connection = kept.conn
        kept.conn = None  # in use until the block ends: a nested one gets its own
        self._conn = conn
        self._transaction: sa.RootTransaction | None = None
        try:
            if self._store._sqlite:
                begin = _BEGINS[self._mode]
                if begin is not None:
                    begin.rowcount(conn)
                    conn.info[_BLOCK] = "open"
                return conn
            if kept.mode != self._mode:
                if "autocommit" in (kept.mode, self._mode):
                    conn.execution_options(
                        isolation_level="AUTOCOMMIT" if self._mode == "autocommit" else conn.default_isolation_level
                    )
                kept.mode = self._mode
            if self._mode == "write":
                self._transaction = conn.begin()
        except BaseException:
            kept.conn = conn
            raise
        return conn

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        conn = self._conn
        commit = exc_type is None and self._mode == "write"
        try:
            if self._transaction is not None:
                if commit:
                    self._transaction.commit()
                else:
                    self._transaction.rollback()
            elif conn.in_transaction():
                # SQLAlchemy began one for a statement of its own: on SQLite ending it ends
                # the block's transaction; else it is what SQLAlchemy began for a read
                if commit:
                    try:
                        if self._store._sqlite:
                            conn.info[_BLOCK] = "ending"
                        conn.commit()
                    except BaseException:
                        _end_failed_commit(conn)
                        raise
                else:
                    conn.rollback()
            elif self._store._sqlite and self._mode != "autocommit":
                if commit:
                    try:
                        _COMMIT.rowcount(conn)
                    except BaseException:
                        conn.connection.rollback()  # a COMMIT that failed leaves the transaction open
                        raise
                else:
                    conn.connection.rollback()  # nothing when SQLite has rolled back already
        finally:
            if self._store._sqlite:
                conn.info.pop(_BLOCK, None)
            self._store._kept.conn = conn


def _end_failed_commit(conn: sa.Connection) -> None:
    """A COMMIT that failed (disk full, a deferred constraint) leaves SQLite's transaction
    open with its write lock, and SQLAlchemy's ended: roll both back before the connection
    goes back to the pool, or every writer waits on it."""
    with suppress(Exception):
        conn.rollback()
    with suppress(Exception):
        conn.connection.rollback()
