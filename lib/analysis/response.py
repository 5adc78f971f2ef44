"""The shape of the response: how the metric moves along each top parameter, and which pair interacts.

One random forest is fitted on all parameters (the importance forest's settings) and read with
scikit-learn's `partial_dependence`:
- a curve per parameter: the mean prediction as the parameter sweeps a grid while each run keeps its
  other values (partial dependence), with the 10-90% spread of the runs' own lines (ICE);
- the pair among the top parameters whose joint effect is least explained by adding their two
  curves (the interaction part of their 2-D partial dependence, as in Friedman's H), and its surface.
A parameter that exists only for some runs (momentum only for sgd) is read over the runs that have it.
Randomness comes only from `ForestSettings.seed`: the forest, and which runs are drawn as ICE lines.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import RandomForestRegressor
from sklearn.inspection import partial_dependence

from lib.analysis._fit import MIN_RUNS, ForestSettings, forest_for, model_kind, subsample_rows
from lib.columns import Direction, Kind, infer_kind
from lib.figures._axis import log_tick_text, log_ticks
from lib.figures._common import PLAIN_LINE_COLOUR, base_layout
from lib.values import (
    FALSE_LEVEL,
    MISSING_LEVEL,
    TRUE_LEVEL,
    category_labels,
    compact_number,
    level_labels,
    numeric_values,
    real_numbers,
)

DEFAULT_GRID = 25  # points per numeric curve
MAX_ICE_RUNS = 300  # runs whose lines make the band (and the mean); more cost time, not accuracy
ICE_BAND = (0.1, 0.9)
INTERACTION_CANDIDATES = 5
INTERACTION_AXIS_POINTS = 10  # quantile points per numeric parameter when measuring interactions
SURFACE_GRID = 20  # points per numeric axis of the 2-D surface
NOTABLE_H_SQUARED = 0.1  # an interaction part under 10% of the pair's joint effect is not worth a look
MIN_JOINT_SHARE = 0.01  # a pair whose joint effect is under 1% of the metric's spread is not ranked by H²
PAIR_COLUMNS = ["first", "second", "strength", "joint", "h_squared", "ranked"]
FLAT_SHARE_OF_SPREAD = 0.05
BAND_COLOUR = "rgba(59, 111, 182, 0.18)"
POINT_COLOUR = "rgba(90, 90, 90, 0.35)"
BEST_COLOUR = "#16a34a"
MAX_SVG_POINTS = 3000  # above this, runs are drawn with WebGL


@dataclass(frozen=True)
class ResponseModel:
    """The fitted forest and the runs it was fitted on, one column per parameter.

    Numbers are on the scale they are read on (log10 for log-scaled), booleans 0/1, categoricals
    ordinal codes into `levels[param]`; NaN where a run has no value. Categoricals are codes, not
    one-hot columns (as in the importance forest): a forest isolates any level with two splits, and
    one column per parameter lets `partial_dependence` read levels and pairs like numbers, with an
    ICE spread per level, where a one-hot block would need hand-made averaging.
    """

    forest: RandomForestRegressor
    matrix: np.ndarray
    params: list[str]
    kinds: dict[str, Kind]
    levels: dict[str, tuple[str, ...]]
    y: np.ndarray
    n_without_metric: int
    r2: float | None  # out-of-bag
    seed: int

    def column(self, param: str) -> int:
        return self.params.index(param)

    @property
    def metric_spread(self) -> float:
        """The metric's 10-90% range over the runs: the yardstick for "flat" and "notable"."""
        low, high = np.quantile(self.y, ICE_BAND)
        return float(high - low)


@dataclass(frozen=True)
class GridAxis:
    """Where a parameter is evaluated: `x` in real units for numbers, or `levels` labels."""

    parameter: str
    kind: Kind
    log: bool
    x: np.ndarray
    levels: tuple[str, ...] = ()

    @property
    def is_levels(self) -> bool:
        return bool(self.levels)

    @property
    def labels(self) -> list[str]:
        return list(self.levels) if self.is_levels else [compact_number(float(v), 3) for v in self.x]


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


def _natural_order(levels: set[str]) -> list[str]:
    """Numbers by value (16 before 128), other text alphabetically."""
    try:
        return sorted(levels, key=float)
    except ValueError:
        return sorted(levels, key=lambda s: (s.casefold(), s))


def _model_column(values: pd.Series, kind: Kind) -> tuple[np.ndarray, tuple[str, ...] | None]:
    if kind is Kind.BOOLEAN:
        return numeric_values(values, kind), (FALSE_LEVEL, TRUE_LEVEL)
    if kind is Kind.CATEGORICAL:
        labels = category_labels(values)
        levels = tuple(_natural_order(set(labels) - {MISSING_LEVEL}))
        codes = labels.map({level: float(i) for i, level in enumerate(levels)})
        return codes.to_numpy(dtype=float, na_value=np.nan), levels
    return numeric_values(values, kind), None


def metric_values(runs: pd.DataFrame, metric: str) -> np.ndarray:
    """The metric as floats; missing and infinite values as NaN."""
    return real_numbers(runs[metric])


def fit_response_model(
    runs: pd.DataFrame,
    params: Sequence[str],
    metric: str,
    *,
    kinds: Mapping[str, Kind] | None = None,
    settings: ForestSettings | None = None,
) -> ResponseModel:
    """Fit the forest on the runs that have `metric` (ValueError if fewer than `MIN_RUNS`)."""
    settings = settings or ForestSettings()
    y_all = metric_values(runs, metric)
    has_metric = ~np.isnan(y_all)
    used, y = runs[has_metric], y_all[has_metric]
    if len(used) < MIN_RUNS or not params:
        raise ValueError(
            f"{len(used)} runs have a value for {metric}; the response needs at least {MIN_RUNS}."
        )
    given = kinds or {}
    model_kinds = {p: model_kind(used, p, given.get(p) or infer_kind(used[p], p)) for p in params}
    columns, levels = [], {}
    for param in params:
        values, param_levels = _model_column(used[param], model_kinds[param])
        columns.append(values)
        if param_levels is not None:
            levels[param] = param_levels
    matrix = np.column_stack(columns)
    rows = subsample_rows(len(y), settings.max_fit_rows, np.random.default_rng(settings.seed))
    forest = forest_for(settings, len(rows), oob=True).fit(matrix[rows], y[rows])
    # Partial dependence predicts many small batches, where threads cost more than they save.
    forest.set_params(n_jobs=1)
    r2 = float(forest.oob_score_) if np.var(y[rows]) > 0 else None
    return ResponseModel(
        forest, matrix, list(params), model_kinds, levels, y, int((~has_metric).sum()), r2, settings.seed
    )


# ---------------------------------------------------------------------------------------------
# Curves


class TreeAverage(RegressorMixin, BaseEstimator):
    """A fitted forest's prediction, the mean of its trees', without the per-call task dispatch of
    `RandomForestRegressor.predict`: brute-force partial dependence predicts once per grid point on a
    few hundred runs, where that dispatch is half the time. Same numbers as `forest.predict`."""

    def __init__(self, forest: RandomForestRegressor) -> None:
        self.forest = forest

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def fit(self, x: np.ndarray, y: np.ndarray) -> TreeAverage:
        """Refit the wrapped forest (scikit-learn's estimator contract); the response code passes a
        forest that is already fitted and never calls this."""
        self.forest.fit(x, y)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        rows = np.ascontiguousarray(x, dtype=np.float32)  # what the forest's own predict feeds its trees
        total = np.zeros(len(rows))
        for tree in self.forest.estimators_:
            total += tree.predict(rows, check_input=False)
        return total / len(self.forest.estimators_)


def _model_grid(model: ResponseModel, param: str, resolution: int) -> np.ndarray:
    """Grid on the model's scale: every level, every distinct value when few, else an even grid
    from the smallest to the largest value (even in log10 for log-scaled parameters)."""
    values = model.matrix[:, model.column(param)]
    distinct = np.unique(values[~np.isnan(values)])
    if param in model.levels or len(distinct) <= resolution:
        return distinct
    grid = np.linspace(distinct[0], distinct[-1], resolution)
    return np.unique(np.round(grid)) if model.kinds[param] is Kind.INTEGER else grid


def _grid_axis(model: ResponseModel, param: str, grid: np.ndarray) -> GridAxis:
    kind = model.kinds[param]
    if param in model.levels:
        labels = tuple(model.levels[param][int(code)] for code in grid)
        return GridAxis(param, kind, False, np.array([]), labels)
    log = kind is Kind.LOG
    return GridAxis(param, kind, log, 10**grid if log else grid.copy())


def _ice_rows(present: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
    rows = np.flatnonzero(present)
    return rows if len(rows) <= cap else np.sort(rng.choice(rows, size=cap, replace=False))


def _curve(model: ResponseModel, param: str, resolution: int, max_ice_runs: int) -> ResponseCurve | None:
    col = model.column(param)
    present = ~np.isnan(model.matrix[:, col])
    grid = _model_grid(model, param, resolution)
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
    axis = _grid_axis(model, param, grid)
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


def interaction_surface(
    model: ResponseModel, row: Mapping[str, object], *, grid_resolution: int = SURFACE_GRID
) -> InteractionPair:
    """The 2-D partial dependence of one row of `interaction_strengths`, over each parameter's range."""
    first, second = str(row["first"]), str(row["second"])
    grids = [_model_grid(model, p, grid_resolution) for p in (first, second)]
    values = _recursion_pd(model, (model.column(first), model.column(second)), grids)
    return InteractionPair(
        first=_grid_axis(model, first, grids[0]),
        second=_grid_axis(model, second, grids[1]),
        values=values,
        strength=float(row["strength"]),  # type: ignore[arg-type]
        joint=float(row["joint"]),  # type: ignore[arg-type]
        h_squared=float(row["h_squared"]),  # type: ignore[arg-type]
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


# ---------------------------------------------------------------------------------------------
# Figures


def _layout(title: str, height: int) -> dict:
    return {
        "title": {"text": title, "font": {"size": 14}, "x": 0, "xanchor": "left"},
        **base_layout(height, {"l": 64, "r": 24, "t": 64, "b": 56}),
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        "hovermode": "closest",
    }


def _log_axis(low: float, high: float) -> dict:
    """A log axis (values in real units) with real-unit tick labels from log10 bounds."""
    ticks = log_ticks(low, high) if high > low else [low]
    return {"type": "log", "tickvals": [10**t for t in ticks], "ticktext": log_tick_text(ticks)}


def _log_coordinate_axis(low: float, high: float) -> dict:
    """A linear axis whose coordinates are log10 values, labelled in real units (for heatmaps)."""
    ticks = log_ticks(low, high) if high > low else [low]
    return {"tickvals": ticks, "ticktext": log_tick_text(ticks)}


def _scatter_class(n_points: int) -> type[go.Scatter] | type[go.Scattergl]:
    return go.Scattergl if n_points > MAX_SVG_POINTS else go.Scatter


def _jitter(n: int, width: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-width, width, n)


def _run_points(runs: pd.DataFrame, param: str, metric: str) -> pd.DataFrame:
    """Runs that have both the parameter and the metric, with the parameter as it reads."""
    y = metric_values(runs, metric)
    present = runs[param].notna().to_numpy() & ~np.isnan(y)
    return pd.DataFrame({"x": runs[param].to_numpy()[present], "y": y[present]}, index=runs.index[present])


def _level_codes(values: pd.Series, kind: Kind, levels: Sequence[str]) -> np.ndarray:
    """Each run's position among `levels` (NaN for a level not shown, or no value)."""
    positions = {level: float(i) for i, level in enumerate(levels)}
    return level_labels(values, kind).map(positions).to_numpy(dtype=float, na_value=np.nan)


def _missing_note(curve: ResponseCurve) -> str:
    return (
        f" <span style='font-size:11px'>({curve.n_missing} runs without it not shown)</span>"
        if (curve.n_missing)
        else ""
    )


def _numeric_response(
    curve: ResponseCurve, points: pd.DataFrame, metric: str, direction: Direction
) -> go.Figure:
    x_runs = real_numbers(points["x"])
    figure = go.Figure()
    figure.add_trace(
        _scatter_class(len(points))(
            x=x_runs,
            y=points["y"],
            mode="markers",
            marker={"size": 5, "color": POINT_COLOUR},
            name="runs",
            text=points.index.astype(str),
            hovertemplate="run %{text}<br>%{x:.3g}<br>" + metric + " %{y:.4g}<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=curve.x, y=curve.ice_high, mode="lines", line={"width": 0}, hoverinfo="skip", showlegend=False
        )
    )
    figure.add_trace(
        go.Scatter(
            x=curve.x,
            y=curve.ice_low,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=BAND_COLOUR,
            name="10–90% of runs' lines",
            hoverinfo="skip",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=curve.x,
            y=curve.mean,
            mode="lines",
            line={"width": 3, "color": PLAIN_LINE_COLOUR},
            name="partial dependence",
            hovertemplate="%{x:.3g}: " + metric + " %{y:.4g}<extra>mean prediction</extra>",
        )
    )
    best = curve.best_index(direction)
    figure.add_trace(
        go.Scatter(
            x=[curve.x[best]],
            y=[curve.mean[best]],
            mode="markers",
            marker={"size": 12, "color": BEST_COLOUR, "symbol": "star"},
            name=f"best: {curve.best_label(direction)}",
            hoverinfo="skip",
        )
    )
    figure.update_layout(**_layout(f"{curve.parameter}{_missing_note(curve)}", 380))
    x_axis: dict = {"title": {"text": curve.parameter}}
    if curve.log:
        logs = np.log10(np.concatenate([curve.x, x_runs[x_runs > 0]]))
        x_axis |= _log_axis(float(logs.min()), float(logs.max()))
    figure.update_xaxes(**x_axis)
    figure.update_yaxes(title={"text": metric})
    return figure


def _levels_response(
    curve: ResponseCurve, points: pd.DataFrame, metric: str, direction: Direction
) -> go.Figure:
    positions = np.arange(len(curve.levels), dtype=float)
    lowest = float(np.nanmin(np.concatenate([points["y"].to_numpy(dtype=float), curve.ice_low, curve.mean])))
    highest = float(
        np.nanmax(np.concatenate([points["y"].to_numpy(dtype=float), curve.ice_high, curve.mean]))
    )
    pad = 0.05 * (highest - lowest) or 0.5
    floor = lowest - pad
    best = curve.best_index(direction)
    outline = [BEST_COLOUR if i == best else "rgba(0,0,0,0)" for i in range(len(curve.levels))]
    figure = go.Figure()
    # Bars rise from the bottom of the plot, not from 0: a metric such as a loss may sit far from 0.
    figure.add_trace(
        go.Bar(
            x=positions,
            y=curve.mean - floor,
            base=floor,
            marker={"color": PLAIN_LINE_COLOUR, "opacity": 0.55, "line": {"color": outline, "width": 3}},
            error_y={
                "type": "data",
                "array": curve.ice_high - curve.mean,
                "arrayminus": curve.mean - curve.ice_low,
                "color": "#31333f",
                "thickness": 1.5,
            },
            name="partial dependence (10–90% of runs)",
            customdata=np.column_stack([curve.mean, curve.level_counts]) if curve.level_counts else None,
            hovertext=list(curve.levels),
            textposition="none",
            hovertemplate="%{hovertext}: "
            + metric
            + " %{customdata[0]:.4g} (%{customdata[1]} runs)<extra></extra>",
        )
    )
    codes = _level_codes(points["x"], curve.kind, curve.levels)
    shown = ~np.isnan(codes)
    figure.add_trace(
        _scatter_class(int(shown.sum()))(
            x=codes[shown] + _jitter(int(shown.sum()), 0.22),
            y=points["y"].to_numpy()[shown],
            mode="markers",
            marker={"size": 5, "color": POINT_COLOUR},
            name="runs",
            text=points.index[shown].astype(str),
            hovertemplate="run %{text}<br>" + metric + " %{y:.4g}<extra></extra>",
        )
    )
    figure.update_layout(**_layout(f"{curve.parameter}{_missing_note(curve)}", 380), bargap=0.35)
    figure.update_xaxes(
        title={"text": curve.parameter},
        tickvals=positions,
        ticktext=list(curve.levels),
        range=[-0.6, len(positions) - 0.4],
    )
    figure.update_yaxes(title={"text": metric}, range=[floor, highest + pad])
    return figure


def response_figure(curve: ResponseCurve, runs: pd.DataFrame, metric: str, direction: Direction) -> go.Figure:
    """The curve over the runs it summarises: runs as grey points, the mean prediction as a line
    with the 10-90% band of the runs' own lines (a log axis for log-scaled parameters), or one bar
    per level with that band as whiskers; the best point (a star) or level (outlined) in green."""
    points = _run_points(runs, curve.parameter, metric)
    if curve.is_levels:
        return _levels_response(curve, points, metric, direction)
    return _numeric_response(curve, points, metric, direction)


def _surface_axis(axis: GridAxis) -> tuple[np.ndarray, dict]:
    """Coordinates for a heatmap axis: level positions, log10 values, or real values."""
    if axis.is_levels:
        positions = np.arange(len(axis.levels), dtype=float)
        return positions, {"tickvals": positions, "ticktext": list(axis.levels)}
    if axis.log:
        logs = np.log10(axis.x)
        return logs, _log_coordinate_axis(float(logs.min()), float(logs.max()))
    return axis.x, {}


def _run_coordinates(runs: pd.DataFrame, axis: GridAxis) -> np.ndarray:
    values = runs[axis.parameter]
    if axis.is_levels:
        return _level_codes(values, axis.kind, axis.levels) + _jitter(len(values), 0.2, seed=1)
    numbers = real_numbers(values)
    if axis.log:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(numbers > 0, np.log10(numbers), np.nan)
    return numbers


def interaction_figure(
    pair: InteractionPair,
    metric: str,
    direction: Direction = Direction.MAXIMIZE,
    runs: pd.DataFrame | None = None,
) -> go.Figure:
    """The pair's 2-D partial dependence as a heatmap (bright = good for `direction`), log-scaled
    parameters on log axes in real units, levels as rows or columns; `runs`, when given, drawn as
    points so the reader sees where the surface rests on runs and where it extrapolates."""
    x, x_axis = _surface_axis(pair.first)
    y, y_axis = _surface_axis(pair.second)
    figure = go.Figure(
        go.Heatmap(
            x=x,
            y=y,
            z=pair.values.T,
            colorscale="Viridis",
            reversescale=direction is Direction.MINIMIZE,
            colorbar={"title": {"text": metric, "side": "right"}, "thickness": 14},
            customdata=np.array(
                [[(a, b) for a in pair.first.labels] for b in pair.second.labels], dtype=object
            ),
            hovertemplate=(
                f"{pair.first.parameter} %{{customdata[0]}}<br>{pair.second.parameter} %{{customdata[1]}}"
                f"<br>{metric} %{{z:.4g}}<extra>mean prediction</extra>"
            ),
        )
    )
    if runs is not None:
        y_values = metric_values(runs, metric)
        px, py = _run_coordinates(runs, pair.first), _run_coordinates(runs, pair.second)
        shown = ~(np.isnan(px) | np.isnan(py) | np.isnan(y_values))
        figure.add_trace(
            _scatter_class(int(shown.sum()))(
                x=px[shown],
                y=py[shown],
                mode="markers",
                marker={
                    "size": 4,
                    "color": "rgba(255,255,255,0.75)",
                    "line": {"width": 0.5, "color": "#31333f"},
                },
                name="runs",
                text=runs.index[shown].astype(str),
                hovertemplate="run %{text}<extra></extra>",
            )
        )
    title = f"{pair.first.parameter} × {pair.second.parameter} (H² = {pair.h_squared:.2f})"
    figure.update_layout(**_layout(title, 440), showlegend=False)
    figure.update_layout(margin={"r": 90})
    figure.update_xaxes(title={"text": pair.first.parameter}, **x_axis)
    figure.update_yaxes(title={"text": pair.second.parameter}, **y_axis)
    return figure
