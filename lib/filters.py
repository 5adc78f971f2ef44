"""Which runs to keep: thresholds on columns and the best q% by a metric, as boolean masks.

Masks are pandas Series of bools indexed like `sweep.runs`. A run passes a threshold only when its
value lies in one of the threshold's ranges (numbers) or levels (categories); a run without a value
passes only when the threshold lets missing values through.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.columns import Direction
from lib.sweep import RUN_NAME, RUN_STATE, Sweep
from lib.values import MISSING_LEVEL, level_labels, reads_as_numbers, real_numbers


@dataclass(frozen=True)
class Threshold:
    """One column's filter.

    Numeric columns: `ranges` are inclusive `(low, high)` pairs in the column's real units (a run
    passes if it lies in any of them) and `include_missing` lets runs without a value through.
    Categorical and boolean columns: `levels` are the kept labels as `level_labels` writes them
    (`"(missing)"` keeps runs without a value). A threshold with nothing chosen keeps every run.
    """

    column: str
    ranges: tuple[tuple[float, float], ...] = ()
    levels: tuple[str, ...] = ()
    include_missing: bool = False

    @property
    def is_active(self) -> bool:
        return bool(self.ranges or self.levels or self.include_missing)


def column_levels(sweep: Sweep, column: str) -> list[str]:
    """The levels a categorical threshold can keep, commonest first."""
    labels = level_labels(sweep.runs[column], sweep.kind(column))
    return [str(level) for level in labels.value_counts(sort=True).index]


def column_extent(sweep: Sweep, column: str) -> tuple[float, float] | None:
    """Smallest and largest value of a numeric column in real units; None if it has none."""
    numbers = real_numbers(sweep.runs[column])
    if not np.isfinite(numbers).any():
        return None
    return float(np.nanmin(numbers)), float(np.nanmax(numbers))


def _in_any_range(numbers: np.ndarray, ranges: Iterable[tuple[float, float]]) -> np.ndarray:
    inside = np.zeros(numbers.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        for low, high in ranges:
            inside |= (numbers >= min(low, high)) & (numbers <= max(low, high))
    return inside


def threshold_mask(sweep: Sweep, threshold: Threshold) -> pd.Series:
    runs = sweep.runs
    if not threshold.is_active or threshold.column not in runs:
        return pd.Series(True, index=runs.index)
    values = runs[threshold.column]
    if reads_as_numbers(sweep, threshold.column):
        numbers = real_numbers(values)
        passed = _in_any_range(numbers, threshold.ranges)
        if threshold.include_missing:
            passed |= np.isnan(numbers)
        return pd.Series(passed, index=runs.index)
    labels = level_labels(values, sweep.kind(threshold.column))
    kept_levels = set(threshold.levels) | ({MISSING_LEVEL} if threshold.include_missing else set())
    return labels.isin(kept_levels)


def best_percent_mask(values: pd.Series, direction: Direction, percent: float) -> pd.Series:
    """Runs whose metric is among the best `percent` % of the runs that have one.

    The cut-off is the k-th best value, k = ceil(percent% of the runs with a value) (at least 1);
    every run as good as the cut-off is kept, so ties at the cut-off are all kept. Runs without a
    value are never kept.
    """
    numbers = real_numbers(values)
    present = ~np.isnan(numbers)
    n_present = int(present.sum())
    if n_present == 0 or not math.isfinite(percent) or percent <= 0:
        return pd.Series(False, index=values.index)
    k = min(n_present, max(1, math.ceil(n_present * min(percent, 100.0) / 100.0)))
    ordered = np.sort(numbers[present])
    if direction is Direction.MINIMIZE:
        passed = numbers <= ordered[k - 1]
    else:
        passed = numbers >= ordered[n_present - k]
    return pd.Series(passed & present, index=values.index)


def kept_mask(
    sweep: Sweep,
    thresholds: Sequence[Threshold] = (),
    best_percent: float | None = None,
    metric: str | None = None,
) -> pd.Series:
    """Runs passing every threshold and, when asked, among the best `best_percent` % by `metric`
    (ranked among all runs of the sweep, not only those passing the thresholds)."""
    mask = pd.Series(True, index=sweep.runs.index)
    for threshold in thresholds:
        mask &= threshold_mask(sweep, threshold)
    if best_percent is not None and metric is not None and metric in sweep.runs:
        mask &= best_percent_mask(sweep.runs[metric], sweep.direction(metric), best_percent)
    return mask


def kept_summary(mask: pd.Series) -> str:
    return f"{int(mask.sum()):,} of {len(mask):,} runs kept"


def best_first_positions(values: pd.Series, direction: Direction) -> np.ndarray:
    """Row positions ordered best first, runs without a value last; ties keep row order."""
    numbers = real_numbers(values)
    key = numbers if direction is Direction.MINIMIZE else -numbers
    return np.argsort(key, kind="stable")


def kept_runs_table(
    sweep: Sweep, kept_mask: pd.Series, metric: str | None, columns: Sequence[str]
) -> pd.DataFrame:
    """The kept runs, best first by `metric` (runs without it last): run name and state, metric, `columns`."""
    runs = sweep.runs
    wanted = [c for c in (RUN_NAME, RUN_STATE) if c in runs]
    if metric is not None and metric in runs:
        wanted.append(metric)
    wanted += [c for c in columns if c in runs and c not in wanted]
    kept = runs.loc[kept_mask.reindex(runs.index, fill_value=False).to_numpy(dtype=bool), wanted]
    if metric is None or metric not in runs:
        return kept
    return kept.iloc[best_first_positions(kept[metric], sweep.direction(metric))]
