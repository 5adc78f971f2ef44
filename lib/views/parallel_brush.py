"""What a user does on the parallel-coordinates chart, read back as the view: brushes and axis drags.

The chart draws every axis in encoded units (`lib.figures.encoded_axis`): log10 on log axes, integer
codes on level axes, runs without a value on a "(missing)" tick set apart. `parcoords_data`'s
`threshold_intervals` takes a `Threshold` to those units; `brushed_threshold` here is its inverse, the
one place a brushed range becomes a `Threshold` again (real units, level names, include_missing).
`brushed_view` applies what the browser reported (`parse_brush`) to the shared `ViewState`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from lib.figures.encoded_axis import EncodedAxis, encode_column
from lib.figures.parcoords_data import Interval, ParcoordsSpec
from lib.filters import Threshold, column_extent, column_levels
from lib.sweep import Sweep
from lib.values import OTHER_LEVEL
from lib.views.parallel_state import ViewState

MAX_AXES = 60  # Plotly's own cap on dimensions
MAX_RANGES = 1_000  # plotly.js allows up to 1000 ranges on one axis
MAX_TEXT = 200


@dataclass(frozen=True)
class AxisKey:
    """How one drawn axis's encoded values read back: its scale, the encoded span of the runs that
    have a value and that span in real units, the "(missing)" tick, and the level of each code
    (with the levels pooled as "(other)")."""

    column: str
    scale: str  # "linear", "log" or "levels"
    encoded_span: Interval = (0.0, 0.0)
    real_span: Interval | None = None
    missing_at: float | None = None
    levels: Mapping[int, str] = field(default_factory=dict)
    pooled: tuple[str, ...] = ()


def axis_key(
    axis: EncodedAxis, real_span: Interval | None = None, every_level: Sequence[str] = ()
) -> AxisKey:
    """The key to `axis`; `real_span` is the column's smallest and largest real value (numeric axes),
    `every_level` all its levels (level axes: the ones not named on the axis are "(other)")."""
    if axis.scale == "levels":
        levels = {int(code): level for level, code in axis.codes.items()}
        pooled = tuple(lvl for lvl in every_level if lvl not in axis.codes)
        pooled = pooled if OTHER_LEVEL in axis.codes else ()
        return AxisKey(axis.column, "levels", levels=levels, pooled=pooled, missing_at=axis.missing_at)
    return AxisKey(axis.column, axis.scale, (axis.low, axis.high), real_span, axis.missing_at)


@dataclass(frozen=True)
class DrawnChart:
    """A chart as it was sent to the browser: its revision, its columns in drawn order, the key to
    each axis, and the metric whose best-q% band is drawn on its axis (None when there is none)."""

    revision: str
    columns: tuple[str, ...]
    axes: Mapping[str, AxisKey]
    banded: str | None = None


def drawn_chart(sweep: Sweep, spec: ParcoordsSpec, columns: Sequence[str], revision: str) -> DrawnChart:
    """The keys to the axes `parcoords_info` drew for `spec` (encoded exactly as it encodes them)."""
    forced_levels = {t.column: t.levels for t in spec.thresholds}
    keys = {}
    for column in columns:
        axis = encode_column(sweep, column, spec.scales, forced_levels.get(column, ()))
        if axis.scale == "levels":
            keys[column] = axis_key(axis, every_level=column_levels(sweep, column))
        else:
            keys[column] = axis_key(axis, real_span=column_extent(sweep, column))
    banded = spec.metric if spec.best is not None and spec.metric in keys else None
    return DrawnChart(revision, tuple(columns), keys, banded)


# ---------------------------------------------------------------------------------------------
# Encoded ranges back to thresholds


def _decoded(key: AxisKey, value: float) -> float:
    return 10.0**value if key.scale == "log" else value


def _real_range(key: AxisKey, low: float, high: float) -> Interval:
    """A brushed range in real units. Ends beyond the runs' own span read as its real ends (exact,
    where 10**log10(x) may not give x back); a range covering no run is decoded as it is."""
    span_low, span_high = key.encoded_span
    if key.real_span is None or high < span_low or low > span_high:
        return _decoded(key, low), _decoded(key, high)
    real_low = key.real_span[0] if low <= span_low else _decoded(key, low)
    real_high = key.real_span[1] if high >= span_high else _decoded(key, high)
    return real_low, real_high


def _merged(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return tuple(merged)


def _covers(ranges: Sequence[Interval], value: float) -> bool:
    return any(low <= value <= high for low, high in ranges)


def _levels_threshold(key: AxisKey, ranges: Sequence[Interval]) -> Threshold | None:
    covered = [level for code, level in sorted(key.levels.items()) if _covers(ranges, code)]
    names = [n for level in covered for n in (key.pooled if level == OTHER_LEVEL else (level,))]
    return Threshold(key.column, levels=tuple(dict.fromkeys(names))) if names else None


def _numeric_threshold(key: AxisKey, ranges: Sequence[Interval]) -> Threshold | None:
    missing = key.missing_at
    real = []
    for low, high in ranges:
        only_missing = missing is not None and low <= missing <= high and not _meets_values(key, low, high)
        if not only_missing:
            real.append(_real_range(key, low, high))
    include_missing = missing is not None and _covers(ranges, missing)
    threshold = Threshold(key.column, ranges=_merged(real), include_missing=include_missing)
    return threshold if threshold.is_active else None


def _meets_values(key: AxisKey, low: float, high: float) -> bool:
    span_low, span_high = key.encoded_span
    return low <= span_high and high >= span_low


def brushed_threshold(key: AxisKey, ranges: Sequence[Interval] | None) -> Threshold | None:
    """The filter a brushed axis stands for: None when the axis has no range.

    Numeric axes: each range in real units (10**x on log axes), "(missing)" kept when a range covers
    its tick. Level axes: the levels whose codes a range covers ("(other)" stands for the levels it
    pools; "(missing)" is a level there)."""
    if not ranges:
        return None
    pairs = [(min(low, high), max(low, high)) for low, high in ranges]
    if key.scale == "levels":
        return _levels_threshold(key, pairs)
    return _numeric_threshold(key, pairs)


# ---------------------------------------------------------------------------------------------
# The browser's report


@dataclass(frozen=True)
class Brush:
    """One report from the chart: the ranges of the axes the user changed since `revision` was
    drawn (None: the axis was cleared), and the axis order now."""

    id: str
    revision: str
    ranges: Mapping[str, tuple[Interval, ...] | None]
    order: tuple[str, ...]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_TEXT else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _pairs(value: object) -> tuple[Interval, ...] | None:
    """`[[lo, hi], ...]` (or one `[lo, hi]`) as sorted pairs; None for null or an empty list (the
    axis was cleared). Raises ValueError for anything else."""
    if value is None or value == []:
        return None
    if not isinstance(value, list) or len(value) > MAX_RANGES:
        raise ValueError("not a list of ranges")
    items = value if isinstance(value[0], list) else [value]
    pairs = []
    for item in items:
        numbers = [_number(v) for v in item] if isinstance(item, list) and len(item) == 2 else [None]
        if len(numbers) != 2 or numbers[0] is None or numbers[1] is None:
            raise ValueError("not a range")
        low, high = numbers[0], numbers[1]
        pairs.append((min(low, high), max(low, high)))
    return tuple(pairs)


def parse_brush(payload: object) -> Brush | None:
    """The browser's report, checked: None unless it has the shape the chart sends; a malformed
    axis entry is left out."""
    if not isinstance(payload, dict):
        return None
    report_id, revision = _text(payload.get("id")), _text(payload.get("revision"))
    ranges, order = payload.get("ranges"), payload.get("order")
    if report_id is None or revision is None or not isinstance(ranges, dict) or not isinstance(order, list):
        return None
    if len(ranges) > MAX_AXES or len(order) > MAX_AXES:
        return None
    parsed: dict[str, tuple[Interval, ...] | None] = {}
    for column, value in ranges.items():
        with contextlib.suppress(ValueError):
            if _text(column):
                parsed[column] = _pairs(value)
    columns = tuple(c for c in order if _text(c))
    return Brush(report_id, revision, parsed, columns if len(columns) == len(order) else ())


def brushed_view(view: ViewState, brush: Brush, drawn: DrawnChart) -> ViewState:
    """`view` with each brushed axis's filter replaced by what the brush stands for and the axes in
    the order they were dragged to. Brushing the metric's axis while its best-q% band is drawn
    replaces the band too: the axis keeps what the chart shows (the band's range is one of them)."""
    thresholds = list(view.thresholds)
    best_percent = view.best_percent
    for column, ranges in brush.ranges.items():
        key = drawn.axes.get(column)
        if key is None:
            continue
        thresholds = [t for t in thresholds if t.column != column]
        threshold = brushed_threshold(key, ranges)
        thresholds += [threshold] if threshold is not None else []
        if column == drawn.banded:
            best_percent = None
    axes = view.axes
    if sorted(brush.order) == sorted(drawn.columns) and brush.order != drawn.columns:
        axes = brush.order
    return dataclasses.replace(view, thresholds=tuple(thresholds), best_percent=best_percent, axes=axes)
