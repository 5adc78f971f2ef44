"""The parallel-coordinates page model: the user's `ViewState` as a chart spec, the chart, and counts.

Here the page's choices are resolved (the metric, default axes by importance and spread, axes added
for filters, the kept runs) into a plain `ParcoordsSpec`, which `lib.figures` turns into a figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.columns import Kind
from lib.figures.encoded_axis import RUN_ORDER
from lib.figures.parcoords import parcoords_figure
from lib.figures.parcoords_data import DEFAULT_MAX_LINES, ParcoordsInfo, ParcoordsSpec, parcoords_info
from lib.filters import best_percent_mask, kept_mask, kept_summary
from lib.sweep import RUN_CREATED, Sweep
from lib.values import MISSING_LEVEL, level_labels, log10_positive, reads_as_numbers, real_numbers
from lib.views.parallel_state import ViewState

MAX_DIMENSIONS = 60  # Plotly drops extra dimensions silently
DEFAULT_MAX_AXES = 8
SPREAD_BINS = 10


# ---------------------------------------------------------------------------------------------
# Axis and colour choice


def spread_score(sweep: Sweep, column: str) -> float:
    """How evenly a parameter's runs cover its range: 0 (one value) to 1.

    The entropy of the values over `SPREAD_BINS` equal-width bins of their range (on the log10
    scale for log-scaled parameters; one bin per level for levels), divided by log(SPREAD_BINS)
    and capped at 1, times the share of runs that have a value. A uniformly sampled continuous
    parameter scores about 1, three equally common values 0.48, a balanced flag 0.30, so the
    parameters that spread lines over their axis come first. (The variance of min-max scaled
    values was tried and ranks a 0/1 flag above a log-uniform learning rate.)
    """
    values = sweep.runs[column]
    if values.empty:
        return 0.0
    present_share = float(values.notna().mean())
    if reads_as_numbers(sweep, column):
        numbers = real_numbers(values)
        if sweep.kind(column) is Kind.LOG:
            numbers = log10_positive(numbers)
        numbers = numbers[~np.isnan(numbers)]
        if numbers.size < 2 or numbers.max() == numbers.min():
            return 0.0
        counts, _ = np.histogram(numbers, bins=SPREAD_BINS)
    else:
        labels = level_labels(values, sweep.kind(column))
        counts = labels[labels != MISSING_LEVEL].value_counts().to_numpy()
    shares = counts[counts > 0] / counts.sum() if counts.sum() else np.array([1.0])
    entropy = float(-np.sum(shares * np.log(shares)))
    return present_share * min(1.0, entropy / math.log(SPREAD_BINS))


def default_axes(
    sweep: Sweep,
    metric: str | None,
    importance_order: Sequence[str] | None = None,
    max_axes: int = DEFAULT_MAX_AXES,
) -> list[str]:
    """Parameters that vary (`sweep.analysable_params`), most important first when an importance
    order is given (the rest after it by `spread_score`), else by `spread_score`; at most
    `max_axes` axes in all, the metric last."""
    candidates = [p for p in sweep.analysable_params if p != metric and p in sweep.runs]
    by_spread = sorted(candidates, key=lambda p: -spread_score(sweep, p))
    ranked = [p for p in dict.fromkeys(importance_order or ()) if p in candidates]
    ranked += [p for p in by_spread if p not in ranked]
    n_params = max(1, max_axes - 1) if metric else max(1, max_axes)
    return ranked[:n_params] + ([metric] if metric else [])


def colour_options(sweep: Sweep) -> list[str]:
    """What lines can be coloured by: metrics, parameters, run order, creation time."""
    options = [*sweep.metrics, *sweep.params, RUN_ORDER]
    if RUN_CREATED in sweep.runs:
        options.append(RUN_CREATED)
    return [o for o in options if o == RUN_ORDER or o in sweep.runs]


def _chosen_axes(
    sweep: Sweep, state: ViewState, metric: str | None, importance_order: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    notes = []
    axes = [a for a in dict.fromkeys(state.axes) if a in sweep.runs]
    axes = axes or default_axes(sweep, metric, importance_order)
    filtered = [t.column for t in state.thresholds if t.is_active and t.column in sweep.runs]
    if state.best_percent is not None and metric:
        filtered.append(metric)
    for column in dict.fromkeys(filtered):
        if column not in axes:
            axes.append(column)
            notes.append(f"{column} was added as an axis to show its filter.")
    if len(axes) > MAX_DIMENSIONS:
        notes.append(f"Only the first {MAX_DIMENSIONS} of {len(axes)} axes are drawn (Plotly's limit).")
        axes = axes[:MAX_DIMENSIONS]
    return axes, notes


# ---------------------------------------------------------------------------------------------
# The spec and the chart


def parcoords_spec(
    sweep: Sweep, state: ViewState, *, importance_order: Sequence[str] | None = None
) -> tuple[ParcoordsSpec, list[str]]:
    """The chart `state` describes, and notes on the axes chosen for it (added for a filter, capped)."""
    metric = state.metric if state.metric in sweep.metrics else sweep.default_metric
    axes, notes = _chosen_axes(sweep, state, metric, importance_order)
    best = (
        best_percent_mask(sweep.runs[metric], sweep.direction(metric), state.best_percent)
        if state.best_percent is not None and metric
        else None
    )
    spec = ParcoordsSpec(
        axes=tuple(axes),
        kept=kept_mask(sweep, state.thresholds, state.best_percent, metric),
        metric=metric,
        scales=state.scales,
        flipped=state.flipped,
        thresholds=state.thresholds,
        best=best,
        colour=state.colour or metric,
        reversed=state.reversed,
        hide=state.hide,
    )
    return spec, notes


@dataclass(frozen=True)
class ParcoordsView:
    """The chart's data and figure, and what the page says about it."""

    spec: ParcoordsSpec
    info: ParcoordsInfo
    figure: go.Figure
    axes: list[str]
    labels: dict[str, str]  # short label -> full column name, one per axis
    kept: pd.Series  # bool per run: passes the filters
    notes: list[str]

    @property
    def drawn_ids(self) -> list[str]:
        """Run ids in drawing order (the last is on top)."""
        return self.info.drawn_ids

    @property
    def n_runs(self) -> int:
        return len(self.kept)

    @property
    def n_kept(self) -> int:
        return int(self.kept.sum())

    @property
    def n_drawn(self) -> int:
        return len(self.drawn_ids)

    @property
    def kept_text(self) -> str:
        return kept_summary(self.kept)

    @property
    def drawn_text(self) -> str:
        return f"showing {self.n_drawn:,} of {self.n_runs:,} runs"

    @property
    def abbreviated(self) -> dict[str, str]:
        return {label: column for label, column in self.labels.items() if label != column}


def parallel_chart(
    sweep: Sweep,
    state: ViewState,
    *,
    importance_order: Sequence[str] | None = None,
    max_lines: int = DEFAULT_MAX_LINES,
) -> ParcoordsView:
    """The chart for `state`: one line per drawn run, filters drawn as constraint ranges."""
    spec, notes = parcoords_spec(sweep, state, importance_order=importance_order)
    info = parcoords_info(sweep, spec, max_lines=max_lines)
    return ParcoordsView(
        spec=spec,
        info=info,
        figure=parcoords_figure(info),
        axes=info.columns,
        labels={d.label: d.column for d in info.dimensions},
        kept=spec.kept,
        notes=[*notes, *info.notes],
    )
