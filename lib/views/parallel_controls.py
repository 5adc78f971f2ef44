"""Plain helpers behind the parallel-coordinates sidebar: slider steps, scale choices, thresholds.

Widgets hold what a user can pick; these functions turn sweeps into the options and the picks
back into a `ViewState`, so the page stays a description of the widgets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from lib.filters import Threshold, column_extent
from lib.sweep import Sweep
from lib.values import AxisScale, compact_number, reads_as_numbers, resolved_scale
from lib.views.parallel_state import ViewState

SLIDER_STEPS = 120


def slider_steps(sweep: Sweep, column: str, log: bool, n: int = SLIDER_STEPS) -> list[float]:
    """Evenly spaced stops from the column's smallest to largest value (on the log scale when
    `log`), ends exact, so a slider over them can reach every run; empty when no numbers."""
    extent = column_extent(sweep, column)
    if extent is None:
        return []
    low, high = extent
    if low == high:
        return [low]
    inner = np.logspace(np.log10(low), np.log10(high), n) if log and low > 0 else np.linspace(low, high, n)
    stops = [low, *(float(v) for v in inner[1:-1]), high]
    return sorted(set(stops))


def step_label(value: float) -> str:
    return compact_number(value, 3)


def nearest_step(steps: Sequence[float], value: float) -> float:
    return min(steps, key=lambda s: abs(s - value))


def range_threshold(
    column: str, picked: tuple[float, float], steps: Sequence[float], include_missing: bool
) -> Threshold | None:
    """A range picked on a slider over `steps`: None (no filter) when it spans every step."""
    low, high = min(picked), max(picked)
    if low <= steps[0] and high >= steps[-1]:
        return None
    return Threshold(column, ranges=((low, high),), include_missing=include_missing)


def levels_threshold(column: str, picked: Sequence[str], levels: Sequence[str]) -> Threshold | None:
    """Levels picked from all `levels`: None (no filter) when all are picked."""
    if set(picked) >= set(levels):
        return None
    return Threshold(column, levels=tuple(picked))


def steps_with_bounds(steps: Sequence[float], threshold: Threshold | None) -> list[float]:
    """`steps` with the outer bounds of `threshold` added where they fall inside them, so a slider
    can show a range set elsewhere (a brush on the chart, a link) exactly."""
    if threshold is None or not threshold.ranges or len(steps) < 2:
        return list(steps)
    low = min(r[0] for r in threshold.ranges)
    high = max(r[1] for r in threshold.ranges)
    inside = [v for v in (low, high) if steps[0] < v < steps[-1]]
    return sorted({*steps, *inside})


def slider_threshold(
    column: str,
    picked: tuple[float, float],
    steps: Sequence[float],
    earlier: Threshold | None,
    include_missing: bool,
) -> Threshold | None:
    """The filter a range slider stands for. Left where it started, the filter it started from
    stays as it was (several brushed ranges, its choice about missing values); moved, it is the
    picked range, letting missing values through as the earlier filter did (else `include_missing`)."""
    if earlier is not None and tuple(picked) == initial_range(earlier, steps):
        return earlier
    keep_missing = earlier.include_missing if earlier is not None else include_missing
    return range_threshold(column, picked, steps, keep_missing)


def initial_range(threshold: Threshold | None, steps: Sequence[float]) -> tuple[float, float]:
    """Where a range slider starts: the threshold's outer range snapped to the stops, else all."""
    if threshold is None or not threshold.ranges:
        return steps[0], steps[-1]
    low = min(r[0] for r in threshold.ranges)
    high = max(r[1] for r in threshold.ranges)
    return nearest_step(steps, low), nearest_step(steps, high)


def numeric_axes(sweep: Sweep, axes: Sequence[str]) -> list[str]:
    return [a for a in axes if a in sweep.runs and reads_as_numbers(sweep, a)]


def log_axes(sweep: Sweep, axes: Sequence[str], scales: Mapping[str, AxisScale]) -> list[str]:
    """The axes drawn on a log scale now: the user's overrides, else the inferred kinds."""
    return [a for a in numeric_axes(sweep, axes) if resolved_scale(sweep, a, scales) is AxisScale.LOG]


def scales_from_log_choice(
    sweep: Sweep, axes: Sequence[str], chosen_log: Sequence[str]
) -> dict[str, AxisScale]:
    """Overrides only where the choice differs from what the column's kind implies."""
    automatic = set(log_axes(sweep, axes, {}))
    chosen = set(chosen_log)
    scales = {a: AxisScale.LOG for a in chosen - automatic}
    scales.update({a: AxisScale.LINEAR for a in automatic - chosen if a in numeric_axes(sweep, axes)})
    return scales


def threshold_for(state: ViewState, column: str) -> Threshold | None:
    return next((t for t in state.thresholds if t.column == column and t.is_active), None)


def filter_candidates(sweep: Sweep) -> list[str]:
    """Parameters a user may filter on: analysable ones first, then the rest."""
    return [*sweep.analysable_params, *(p for p in sweep.params if p not in sweep.analysable_params)]
