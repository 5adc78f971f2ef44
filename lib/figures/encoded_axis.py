"""A sweep's column as the numbers a chart draws: log10 or levels as codes, real-unit ticks, "(missing)".

Plotly's parallel coordinates have neither log nor categorical axes, and the sampling panels share
their encoding: log10 for log axes, integer codes for levels, `tickvals`/`ticktext` in real units,
and runs without a value on a "(missing)" tick just beyond the axis's range instead of dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lib.columns import Direction, Kind
from lib.figures._axis import (
    integer_ticks,
    linear_tick_text,
    linear_ticks,
    log_tick_text,
    log_ticks,
    time_tick_text,
    time_ticks,
)
from lib.sweep import RUN_CREATED, Sweep
from lib.values import (
    FALSE_LEVEL,
    MISSING_LEVEL,
    OTHER_LEVEL,
    TRUE_LEVEL,
    AxisScale,
    level_labels,
    log10_positive,
    natural_order,
    reads_as_numbers,
    real_numbers,
    resolved_scale,
)

RUN_ORDER = "(run order)"  # colour choice: creation order when known, else row order
MAX_AXIS_LEVELS = 12
MISSING_GAP = 0.1  # the "(missing)" tick sits this share of the axis span beyond its end


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

    @property
    def present(self) -> np.ndarray:
        """Which runs have a value (bool per run)."""
        if self.missing_at is None:
            return np.ones(len(self.values), dtype=bool)
        return self.values != self.missing_at


def _with_missing(
    column: str, scale: str, encoded: np.ndarray, ticks: list[float], text: list[str], *, below: bool = True
) -> EncodedAxis:
    """Put runs without a value on a "(missing)" tick set apart beyond one end of the axis: below
    the bottom, or above the top when `below` is False (a minimized metric's worst end), so it
    never reads as better than the best."""
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
    gap = MISSING_GAP * (extent_high - extent_low)
    # float32-exact, as the chart sends values as float32: the tick then sits exactly on its lines
    missing_at = float(np.float32(extent_low - gap if below else extent_high + gap))
    values = np.where(present, encoded, missing_at)
    extent = (missing_at, extent_high) if below else (extent_low, missing_at)
    tickvals = [missing_at, *ticks] if below else [*ticks, missing_at]
    ticktext = [MISSING_LEVEL, *text] if below else [*text, MISSING_LEVEL]
    return EncodedAxis(column, scale, values, low, high, extent, tickvals, ticktext, missing_at, n_missing)


def numeric_axis(
    column: str, numbers: np.ndarray, log: bool = False, *, missing_below: bool = True
) -> EncodedAxis:
    """A numeric column (real units, NaN for missing) as a linear or log10 axis."""
    encoded = log10_positive(numbers) if log else np.asarray(numbers, dtype=float)
    present = encoded[~np.isnan(encoded)]
    if present.size == 0:
        return _with_missing(column, "log" if log else "linear", encoded, [], [], below=missing_below)
    low, high = float(present.min()), float(present.max())
    if log:
        ticks = log_ticks(low, high) if high > low else [low]
        text = log_tick_text(ticks)
    else:
        ticks = integer_ticks(np.unique(present), low, high) or linear_ticks(low, high)
        text = linear_tick_text(ticks)
    return _with_missing(column, "log" if log else "linear", encoded, ticks, text, below=missing_below)


def levels_axis(
    column: str,
    labels: pd.Series,
    keep: Iterable[str] = (),
    max_levels: int = MAX_AXIS_LEVELS,
    boolean: bool = False,
) -> EncodedAxis:
    """Labels as integer codes: the commonest `max_levels - 1` levels (and any in `keep`) by name,
    the rest pooled into "(other)"; "(missing)" first, at the bottom."""
    counts = labels[labels != MISSING_LEVEL].value_counts()
    shown = list(counts.index)
    pooled = len(shown) > max_levels
    if pooled:
        kept = set(keep)
        shown = [lvl for i, lvl in enumerate(counts.index) if i < max_levels - 1 or lvl in kept]
    order = [lvl for lvl in (FALSE_LEVEL, TRUE_LEVEL) if lvl in shown] if boolean else natural_order(shown)
    order += [OTHER_LEVEL] if pooled else []
    order = ([MISSING_LEVEL] if (labels == MISSING_LEVEL).any() else []) + order
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
    """`column` of the sweep's runs on the axis its kind (or the `scales` override) calls for."""
    if reads_as_numbers(sweep, column):
        log = resolved_scale(sweep, column, scales or {}) is AxisScale.LOG
        worst_on_top = column in sweep.metrics and sweep.direction(column) is Direction.MINIMIZE
        return numeric_axis(column, real_numbers(sweep.runs[column]), log=log, missing_below=not worst_on_top)
    kind = sweep.kind(column)
    labels = level_labels(sweep.runs[column], kind)
    return levels_axis(column, labels, keep=keep_levels, boolean=kind is Kind.BOOLEAN)


def run_order_axis(sweep: Sweep) -> tuple[EncodedAxis, str]:
    """Each run's place in creation order (row order when no run has a time), and its title."""
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


def created_axis(sweep: Sweep) -> EncodedAxis:
    """Creation times as seconds since the epoch, ticks at round times labelled as dates."""
    created = pd.to_datetime(sweep.runs[RUN_CREATED], utc=True, errors="coerce")
    seconds = (created - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)
    present = seconds[~np.isnan(seconds)]
    ticks = time_ticks(float(present.min()), float(present.max())) if present.size else []
    return _with_missing(RUN_CREATED, "linear", seconds, ticks, time_tick_text(ticks))
