"""The shape of the response: how the metric moves along each top parameter, and which pair interacts.

One random forest is fitted on all parameters (the importance forest's settings) and read with
scikit-learn's `partial_dependence`:
- a curve per parameter: the mean prediction as the parameter sweeps a grid while each run keeps its
  other values (partial dependence), with the 10-90% spread of the runs' own lines (ICE);
- the pair among the top parameters whose joint effect is least explained by adding their two
  curves (the interaction part of their 2-D partial dependence, as in Friedman's H), and its surface.
A parameter that exists only for some runs (momentum only for sgd) is read over the runs that have it.
Randomness comes only from `ForestSettings.seed`: the forest, and which runs are drawn as ICE lines.
The forest itself is `response_model`; the charts are drawn by `lib.figures.response`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.inspection import partial_dependence

from lib.analysis._fit import MIN_RUNS, ForestSettings
from lib.analysis.response_model import (
    ICE_BAND,
    GridAxis,
    ResponseModel,
    TreeAverage,
    fit_response_model,
    grid_axis,
    metric_values,
    model_grid,
)
from lib.columns import Direction, Kind
from lib.values import compact_number

DEFAULT_GRID = 25  # points per numeric curve
MAX_ICE_RUNS = 300  # runs whose lines make the band (and the mean); more cost time, not accuracy
INTERACTION_CANDIDATES = 5
INTERACTION_AXIS_POINTS = 10  # quantile points per numeric parameter when measuring interactions
SURFACE_GRID = 20  # points per numeric axis of the 2-D surface
NOTABLE_H_SQUARED = 0.1  # an interaction part under 10% of the pair's joint effect is not worth a look
MIN_JOINT_SHARE = 0.01  # a pair whose joint effect is under 1% of the metric's spread is not ranked by H²
PAIR_COLUMNS = ["first", "second", "strength", "joint", "h_squared", "ranked"]
FLAT_SHARE_OF_SPREAD = 0.05


@dataclass(frozen=True)
class ResponseCurve:
    """The metric along one parameter: `mean` is the partial dependence, the forest's mean prediction
    at each grid point (real units in `x`, or per level in `levels`); `ice_low`/`ice_high` the 10th
    and 90th percentile of the runs' own lines (ICE) there. `n_runs` runs with the metric have a
    value for the parameter, `n_missing` do not; `level_counts` counts runs per level;
    `metric_spread` is the metric's 10-90% range, a yardstick for how much the curve moves."""

    parameter: str
    kind: Kind
    log: bool
    x: np.ndarray
    levels: tuple[str, ...]
    mean: np.ndarray
    ice_low: np.ndarray
    ice_high: np.ndarray
    n_runs: int
    n_missing: int
    level_counts: tuple[int, ...] = ()
    metric_spread: float = float("nan")

    @property
    def is_levels(self) -> bool:
        return bool(self.levels)

    @property
    def swing(self) -> float:
        """How far the parameter moves the mean prediction, best point to worst."""
        return float(np.max(self.mean) - np.min(self.mean))

    def best_index(self, direction: Direction) -> int:
        return int(np.argmax(self.mean) if direction is Direction.MAXIMIZE else np.argmin(self.mean))

    def best_label(self, direction: Direction) -> str:
        i = self.best_index(direction)
        return self.levels[i] if self.is_levels else compact_number(float(self.x[i]), 2)


@dataclass(frozen=True)
class InteractionPair:
    """The pair of parameters that interacts most, and their 2-D partial dependence.

    `values[i, j]` is the mean prediction at `first` grid point i and `second` grid point j.
    `strength` is the root mean square of the interaction part (the 2-D effect minus the two 1-D
    effects, all centred) in metric units, `joint` that of the 2-D effect itself; `h_squared` is the
    interaction's share of the joint effect (Friedman's H², 0 = purely additive, 1 = purely
    interactive)."""

    first: GridAxis
    second: GridAxis
    values: np.ndarray
    strength: float
    joint: float
    h_squared: float
    metric_spread: float

    @property
    def pair(self) -> tuple[str, str]:
        return self.first.parameter, self.second.parameter

    @property
    def is_notable(self) -> bool:
        return self.h_squared >= NOTABLE_H_SQUARED and self.joint >= MIN_JOINT_SHARE * self.metric_spread


@dataclass(frozen=True)
class ResponseShape:
    """Everything the response page shows, as plain data (no fitted model: cheap to cache)."""

    metric: str
    curves: list[ResponseCurve]
    interaction: InteractionPair | None
    interactions: pd.DataFrame  # every candidate pair, strongest first (see `interaction_strengths`)
    n_runs: int
    n_without_metric: int
    r2: float | None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# The model


def _ice_rows(present: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
    rows = np.flatnonzero(present)
    return rows if len(rows) <= cap else np.sort(rng.choice(rows, size=cap, replace=False))


def _curve(model: ResponseModel, param: str, resolution: int, max_ice_runs: int) -> ResponseCurve | None:
    col = model.column(param)
    present = ~np.isnan(model.matrix[:, col])
    grid = model_grid(model, param, resolution)
    if grid.size == 0:
        return None
    # One generator per parameter, so a curve does not depend on which others were asked for.
    rows = _ice_rows(present, max_ice_runs, np.random.default_rng([model.seed, col]))
    result = partial_dependence(
        TreeAverage(model.forest),
        model.matrix[rows],
        col,
        categorical_features=[col] if param in model.levels else None,
        custom_values={col: grid},
        kind="both",
    )
    individual = result["individual"][0]
    low, high = np.quantile(individual, ICE_BAND, axis=0)
    axis = grid_axis(model, param, grid)
    counts = tuple(int(np.sum(model.matrix[present, col] == code)) for code in grid) if axis.is_levels else ()
    return ResponseCurve(
        parameter=param,
        kind=axis.kind,
        log=axis.log,
        x=axis.x,
        levels=axis.levels,
        mean=result["average"][0],
        ice_low=low,
        ice_high=high,
        n_runs=int(present.sum()),
        n_missing=int((~present).sum()),
        level_counts=counts,
        metric_spread=model.metric_spread,
    )


def response_curves(
    model: ResponseModel,
    params: Sequence[str],
    *,
    grid_resolution: int = DEFAULT_GRID,
    max_ice_runs: int = MAX_ICE_RUNS,
) -> list[ResponseCurve]:
    """One curve per parameter in `params` (in that order) that the model knows and has values."""
    curves = (_curve(model, p, grid_resolution, max_ice_runs) for p in params if p in model.params)
    return [c for c in curves if c is not None]


# ---------------------------------------------------------------------------------------------
# Interactions


def _weighted_axis(model: ResponseModel, param: str, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Points standing for the runs' values, with the share of runs each stands for: quantiles for
    numbers (so the measure weighs regions by how many runs are there), levels by frequency."""
    values = model.matrix[:, model.column(param)]
    present = values[~np.isnan(values)]
    if param not in model.levels and len(np.unique(present)) > n_points:
        present = np.quantile(present, (np.arange(n_points) + 0.5) / n_points)
    points, counts = np.unique(present, return_counts=True)
    return points, counts / counts.sum()


def _recursion_pd(model: ResponseModel, cols: tuple[int, ...], grids: Sequence[np.ndarray]) -> np.ndarray:
    """Partial dependence by the forest's tree recursion, fast enough to try every pair where brute
    force would predict once per grid cell. It averages over all the runs the forest was fitted on,
    so a conditional parameter's surface also spreads over runs that lack it (the curves do not)."""
    result = partial_dependence(
        model.forest,
        model.matrix,
        cols if len(cols) > 1 else cols[0],
        custom_values=dict(zip(cols, grids, strict=True)),
        kind="average",
        method="recursion",
    )
    return result["average"][0]


def _centred(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return values - np.sum(values * weights)


def interaction_strengths(
    model: ResponseModel, candidates: Sequence[str], *, axis_points: int = INTERACTION_AXIS_POINTS
) -> pd.DataFrame:
    """Every pair of `candidates`: `strength` (RMS of the interaction part, metric units), `joint`
    (RMS of the pair's 2-D effect) and `h_squared` (the interaction's share of it), ranked by H²
    among the pairs whose joint effect is at least 1% of the metric's spread (`ranked`), then the rest.

    H², not the size of the interaction part, ranks: a forest fitting two large main effects leaves
    non-additive wiggles bigger in metric units than a real but smaller interaction."""
    axes = {}
    for param in dict.fromkeys(p for p in candidates if p in model.params):
        points, weights = _weighted_axis(model, param, axis_points)
        if len(points) > 1:
            axes[param] = (points, weights)
    one_d = {p: _centred(_recursion_pd(model, (model.column(p),), [pts]), w) for p, (pts, w) in axes.items()}
    rows = []
    for a, b in combinations(axes, 2):
        (pa, wa), (pb, wb) = axes[a], axes[b]
        weights = np.outer(wa, wb)
        joint = _centred(_recursion_pd(model, (model.column(a), model.column(b)), [pa, pb]), weights)
        interaction = joint - one_d[a][:, None] - one_d[b][None, :]
        total = float(np.sum(weights * joint**2))
        residual = float(np.sum(weights * interaction**2))
        rows.append(
            {
                "first": a,
                "second": b,
                "strength": math.sqrt(residual),
                "joint": math.sqrt(total),
                "h_squared": min(residual / total, 1.0) if total > 0 else 0.0,
                "ranked": math.sqrt(total) >= MIN_JOINT_SHARE * model.metric_spread,
            }
        )
    table = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    return table.sort_values(["ranked", "h_squared"], ascending=False, kind="stable").reset_index(drop=True)


def _number(row: Mapping[Hashable, object], key: str) -> float:
    value = row[key]
    if not isinstance(value, int | float):
        raise TypeError(f"{key} is not a number: {value!r}")
    return float(value)


def interaction_surface(
    model: ResponseModel, row: Mapping[Hashable, object], *, grid_resolution: int = SURFACE_GRID
) -> InteractionPair:
    """The 2-D partial dependence of one row of `interaction_strengths`, over each parameter's range."""
    first, second = str(row["first"]), str(row["second"])
    grids = [model_grid(model, p, grid_resolution) for p in (first, second)]
    values = _recursion_pd(model, (model.column(first), model.column(second)), grids)
    return InteractionPair(
        first=grid_axis(model, first, grids[0]),
        second=grid_axis(model, second, grids[1]),
        values=values,
        strength=_number(row, "strength"),
        joint=_number(row, "joint"),
        h_squared=_number(row, "h_squared"),
        metric_spread=model.metric_spread,
    )


def strongest_interaction(
    model: ResponseModel,
    candidates: Sequence[str],
    *,
    axis_points: int = INTERACTION_AXIS_POINTS,
    grid_resolution: int = SURFACE_GRID,
) -> InteractionPair | None:
    """The first pair of `interaction_strengths`, with its 2-D surface; None with fewer than two
    candidates that vary. Read `is_notable` before calling it an interaction."""
    table = interaction_strengths(model, candidates, axis_points=axis_points)
    if table.empty:
        return None
    return interaction_surface(model, table.iloc[0].to_dict(), grid_resolution=grid_resolution)


# ---------------------------------------------------------------------------------------------
# One call for the page


def response_shape(
    runs: pd.DataFrame,
    params: Sequence[str],
    metric: str,
    *,
    top: Sequence[str],
    kinds: Mapping[str, Kind] | None = None,
    n_candidates: int = INTERACTION_CANDIDATES,
    grid_resolution: int = DEFAULT_GRID,
    settings: ForestSettings | None = None,
) -> ResponseShape:
    """Curves for `top` and the strongest interaction among `top[:n_candidates]`, from one forest
    fitted on all `params`. Deterministic given `settings.seed`."""
    y = metric_values(runs, metric)
    n_runs, n_without = int(np.sum(~np.isnan(y))), int(np.sum(np.isnan(y)))
    empty_pairs = pd.DataFrame(columns=PAIR_COLUMNS)
    if n_runs < MIN_RUNS or not params:
        note = f"{n_runs} runs have a value for {metric}; the response needs at least {MIN_RUNS}."
        return ResponseShape(metric, [], None, empty_pairs, n_runs, n_without, None, [note])
    model = fit_response_model(runs, params, metric, kinds=kinds, settings=settings)
    wanted = [p for p in dict.fromkeys(top) if p in model.params]
    notes = [f"{p} is not among the parameters analysed." for p in top if p not in model.params]
    curves = response_curves(model, wanted, grid_resolution=grid_resolution)
    notes += [
        f"{p} has no value in any run with {metric}."
        for p in wanted
        if p not in {c.parameter for c in curves}
    ]
    table = interaction_strengths(model, wanted[:n_candidates])
    pair = interaction_surface(model, table.iloc[0].to_dict()) if not table.empty else None
    return ResponseShape(metric, curves, pair, table, n_runs, n_without, model.r2, notes)


# ---------------------------------------------------------------------------------------------
# Words


def _value(value: float) -> str:
    return compact_number(value, 3)


def curve_summary(curve: ResponseCurve, metric: str, direction: Direction) -> str:
    """One or two sentences: where the metric is best along the parameter and how much it moves."""
    worst = int(np.argmin(curve.mean) if direction is Direction.MAXIMIZE else np.argmax(curve.mean))
    best = curve.best_index(direction)
    if curve.is_levels:
        text = (
            f"Predicted {metric} is best with {curve.parameter} = {curve.levels[best]} "
            f"({_value(curve.mean[best])}) and worst with {curve.levels[worst]} "
            f"({_value(curve.mean[worst])})."
        )
    else:
        span = f"{compact_number(float(curve.x[0]), 2)} – {compact_number(float(curve.x[-1]), 2)}"
        text = (
            f"Across {curve.parameter} {span}, predicted {metric} moves by {_value(curve.swing)} "
            f"and is best near {curve.best_label(direction)} ({_value(curve.mean[best])})."
        )
    if curve.swing < FLAT_SHARE_OF_SPREAD * curve.metric_spread:
        text += f" That is nearly flat: {curve.parameter} barely matters on its own."
    if curve.n_missing:
        text += f" Read over the {curve.n_runs} runs that have {curve.parameter}; {curve.n_missing} do not."
    return text


def interaction_summary(pair: InteractionPair, metric: str) -> str:
    a, b = pair.pair
    share = f"{pair.h_squared:.0%} of their joint effect"
    if not pair.is_notable:
        return (
            f"No strong interaction among the top parameters: the strongest, {a} × {b}, departs from "
            f"the sum of their separate effects by {_value(pair.strength)} {metric} ({share})."
        )
    return (
        f"{a} and {b} interact: the best value of one depends on the other. Their joint effect departs "
        f"from the sum of their separate effects by {_value(pair.strength)} {metric} on average ({share})."
    )
