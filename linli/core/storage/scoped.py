"""The store a plugin handler sees: its own tables, its own district, one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.sql.util import find_tables
from sqlalchemy.sql.visitors import ExternallyTraversible, iterate, replacement_traverse

from linli.core.errors import PluginError

__all__ = ["ScopedStore"]


class ScopedStore:
    """Reads and writes of one plugin in one district, inside the handler's transaction.

    Every statement is checked to touch only the plugin's own tables, and every such
    table gets ``district_id = <this district>`` added: isolation is enforced here,
    not remembered by each plugin.

    Parameters:
      conn: the handler's transaction.
      plugin: the plugin's name; its tables are named ``<plugin>_*``.
      district_id: the district the handler runs for.
    """

    def __init__(self, conn: sa.Connection, plugin: str, district_id: str) -> None:
        self._conn = conn
        self.plugin = plugin
        self.district_id = district_id

    def _check(self, table: sa.Table) -> None:
        if not table.name.startswith(self.plugin + "_") or "district_id" not in table.c:
            raise PluginError(
                f"plugin {self.plugin!r} may not use table {table.name!r}: "
                f"plugin tables are declared with plugin_table({self.plugin!r}, ...)"
            )

    def _scope(self, stmt: Any) -> Any:
        """``stmt`` reading only this district's rows, wherever its tables appear.

        Every plugin table read by the statement (in FROM, a join, an alias, a
        subquery, a CTE, a scalar subquery in WHERE or SELECT) is replaced by a
        subquery of this district's rows, the way the ORM adapts aliased tables;
        the target of an UPDATE or DELETE gets the district in its WHERE instead,
        so that correlated subqueries still refer to the row being changed.
        """
        found = find_tables(stmt, include_crud=True, include_selects=True, check_columns=True)
        tables = [t for t in found if isinstance(t, sa.Table)]
        if not tables:
            raise PluginError("a statement without a table cannot be scoped to a district")
        for table in tables:
            self._check(table)
        self._refuse_unscopable(stmt, found)
        target = stmt.table if isinstance(stmt, sa.Update | sa.Delete) else None
        if target is not None:
            self._check_dml(stmt, target)
        scoped: dict[int, sa.Subquery] = {}

        def rows_of(source: Any) -> sa.Subquery:
            """This district's rows of a plugin table or an alias of one, as a named subquery."""
            if id(source) not in scoped:
                table = source if isinstance(source, sa.Table) else source.element
                name = source.name
                scoped[id(source)] = sa.select(table).where(table.c.district_id == self.district_id).subquery(name)
            return scoped[id(source)]

        def is_read(source: Any) -> bool:
            if source is target:
                return False
            if isinstance(source, sa.Table):
                return True
            return isinstance(source, sa.Alias) and isinstance(source.element, sa.Table)

        def replace(element: Any) -> ExternallyTraversible | None:
            if is_read(element):
                return rows_of(element)
            table = getattr(element, "table", None)
            if isinstance(element, sa.ColumnClause) and table is not None and is_read(table):
                column: ExternallyTraversible = rows_of(table).c[element.key]
                return column
            return None

        stmt = replacement_traverse(cast(ExternallyTraversible, stmt), {}, replace)  # type: ignore[call-overload]
        if target is not None:
            stmt = stmt.where(target.c.district_id == self.district_id)
        return stmt

    @staticmethod
    def _refuse_unscopable(stmt: Any, found: Iterable[Any]) -> None:
        """SQL the store cannot see into cannot be kept in a district: refuse it."""
        for table in found:
            if isinstance(table, sa.TableClause) and not isinstance(table, sa.Table):  # sa.table("persons")
                raise PluginError(f"table {getattr(table, 'name', table)!r} is not a declared plugin table")
        for element in iterate(stmt):
            if isinstance(element, sa.TextClause):
                raise PluginError("raw SQL text cannot be kept in a district: build the statement with SQLAlchemy Core")
            if isinstance(element, sa.ColumnClause) and element.is_literal and element.name != "*":
                raise PluginError("literal_column() cannot be kept in a district: use the table's columns")

    @staticmethod
    def _check_dml(stmt: Any, target: Any) -> None:
        """An UPDATE or DELETE may not move rows out of the district, nor read its own
        table in a subquery (which could not tell the district's rows from the others')."""
        values = {**(getattr(stmt, "_values", None) or {}), **dict(getattr(stmt, "_ordered_values", None) or ())}
        if any(getattr(key, "key", key) == "district_id" for key in values):
            raise PluginError("a row cannot be moved to another district")
        for element in iterate(stmt):
            if isinstance(element, sa.Select) and target in find_tables(element, check_columns=True):
                raise PluginError(
                    f"an UPDATE or DELETE of {target.name} may not read {target.name} in a subquery: "
                    "select the rows first, then change them by id"
                )

    @staticmethod
    def _plain(values: Mapping[str, Any]) -> Mapping[str, Any]:
        for key, value in values.items():
            if isinstance(value, sa.ClauseElement):
                raise PluginError(f"value of {key!r} is a SQL expression: insert plain values")
        return values

    # reads

    def execute(self, stmt: sa.Select[Any] | sa.Update | sa.Delete) -> sa.CursorResult[Any]:
        """Run a SELECT, UPDATE or DELETE built with SQLAlchemy Core, scoped to this district."""
        if isinstance(stmt, sa.Insert):
            raise PluginError("use ScopedStore.insert() for inserts, so the district is filled in")
        return self._conn.execute(self._scope(stmt))

    def select(
        self, table: sa.Table, *where: Any, order_by: Sequence[Any] = (), limit: int | None = None
    ) -> list[sa.Row[Any]]:
        """Rows of ``table`` in this district matching ``where``."""
        stmt = sa.select(table).where(*where).order_by(*order_by)
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(self.execute(stmt))

    def get(self, table: sa.Table, *where: Any) -> sa.Row[Any] | None:
        """The one row matching ``where``, or ``None``."""
        rows = self.select(table, *where, limit=2)
        if len(rows) > 1:
            raise PluginError(f"more than one row in {table.name} matches")
        return rows[0] if rows else None

    def count(self, table: sa.Table, *where: Any) -> int:
        stmt = sa.select(sa.func.count()).select_from(table).where(*where)
        return int(self.execute(stmt).scalar_one())

    # writes

    def insert(self, table: sa.Table, values: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        """Insert one row in this district; returns its primary key (a scalar for one column)."""
        self._check(table)
        row = {**self._plain({**(values or {}), **kw}), "district_id": self.district_id}
        result = self._conn.execute(sa.insert(table).values(row))
        pk = result.inserted_primary_key
        return pk[0] if pk is not None and len(pk) == 1 else pk

    def insert_many(self, table: sa.Table, rows: Iterable[Mapping[str, Any]]) -> int:
        self._check(table)
        batch = [{**self._plain(r), "district_id": self.district_id} for r in rows]
        if batch:
            self._conn.execute(sa.insert(table), batch)
        return len(batch)

    def update(self, table: sa.Table, *where: Any, **values: Any) -> int:
        """Update matching rows in this district; returns how many changed."""
        if "district_id" in values:
            raise PluginError("a row cannot be moved to another district")
        return int(self.execute(sa.update(table).where(*where).values(**values)).rowcount)

    def delete(self, table: sa.Table, *where: Any) -> int:
        return int(self.execute(sa.delete(table).where(*where)).rowcount)
