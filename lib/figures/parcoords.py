"""Parallel coordinates of a sweep (`go.Parcoords`): axes, colour, filters and drawn lines.

Plotly's Parcoords has neither log nor categorical axes, so every axis is numbers encoded here:
log10 for log axes and integer codes for levels, with `tickvals`/`ticktext` in real units. Runs
without a value sit on a "(missing)" tick just beyond the axis's range instead of being dropped.
Filters come from widgets (a brush on the chart never reaches Python) and are drawn on the axes as
`constraintrange`, so Plotly greys exactly the runs the filters leave out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.columns import Direction, Kind
from lib.figures._axis import (
    axis_labels,
    integer_ticks,
    linear_tick_text,
    linear_ticks,
    log_tick_text,
    log_ticks,
    time_tick_text,
    time_ticks,
)
from lib.figures._common import (
    MISSING_COLOUR,
    PLAIN_LINE_COLOUR,
    QUALITATIVE,
    SEQUENTIAL,
    UNSELECTED_COLOUR,
    base_layout,
)
from lib.filters import Threshold, best_first_positions, best_percent_mask, kept_mask, kept_summary
from lib.sweep import RUN_CREATED, Sweep
from lib.values import (
    FALSE_LEVEL,
    MISSING_LEVEL,
    OTHER_LEVEL,
    TRUE_LEVEL,
    AxisScale,
    level_labels,
    reads_as_numbers,
    real_numbers,
    resolved_scale,
)
from lib.views.parallel_state import RUN_ORDER, ViewState

MAX_DIMENSIONS = 60  # Plotly drops extra dimensions silently
DEFAULT_MAX_LINES = 5_000
DEFAULT_MAX_AXES = 8
MAX_AXIS_LEVELS = 12
SPREAD_BINS = 10
MISSING_GAP = 0.1  # the "(missing)" tick sits this share of the axis span beyond its end
BEST_RESERVE = 0.1  # share of the spare lines given to the best runs the filters leave out
INVISIBLE = "\u200b"  # zero-width space


# ---------------------------------------------------------------------------------------------
# Axes


@dataclass(frozen=True)
class EncodedAxis:
    """One column as the numbers Plotly draws.

    `values` has one entry per run (runs without a value at `missing_at`); `low`/`high` bound the
    encoded values of the runs that have one; `codes` maps each level to its code on level axes.
    """

    column: str
    scale: str  # "linear", "log" or "levels"
    values: np.ndarray
    low: float
    high: float
    extent: tuple[float, float]  # what the axis shows, "(missing)" tick included
    tickvals: list[float]
    ticktext: list[str]
    missing_at: float | None = None
    n_missing: int = 0
    codes: Mapping[str, int] = field(default_factory=dict)


def _with_missing(
    column: str, scale: str, encoded: np.ndarray, ticks: list[float], text: list[str]
) -> EncodedAxis:
    """Put runs without a value on a "(missing)" tick beyond the top of the axis."""
    present = ~np.isnan(encoded)
    if not present.any():
        values = np.zeros(encoded.shape)
        return EncodedAxis(
            column, scale, values, 0.0, 0.0, (-1.0, 1.0), [0.0], [MISSING_LEVEL], 0.0, len(values)
        )
    low, high = float(np.min(encoded[present])), float(np.max(encoded[present]))
    pad = 0.0 if high > low else (0.5 if scale == "log" else max(abs(low) * 0.5, 0.5))
    extent_low, extent_high = min([low - pad, *ticks]), max([high + pad, *ticks])
    n_missing = int((~present).sum())
    if not n_missing:
        return EncodedAxis(column, scale, encoded, low, high, (extent_low, extent_high), ticks, text)
    missing_at = extent_high + MISSING_GAP * (extent_high - extent_low)
    values = np.where(present, encoded, missing_at)
    return EncodedAxis(
        column,
        scale,
        values,
        low,
        high,
        (extent_low, missing_at),
        [*ticks, missing_at],
        [*text, MISSING_LEVEL],
        missing_at,
        n_missing,
    )


def numeric_axis(column: str, numbers: np.ndarray, log: bool = False) -> EncodedAxis:
    """A numeric column (real units, NaN for missing) as a linear or log10 axis."""
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            encoded = np.where(numbers > 0, np.log10(numbers), np.nan)
    else:
        encoded = np.asarray(numbers, dtype=float)
    present = encoded[~np.isnan(encoded)]
    if present.size == 0:
        return _with_missing(column, "log" if log else "linear", encoded, [], [])
    low, high = float(present.min()), float(present.max())
    if log:
        ticks = log_ticks(low, high) if high > low else [low]
        text = log_tick_text(ticks)
    else:
        ticks = integer_ticks(np.unique(present), low, high) or linear_ticks(low, high)
        text = linear_tick_text(ticks)
    return _with_missing(column, "log" if log else "linear", encoded, ticks, text)


def _natural_order(levels: Iterable[str]) -> list[str]:
    levels = list(levels)
    try:
        return sorted(levels, key=float)
    except ValueError:
        return sorted(levels, key=lambda s: (s.casefold(), s))


def levels_axis(
    column: str,
    labels: pd.Series,
    keep: Iterable[str] = (),
    max_levels: int = MAX_AXIS_LEVELS,
    boolean: bool = False,
) -> EncodedAxis:
    """Labels as integer codes: the commonest `max_levels - 1` levels (and any in `keep`) by name,
    the rest pooled into "(other)", then "(missing)"."""
    counts = labels[labels != MISSING_LEVEL].value_counts()
    shown = list(counts.index)
    pooled = len(shown) > max_levels
    if pooled:
        kept = set(keep)
        shown = [lvl for i, lvl in enumerate(counts.index) if i < max_levels - 1 or lvl in kept]
    order = [lvl for lvl in (FALSE_LEVEL, TRUE_LEVEL) if lvl in shown] if boolean else _natural_order(shown)
    order += [OTHER_LEVEL] if pooled else []
    order += [MISSING_LEVEL] if (labels == MISSING_LEVEL).any() else []
    codes = {level: i for i, level in enumerate(order)}
    values = labels.map(codes).fillna(codes.get(OTHER_LEVEL, -1)).to_numpy(dtype=float)
    n_levels = len(order)
    extent = (0.0, float(n_levels - 1)) if n_levels > 1 else (-0.5, 0.5)
    missing_at = float(codes[MISSING_LEVEL]) if MISSING_LEVEL in codes else None
    return EncodedAxis(
        column,
        "levels",
        values,
        0.0,
        float(max(n_levels - 1, 0)),
        extent,
        [float(c) for c in range(n_levels)],
        order,
        missing_at,
        int((labels == MISSING_LEVEL).sum()),
        codes,
    )


def encode_column(
    sweep: Sweep, column: str, scales: Mapping[str, AxisScale] | None = None, keep_levels: Iterable[str] = ()
) -> EncodedAxis:
    if reads_as_numbers(sweep, column):
        log = resolved_scale(sweep, column, scales or {}) is AxisScale.LOG
        return numeric_axis(column, real_numbers(sweep.runs[column]), log=log)
    kind = sweep.kind(column)
    labels = level_labels(sweep.runs[column], kind)
    return levels_axis(column, labels, keep=keep_levels, boolean=kind is Kind.BOOLEAN)


# ---------------------------------------------------------------------------------------------
# Filters drawn on axes

Interval = tuple[float, float]


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    out = [(max(a, c), min(b, d)) for a, b in first for c, d in second]
    return _merge((low, high) for low, high in out if low <= high)


def _encode_bound(value: float, axis: EncodedAxis) -> float:
    if axis.scale != "log":
        return value
    return math.log10(value) if value > 0 else -math.inf


def threshold_intervals(axis: EncodedAxis, threshold: Threshold) -> list[Interval]:
    """A threshold in the axis's encoded units: clipped to the values, "(missing)" tick included."""
    if axis.scale == "levels":
        wanted = set(threshold.levels) | ({MISSING_LEVEL} if threshold.include_missing else set())
        return _merge((c - 0.25, c + 0.25) for level, c in axis.codes.items() if level in wanted)
    intervals = []
    for a, b in threshold.ranges:
        low, high = sorted((_encode_bound(a, axis), _encode_bound(b, axis)))
        low, high = max(low, axis.low), min(high, axis.high)
        if low <= high:
            intervals.append((low, high))
    if threshold.include_missing and axis.missing_at is not None:
        intervals.append((axis.missing_at, axis.missing_at))
    return _merge(intervals)


def _widened(intervals: list[Interval], axis: EncodedAxis) -> list[Interval]:
    """Widen by a hair so values at a bound still pass after Plotly's float32 rounding."""
    span = axis.extent[1] - axis.extent[0]
    out = []
    for low, high in intervals:
        hair = 1e-6 * span + 3e-7 * max(abs(low), abs(high))
        out.append((low - hair, high + hair))
    return out


def _constraint_value(intervals: list[Interval]) -> list[float] | list[list[float]]:
    if len(intervals) == 1:
        return [intervals[0][0], intervals[0][1]]
    return [[low, high] for low, high in intervals]


# ---------------------------------------------------------------------------------------------
# Axis choice


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
            with np.errstate(divide="ignore", invalid="ignore"):
                numbers = np.where(numbers > 0, np.log10(numbers), np.nan)
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


# ---------------------------------------------------------------------------------------------
# Which lines to draw


def lines_to_draw(best_first: np.ndarray, kept: np.ndarray, max_lines: int, hide: bool) -> np.ndarray:
    """Row positions to draw, in drawing order (the last drawn is on top).

    Kept runs come first, best first, up to `max_lines`; the room left goes to runs the filters
    leave out (none when `hide`): the best of them, then an even sample across the rest by rank.
    Left-out runs are drawn first, then kept runs from worst to best, so the best end on top.
    """
    ranked_kept = best_first[kept[best_first]][:max_lines]
    others = np.array([], dtype=int) if hide else best_first[~kept[best_first]]
    room = max(0, max_lines - ranked_kept.size)
    if others.size > room:
        n_best = min(room, max(1, int(room * BEST_RESERVE)))
        rest = others[n_best:]
        picks = np.floor(np.linspace(0, rest.size - 1, room - n_best) + 0.5).astype(int)
        others = np.concatenate([others[:n_best], rest[picks]])
    return np.concatenate([others[::-1], ranked_kept[::-1]]).astype(int)


# ---------------------------------------------------------------------------------------------
# Colour


@dataclass(frozen=True)
class LineColour:
    """Colour values for every run (encoded like an axis) and the colour bar that explains them."""

    values: np.ndarray
    cmin: float
    cmax: float
    colorscale: list[list[float | str]]
    tickvals: list[float]
    ticktext: list[str]
    title: str


def _continuous_colour(palette: Sequence[str], axis: EncodedAxis, title: str) -> LineColour:
    """`palette` spread over the values' own extent, then a grey band for "(missing)" beyond it."""
    low, high = axis.low, axis.high if axis.high > axis.low else axis.low + 1.0
    ticks = [(v, t) for v, t in zip(axis.tickvals, axis.ticktext, strict=True) if low <= v <= high]
    values, top = axis.values, high
    if axis.missing_at is not None:
        top = high + MISSING_GAP * (high - low)
        values = np.where(axis.values == axis.missing_at, top, axis.values)
        ticks.append((top, MISSING_LEVEL))
    end = (high - low) / (top - low)
    steps = len(palette) - 1
    scale: list[list[float | str]] = [[end * (i / steps), colour] for i, colour in enumerate(palette)]
    if axis.missing_at is not None:
        scale += [[end, MISSING_COLOUR], [1.0, MISSING_COLOUR]]
    return LineColour(values, low, top, scale, [v for v, _ in ticks], [t for _, t in ticks], title)


def _stepped_scale(colours: Sequence[str]) -> list[list[float | str]]:
    n = len(colours)
    scale: list[list[float | str]] = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


def _run_order_axis(sweep: Sweep) -> tuple[EncodedAxis, str]:
    runs = sweep.runs
    if RUN_CREATED in runs and runs[RUN_CREATED].notna().any():
        created = pd.to_datetime(runs[RUN_CREATED], utc=True, errors="coerce")
        order = np.argsort(created.to_numpy(dtype="datetime64[ns]"), kind="stable")
        title = "run order (created)"
    else:
        order = np.arange(len(runs))
        title = "run order"
    rank = np.empty(len(runs), dtype=float)
    rank[order] = np.arange(1, len(runs) + 1)
    return numeric_axis(RUN_ORDER, rank), title


def _created_axis(sweep: Sweep) -> EncodedAxis:
    """Creation times as seconds since the epoch, ticks at round times labelled as dates."""
    created = pd.to_datetime(sweep.runs[RUN_CREATED], utc=True, errors="coerce")
    seconds = (created - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)
    present = seconds[~np.isnan(seconds)]
    ticks = time_ticks(float(present.min()), float(present.max())) if present.size else []
    return _with_missing(RUN_CREATED, "linear", seconds, ticks, time_tick_text(ticks))


def line_colour(sweep: Sweep, column: str, scales: Mapping[str, AxisScale], reverse: bool) -> LineColour:
    """Colour by `column` (or `RUN_ORDER`). Numbers use a sequential scale (log10 for log axes),
    oriented so a minimized metric's best runs get the bright end; `reverse` flips it. Levels get
    one colour each. Runs without a value are grey."""
    if column == RUN_ORDER:
        axis, title = _run_order_axis(sweep)
    elif column == RUN_CREATED:
        axis, title = _created_axis(sweep), "created"
    else:
        axis, title = encode_column(sweep, column, scales), column
    if axis.scale == "levels":
        colours = [QUALITATIVE[i % len(QUALITATIVE)] for i in range(len(axis.ticktext))]
        if reverse:
            colours.reverse()
        colours = [
            MISSING_COLOUR if lvl == MISSING_LEVEL else c
            for lvl, c in zip(axis.ticktext, colours, strict=True)
        ]
        n = len(colours)
        return LineColour(
            axis.values, -0.5, n - 0.5, _stepped_scale(colours), axis.tickvals, axis.ticktext, title
        )
    palette = list(SEQUENTIAL)
    flip = reverse != (column in sweep.metrics and sweep.direction(column) is Direction.MINIMIZE)
    if flip:
        palette.reverse()
    return _continuous_colour(palette, axis, title)


# ---------------------------------------------------------------------------------------------
# The figure


@dataclass(frozen=True)
class ParcoordsView:
    """The figure and what the page says about it."""

    figure: go.Figure
    axes: list[str]
    labels: dict[str, str]  # short label -> full column name, one per axis
    kept: pd.Series  # bool per run: passes the filters
    drawn_ids: list[str]  # run ids in drawing order (the last is on top)
    notes: list[str]

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


def _axis_constraint(
    axis: EncodedAxis, thresholds: Sequence[Threshold], best: pd.Series | None
) -> list[Interval] | None:
    """The encoded intervals a run must fall in on this axis; None when the axis is not filtered."""
    allowed: list[Interval] | None = None
    for threshold in thresholds:
        if threshold.is_active and threshold.column == axis.column:
            intervals = threshold_intervals(axis, threshold)
            allowed = intervals if allowed is None else _intersect(allowed, intervals)
    if best is not None:
        inside = axis.values[best.to_numpy(dtype=bool)]
        intervals = [(float(inside.min()), float(inside.max()))] if inside.size else []
        allowed = intervals if allowed is None else _intersect(allowed, intervals)
    return allowed


def _dimension(
    axis: EncodedAxis, label: str, drawn: np.ndarray, flipped: bool, allowed: list[Interval] | None
) -> dict:
    extent = axis.extent
    dimension = {
        "label": label,
        "values": axis.values[drawn].astype(np.float32),
        "tickvals": axis.tickvals,
        "ticktext": axis.ticktext,
        "multiselect": True,
    }
    if allowed == []:
        # nothing passes: an empty selection just below the values greys every line
        pad = MISSING_GAP * (extent[1] - extent[0])
        extent = (extent[0] - pad, extent[1])
        allowed = [(extent[0], extent[0] + pad / 4)]
    elif allowed is not None:
        allowed = _widened(allowed, axis)
    dimension["range"] = [extent[1], extent[0]] if flipped else [extent[0], extent[1]]
    if allowed is not None:
        dimension["constraintrange"] = _constraint_value(allowed)
        dimension["tickvals"], dimension["ticktext"] = _snap_ticks(axis, allowed)
    return dimension


def _snap_ticks(axis: EncodedAxis, allowed: list[Interval]) -> tuple[list[float], list[str]]:
    """Invisible ticks at each constraint bound and a hair outside it.

    Plotly treats an axis with `tickvals` as ordinal and snaps a `constraintrange` to its ticks,
    dropping a range that falls between two of them: without these ticks a narrow filter vanishes
    from the chart and a wide one is rounded to the labelled ticks.
    """
    hair = 1e-6 * (axis.extent[1] - axis.extent[0]) or 1e-9
    extra = [v for low, high in allowed for v in (low - hair, low, high, high + hair)]
    labelled = dict(zip(axis.tickvals, axis.ticktext, strict=True))
    ticks = sorted({*axis.tickvals, *extra})
    # Plotly keys the axis on its tick texts: each unlabelled tick needs its own invisible text.
    unlabelled = (INVISIBLE * n for n in range(1, len(ticks) + 1))
    return ticks, [labelled[v] if v in labelled else next(unlabelled) for v in ticks]


def _axis_notes(axis: EncodedAxis, scales: Mapping[str, AxisScale]) -> list[str]:
    notes = []
    if axis.n_missing and axis.scale != "levels":
        notes.append(f'{axis.column}: {axis.n_missing} run(s) without a value sit on the "(missing)" tick.')
    if scales.get(axis.column) is AxisScale.LOG and axis.scale != "log":
        notes.append(f"{axis.column}: shown on a linear axis, a log axis needs values above 0.")
    if OTHER_LEVEL in axis.codes:
        notes.append(
            f"{axis.column}: only the {MAX_AXIS_LEVELS - 1} commonest levels are named, "
            'the rest are "(other)".'
        )
    return notes


def _layout(n_axes: int, colour_bar: bool) -> dict:
    tilted = n_axes > 7
    margin = {"l": 80, "r": 130 if colour_bar else 80, "t": 110 if tilted else 80, "b": 40}
    return base_layout(520 if tilted else 480, margin)


def build_parcoords(
    sweep: Sweep,
    state: ViewState,
    *,
    importance_order: Sequence[str] | None = None,
    max_lines: int = DEFAULT_MAX_LINES,
) -> ParcoordsView:
    """The chart for `state`: one line per drawn run, filters drawn as constraint ranges."""
    runs = sweep.runs
    metric = state.metric if state.metric in sweep.metrics else sweep.default_metric
    axes, notes = _chosen_axes(sweep, state, metric, importance_order)
    labels = axis_labels(axes)
    kept = kept_mask(sweep, state.thresholds, state.best_percent, metric)
    best = (
        best_percent_mask(runs[metric], sweep.direction(metric), state.best_percent)
        if state.best_percent is not None and metric
        else None
    )
    order = best_first_positions(runs[metric], sweep.direction(metric)) if metric else np.arange(len(runs))
    drawn = lines_to_draw(order, kept.to_numpy(dtype=bool), max_lines, state.hide)
    forced_levels = {t.column: t.levels for t in state.thresholds}
    dimensions = []
    for column in axes:
        axis = encode_column(sweep, column, state.scales, forced_levels.get(column, ()))
        allowed = _axis_constraint(axis, state.thresholds, best if column == metric else None)
        dimensions.append(_dimension(axis, labels[column], drawn, column in state.flipped, allowed))
        notes += _axis_notes(axis, state.scales)
    colour_column = state.colour or metric
    line = _line_spec(sweep, colour_column, state, drawn)
    trace = go.Parcoords(
        dimensions=dimensions,
        line=line,
        unselected={"line": {"color": UNSELECTED_COLOUR, "opacity": 0.35}},
        labelfont={"size": 13},
        tickfont={"size": 11},
        rangefont={"size": 1, "color": "rgba(0,0,0,0)"},
        labelangle=-20 if len(axes) > 7 else 0,
        meta={"columns": axes},
    )
    figure = go.Figure(trace, layout=_layout(len(axes), colour_column is not None))
    return ParcoordsView(
        figure=figure,
        axes=axes,
        labels={labels[c]: c for c in axes},
        kept=kept,
        drawn_ids=[str(i) for i in runs.index[drawn]],
        notes=notes,
    )


def _line_spec(sweep: Sweep, column: str | None, state: ViewState, drawn: np.ndarray) -> dict:
    if column is None or (column != RUN_ORDER and column not in sweep.runs):
        return {"color": PLAIN_LINE_COLOUR}
    colour = line_colour(sweep, column, state.scales, state.reversed)
    return {
        "color": colour.values[drawn].astype(np.float32),
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
