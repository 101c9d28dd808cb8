"""The dashboard's pages as plugins give them: a ``@view`` handler takes a :class:`ViewContext`
and returns a :class:`Page` of blocks (figures, charts, tables, a grid of tiles).

The web app (``linli.web``) renders the blocks; it knows no plugin. A plugin knows no HTML:
it says what to show, already translated with ``ctx.t``. Every chart is shown with the
table of its numbers under it, so nothing is only a picture.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from attrs import field, frozen

from linli.core.context import PluginContext
from linli.core.errors import NotFound, PermissionDenied
from linli.core.i18n import N_

__all__ = [
    "Block",
    "Chart",
    "Figure",
    "Page",
    "Series",
    "Table",
    "Text",
    "Tile",
    "Tiles",
    "ViewContext",
]

Number = int | float | None
Cell = str | int | float | dt.date | dt.datetime | None


def _numbers(values: Iterable[Number]) -> tuple[Number, ...]:
    return tuple(values)


def _texts(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _series(values: Iterable[Series]) -> tuple[Series, ...]:
    return tuple(values)


def _rows(rows: Iterable[Iterable[Cell]]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(tuple(row) for row in rows)


def _links(values: Iterable[str | None]) -> tuple[str | None, ...]:
    return tuple(values)


def _tiles(values: Iterable[Tile]) -> tuple[Tile, ...]:
    return tuple(values)


def _blocks(values: Iterable[Block]) -> tuple[Block, ...]:
    return tuple(values)


@frozen
class Figure:
    """One number in large type (``open cases: 12``); ``tone`` colours it (``bad`` for overdue)."""

    label: str
    value: str | int | float
    note: str = ""
    tone: Literal["", "good", "warn", "bad"] = ""


@frozen
class Series:
    """One line or one colour of bars: a value per category."""

    name: str
    values: tuple[Number, ...] = field(converter=_numbers)


@frozen
class Chart:
    """A chart (Apache ECharts), shown with the table of its numbers under it.

    ``kind``: ``bar``, ``stacked`` (stacked bars), ``line`` or ``pie`` (the first series only).
    """

    title: str
    categories: tuple[str, ...] = field(converter=_texts)
    series: tuple[Series, ...] = field(converter=_series)
    kind: Literal["bar", "stacked", "line", "pie"] = "bar"


@frozen
class Table:
    """A table. ``links``, one per row (or empty), is what follows the view's address to open
    that row (``"42"`` opens ``…/mediation/cases/42``); None for a row without a page."""

    title: str
    columns: tuple[str, ...] = field(converter=_texts)
    rows: tuple[tuple[Cell, ...], ...] = field(converter=_rows)
    links: tuple[str | None, ...] = field(default=(), converter=_links)
    empty: str = ""


@frozen
class Tile:
    """A square of a :class:`Tiles` grid: ``share`` from 0 to 1 colours it (None: grey)."""

    label: str
    share: float | None
    note: str = ""


@frozen
class Tiles:
    """A grid of coloured squares (buildings by a sweep's coverage), with its numbers as a table."""

    title: str
    tiles: tuple[Tile, ...] = field(converter=_tiles)
    #: the header of the share column in the table under it
    measure: str = ""


@frozen
class Text:
    """A paragraph."""

    text: str


Block = Figure | Chart | Table | Tiles | Text


@frozen
class Page:
    """What a view shows; ``title`` empty means the view's own."""

    blocks: tuple[Block, ...] = field(converter=_blocks)
    title: str = ""


@frozen(kw_only=True)
class ViewContext(PluginContext):
    """What a ``@view`` handler receives: the person looking, their roles in the district, a
    read-only transaction, and ``arg``, the rest of the address (a case number), if any.

    Show what the person's roles allow, exactly as the plugin's commands do: a mediator
    sees their own cases (``ctx.has_role``). Raise :meth:`not_found` for an unknown ``arg``
    and :meth:`denied` for one the person may not see.
    """

    arg: str | None = None

    def not_found(self) -> NotFound:
        """An error to ``raise``: the page shows "not found" (HTTP 404)."""
        return NotFound(N_("There is no such page here."))

    def denied(self) -> PermissionDenied:
        """An error to ``raise``: the page shows "not for you" (HTTP 403)."""
        return PermissionDenied(N_("This page is not for your role."))

    def weeks_ago(self, weeks: int) -> dt.datetime:
        """The start (midnight in the district) of the week ``weeks`` weeks before this one, in UTC."""
        now = self.now()
        monday = (now - dt.timedelta(days=now.weekday(), weeks=weeks)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        return monday.astimezone(dt.UTC)

    def date(self, when: dt.datetime | None) -> str:
        """``when`` as a date in the district's time zone (``2026-12-04``); empty for None."""
        return "" if when is None else when.astimezone(self.now().tzinfo).date().isoformat()
