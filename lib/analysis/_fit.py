"""What every model-based analysis shares: the forest, its settings, how a parameter enters the model,
and how runs are subsampled. Importance, fANOVA, response shape and seed noise all fit through here,
so a forest is built one way and a subsample is drawn one way.

Randomness comes only from `ForestSettings.seed` and the generator passed to `subsample_rows`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

from lib.columns import Kind, infer_kind
from lib.values import all_parse_as_numbers, real_numbers

MIN_RUNS = 8


@dataclass(frozen=True)
class ForestSettings:
    """The forest and the resampling. Defaults favour honest importances at interactive speed."""

    n_trees: int = 100
    min_samples_leaf: int = 2
    max_features: float = 0.5
    max_fit_rows: int = 4000  # larger sweeps are subsampled for the fit
    max_eval_rows: int = 1500  # held-out runs scored per fold
    n_folds: int = 5  # k-fold below `single_split_above` runs, one 75/25 split above
    single_split_above: int = 1000
    n_repeats: int = 4
    large_fit_rows: int = 2000  # above this, each tree sees half the runs and leaves hold 5+
    seed: int = 0


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
