"""Blocks into what the templates need: an ECharts option for a chart, a colour for a tile."""

from __future__ import annotations

from typing import Any

from linli.core.views import Chart, Tile

__all__ = ["PALETTE", "chart_option", "tile_colour"]

#: colours readable on white and on the wall's dark background, and told apart in grey print
PALETTE = ["#c23531", "#2f4554", "#61a0a8", "#d48265", "#91c7ae", "#749f83", "#ca8622", "#bda29a", "#6e7074"]


def chart_option(chart: Chart) -> dict[str, Any]:
    """The ECharts option of a chart (its ``setOption`` argument), as plain JSON-able data."""
    base: dict[str, Any] = {
        "color": PALETTE,
        "tooltip": {"trigger": "item" if chart.kind == "pie" else "axis"},
        "legend": {"top": 0, "type": "scroll"},
        "animation": False,
    }
    if chart.kind == "pie":
        first = chart.series[0] if chart.series else None
        data = [
            {"name": c, "value": v}
            for c, v in zip(chart.categories, first.values if first else (), strict=False)
            if v is not None
        ]
        base["series"] = [{"type": "pie", "name": first.name if first else "", "radius": "60%", "data": data}]
        return base
    base["grid"] = {"left": 40, "right": 16, "bottom": 30, "top": 40, "containLabel": True}
    base["xAxis"] = {"type": "category", "data": list(chart.categories)}
    base["yAxis"] = {"type": "value", "minInterval": 1}
    kind = "line" if chart.kind == "line" else "bar"
    series = []
    for one in chart.series:
        item: dict[str, Any] = {"type": kind, "name": one.name, "data": list(one.values)}
        if chart.kind == "stacked":
            item["stack"] = "all"
        series.append(item)
    base["series"] = series
    return base


def tile_colour(tile: Tile) -> str:
    """Red (nobody reached) through amber to green (everyone reached); grey without a figure."""
    if tile.share is None:
        return "#bbbbbb"
    share = min(max(tile.share, 0.0), 1.0)
    hue = round(120 * share)
    return f"hsl({hue}, 65%, 42%)"
