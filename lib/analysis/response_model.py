"""The response forest: one random forest on all parameters, the runs it was fitted on, and its grids.

Numbers are read on their own scale (log10 for log-scaled), booleans as 0/1 and categoricals as
ordinal codes; `lib.analysis.response` reads the fitted forest with partial dependence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import RandomForestRegressor

from lib.analysis._fit import (
    MIN_RUNS,
    ForestSettings,
    forest_for,
    model_kinds,
    runs_with_metric,
    subsample_rows,
)
from lib.columns import Kind
from lib.values import (
    FALSE_LEVEL,
    MISSING_LEVEL,
    TRUE_LEVEL,
    category_labels,
    compact_number,
    natural_order,
    numeric_values,
    real_numbers,
)

ICE_BAND = (0.1, 0.9)


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


def _model_column(values: pd.Series, kind: Kind) -> tuple[np.ndarray, tuple[str, ...] | None]:
    if kind is Kind.BOOLEAN:
        return numeric_values(values, kind), (FALSE_LEVEL, TRUE_LEVEL)
    if kind is Kind.CATEGORICAL:
        labels = category_labels(values)
        levels = tuple(natural_order(set(labels) - {MISSING_LEVEL}))
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
    used, y = runs_with_metric(runs, metric)
    if len(used) < MIN_RUNS or not params:
        raise ValueError(
            f"{len(used)} runs have a value for {metric}; the response needs at least {MIN_RUNS}."
        )
    kinds_in_model = model_kinds(used, params, kinds)
    columns, levels = [], {}
    for param in params:
        values, param_levels = _model_column(used[param], kinds_in_model[param])
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
        forest, matrix, list(params), kinds_in_model, levels, y, len(runs) - len(used), r2, settings.seed
    )


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


def model_grid(model: ResponseModel, param: str, resolution: int) -> np.ndarray:
    """Grid on the model's scale: every level, every distinct value when few, else an even grid
    from the smallest to the largest value (even in log10 for log-scaled parameters)."""
    values = model.matrix[:, model.column(param)]
    distinct = np.unique(values[~np.isnan(values)])
    if param in model.levels or len(distinct) <= resolution:
        return distinct
    grid = np.linspace(distinct[0], distinct[-1], resolution)
    return np.unique(np.round(grid)) if model.kinds[param] is Kind.INTEGER else grid


def grid_axis(model: ResponseModel, param: str, grid: np.ndarray) -> GridAxis:
    kind = model.kinds[param]
    if param in model.levels:
        labels = tuple(model.levels[param][int(code)] for code in grid)
        return GridAxis(param, kind, False, np.array([]), labels)
    log = kind is Kind.LOG
    return GridAxis(param, kind, log, 10**grid if log else grid.copy())
