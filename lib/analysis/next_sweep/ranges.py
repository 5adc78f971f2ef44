"""Narrowing a numeric range: widened by a margin, rounded outward, clipped to the original bounds."""

from __future__ import annotations

import math

SIGNIFICANT_DIGITS = 3


def _floor_to(x: float, quantum: float) -> float:
    return round(math.floor(x / quantum) * quantum, max(0, -math.floor(math.log10(quantum))))


def _ceil_to(x: float, quantum: float) -> float:
    return round(math.ceil(x / quantum) * quantum, max(0, -math.floor(math.log10(quantum))))


def _significant_quantum(x: float) -> float:
    return 10.0 ** (math.floor(math.log10(abs(x))) - (SIGNIFICANT_DIGITS - 1))


def widened_range(low: float, high: float, margin: float, log: bool) -> tuple[float, float]:
    """`[low, high]` widened by `margin` of its span on each side (on the log10 scale when `log`),
    then rounded outward to `SIGNIFICANT_DIGITS` (of each bound when `log`, of the span if not)."""
    if log:
        a, b = math.log10(low), math.log10(high)
        pad = margin * (b - a)
        lo, hi = 10.0 ** (a - pad), 10.0 ** (b + pad)
        return _floor_to(lo, _significant_quantum(lo)), _ceil_to(hi, _significant_quantum(hi))
    pad = margin * (high - low)
    lo, hi = low - pad, high + pad
    quantum = _significant_quantum(hi - lo)
    return _floor_to(lo, quantum), _ceil_to(hi, quantum)


def integer_range(low: float, high: float, widened: tuple[float, float]) -> tuple[int, int]:
    """Integer bounds of a widened range that still hold every kept value."""
    lo = min(int(low), math.floor(widened[0] + 0.5))
    hi = max(int(high), math.floor(widened[1] + 0.5))
    return (max(lo, 1) if low >= 1 else lo), hi


def clipped(
    lo: float, hi: float, bounds: tuple[float, float] | None, integer: bool
) -> tuple[float, float, str]:
    """The range clipped to the original sweep's bounds, with a note of what happened."""
    if bounds is None:
        return lo, hi, ""
    low_bound, high_bound = bounds
    if integer:
        low_bound, high_bound = math.ceil(low_bound), math.floor(high_bound)
    new_lo, new_hi = max(lo, low_bound), min(hi, high_bound)
    if new_lo >= new_hi:
        return lo, hi, "; the kept runs lie outside the original range, so it is not clipped"
    if (new_lo, new_hi) == (lo, hi):
        return lo, hi, ""
    return new_lo, new_hi, ", clipped to the original range"
