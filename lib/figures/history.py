"""Search-history charts: the metric over run order, and where each parameter was sampled.

Each chart has a data step (`history_plot`, `sampling_plot`: plain arrays per trace) and a drawing
step (`history_figure`, `sampling_figure`). Runs without a value for the metric keep their place in
the order but add no point; runs without a parameter are left out of its panel and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lib.analysis.history import NO_SWEEP, orders_by_created, run_order, sweep_labels
from lib.columns import Direction
from lib.figures._common import TEXT_COLOUR, TRANSPARENT, base_layout, scatter_class, sweep_colours, title
from lib.figures.encoded_axis import EncodedAxis, encode_column
from lib.filters import best_percent_mask
from lib.sweep import Sweep
from lib.values import compact_number, level_labels, reads_as_numbers, real_numbers

BEST_LINE_COLOUR = TEXT_COLOUR
LEVEL_JITTER = 0.15
HISTORY_HEIGHT = 420
TOP_MARGIN = 84  # room for the title and the legend above the first panel


@dataclass(frozen=True)
class RunPoints:
    """One sweep's runs as points: `customdata` rows are what the hover text shows."""

    sweep: str
    colour: str
    x: np.ndarray
    y: np.ndarray
    customdata: np.ndarray


@dataclass(frozen=True)
class StepLine:
    """A best-so-far line over run order."""

    sweep: str
    colour: str
    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class HistoryPlot:
    """The metric over run order: points per sweep, each sweep's best so far (several sweeps only),
    the overall best so far, and the text around them."""

    metric: str
    points: list[RunPoints]
    sweep_best: list[StepLine]
    best: StepLine
    title: str
    x_title: str
    y_title: str


@dataclass(frozen=True)
class SamplingPanel:
    """One parameter over run order: points per sweep (customdata: run id, value as text), the
    ringed best runs (x, y) when a metric was given, and y ticks in real units."""

    parameter: str
    title: str
    points: list[RunPoints]
    ringed: tuple[np.ndarray, np.ndarray] | None
    tickvals: list[float]
    ticktext: list[str]


@dataclass(frozen=True)
class SamplingPlot:
    panels: list[SamplingPanel]
    best_label: str | None  # the ringed runs' legend entry
    x_title: str


def sweep_name(name: str) -> str:
    return name if name == NO_SWEEP else f"sweep {name}"


def order_title(by_created: bool) -> str:
    return "run, in the order created" if by_created else "run, in table order"


def _layout(height: int) -> dict[str, Any]:
    return {
        **base_layout(height, {"l": 72, "r": 24, "t": TOP_MARGIN, "b": 52}),
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0.0},
        "hovermode": "closest",
    }


# ---------------------------------------------------------------------------------------------
# The metric over the search


def history_plot(history: pd.DataFrame, metric: str, direction: Direction) -> HistoryPlot:
    """`search_history`'s table as points per sweep and best-so-far lines."""
    sweeps = list(dict.fromkeys(history["sweep"]))
    colours = sweep_colours(sweeps)
    points, sweep_best = [], []
    for name in sweeps:
        part = history[(history["sweep"] == name) & history["value"].notna()]
        customdata = part[["name", "run_id"]].to_numpy(dtype=object)
        points.append(
            RunPoints(name, colours[name], part["order"].to_numpy(), part["value"].to_numpy(), customdata)
        )
        if len(sweeps) > 1:
            whole = history[history["sweep"] == name]
            line = StepLine(
                name, colours[name], whole["order"].to_numpy(), whole["sweep_best_so_far"].to_numpy()
            )
            sweep_best.append(line)
    missing = int(history["value"].isna().sum())
    note = f" ({missing} runs without it are counted in the order, not drawn)" if missing else ""
    better = "higher" if direction is Direction.MAXIMIZE else "lower"
    return HistoryPlot(
        metric=metric,
        points=points,
        sweep_best=sweep_best,
        best=StepLine("", BEST_LINE_COLOUR, history["order"].to_numpy(), history["best_so_far"].to_numpy()),
        title=f"{metric} over the search{note}",
        x_title=order_title(bool(history["created"].notna().any())),
        y_title=f"{metric} ({better} is better)",
    )


def _points_trace(
    points: RunPoints, *, size: int, hovertemplate: str, showlegend: bool | None = None
) -> go.Scatter:
    return scatter_class(len(points.x))(
        x=points.x,
        y=points.y,
        mode="markers",
        marker={"size": size, "color": points.colour, "opacity": 0.75},
        name=sweep_name(points.sweep),
        legendgroup=points.sweep,
        showlegend=showlegend,
        customdata=points.customdata,
        hovertemplate=hovertemplate,
    )


def draw_history(plot: HistoryPlot) -> go.Figure:
    """Points per sweep, dotted best-so-far per sweep, and the overall best so far as a step line."""
    figure = go.Figure()
    hover = (
        f"%{{customdata[0]}} (%{{customdata[1]}})<br>run %{{x}}<br>{plot.metric} %{{y:.4g}}<extra></extra>"
    )
    lines = {line.sweep: line for line in plot.sweep_best}
    for points in plot.points:
        figure.add_trace(_points_trace(points, size=6, hovertemplate=hover))
        if (line := lines.get(points.sweep)) is not None:
            figure.add_trace(
                go.Scatter(
                    x=line.x,
                    y=line.y,
                    mode="lines",
                    line={"color": line.colour, "width": 1.5, "dash": "dot", "shape": "hv"},
                    name=f"best in {sweep_name(line.sweep)}",
                    legendgroup=line.sweep,
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
    figure.add_trace(
        go.Scatter(
            x=plot.best.x,
            y=plot.best.y,
            mode="lines",
            line={"color": plot.best.colour, "width": 2.5, "shape": "hv"},
            name="best so far",
            hovertemplate=f"run %{{x}}: best {plot.metric} so far %{{y:.4g}}<extra></extra>",
        )
    )
    layout = _layout(HISTORY_HEIGHT)
    layout["legend"]["y"] = 1.0
    figure.update_layout(**layout, title=title(plot.title))
    figure.update_xaxes(title={"text": plot.x_title})
    figure.update_yaxes(title={"text": plot.y_title})
    return figure


def history_figure(history: pd.DataFrame, metric: str, direction: Direction) -> go.Figure:
    """Each run's metric over run order, one colour per sweep, with the best-so-far line over all runs
    (a step line) and, when there are several sweeps, each sweep's own best so far (dotted)."""
    return draw_history(history_plot(history, metric, direction))


# ---------------------------------------------------------------------------------------------
# Where each parameter was sampled


def _hover_values(sweep: Sweep, param: str) -> np.ndarray:
    if reads_as_numbers(sweep, param):
        return np.array([compact_number(v, 3) for v in real_numbers(sweep.runs[param])], dtype=object)
    return level_labels(sweep.runs[param], sweep.kind(param)).to_numpy(dtype=object)


def _ticks_without_missing(axis: EncodedAxis) -> tuple[list[float], list[str]]:
    """Tick positions and real-unit labels, without the "(missing)" tick (such runs are not drawn)."""
    pairs = [(v, t) for v, t in zip(axis.tickvals, axis.ticktext, strict=True) if v != axis.missing_at]
    return [v for v, _ in pairs], [t for _, t in pairs]


def _panel(
    sweep: Sweep,
    param: str,
    rank: np.ndarray,
    labels: np.ndarray,
    colours: dict[str, str],
    best: np.ndarray | None,
) -> SamplingPanel:
    """log10 coordinates for log-scaled parameters, jittered level codes for levels."""
    axis = encode_column(sweep, param)
    present = axis.present
    jitter = np.random.default_rng(0).uniform(-LEVEL_JITTER, LEVEL_JITTER, len(rank))
    y = axis.values + (jitter if axis.scale == "levels" else 0.0)
    ids = sweep.runs.index.astype(str).to_numpy(dtype=object)
    hover = _hover_values(sweep, param)
    points = []
    for name, colour in colours.items():
        chosen = np.flatnonzero((labels == name) & present)
        chosen = chosen[np.argsort(rank[chosen])]
        customdata = np.column_stack([ids[chosen], hover[chosen]])
        points.append(RunPoints(name, colour, rank[chosen], y[chosen], customdata))
    ringed = np.flatnonzero(best & present) if best is not None else None
    n_missing = int((~present).sum())
    tickvals, ticktext = _ticks_without_missing(axis)
    return SamplingPanel(
        parameter=param,
        title=f"{param} ({n_missing} runs without it)" if n_missing else param,
        points=points,
        ringed=(rank[ringed], y[ringed]) if ringed is not None else None,
        tickvals=tickvals,
        ticktext=ticktext,
    )


def sampling_plot(
    sweep: Sweep, params: Sequence[str], *, metric: str | None = None, best_percent: float = 10.0
) -> SamplingPlot:
    """One panel per parameter in `params` that the runs have; with `metric`, the best
    `best_percent` % of runs are ringed."""
    runs = sweep.runs
    positions = run_order(runs)
    rank = np.empty(len(runs), dtype=int)
    rank[positions] = np.arange(1, len(runs) + 1)
    labels = sweep_labels(runs).to_numpy()
    colours = sweep_colours(list(dict.fromkeys(labels[positions])))
    with_metric = metric is not None and metric in runs
    best = (
        best_percent_mask(runs[metric], sweep.direction(metric), best_percent).to_numpy()
        if metric is not None and with_metric
        else None
    )
    return SamplingPlot(
        panels=[_panel(sweep, p, rank, labels, colours, best) for p in params if p in runs],
        best_label=f"best {best_percent:g}% by {metric}" if with_metric else None,
        x_title=order_title(orders_by_created(runs)),
    )


def _ringed_trace(xy: tuple[np.ndarray, np.ndarray], label: str | None, *, showlegend: bool) -> go.Scatter:
    return go.Scatter(
        x=xy[0],
        y=xy[1],
        mode="markers",
        marker={"size": 10, "color": TRANSPARENT, "line": {"width": 1.5, "color": BEST_LINE_COLOUR}},
        name=label,
        legendgroup="best",
        showlegend=showlegend,
        hoverinfo="skip",
    )


def draw_sampling(plot: SamplingPlot) -> go.Figure:
    """Small multiples, one row per panel, sharing the run-order axis."""
    n_rows = max(len(plot.panels), 1)
    figure = make_subplots(
        rows=n_rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.08, 0.35 / n_rows),
        subplot_titles=[p.title for p in plot.panels] or [""],
    )
    for row, panel in enumerate(plot.panels, start=1):
        hover = f"run %{{x}} (%{{customdata[0]}})<br>{panel.parameter} %{{customdata[1]}}<extra></extra>"
        for points in panel.points:
            trace = _points_trace(points, size=5, hovertemplate=hover, showlegend=row == 1)
            figure.add_trace(trace, row=row, col=1)
        if panel.ringed is not None:
            figure.add_trace(
                _ringed_trace(panel.ringed, plot.best_label, showlegend=row == 1), row=row, col=1
            )
        figure.update_yaxes(row=row, col=1, tickvals=panel.tickvals, ticktext=panel.ticktext)
    height = 110 + 150 * n_rows
    layout = _layout(height)
    plot_height = height - TOP_MARGIN - 52  # the legend sits just above the first panel's title
    layout["legend"]["y"] = 1 + 26 / plot_height
    figure.update_layout(**layout)
    figure.update_xaxes(title={"text": plot.x_title}, row=n_rows, col=1)
    figure.update_annotations(font={"size": 12}, xanchor="left", x=0)
    return figure


def sampling_figure(
    sweep: Sweep, params: Sequence[str], *, metric: str | None = None, best_percent: float = 10.0
) -> go.Figure:
    """Small multiples, one row per parameter: the value each run tried over run order, one colour
    per sweep; log-scaled parameters on log axes labelled in real units, categoricals and booleans
    as levels (jittered a little so repeats show). With `metric`, the best `best_percent` % of runs
    are ringed, so the reader sees whether the sampler went where the good runs are."""
    return draw_sampling(sampling_plot(sweep, params, metric=metric, best_percent=best_percent))
