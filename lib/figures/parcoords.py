"""The drawing step of parallel coordinates: a `ParcoordsInfo` becomes a `go.Parcoords` figure.

All the deciding (encoding, filters as constraint ranges, which lines, colours) happens in
`parcoords_data`; this module only maps that data onto Plotly's trace and layout.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from lib.figures._common import PLAIN_LINE_COLOUR, UNSELECTED_COLOUR, base_layout
from lib.figures.parcoords_data import DimensionInfo, Interval, LineColour, ParcoordsInfo

TILT_ABOVE_AXES = 7  # more axes than this get tilted labels and a taller top margin


def _constraint_value(intervals: list[Interval]) -> list[float] | list[list[float]]:
    if len(intervals) == 1:
        return [intervals[0][0], intervals[0][1]]
    return [[low, high] for low, high in intervals]


def _dimension(info: DimensionInfo) -> dict[str, Any]:
    dimension: dict[str, Any] = {
        "label": info.label,
        "values": info.values,
        "tickvals": info.tickvals,
        "ticktext": info.ticktext,
        "multiselect": True,
        "range": [info.range[0], info.range[1]],
    }
    if info.constraintrange is not None:
        dimension["constraintrange"] = _constraint_value(info.constraintrange)
    return dimension


def _line(colour: LineColour | None) -> dict[str, Any]:
    if colour is None:
        return {"color": PLAIN_LINE_COLOUR}
    return {
        "color": colour.values,
        "colorscale": colour.colorscale,
        "cmin": colour.cmin,
        "cmax": colour.cmax,
        "showscale": True,
        "colorbar": {
            "title": {"text": colour.title, "side": "right"},
            "tickvals": colour.tickvals,
            "ticktext": colour.ticktext,
            "thickness": 14,
            "len": 0.85,
            "outlinewidth": 0,
        },
    }


def _layout(n_axes: int, colour_bar: bool) -> dict[str, Any]:
    tilted = n_axes > TILT_ABOVE_AXES
    margin = {"l": 80, "r": 130 if colour_bar else 80, "t": 110 if tilted else 80, "b": 40}
    return base_layout(520 if tilted else 480, margin)


def parcoords_figure(info: ParcoordsInfo) -> go.Figure:
    """One line per drawn run over `info`'s axes; runs outside the constraint ranges greyed."""
    n_axes = len(info.dimensions)
    trace = go.Parcoords(
        dimensions=[_dimension(d) for d in info.dimensions],
        line=_line(info.colour),
        unselected={"line": {"color": UNSELECTED_COLOUR, "opacity": 0.35}},
        labelfont={"size": 13},
        tickfont={"size": 11},
        rangefont={"size": 1, "color": "rgba(0,0,0,0)"},
        labelangle=-20 if n_axes > TILT_ABOVE_AXES else 0,
        meta={"columns": info.columns},
    )
    return go.Figure(trace, layout=_layout(n_axes, info.colour is not None))
