"""Response charts: a partial-dependence curve over the runs it summarises, and an interaction surface.

Each has a data step (`curve_plot`, `surface_plot`: coordinates, ticks and text as plain data) and a
drawing step (`draw_curve`, `draw_surface`); `response_figure` and `interaction_figure` do both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.analysis.response import InteractionPair, ResponseCurve
from lib.analysis.response_model import GridAxis, metric_values
from lib.columns import Direction, Kind
from lib.figures._axis import log_tick_text, log_ticks
from lib.figures._common import (
    PLAIN_LINE_COLOUR,
    POINT_COLOUR,
    TEXT_COLOUR,
    base_layout,
    scatter_class,
    title,
)
from lib.values import compact_number, level_labels, log10_positive, real_numbers

BAND_COLOUR = "rgba(59, 111, 182, 0.18)"
BEST_COLOUR = "#16a34a"
CURVE_HEIGHT = 380
SURFACE_HEIGHT = 440


@dataclass(frozen=True)
class Ticks:
    """Tick positions in the axis's coordinates and their labels (real units or level names)."""

    tickvals: list[float]
    ticktext: list[str]


@dataclass(frozen=True)
class Points:
    """Runs drawn as points, with their ids for the hover text."""

    x: np.ndarray
    y: np.ndarray
    ids: np.ndarray


@dataclass(frozen=True)
class CurvePlot:
    """One curve as drawn. Numbers: `x` in real units, on a log axis with `x_ticks` when `log`.
    Levels: `x` is each level's position, `x_ticks` names them, and bars rise from `y_range[0]`."""

    parameter: str
    metric: str
    title: str
    is_levels: bool
    log: bool
    x: np.ndarray
    mean: np.ndarray
    ice_low: np.ndarray
    ice_high: np.ndarray
    best: int
    best_label: str
    runs: Points
    x_ticks: Ticks | None
    y_range: tuple[float, float] | None
    level_counts: tuple[int, ...]
    levels: tuple[str, ...]


@dataclass(frozen=True)
class SurfacePlot:
    """The 2-D partial dependence as a heatmap: `z[j, i]` at (`x[i]`, `y[j]`), coordinates being
    level positions, log10 values or real values; `labels` the grid points as text for hovering."""

    first: str
    second: str
    metric: str
    title: str
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    x_ticks: Ticks | None
    y_ticks: Ticks | None
    reversescale: bool
    labels: np.ndarray
    runs: Points | None


def _log_ticks(logs: np.ndarray) -> Ticks:
    """Ticks (log10 positions) enclosing `logs`, labelled in real units."""
    low, high = float(logs.min()), float(logs.max())
    ticks = log_ticks(low, high) if high > low else [low]
    return Ticks(ticks, log_tick_text(ticks))


def _jitter(n: int, width: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-width, width, n)


def _level_codes(values: pd.Series, kind: Kind, levels: Sequence[str]) -> np.ndarray:
    """Each run's position among `levels` (NaN for a level not shown, or no value)."""
    positions = {level: float(i) for i, level in enumerate(levels)}
    return level_labels(values, kind).map(positions).to_numpy(dtype=float, na_value=np.nan)


def _missing_note(curve: ResponseCurve) -> str:
    if not curve.n_missing:
        return ""
    return f" <span style='font-size:11px'>({curve.n_missing} runs without it not shown)</span>"


OUTLIER_FENCE = 3.0  # runs beyond this many interquartile ranges from the quartiles are off-scale


def robust_y_range(run_y: np.ndarray, curve_values: np.ndarray) -> tuple[tuple[float, float], int]:
    """The y-range that shows the curve and the bulk of the runs, and how many runs fall outside
    it: one diverged run at 10 must not flatten every curve into the bottom fifth."""
    finite = run_y[np.isfinite(run_y)]
    curve = curve_values[np.isfinite(curve_values)]
    if finite.size >= 4:
        q25, q75 = np.quantile(finite, [0.25, 0.75])
        fence = OUTLIER_FENCE * max(q75 - q25, 1e-12)
        inside = finite[(finite >= q25 - fence) & (finite <= q75 + fence)]
    else:
        inside = finite
    shown = np.concatenate([inside, curve])
    if shown.size == 0:
        return (0.0, 1.0), 0
    lowest, highest = float(shown.min()), float(shown.max())
    pad = 0.05 * (highest - lowest) or 0.5
    low, high = lowest - pad, highest + pad
    return (low, high), int(((finite < low) | (finite > high)).sum())


def _off_scale_note(n: int, run_y: np.ndarray, y_range: tuple[float, float]) -> str:
    if not n:
        return ""
    beyond = run_y[np.isfinite(run_y) & ((run_y < y_range[0]) | (run_y > y_range[1]))]
    extreme = beyond[np.argmax(np.abs(beyond - np.mean(y_range)))]
    runs = "run" if n == 1 else "runs"
    note = f"{n} {runs} off the scale, up to {compact_number(float(extreme), 3)}"
    return f" <span style='font-size:11px'>({note})</span>"


# ---------------------------------------------------------------------------------------------
# One curve


def curve_plot(curve: ResponseCurve, runs: pd.DataFrame, metric: str, direction: Direction) -> CurvePlot:
    """The curve and the runs that have both the parameter and the metric."""
    y = metric_values(runs, metric)
    present = runs[curve.parameter].notna().to_numpy() & ~np.isnan(y)
    values, run_y = runs[curve.parameter][present], y[present]
    ids = runs.index[present].astype(str).to_numpy(dtype=object)
    x, x_ticks = curve.x, None
    y_range, off_scale = robust_y_range(run_y, np.concatenate([curve.ice_low, curve.ice_high, curve.mean]))
    if curve.is_levels:
        x = np.arange(len(curve.levels), dtype=float)
        x_ticks = Ticks(list(x), list(curve.levels))
        codes = _level_codes(values, curve.kind, curve.levels)
        shown = ~np.isnan(codes)
        cloud = Points(codes[shown] + _jitter(int(shown.sum()), 0.22), run_y[shown], ids[shown])
    else:
        x_runs = real_numbers(values)
        cloud = Points(x_runs, run_y, ids)
        if curve.log:
            x_ticks = _log_ticks(np.log10(np.concatenate([curve.x, x_runs[x_runs > 0]])))
        elif curve.kind is Kind.INTEGER:
            x_ticks = _integer_ticks(x_runs)
    return CurvePlot(
        parameter=curve.parameter,
        metric=metric,
        title=f"{curve.parameter}{_missing_note(curve)}{_off_scale_note(off_scale, run_y, y_range)}",
        is_levels=curve.is_levels,
        log=curve.log,
        x=x,
        mean=curve.mean,
        ice_low=curve.ice_low,
        ice_high=curve.ice_high,
        best=curve.best_index(direction),
        best_label=curve.best_label(direction),
        runs=cloud,
        x_ticks=x_ticks,
        y_range=y_range,
        level_counts=curve.level_counts,
        levels=curve.levels,
    )


def _integer_ticks(values: np.ndarray) -> Ticks | None:
    """Whole-number ticks for an integer parameter (never 1.5 layers): every value when few,
    else about eight evenly spaced whole numbers."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    distinct = np.unique(finite)
    if distinct.size <= 10:
        ticks = [float(v) for v in distinct]
    else:
        step = max(1, int(np.ceil((distinct[-1] - distinct[0]) / 8)))
        ticks = [float(v) for v in np.arange(np.floor(distinct[0]), distinct[-1] + 1, step)]
    return Ticks(ticks, [str(int(v)) for v in ticks])


def _layout(text: str, height: int) -> dict[str, Any]:
    return {
        "title": title(text),
        **base_layout(height, {"l": 64, "r": 24, "t": 64, "b": 56}),
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        "hovermode": "closest",
    }


def _runs_trace(runs: Points, hovertemplate: str, marker: dict[str, Any]) -> go.Scatter:
    return scatter_class(len(runs.x))(
        x=runs.x,
        y=runs.y,
        mode="markers",
        marker=marker,
        name="runs",
        text=runs.ids,
        hovertemplate=hovertemplate,
    )


def _draw_numeric(plot: CurvePlot) -> go.Figure:
    metric = plot.metric
    figure = go.Figure()
    hover = "run %{text}<br>%{x:.3g}<br>" + metric + " %{y:.4g}<extra></extra>"
    figure.add_trace(_runs_trace(plot.runs, hover, {"size": 5, "color": POINT_COLOUR}))
    band = {"mode": "lines", "line": {"width": 0}, "hoverinfo": "skip"}
    figure.add_trace(go.Scatter(x=plot.x, y=plot.ice_high, showlegend=False, **band))
    figure.add_trace(
        go.Scatter(
            x=plot.x,
            y=plot.ice_low,
            fill="tonexty",
            fillcolor=BAND_COLOUR,
            name="10–90% of runs' lines",
            **band,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=plot.x,
            y=plot.mean,
            mode="lines",
            line={"width": 3, "color": PLAIN_LINE_COLOUR},
            name="partial dependence",
            hovertemplate="%{x:.3g}: " + metric + " %{y:.4g}<extra>mean prediction</extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[plot.x[plot.best]],
            y=[plot.mean[plot.best]],
            mode="markers",
            marker={"size": 12, "color": BEST_COLOUR, "symbol": "star"},
            name=f"best: {plot.best_label}",
            hoverinfo="skip",
        )
    )
    figure.update_layout(**_layout(plot.title, CURVE_HEIGHT))
    x_axis: dict[str, Any] = {"title": {"text": plot.parameter}}
    if plot.x_ticks is not None and plot.log:
        x_axis |= {
            "type": "log",
            "tickvals": [10**t for t in plot.x_ticks.tickvals],
            "ticktext": plot.x_ticks.ticktext,
        }
    elif plot.x_ticks is not None:
        x_axis |= {"tickvals": plot.x_ticks.tickvals, "ticktext": plot.x_ticks.ticktext}
    figure.update_xaxes(**x_axis)
    y_axis: dict[str, Any] = {"title": {"text": metric}}
    if plot.y_range is not None:
        y_axis["range"] = list(plot.y_range)
    figure.update_yaxes(**y_axis)
    return figure


def _draw_levels(plot: CurvePlot) -> go.Figure:
    assert plot.y_range is not None and plot.x_ticks is not None
    floor, top = plot.y_range
    outline = [BEST_COLOUR if i == plot.best else "rgba(0,0,0,0)" for i in range(len(plot.levels))]
    figure = go.Figure()
    # Bars rise from the bottom of the plot, not from 0: a metric such as a loss may sit far from 0.
    figure.add_trace(
        go.Bar(
            x=plot.x,
            y=plot.mean - floor,
            base=floor,
            marker={"color": PLAIN_LINE_COLOUR, "opacity": 0.55, "line": {"color": outline, "width": 3}},
            error_y={
                "type": "data",
                "array": plot.ice_high - plot.mean,
                "arrayminus": plot.mean - plot.ice_low,
                "color": TEXT_COLOUR,
                "thickness": 1.5,
            },
            name="partial dependence (10–90% of runs)",
            customdata=np.column_stack([plot.mean, plot.level_counts]) if plot.level_counts else None,
            hovertext=list(plot.levels),
            textposition="none",
            hovertemplate="%{hovertext}: "
            + plot.metric
            + " %{customdata[0]:.4g} (%{customdata[1]} runs)<extra></extra>",
        )
    )
    hover = "run %{text}<br>" + plot.metric + " %{y:.4g}<extra></extra>"
    figure.add_trace(_runs_trace(plot.runs, hover, {"size": 5, "color": POINT_COLOUR}))
    figure.update_layout(**_layout(plot.title, CURVE_HEIGHT), bargap=0.35)
    figure.update_xaxes(
        title={"text": plot.parameter},
        tickvals=plot.x_ticks.tickvals,
        ticktext=plot.x_ticks.ticktext,
        range=[-0.6, len(plot.levels) - 0.4],
    )
    figure.update_yaxes(title={"text": plot.metric}, range=[floor, top])
    return figure


def draw_curve(plot: CurvePlot) -> go.Figure:
    return _draw_levels(plot) if plot.is_levels else _draw_numeric(plot)


def response_figure(curve: ResponseCurve, runs: pd.DataFrame, metric: str, direction: Direction) -> go.Figure:
    """The curve over the runs it summarises: runs as grey points, the mean prediction as a line
    with the 10-90% band of the runs' own lines (a log axis for log-scaled parameters), or one bar
    per level with that band as whiskers; the best point (a star) or level (outlined) in green."""
    return draw_curve(curve_plot(curve, runs, metric, direction))


# ---------------------------------------------------------------------------------------------
# The interaction surface


def _surface_axis(axis: GridAxis) -> tuple[np.ndarray, Ticks | None]:
    """Coordinates for a heatmap axis: level positions, log10 values, or real values."""
    if axis.is_levels:
        positions = np.arange(len(axis.levels), dtype=float)
        return positions, Ticks(list(positions), list(axis.levels))
    if axis.log:
        logs = np.log10(axis.x)
        return logs, _log_ticks(logs)
    return axis.x, None


def _run_coordinates(runs: pd.DataFrame, axis: GridAxis) -> np.ndarray:
    values = runs[axis.parameter]
    if axis.is_levels:
        return _level_codes(values, axis.kind, axis.levels) + _jitter(len(values), 0.2, seed=1)
    numbers = real_numbers(values)
    return log10_positive(numbers) if axis.log else numbers


def surface_plot(
    pair: InteractionPair, metric: str, direction: Direction, runs: pd.DataFrame | None = None
) -> SurfacePlot:
    """The pair's surface in heatmap coordinates, and the runs that have both parameters and the metric."""
    x, x_ticks = _surface_axis(pair.first)
    y, y_ticks = _surface_axis(pair.second)
    cloud = None
    if runs is not None:
        y_values = metric_values(runs, metric)
        px, py = _run_coordinates(runs, pair.first), _run_coordinates(runs, pair.second)
        shown = ~(np.isnan(px) | np.isnan(py) | np.isnan(y_values))
        cloud = Points(px[shown], py[shown], runs.index[shown].astype(str).to_numpy(dtype=object))
    return SurfacePlot(
        first=pair.first.parameter,
        second=pair.second.parameter,
        metric=metric,
        title=f"{pair.first.parameter} × {pair.second.parameter} (H² = {pair.h_squared:.2f})",
        x=x,
        y=y,
        z=pair.values.T,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        reversescale=direction is Direction.MINIMIZE,
        labels=np.array([[(a, b) for a in pair.first.labels] for b in pair.second.labels], dtype=object),
        runs=cloud,
    )


def _ticks(ticks: Ticks | None) -> dict[str, Any]:
    return {} if ticks is None else {"tickvals": ticks.tickvals, "ticktext": ticks.ticktext}


def draw_surface(plot: SurfacePlot) -> go.Figure:
    """A heatmap (bright = good), with the runs as white points when given."""
    figure = go.Figure(
        go.Heatmap(
            x=plot.x,
            y=plot.y,
            z=plot.z,
            colorscale="Viridis",
            reversescale=plot.reversescale,
            colorbar={"title": {"text": plot.metric, "side": "right"}, "thickness": 14},
            customdata=plot.labels,
            hovertemplate=(
                f"{plot.first} %{{customdata[0]}}<br>{plot.second} %{{customdata[1]}}"
                f"<br>{plot.metric} %{{z:.4g}}<extra>mean prediction</extra>"
            ),
        )
    )
    if plot.runs is not None:
        marker = {"size": 4, "color": "rgba(255,255,255,0.75)", "line": {"width": 0.5, "color": TEXT_COLOUR}}
        figure.add_trace(_runs_trace(plot.runs, "run %{text}<extra></extra>", marker))
    figure.update_layout(**_layout(plot.title, SURFACE_HEIGHT), showlegend=False)
    figure.update_layout(margin={"r": 90})
    figure.update_xaxes(title={"text": plot.first}, **_ticks(plot.x_ticks))
    figure.update_yaxes(title={"text": plot.second}, **_ticks(plot.y_ticks))
    return figure


def interaction_figure(
    pair: InteractionPair,
    metric: str,
    direction: Direction = Direction.MAXIMIZE,
    runs: pd.DataFrame | None = None,
) -> go.Figure:
    """The pair's 2-D partial dependence as a heatmap (bright = good for `direction`), log-scaled
    parameters on log axes in real units, levels as rows or columns; `runs`, when given, drawn as
    points so the reader sees where the surface rests on runs and where it extrapolates."""
    return draw_surface(surface_plot(pair, metric, direction, runs))
