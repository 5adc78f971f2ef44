"""Numbers, labels and ticks for chart axes: compact text in real units, log and time ticks."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from lib.values import compact_number, exponent_form, strip_zeros

MAX_LABEL_CHARS = 18
# Shorter labels where axes crowd (axes drawn -> at most this many characters; more axes: the last)
LABEL_CHARS_BY_AXES = ((8, MAX_LABEL_CHARS), (60, 14))


def by_axis_count(steps: Sequence[tuple[int, int]], n_axes: int) -> int:
    """The value of the first `(most axes, value)` step that `n_axes` fits in; past all, the last."""
    return next((value for most, value in steps if n_axes <= most), steps[-1][1])


def label_chars(n_axes: int) -> int:
    """How long an axis label may be when `n_axes` axes share the chart's width."""
    return by_axis_count(LABEL_CHARS_BY_AXES, n_axes)


def _ellipsize_middle(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return f"{text[:head]}…{text[len(text) - (limit - 1 - head) :]}"


def short_label(name: str, limit: int = MAX_LABEL_CHARS) -> str:
    """A readable axis label of at most `limit` characters: `model.encoder.dropout` becomes
    `model…dropout` (first and last dotted part), or `…dropout`, or a middle-ellipsized name."""
    if len(name) <= limit:
        return name
    parts = [p for p in re.split(r"[./]", name) if p]
    if len(parts) > 1:
        first_and_last = f"{parts[0]}…{parts[-1]}"
        if len(first_and_last) <= limit:
            return first_and_last
        if len(parts[-1]) < limit:
            return f"…{parts[-1]}"
        return _ellipsize_middle(parts[-1], limit)
    return _ellipsize_middle(name, limit)


def axis_labels(columns: Sequence[str], limit: int = MAX_LABEL_CHARS) -> dict[str, str]:
    """Column -> a short label, unique among `columns`."""
    labels = {c: short_label(c, limit) for c in columns}
    taken: set[str] = set()
    for column in columns:
        label = labels[column]
        if label in taken:
            label = _ellipsize_middle(column, limit)
        number = 2
        while label in taken:
            label = f"{_ellipsize_middle(column, limit - 3)}~{number}"
            number += 1
        labels[column] = label
        taken.add(label)
    return labels


# ---------------------------------------------------------------------------------------------
# Ticks


def _nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10 * magnitude


def linear_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """Round values (1, 2, 2.5 or 5 times a power of ten apart) from the last one at or below
    `low` to the first one at or above `high`: Plotly draws an axis line only between its ticks."""
    if not high > low:
        return [low]
    step = _nice_step(high - low, target)
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    return [round(i * step, 12) for i in range(first, last + 1)]


def linear_tick_text(ticks: Sequence[float]) -> list[str]:
    """Labels with as many decimals as the tick spacing needs, or `1.5e-4` style for tiny/huge."""
    if len(ticks) < 2:
        return [compact_number(t, 3) for t in ticks]
    step = abs(ticks[1] - ticks[0])
    largest = max(abs(t) for t in ticks)
    if step < 1e-3 or largest >= 1e5:
        digits = max(1, math.floor(math.log10(largest)) - math.floor(math.log10(step)) + 2)
        return [compact_number(t, min(digits, 6)) for t in ticks]
    decimals = next(d for d in range(7) if abs(round(step, d) - step) < step * 1e-6)
    return [strip_zeros(f"{t:.{decimals}f}") if decimals else f"{t:.0f}" for t in ticks]


def log_ticks(low: float, high: float) -> list[float]:
    """Tick positions in log10 units enclosing `low`..`high` (log10 units): decades (every
    other one or sparser past eight), plus 3x when the axis spans under three decades, plus 2x and
    5x under one; a narrower axis gets round real values."""
    span = high - low
    if span >= 3:
        every = max(1, math.ceil(span / 7))
        return [
            float(d)
            for d in range(math.floor(low / every) * every, math.ceil(high) + every, every)
            if d - every < high
        ]
    mantissas = (1, 3) if span >= 1 else (1, 2, 5)
    candidates = [
        d + math.log10(m) for d in range(math.floor(low) - 1, math.ceil(high) + 2) for m in mantissas
    ]
    below = max(t for t in candidates if t <= low + 1e-9)
    above = min(t for t in candidates if t >= high - 1e-9)
    ticks = [t for t in candidates if below <= t <= above]
    if len(ticks) < 4 and span > 0:
        real = [t for t in linear_ticks(10**low, 10**high) if t > 0]
        ticks = [math.log10(t) for t in real] if len(real) >= 2 else ticks
    return ticks


def log_tick_text(ticks: Sequence[float]) -> list[str]:
    """Real-unit labels for log10 tick positions: `1e-4`, `3e-4`; all plain when every tick lies
    between 0.01 and 99999, else plain only for 1 to 999 so one axis never mixes `0.01` and `1e-3`."""
    reals = [10**t for t in ticks]
    if all(0.01 <= r < 1e5 for r in reals):
        text = [compact_number(r, 2) for r in reals]
    else:
        text = [compact_number(r, 2) if 1 <= r < 1000 else exponent_form(r, 2) for r in reals]
    return text if len(set(text)) == len(text) else linear_tick_text(reals)


def integer_ticks(distinct: np.ndarray, low: float, high: float) -> list[float] | None:
    """Every value of an integer axis with few, well-separated values; None otherwise."""
    if len(distinct) > 10 or not np.all(distinct == np.round(distinct)):
        return None
    if len(distinct) > 1 and np.min(np.diff(distinct)) < 0.04 * (high - low):
        return None
    return [float(v) for v in distinct]


MINUTE, HOUR, DAY = 60, 3600, 86_400
SECOND_STEPS = (1, 5, 15, 30)
MINUTE_STEPS = (MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE)
HOUR_STEPS = (HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR)
DAY_STEPS = (DAY, 2 * DAY, 3 * DAY, 7 * DAY, 14 * DAY, 30 * DAY)
TIME_STEPS = SECOND_STEPS + MINUTE_STEPS + HOUR_STEPS + DAY_STEPS


def time_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """Seconds since the epoch at round times (whole minutes, hours, days...) enclosing low..high."""
    if not high > low:
        return [low]
    step = next((s for s in TIME_STEPS if s >= (high - low) / target), TIME_STEPS[-1])
    return [float(t) for t in range(math.floor(low / step) * step, math.ceil(high / step) * step + 1, step)]


def time_tick_text(ticks: Sequence[float]) -> list[str]:
    if len(ticks) < 2:
        fmt = "%Y-%m-%d %H:%M"
    else:
        step = ticks[1] - ticks[0]
        fmt = "%Y-%m-%d" if step >= DAY else "%m-%d %H:%M" if ticks[-1] - ticks[0] >= DAY else "%H:%M"
        fmt += ":%S" if step < MINUTE else ""
    return [pd.Timestamp(t, unit="s", tz="UTC").strftime(fmt) for t in ticks]
