"""What every model-based analysis shares: the forest, its settings, how a parameter enters the model,
and how runs are subsampled. Importance, fANOVA, response shape and seed noise all fit through here,
so a forest is built one way and a subsample is drawn one way.

Randomness comes only from `ForestSettings.seed` and the generator passed to `subsample_rows`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

from lib.columns import Kind, infer_kind
from lib.values import all_parse_as_numbers, real_numbers

MIN_RUNS = 8
SINGLE_THREAD_ROWS = 1000

Forest: TypeAlias = RandomForestRegressor | ExtraTreesRegressor


@dataclass(frozen=True)
class ForestSettings:
    """The forest and the resampling. Defaults favour honest importances at interactive speed;
    the importance defaults were chosen on benchmarks/bench_importance_truth.py (see its note)."""

    n_trees: int = 100
    min_samples_leaf: int = 2
    max_features: float = 0.5
    max_fit_rows: int = 4000  # larger sweeps are subsampled for the fit
    max_eval_rows: int = 800  # held-out runs scored per fold
    single_split_above: int = 500  # held-out permutation: out-of-bag up to here, one 75/25 split above
    oob_trees: int = 200  # trees per forest of the out-of-bag permutation (each scores ~a third of the runs)
    n_repeats: int = 2  # shuffles per parameter and tree (or split)
    large_fit_rows: int = 2000  # above this, each tree sees half the runs and leaves hold 5+
    seed: int = 0
    null_repeats: int = 2  # shuffled-metric nulls for the noise floor (pooled per kind; 4 flag the same)
    null_trees: int = 100  # trees per forest in each null of the out-of-bag permutation
    # Above `single_split_above` runs importance fits one smaller forest on a subsample: at 10,000 x 50
    # that keeps it >= 10x faster than Optuna's MDI with the same top parameters (bench_importance).
    importance_fit_rows: int = 1500
    single_split_trees: int = 30
    single_split_leaf: int = 5
    single_split_nulls: int = 1
    single_split_repeats: int = 2


def runs_with_metric(runs: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The runs whose `metric` is a finite number, and that metric as floats (text, missing and
    infinite values are left out). Every model-based analysis fits on exactly these runs."""
    y_all = real_numbers(runs[metric])
    has_metric = np.isfinite(y_all)
    return runs[has_metric], y_all[has_metric]


def forest_for(settings: ForestSettings, n_rows: int, *, oob: bool = False) -> RandomForestRegressor:
    large = n_rows > settings.large_fit_rows
    return RandomForestRegressor(
        n_estimators=settings.n_trees,
        min_samples_leaf=max(settings.min_samples_leaf, 5) if large else settings.min_samples_leaf,
        max_features=settings.max_features,
        max_samples=0.5 if large else None,
        oob_score=oob,
        n_jobs=-1,
        random_state=settings.seed,
    )


def split_forest(settings: ForestSettings, n_rows: int) -> RandomForestRegressor:
    """The smaller forest behind held-out permutation on one split of a large sweep."""
    return forest_for(settings, n_rows).set_params(
        n_estimators=settings.single_split_trees,
        min_samples_leaf=settings.single_split_leaf,
        n_jobs=1 if n_rows <= SINGLE_THREAD_ROWS else -1,
    )


def subsample_rows(n: int, cap: int, rng: np.random.Generator, rows: np.ndarray | None = None) -> np.ndarray:
    rows = np.arange(n) if rows is None else rows
    return rows if len(rows) <= cap else np.sort(rng.choice(rows, size=cap, replace=False))


def model_kind(runs: pd.DataFrame, param: str, kind: Kind) -> Kind:
    """How a parameter enters the model: constants and identifiers as numbers when they are numbers."""
    if kind not in (Kind.CONSTANT, Kind.IDENTIFIER):
        return kind
    return Kind.NUMERIC if all_parse_as_numbers(runs[param]) else Kind.CATEGORICAL


def model_kinds(
    runs: pd.DataFrame, params: Sequence[str], given: Mapping[str, Kind] | None
) -> dict[str, Kind]:
    """Each parameter's `model_kind`, from its given kind or, when none is given, the inferred one."""
    known = given or {}
    return {p: model_kind(runs, p, known.get(p) or infer_kind(runs[p], p)) for p in params}
