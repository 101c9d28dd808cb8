"""Statements on every event's path, compiled once and run on the driver's cursor.

SQLAlchemy's ``Connection.execute`` costs about 20 µs of Python per statement even
with its compiled cache (execution context, events, result set-up); the driver's
own call costs 3-5 µs. The few statements that every event runs (the mark, the
outbox row, the person and their roles, the room's pending messages) are Core
statements compiled once per dialect by :class:`Prepared` and then run straight on
the DBAPI cursor of the caller's connection, inside its transaction, with the
same parameter and result processing SQLAlchemy would apply. Everything else
goes through SQLAlchemy as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from attrs import frozen
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import StaticPool

__all__ = ["Prepared"]

_Processor = Callable[[Any], Any]


@frozen
class _Plan:
    sql: str
    #: for positional drivers: (name, default, processor) of each parameter in order
    positional: tuple[tuple[str, Any, _Processor | None], ...] | None
    defaults: Mapping[str, Any]
    binds: tuple[tuple[str, _Processor], ...]
    #: (column index, processor) of the result columns that need processing
    results: tuple[tuple[int, _Processor], ...]
    returns_rows: bool


_REQUIRED = object()
_CURSOR = "linli.prepared.cursor"


class Prepared:
    """A Core statement run on the driver's cursor of a SQLAlchemy connection.

    Parameters:
      stmt: a SELECT, INSERT, UPDATE or DELETE whose parameters are all named
        ``bindparam`` s or literal values (no expanding ``IN``, no Python-side
        column defaults left to SQLAlchemy: pass those values explicitly).
    """

    def __init__(self, stmt: sa.ClauseElement) -> None:
        self.stmt = stmt
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is not None:
            return plan
        compiled: Any = self.stmt.compile(dialect=dialect)
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        if any(bind.expanding for bind in binds.values()):
            raise ValueError("Prepared statements take no expanding IN parameters")
        processors = []
        for name, bind in binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors.append((name, processor))
        columns: Sequence[Any] = list(
            getattr(self.stmt, "selected_columns", None) or getattr(self.stmt, "exported_columns", None) or ()
        )
        results = [(i, c.type.dialect_impl(dialect).result_processor(dialect, None)) for i, c in enumerate(columns)]
        defaults = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
        by_name = dict(processors)
        plan = _Plan(
            sql=compiled.string,
            positional=tuple((name, defaults.get(name, _REQUIRED), by_name.get(name)) for name in compiled.positiontup)
            if dialect.positional
            else None,
            defaults=defaults,
            binds=tuple(processors),
            results=tuple((i, p) for i, p in results if p is not None),
            returns_rows=bool(columns),
        )
        self._plans[dialect.name] = plan
        return plan

    def _run(self, conn: sa.Connection, params: Mapping[str, Any]) -> tuple[list[Any], int]:
        dialect = conn.dialect
        plan = self._plans.get(dialect.name) or self._plan(dialect)
        args: Any
        if plan.positional is not None:
            args = []
            for name, default, processor in plan.positional:
                value = params.get(name, default)
                if value is _REQUIRED:
                    raise KeyError(f"no value for the parameter {name!r}")
                args.append(value if processor is None else processor(value))
        else:
            args = {**plan.defaults, **params}
            for name, processor in plan.binds:
                args[name] = processor(args[name])
        pooled = conn.connection
        dbapi_conn: Any = pooled.dbapi_connection
        # a cursor kept with the DBAPI connection (in the pool's record of it, cleared when the
        # connection is replaced): making one per statement cost more than some statements
        cursor: Any = pooled.info.get(_CURSOR)
        kept = cursor is not None
        if not kept:
            cursor = dbapi_conn.cursor()
            # a StaticPool shares its one connection between threads: each gets a cursor of its own
            kept = not isinstance(conn.engine.pool, StaticPool)
            if kept:
                pooled.info[_CURSOR] = cursor
        try:
            cursor.execute(plan.sql, args)
            rows = cursor.fetchall() if plan.returns_rows else []
            count = cursor.rowcount
        except dialect.loaded_dbapi.Error as exc:
            if kept:
                pooled.info.pop(_CURSOR, None)
                kept = False  # closed below: a cursor that failed is not used again
            invalidated = dialect.is_disconnect(exc, dbapi_conn, cursor)
            if invalidated:
                conn.invalidate(exc)
            raise sa.exc.DBAPIError.instance(
                plan.sql, args, exc, dialect.loaded_dbapi.Error, connection_invalidated=invalidated, dialect=dialect
            ) from exc
        finally:
            if not kept:
                cursor.close()
        if plan.results and rows:
            processed = []
            for row in rows:
                values = list(row)
                for i, processor in plan.results:
                    values[i] = processor(values[i])
                processed.append(tuple(values))
            rows = processed
        return rows, count

    def rows(self, conn: sa.Connection, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run it; the rows it returns, as tuples in the order of its columns."""
        return self._run(conn, params or {})[0]

    def first(self, conn: sa.Connection, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        rows = self._run(conn, params or {})[0]
        return rows[0] if rows else None

    def rowcount(self, conn: sa.Connection, params: Mapping[str, Any] | None = None) -> int:
        """Run it; how many rows it changed."""
        return self._run(conn, params or {})[1]
