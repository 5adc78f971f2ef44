"""Learning curves, drawn: the metric against the step for the drawn runs, coloured by a parameter,
the best runs on top and the median band across runs.

`learning_curves_plot` (the data step) turns `lib.analysis.learning_curves.LearningCurves` into
colour groups of NaN-separated arrays; `draw_learning_curves` makes one WebGL line trace per
group, not one per run, so thousands of curves stay quick to send and draw. Numbers colour on a
sequential scale cut into a few steps (log10 for log-scaled parameters, ticks in real units, one
colour bar); levels get one colour each, in the legend; runs without the parameter are grey.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

from lib.analysis.learning_curves import LearningCurves
from lib.analysis.metric_value import step_name
from lib.figures._common import (
    MISSING_COLOUR,
    PLAIN_LINE_COLOUR,
    QUALITATIVE,
    SEQUENTIAL,
    TEXT_COLOUR,
    base_layout,
    title,
)
from lib.figures.encoded_axis import EncodedAxis, encode_column
from lib.sweep import Sweep
from lib.values import MISSING_LEVEL, AxisScale, compact_number

N_COLOUR_STEPS = 8  # a numeric parameter's scale is cut into this many colours, one trace each
MAX_HOVER_POINTS = 60_000  # above this, the thin curves carry no per-point run id (spec size)
CURVE_WIDTH, BEST_WIDTH = 1.0, 2.5
CURVE_OPACITY = 0.45
BAND_FILL = "rgba(49, 51, 63, 0.14)"
FIGURE_HEIGHT = 460
PLAIN = "runs"
BAND_NAME = "25–75% of runs"


@dataclass(frozen=True)
class CurveGroup:
    """Curves drawn as one line trace: `x`/`y` hold each curve's points with NaN between curves;
    `text` is the run id per point (None when too many points to carry it)."""

    label: str
    colour: str
    run_ids: list[str]
    x: np.ndarray
    y: np.ndarray
    text: np.ndarray | None


@dataclass(frozen=True)
class ColourBar:
    title: str
    colorscale: list[list[float | str]]
    cmin: float
    cmax: float
    tickvals: list[float]
    ticktext: list[str]


@dataclass(frozen=True)
class LearningCurvesPlot:
    """What the figure draws, bottom to top: `groups` (thin curves), the band, then `best` (one
    group per best run, the best last)."""

    groups: list[CurveGroup]
    best: list[CurveGroup]
    band: pd.DataFrame
    colour_bar: ColourBar | None
    legend_title: str | None
    title: str
    x_title: str
    y_title: str
    caption: str
    log_y: bool


# ---------------------------------------------------------------------------------------------
# Colour per run


@dataclass(frozen=True)
class Colouring:
    group: np.ndarray  # per drawn run: its group's number
    labels: list[str]
    colours: list[str]
    bar: ColourBar | None


def _stepped(colours: list[str]) -> list[list[float | str]]:
    n = len(colours)
    scale: list[list[float | str]] = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


def _levels(axis: EncodedAxis, codes: np.ndarray) -> Colouring:
    labels = list(axis.ticktext)
    colours = [
        MISSING_COLOUR if lvl == MISSING_LEVEL else QUALITATIVE[i % len(QUALITATIVE)]
        for i, lvl in enumerate(labels)
    ]
    return Colouring(codes.astype(int), labels, colours, None)


def _numbers(axis: EncodedAxis, encoded: np.ndarray, present: np.ndarray) -> Colouring:
    """Equal steps of the encoded range (log10 for log axes); the missing are the last group."""
    low, high = axis.low, axis.high if axis.high > axis.low else axis.low + 1.0
    width = (high - low) / N_COLOUR_STEPS
    step = np.clip(np.floor((encoded - low) / width), 0, N_COLOUR_STEPS - 1)
    colours = plotly.colors.sample_colorscale(
        list(SEQUENTIAL), list((np.arange(N_COLOUR_STEPS) + 0.5) / N_COLOUR_STEPS)
    )
    real = (lambda v: 10**v) if axis.scale == "log" else (lambda v: v)
    labels = [
        f"{compact_number(real(low + i * width), 2)} – {compact_number(real(low + (i + 1) * width), 2)}"
        for i in range(N_COLOUR_STEPS)
    ]
    ticks = [(v, t) for v, t in zip(axis.tickvals, axis.ticktext, strict=True) if low <= v <= high]
    bar = ColourBar(axis.column, _stepped(colours), low, high, [v for v, _ in ticks], [t for _, t in ticks])
    group = np.where(present, step, N_COLOUR_STEPS).astype(int)
    return Colouring(group, [*labels, MISSING_LEVEL], [*colours, MISSING_COLOUR], bar)


def run_colouring(
    sweep: Sweep | None, column: str | None, run_ids: list[str], scales: Mapping[str, AxisScale] | None = None
) -> Colouring:
    """Which colour group each of `run_ids` falls in, by `column` of `sweep`'s runs."""
    if sweep is None or column is None or column not in sweep.runs:
        return Colouring(np.zeros(len(run_ids), dtype=int), [PLAIN], [PLAIN_LINE_COLOUR], None)
    axis = encode_column(sweep, column, scales)
    at = pd.Index(sweep.runs.index.astype(str)).get_indexer(pd.Index(run_ids))
    known = at >= 0
    encoded = np.where(known, axis.values[np.maximum(at, 0)], np.nan)
    present = known & axis.present[np.maximum(at, 0)]
    if axis.scale == "levels":
        if MISSING_LEVEL not in axis.ticktext:  # runs the sweep lacks get a "(missing)" level
            n = len(axis.ticktext)
            axis = replace(
                axis, tickvals=[*axis.tickvals, float(n)], ticktext=[*axis.ticktext, MISSING_LEVEL]
            )
        return _levels(axis, np.where(present, encoded, axis.ticktext.index(MISSING_LEVEL)))
    return _numbers(axis, encoded, present)


# ---------------------------------------------------------------------------------------------
# The data step


def separated(curves: LearningCurves, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points of curves `chosen` (positions in `curves.run_ids`, in that order) with a NaN after
    each curve, and the position of the curve each entry belongs to."""
    lengths = np.diff(curves.offsets)[chosen]
    slots = lengths + 1
    owner = np.repeat(np.arange(len(chosen)), slots)
    within = np.arange(slots.sum()) - np.repeat(np.cumsum(slots) - slots, slots)
    is_point = within < lengths[owner]
    source = curves.offsets[chosen][owner] + within
    x = np.full(len(owner), np.nan, dtype=np.float32)  # float32: plenty for a chart, half the spec
    y = np.full(len(owner), np.nan, dtype=np.float32)
    x[is_point], y[is_point] = curves.steps[source[is_point]], curves.values[source[is_point]]
    return x, y, np.asarray(chosen)[owner]


def _group(
    curves: LearningCurves, chosen: np.ndarray, label: str, colour: str, with_text: bool
) -> CurveGroup:
    x, y, owner = separated(curves, chosen)
    ids = np.asarray(curves.run_ids, dtype=object)
    return CurveGroup(
        label, colour, [curves.run_ids[j] for j in chosen], x, y, ids[owner] if with_text else None
    )


def learning_curves_plot(
    curves: LearningCurves,
    *,
    sweep: Sweep | None = None,
    colour: str | None = None,
    scales: Mapping[str, AxisScale] | None = None,
    log_y: bool = False,
) -> LearningCurvesPlot:
    """Group the drawn curves by colour (by `colour`, a column of `sweep`'s runs; one plain colour
    without it), lift the best runs into their own groups on top, and write the titles."""
    colouring = run_colouring(sweep, colour, curves.run_ids, scales)
    best = set(curves.best_ids)
    is_best = np.array([run in best for run in curves.run_ids], dtype=bool)
    with_text = len(curves.values) <= MAX_HOVER_POINTS
    groups = []
    for number, (label, hue) in enumerate(zip(colouring.labels, colouring.colours, strict=True)):
        chosen = np.flatnonzero((colouring.group == number) & ~is_best)
        if chosen.size:
            groups.append(_group(curves, chosen, label, hue, with_text))
    position = {run: j for j, run in enumerate(curves.run_ids)}
    best_groups = [
        _group(
            curves, np.array([position[run]]), run, colouring.colours[colouring.group[position[run]]], True
        )
        for run in reversed(curves.best_ids)
    ]
    where = step_name(curves.step_key)
    return LearningCurvesPlot(
        groups=groups,
        best=best_groups,
        band=curves.band,
        colour_bar=colouring.bar,
        legend_title=colour if colouring.bar is None and colour is not None and sweep is not None else None,
        title=f"{curves.metric} over {where} ({curves.caption})",
        x_title=where,
        y_title=curves.metric,
        caption=curves.caption,
        log_y=log_y,
    )


# ---------------------------------------------------------------------------------------------
# The drawing step


def _curve_trace(
    group: CurveGroup, *, width: float, opacity: float, showlegend: bool, best: bool
) -> go.Scattergl:
    hover = (
        "%{text}<br>step %{x}: %{y:.4g}<extra></extra>"
        if group.text is not None
        else "step %{x}: %{y:.4g}<extra></extra>"
    )
    return go.Scattergl(
        x=group.x,
        y=group.y,
        text=group.text,
        mode="lines",
        connectgaps=False,
        line={"color": group.colour, "width": width},
        opacity=opacity,
        name=f"best: {group.label}" if best else group.label,
        legendgroup="best" if best else group.label,
        showlegend=showlegend,
        hovertemplate=hover,
    )


def _band_traces(band: pd.DataFrame) -> list[go.Scattergl]:
    x = band["step"].to_numpy()
    edge = {
        "mode": "lines",
        "line": {"width": 0},
        "hoverinfo": "skip",
        "name": BAND_NAME,
        "legendgroup": "band",
    }
    upper = go.Scattergl(x=x, y=band["q75"].to_numpy(), showlegend=False, **edge)
    lower = go.Scattergl(x=x, y=band["q25"].to_numpy(), fill="tonexty", fillcolor=BAND_FILL, **edge)
    median = go.Scattergl(
        x=x,
        y=band["median"].to_numpy(),
        mode="lines",
        line={"color": TEXT_COLOUR, "width": 2, "dash": "dash"},
        name="median",
        customdata=band["n_runs"].to_numpy(),
        hovertemplate="median at step %{x}: %{y:.4g} (%{customdata} runs)<extra></extra>",
    )
    return [upper, lower, median]


def _colour_bar_trace(bar: ColourBar) -> go.Scattergl:
    """An empty trace that only carries the colour bar."""
    return go.Scattergl(
        x=[None],
        y=[None],
        mode="markers",
        marker={
            "color": [bar.cmin],
            "colorscale": bar.colorscale,
            "cmin": bar.cmin,
            "cmax": bar.cmax,
            "showscale": True,
            "colorbar": {"title": {"text": bar.title}, "tickvals": bar.tickvals, "ticktext": bar.ticktext},
        },
        hoverinfo="skip",
        showlegend=False,
    )


def draw_learning_curves(plot: LearningCurvesPlot) -> go.Figure:
    figure = go.Figure()
    numeric = plot.colour_bar is not None
    for group in plot.groups:
        legend = (not numeric or group.label == MISSING_LEVEL) and group.label != PLAIN
        figure.add_trace(
            _curve_trace(group, width=CURVE_WIDTH, opacity=CURVE_OPACITY, showlegend=legend, best=False)
        )
    if not plot.band.empty:
        figure.add_traces(_band_traces(plot.band))
    for group in plot.best:
        figure.add_trace(_curve_trace(group, width=BEST_WIDTH, opacity=1.0, showlegend=True, best=True))
    if plot.colour_bar is not None:
        figure.add_trace(_colour_bar_trace(plot.colour_bar))
    layout = {
        **base_layout(FIGURE_HEIGHT, {"l": 72, "r": 24, "t": 60, "b": 52}),
        "legend": {"title": {"text": plot.legend_title or ""}},
        "hovermode": "closest",
    }
    figure.update_layout(**layout, title=title(plot.title))
    figure.update_xaxes(title={"text": plot.x_title})
    figure.update_yaxes(title={"text": plot.y_title}, type="log" if plot.log_y else "linear")
    return figure


def learning_curves_figure(
    curves: LearningCurves,
    *,
    sweep: Sweep | None = None,
    colour: str | None = None,
    scales: Mapping[str, AxisScale] | None = None,
    log_y: bool = False,
) -> go.Figure:
    """The curves coloured by `colour`, the median band, the best runs on top (see the module)."""
    return draw_learning_curves(
        learning_curves_plot(curves, sweep=sweep, colour=colour, scales=scales, log_y=log_y)
    )
