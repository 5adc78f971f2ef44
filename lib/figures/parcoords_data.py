"""The data step of parallel coordinates: a `ParcoordsSpec` becomes the axes, lines and colour to draw.

Every axis is numbers (see `encoded_axis`). Filters come from the sidebar's widgets or from a brush
on the chart (read back into real units by `lib.views.parallel_brush`) and are drawn on the axes as
constraint ranges, so Plotly greys exactly the runs the filters leave out. `parcoords_info`
returns plain data; `parcoords.parcoords_figure` draws it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lib.columns import Direction
from lib.figures._axis import axis_labels, label_chars
from lib.figures._common import MISSING_COLOUR, QUALITATIVE, SEQUENTIAL
from lib.figures.encoded_axis import (
    MAX_AXIS_LEVELS,
    MISSING_GAP,
    RUN_ORDER,
    EncodedAxis,
    created_axis,
    encode_column,
    run_order_axis,
)
from lib.filters import Threshold, best_first_positions
from lib.sweep import RUN_CREATED, Sweep
from lib.values import MISSING_LEVEL, OTHER_LEVEL, AxisScale, compact_number, counted

DEFAULT_MAX_LINES = 5_000
BEST_RESERVE = 0.1  # share of the spare lines given to the best runs the filters leave out
INVISIBLE = "\u200b"  # zero-width space

Interval = tuple[float, float]


@dataclass(frozen=True, eq=False)
class ParcoordsSpec:
    """What to draw, as plain choices (the view layer builds one from what the user picked).

    `kept` and `best` are bool masks over the sweep's runs: the runs passing every filter, and the
    best q% by `metric` when that filter is on (drawn as a constraint range on the metric's axis).
    Lines are drawn best first by `metric`; `colour` is a column, `RUN_ORDER`, or None for plain lines.
    """

    axes: tuple[str, ...]
    kept: pd.Series
    metric: str | None = None
    scales: Mapping[str, AxisScale] = field(default_factory=dict)
    flipped: tuple[str, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    best: pd.Series | None = None
    colour: str | None = None
    reversed: bool = False
    hide: bool = False


@dataclass(frozen=True)
class DimensionInfo:
    """One axis as Plotly gets it: `values` (float32) per drawn run in drawing order, `range` from
    bottom to top, ticks in real units, and the encoded intervals a kept run falls in (None when
    the axis is not filtered)."""

    column: str
    label: str
    values: np.ndarray
    range: Interval
    tickvals: list[float]
    ticktext: list[str]
    constraintrange: list[Interval] | None = None


@dataclass(frozen=True)
class LineColour:
    """Colour values per run (encoded like an axis) and the colour bar that explains them."""

    values: np.ndarray
    cmin: float
    cmax: float
    colorscale: list[list[float | str]]
    tickvals: list[float]
    ticktext: list[str]
    title: str


@dataclass(frozen=True)
class ParcoordsInfo:
    """Everything the figure shows: axes left to right, line colours of the drawn runs (None for
    plain lines), which runs are drawn (row positions and ids, the last on top), and notes."""

    dimensions: list[DimensionInfo]
    colour: LineColour | None
    drawn: np.ndarray
    drawn_ids: list[str]
    notes: list[str]

    @property
    def columns(self) -> list[str]:
        return [d.column for d in self.dimensions]


# ---------------------------------------------------------------------------------------------
# Filters drawn on axes


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


def dimension_info(
    axis: EncodedAxis, label: str, drawn: np.ndarray, *, flipped: bool, allowed: list[Interval] | None
) -> DimensionInfo:
    """The axis as drawn: values of the drawn runs, range (reversed when flipped), and its filter."""
    extent = axis.extent
    tickvals, ticktext = axis.tickvals, axis.ticktext
    if allowed == []:
        # nothing passes: an empty selection just below the values greys every line
        pad = MISSING_GAP * (extent[1] - extent[0])
        extent = (extent[0] - pad, extent[1])
        allowed = [(extent[0], extent[0] + pad / 4)]
    elif allowed is not None:
        allowed = _widened(allowed, axis)
    if allowed is not None:
        tickvals, ticktext = _snap_ticks(axis, allowed)
    return DimensionInfo(
        column=axis.column,
        label=label,
        values=axis.values[drawn].astype(np.float32),
        range=(extent[1], extent[0]) if flipped else (extent[0], extent[1]),
        tickvals=tickvals,
        ticktext=ticktext,
        constraintrange=allowed,
    )


def _axis_notes(axis: EncodedAxis, scales: Mapping[str, AxisScale]) -> list[str]:
    notes = []
    if axis.n_missing and axis.scale != "levels":
        runs, verb = counted(axis.n_missing, "run"), "sits" if axis.n_missing == 1 else "sit"
        notes.append(f'{axis.column}: {runs} without a value {verb} on the "(missing)" tick.')
    if scales.get(axis.column) is AxisScale.LOG and axis.scale != "log":
        notes.append(f"{axis.column}: shown on a linear axis, a log axis needs values above 0.")
    if OTHER_LEVEL in axis.codes:
        notes.append(
            f"{axis.column}: only the {MAX_AXIS_LEVELS - 1} commonest levels are named, "
            'the rest are "(other)".'
        )
    return notes


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


def _continuous_colour(palette: Sequence[str], axis: EncodedAxis, title: str) -> LineColour:
    """`palette` spread over the values' own extent, and one grey swatch for "(missing)" set apart
    at the end of the axis it sits on. A column with one value says so in the title."""
    low, high = axis.low, axis.high
    constant = not high > low
    if constant:
        shown = next((t for t in axis.ticktext if t != MISSING_LEVEL), compact_number(low, 4))
        title = f"{title} (every run {shown})"
        high = low + 1.0
    named = zip(axis.tickvals, axis.ticktext, strict=True)
    ticks = [(v, t) for v, t in named if low <= v <= high and t != MISSING_LEVEL]
    if constant:
        ticks = ticks[:1]
    steps = len(palette) - 1
    if axis.missing_at is None:
        scale: list[list[float | str]] = [[i / steps, c] for i, c in enumerate(palette)]
        return LineColour(axis.values, low, high, scale, [v for v, _ in ticks], [t for _, t in ticks], title)
    gap = MISSING_GAP * (high - low)
    below = axis.missing_at < axis.low
    at = low - gap if below else high + gap
    values = np.where(axis.values == axis.missing_at, at, axis.values)
    cmin, cmax = (at, high) if below else (low, at)
    start, end = (low - cmin) / (cmax - cmin), (high - cmin) / (cmax - cmin)
    scale = [[start + (end - start) * i / steps, c] for i, c in enumerate(palette)]
    if below:
        scale = [[0.0, MISSING_COLOUR], [start, MISSING_COLOUR], *scale]
    else:
        scale = [*scale, [end, MISSING_COLOUR], [1.0, MISSING_COLOUR]]
    ticks = [(at, MISSING_LEVEL), *ticks] if below else [*ticks, (at, MISSING_LEVEL)]
    return LineColour(values, cmin, cmax, scale, [v for v, _ in ticks], [t for _, t in ticks], title)


def _stepped_scale(colours: Sequence[str]) -> list[list[float | str]]:
    n = len(colours)
    scale: list[list[float | str]] = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


def _levels_colour(axis: EncodedAxis, title: str, reverse: bool) -> LineColour:
    colours = [QUALITATIVE[i % len(QUALITATIVE)] for i in range(len(axis.ticktext))]
    if reverse:
        colours.reverse()
    colours = [
        MISSING_COLOUR if lvl == MISSING_LEVEL else c for lvl, c in zip(axis.ticktext, colours, strict=True)
    ]
    n = len(colours)
    return LineColour(
        axis.values, -0.5, n - 0.5, _stepped_scale(colours), axis.tickvals, axis.ticktext, title
    )


def line_colour(sweep: Sweep, column: str, scales: Mapping[str, AxisScale], reverse: bool) -> LineColour:
    """Colour by `column` (or `RUN_ORDER`). Numbers use a sequential scale (log10 for log axes),
    oriented so a minimized metric's best runs get the bright end; `reverse` flips it. Levels get
    one colour each. Runs without a value are grey."""
    if column == RUN_ORDER:
        axis, title = run_order_axis(sweep)
    elif column == RUN_CREATED:
        axis, title = created_axis(sweep), "created"
    else:
        axis, title = encode_column(sweep, column, scales), column
    if axis.scale == "levels":
        return _levels_colour(axis, title, reverse)
    palette = list(SEQUENTIAL)
    if reverse != (column in sweep.metrics and sweep.direction(column) is Direction.MINIMIZE):
        palette.reverse()
    return _continuous_colour(palette, axis, title)


def _drawn_colour(sweep: Sweep, spec: ParcoordsSpec, drawn: np.ndarray) -> LineColour | None:
    column = spec.colour
    if column is None or (column != RUN_ORDER and column not in sweep.runs):
        return None
    colour = line_colour(sweep, column, spec.scales, spec.reversed)
    return dataclasses.replace(colour, values=colour.values[drawn].astype(np.float32))


# ---------------------------------------------------------------------------------------------
# The data step


def parcoords_info(sweep: Sweep, spec: ParcoordsSpec, *, max_lines: int = DEFAULT_MAX_LINES) -> ParcoordsInfo:
    """The axes, lines and colour that `spec` asks for: at most `max_lines` runs, best on top."""
    runs, metric = sweep.runs, spec.metric
    columns = [a for a in spec.axes if a in runs]
    labels = axis_labels(columns, label_chars(len(columns)))
    order = best_first_positions(runs[metric], sweep.direction(metric)) if metric else np.arange(len(runs))
    drawn = lines_to_draw(order, spec.kept.to_numpy(dtype=bool), max_lines, spec.hide)
    forced_levels = {t.column: t.levels for t in spec.thresholds}
    dimensions, notes = [], []
    for column in columns:
        axis = encode_column(sweep, column, spec.scales, forced_levels.get(column, ()))
        allowed = _axis_constraint(axis, spec.thresholds, spec.best if column == metric else None)
        flipped = column in spec.flipped
        dimensions.append(dimension_info(axis, labels[column], drawn, flipped=flipped, allowed=allowed))
        notes += _axis_notes(axis, spec.scales)
    return ParcoordsInfo(
        dimensions=dimensions,
        colour=_drawn_colour(sweep, spec, drawn),
        drawn=drawn,
        drawn_ids=[str(i) for i in runs.index[drawn]],
        notes=notes,
    )
