"""The drawing step of parallel coordinates: a `ParcoordsInfo` becomes a `go.Parcoords` figure.

All the deciding (encoding, filters as constraint ranges, which lines, colours) happens in
`parcoords_data`; this module only maps that data onto Plotly's trace and layout.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go

from lib.figures._axis import by_axis_count
from lib.figures._common import PLAIN_LINE_COLOUR, UNSELECTED_COLOUR, base_layout
from lib.figures.parcoords_data import DimensionInfo, Interval, LineColour, ParcoordsInfo
from lib.values import MISSING_LEVEL

COLOURED_WIDTH = 0.95  # of the plot: room between the last axis and the colour bar
# Axis labels tilt as axes crowd: (most axes, angle); tilted, neighbours' labels stay apart by
# spacing x sin(angle), which must clear the label's height (~16 px) at ~50 px between 13 axes.
LABEL_ANGLES = ((7, 0), (10, -25), (60, -40))
LABEL_CHAR_PX = 7.0  # the average width of a character of a 13 px label
PLOT_HEIGHT = 400  # the axes' own height; the margins come on top
BRUSH_STOPS = 100  # unlabelled ticks per axis at most, so a brush snaps to ~1% of the axis
ZERO_WIDTH = ("\u200b", "\u200c")  # two zero-width characters spell each unlabelled tick's own text


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
            "x": 1.0,  # at the paper's right edge, past the last axis's ticks (the trace ends before)
            "xanchor": "left",
        },
    }


def label_angle(n_axes: int) -> int:
    return by_axis_count(LABEL_ANGLES, n_axes)


def _top_margin(info: ParcoordsInfo) -> int:
    """Room above the axes for their labels: more as tilted labels rise."""
    longest = max((len(d.label) for d in info.dimensions), default=0)
    rise = LABEL_CHAR_PX * longest * math.sin(math.radians(abs(label_angle(len(info.dimensions)))))
    return max(80, 50 + math.ceil(rise))


def _layout(info: ParcoordsInfo) -> dict[str, Any]:
    top = _top_margin(info)
    margin = {"l": 80, "r": 130 if info.colour is not None else 80, "t": top, "b": 40}
    return base_layout(PLOT_HEIGHT + top, margin)


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
        labelangle=label_angle(n_axes),
        meta={"columns": info.columns},
        domain={"x": [0.0, COLOURED_WIDTH if info.colour is not None else 1.0]},
    )
    return go.Figure(trace, layout=_layout(info))


# ---------------------------------------------------------------------------------------------
# Brushing


def _is_unlabelled(text: str) -> bool:
    return not text.strip("".join(ZERO_WIDTH) + "\u200d\u2060")


def _zero_width_text(n: int) -> str:
    """A text no other tick has, that draws as nothing: n + 1 in binary, in zero-width characters."""
    return "".join(ZERO_WIDTH[int(bit)] for bit in f"{n + 1:b}")


def brush_stops(values: np.ndarray, missing_at: float | None, n: int = BRUSH_STOPS) -> list[float]:
    """Where a brush on this axis may end: the distinct values when there are at most `n` of them
    (a brush then covers whole values), else `n` evenly spaced stops over the values' span. The
    "(missing)" tick is left out (it has its own tick)."""
    present = np.unique(np.asarray(values, dtype=float))
    present = present[np.isfinite(present) & (present != missing_at)]
    if present.size <= n:
        return [float(v) for v in present]
    return [float(v) for v in np.linspace(present[0], present[-1], n)]


def _brushable_dimension(dimension: Any) -> None:
    ticks = dict(zip(dimension.tickvals, dimension.ticktext, strict=True))
    labelled = {float(v): t for v, t in ticks.items() if not _is_unlabelled(t)}
    missing_at = next((v for v, t in labelled.items() if t == MISSING_LEVEL), None)
    tickvals = sorted({*(float(v) for v in ticks), *brush_stops(dimension.values, missing_at)})
    unlabelled = (_zero_width_text(i) for i in range(len(tickvals)))
    dimension.tickvals = tickvals
    dimension.ticktext = [labelled[v] if v in labelled else next(unlabelled) for v in tickvals]


def brushable(figure: go.Figure) -> go.Figure:
    """`figure` (changed in place, returned) with unlabelled ticks spread along each axis.

    Plotly treats an axis with `tickvals` as ordinal and snaps the ends of a brushed range to its
    ticks (a quarter of the way to the next one): with only the labelled ticks, a brush jumps to
    the nearest labels. Stops at the runs' own values (or every ~1% of the axis) make a brush keep
    the runs it was drawn over; their texts are zero-width, and the chart hides their tick marks.
    """
    for trace in figure.data:
        for dimension in trace.dimensions:
            _brushable_dimension(dimension)
    return figure
