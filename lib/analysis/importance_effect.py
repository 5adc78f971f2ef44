"""Which way each parameter pushes the metric: a signed effect from the forests' partial dependence.

A parameter is set in turn to each value of a grid for a sample of the runs that have it (the
other parameters left as they are, a branch's children with it when it is a parent) and the
forests' predictions are averaged: its partial dependence (PD), in the metric's units.
- numbers (log-scaled on the log scale): a grid of quantiles of the observed values; `value` is PD
  at the high end minus PD at the low end (positive: raising it raises the metric), and the text
  says when the best lies inside the range ("higher is better up to 0.03, then worse").
- booleans: PD(true) − PD(false).
- categoricals: PD of the highest level minus the lowest (≥ 0); the text names the best level.
Better/worse need the metric's direction; without it the text says raises/lowers.
Randomness: which runs are averaged over, from `seed`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lib.analysis._fit import Forest
from lib.analysis.encoding import Design
from lib.columns import Direction, Kind
from lib.values import compact_number

GRID_POINTS = 8
GRID_QUANTILES = (0.05, 0.95)
MAX_PD_ROWS = 150
MAX_PD_FORESTS = 5
PEAK_MARGIN = 0.25  # an inner best must beat both ends by this share of the PD's range
PD_SEED_OFFSET = 20_011


@dataclass(frozen=True)
class Effect:
    value: float  # metric units, signed (see the module docstring); NaN when not defined
    text: str


def _numeric_grid(values: np.ndarray) -> np.ndarray:
    distinct = np.unique(values)
    if len(distinct) <= GRID_POINTS:
        return distinct
    return np.unique(np.quantile(values, np.linspace(*GRID_QUANTILES, GRID_POINTS)))


class _Batch:
    """Partial dependences of many parameters, predicted in one call per forest: one call per
    parameter and forest costs more in overhead than in trees on small sweeps."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        self.copies: list[np.ndarray] = []

    def add(self, rows: np.ndarray, cols: list[int], grid: np.ndarray) -> slice:
        start = sum(len(c) for c in self.copies)
        for values in grid:
            copy = self.x[rows].copy()
            copy[:, cols] = values
            self.copies.append(copy)
        return slice(start, start + len(grid) * len(rows))

    def predict(self, forests: Sequence[Forest]) -> np.ndarray:
        if not self.copies:
            return np.empty(0)
        stacked = np.vstack(self.copies)
        return np.mean([forest.predict(stacked) for forest in forests], axis=0)


def _words(direction: Direction | None) -> tuple[str, str]:
    if direction is Direction.MAXIMIZE:
        return "better", "worse"
    if direction is Direction.MINIMIZE:
        return "worse", "better"
    return "raises the metric", "lowers it"


def _number_text(pd_values: np.ndarray, grid: np.ndarray, kind: Kind, direction: Direction | None) -> str:
    up, down = _words(direction)
    sign = -1.0 if direction is Direction.MINIMIZE else 1.0
    goodness = sign * pd_values
    best = int(np.argmax(goodness))
    span = float(goodness.max() - goodness.min())
    at = compact_number(float(10 ** grid[best]) if kind is Kind.LOG else float(grid[best]))
    inner = 0 < best < len(grid) - 1
    if (
        span > 0
        and inner
        and min(goodness[best] - goodness[0], goodness[best] - goodness[-1]) > PEAK_MARGIN * span
    ):
        if direction is None:
            return f"higher raises the metric up to {at}, then lowers it"
        return f"higher is better up to {at}, then worse"
    change = pd_values[-1] - pd_values[0]
    if change == 0:
        return "no visible effect"
    word = up if change > 0 else down
    return f"higher {word}" if direction is None else f"higher is {word}"


def _boolean_text(change: float, direction: Direction | None) -> str:
    if change == 0:
        return "no visible effect"
    up, down = _words(direction)
    word = up if change > 0 else down
    return f"true {word}" if direction is None else f"true is {word}"


def _level_text(levels: list[str], pd_values: np.ndarray, direction: Direction | None) -> str:
    order = np.argsort(pd_values)
    high, low = levels[order[-1]], levels[order[0]]
    if direction is None:
        return f"highest at {high}, lowest at {low}"
    best, worst = (high, low) if direction is Direction.MAXIMIZE else (low, high)
    return f"best level: {best}, worst: {worst}"


@dataclass(frozen=True)
class _Plan:
    kind: Kind
    grid: np.ndarray  # one row per grid point, one column per encoded column
    levels: list[str]
    where: slice  # of the batch's predictions
    n_rows: int


def _plan(design: Design, param: str, kind: Kind, rows: np.ndarray, batch: _Batch) -> _Plan | None:
    cols = design.groups[param]
    levels: list[str] = []
    if kind is Kind.CATEGORICAL:
        grid = np.eye(len(cols))
        levels = [design.columns[c].removeprefix(f"{param}=") for c in cols]
    else:
        values = design.matrix[design.present[param], cols[0]]
        grid = _numeric_grid(values[np.isfinite(values)])[:, None]
    if len(grid) < 2:
        return None
    return _Plan(kind, grid, levels, batch.add(rows, cols, grid), len(rows))


def _effect(plan: _Plan, predictions: np.ndarray, direction: Direction | None) -> Effect:
    pd_values = predictions[plan.where].reshape(len(plan.grid), plan.n_rows).mean(axis=1)
    if plan.kind is Kind.CATEGORICAL:
        return Effect(
            float(pd_values.max() - pd_values.min()), _level_text(plan.levels, pd_values, direction)
        )
    change = float(pd_values[-1] - pd_values[0])
    if plan.kind is Kind.BOOLEAN:
        return Effect(change, _boolean_text(change, direction))
    return Effect(change, _number_text(pd_values, plan.grid[:, 0], plan.kind, direction))


def signed_effects(
    design: Design,
    forests: Sequence[Forest],
    kinds: Mapping[str, Kind],
    *,
    direction: Direction | None,
    seed: int,
) -> dict[str, Effect]:
    """Per parameter, its signed partial-dependence `Effect` (see the module docstring), averaged
    over up to `MAX_PD_FORESTS` of `forests` and `MAX_PD_ROWS` runs that have the parameter."""
    rng = np.random.default_rng(seed + PD_SEED_OFFSET)
    batch = _Batch(design.matrix)
    plans: dict[str, _Plan | None] = {}
    for param in design.groups:
        present = np.flatnonzero(design.present[param])
        if len(present) > MAX_PD_ROWS:
            present = np.sort(rng.choice(present, MAX_PD_ROWS, replace=False))
        plans[param] = _plan(design, param, kinds[param], present, batch) if len(present) else None
    predictions = batch.predict(forests[:MAX_PD_FORESTS]) if forests else np.empty(0)
    return {
        param: _effect(plan, predictions, direction) if plan else Effect(float("nan"), "takes a single value")
        for param, plan in plans.items()
    }
