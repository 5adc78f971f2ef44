"""Timing shared by the benchmark scripts: the best of a few runs, in milliseconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def best_of(fn: Callable[[], T], repeat: int = 3) -> tuple[T, float]:
    """`fn()`'s result and its fastest wall time in seconds over `repeat` calls."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best  # type: ignore[return-value]


def timed(label: str, fn: Callable[[], T], repeat: int = 3, width: int = 44) -> T:
    """Run `fn` as `best_of` does and print `label` with the time."""
    result, best = best_of(fn, repeat)
    print(f"  {label:<{width}} {best * 1000:8.0f} ms")
    return result
