"""Parameter importance: how much each hyperparameter matters for a metric, and how far to trust it.

Each method is a small evaluator behind `importance_report` (as in `optuna.importance`):
- held-out permutation (default): a random forest is fitted on part of the runs; a parameter's
  importance is how much the forest's error on the *other* runs grows when that parameter's values
  are shuffled. A parameter with no effect cannot help on unseen runs, so it scores near zero,
  while a parameter that matters only together with another still breaks the predictions.
- MDI, as in W&B's panel: the forest's mean decrease in impurity. Known to favour continuous,
  high-cardinality columns (a seed or a junk float can look important).
- permutation on the training runs: the same shuffling, scored on the runs the forest was fitted
  on; it inherits the forest's overfitting.
Randomness comes only from `ForestSettings.seed`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import KFold

from lib.analysis._fit import (
    MIN_RUNS,
    ForestSettings,
    forest_for,
    model_kinds,
    runs_with_metric,
    subsample_rows,
)
from lib.analysis.encoding import Design, design_matrix
from lib.columns import Kind
from lib.values import category_labels, numeric_values, parsed_numbers

PREDICT_BATCH_ROWS = 200_000


class Method(StrEnum):
    HELD_OUT_PERMUTATION = "held-out permutation"
    MDI = "impurity (MDI, as in W&B)"
    TRAINING_PERMUTATION = "permutation on the training runs"


@dataclass(frozen=True)
class Evaluation:
    """Per parameter, samples of its raw importance (several folds, repeats or trees)."""

    samples: dict[str, np.ndarray]
    r2: float | None  # out-of-sample R² of the forest
    r2_kind: str  # "held-out" or "out-of-bag"


@dataclass(frozen=True)
class ImportanceReport:
    table: pd.DataFrame
    metric: str
    method: Method
    settings: ForestSettings
    n_runs: int
    n_without_metric: int
    r2: float | None
    r2_kind: str
    warnings: list[str] = field(default_factory=list)


def _shuffled_within(present: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Row order that shuffles only the runs where a parameter exists. Where it is missing says
    which branch of a conditional space a run took (momentum exists only for sgd); shuffling that
    would credit the parameter with the effect of the choice that made it exist."""
    order = np.arange(len(present))
    rows = np.flatnonzero(present)
    order[rows] = rng.permutation(rows)
    return order


def _permutation_drops(
    forest: RandomForestRegressor,
    x: np.ndarray,
    y: np.ndarray,
    design: Design,
    rows: np.ndarray,
    n_repeats: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Per parameter and repeat, the growth of squared error when its columns are shuffled together,
    as a share of the metric's variance (a drop in R²). Shuffled copies are predicted in a few
    large batches: one call per batch is far cheaper than one per parameter."""
    groups = design.groups
    variance = float(np.var(y)) or 1.0
    base = float(np.mean((forest.predict(x) - y) ** 2))
    params = list(groups)
    per_batch = max(1, PREDICT_BATCH_ROWS // (len(x) * n_repeats))
    drops: dict[str, np.ndarray] = {}
    for start in range(0, len(params), per_batch):
        batch = params[start : start + per_batch]
        stacked = np.tile(x, (len(batch) * n_repeats, 1))
        for b, param in enumerate(batch):
            for r in range(n_repeats):
                copy = slice((b * n_repeats + r) * len(x), (b * n_repeats + r + 1) * len(x))
                order = _shuffled_within(design.present[param][rows], rng)
                stacked[copy, groups[param]] = x[order][:, groups[param]]
        errors = (forest.predict(stacked) - np.tile(y, len(batch) * n_repeats)) ** 2
        per_copy = errors.reshape(len(batch), n_repeats, len(x)).mean(axis=2)
        drops.update({param: (per_copy[b] - base) / variance for b, param in enumerate(batch)})
    return drops


def _n_folds(n: int, settings: ForestSettings) -> int:
    """More folds where runs are few (each fold's estimate is noisy), one split where they are many."""
    if n > settings.single_split_above:
        return 1
    return settings.n_folds if n <= 300 else 3


def _splits(
    n: int, settings: ForestSettings, rng: np.random.Generator
) -> list[tuple[np.ndarray, np.ndarray]]:
    n_folds = _n_folds(n, settings)
    if n_folds > 1:
        folds = KFold(n_splits=n_folds, shuffle=True, random_state=settings.seed)
        return list(folds.split(np.arange(n)))
    order = rng.permutation(n)
    cut = int(n * 0.75)
    return [(np.sort(order[:cut]), np.sort(order[cut:]))]


def evaluate_held_out_permutation(design: Design, y: np.ndarray, settings: ForestSettings) -> Evaluation:
    rng = np.random.default_rng(settings.seed)
    samples: dict[str, list[np.ndarray]] = {p: [] for p in design.groups}
    predicted = np.full(len(y), np.nan)
    for train, test in _splits(len(y), settings, rng):
        fit_rows = subsample_rows(len(y), settings.max_fit_rows, rng, train)
        eval_rows = subsample_rows(len(y), settings.max_eval_rows, rng, test)
        forest = forest_for(settings, len(fit_rows)).fit(design.matrix[fit_rows], y[fit_rows])
        predicted[eval_rows] = forest.predict(design.matrix[eval_rows])
        drops = _permutation_drops(
            forest, design.matrix[eval_rows], y[eval_rows], design, eval_rows, settings.n_repeats, rng
        )
        for param, values in drops.items():
            samples[param].append(values)
    scored = ~np.isnan(predicted)
    return Evaluation(
        samples={p: np.concatenate(v) for p, v in samples.items()},
        r2=_r2(y[scored], predicted[scored]),
        r2_kind="held-out",
    )


def _fit_all(
    design: Design, y: np.ndarray, settings: ForestSettings
) -> tuple[RandomForestRegressor, np.ndarray]:
    rng = np.random.default_rng(settings.seed)
    rows = subsample_rows(len(y), settings.max_fit_rows, rng)
    return forest_for(settings, len(rows), oob=True).fit(design.matrix[rows], y[rows]), rows


def evaluate_mdi(design: Design, y: np.ndarray, settings: ForestSettings) -> Evaluation:
    forest, _ = _fit_all(design, y, settings)
    per_tree = np.array([tree.feature_importances_ for tree in forest.estimators_])
    samples = {p: per_tree[:, cols].sum(axis=1) for p, cols in design.groups.items()}
    return Evaluation(samples=samples, r2=float(forest.oob_score_), r2_kind="out-of-bag")


def evaluate_training_permutation(design: Design, y: np.ndarray, settings: ForestSettings) -> Evaluation:
    forest, rows = _fit_all(design, y, settings)
    rng = np.random.default_rng(settings.seed + 1)
    eval_rows = subsample_rows(len(rows), settings.max_eval_rows, rng, rows)
    drops = _permutation_drops(
        forest, design.matrix[eval_rows], y[eval_rows], design, eval_rows, settings.n_repeats, rng
    )
    return Evaluation(samples=drops, r2=float(forest.oob_score_), r2_kind="out-of-bag")


EVALUATORS = {
    Method.HELD_OUT_PERMUTATION: evaluate_held_out_permutation,
    Method.MDI: evaluate_mdi,
    Method.TRAINING_PERMUTATION: evaluate_training_permutation,
}


def _r2(y: np.ndarray, predicted: np.ndarray) -> float | None:
    if len(y) < 2 or np.var(y) == 0:
        return None
    return float(1 - np.mean((y - predicted) ** 2) / np.var(y))


def correlations(runs: pd.DataFrame, param: str, kind: Kind, y: np.ndarray) -> tuple[float, float]:
    """Pearson and Spearman correlation with the metric; log-scaled parameters on the log scale.
    A categorical has no order, so no single correlation: NaN (see `level_breakdown`)."""
    if kind is Kind.CATEGORICAL:
        return float("nan"), float("nan")
    x = pd.Series(numeric_values(runs[param], kind))
    target = pd.Series(y)
    present = x.notna()
    if present.sum() < 3 or x[present].nunique() < 2 or target[present].nunique() < 2:
        return float("nan"), float("nan")
    return float(x[present].corr(target[present])), float(x[present].corr(target[present], method="spearman"))


def _importance_table(
    runs: pd.DataFrame,
    params: Sequence[str],
    kinds: Mapping[str, Kind],
    y: np.ndarray,
    evaluation: Evaluation,
) -> pd.DataFrame:
    raw = {p: float(np.mean(evaluation.samples[p])) for p in params}
    total = sum(max(v, 0.0) for v in raw.values()) or 1.0
    rows = []
    for param in params:
        samples = np.clip(evaluation.samples[param], 0.0, None) / total
        pearson, spearman = correlations(runs, param, kinds[param], y)
        rows.append(
            {
                "parameter": param,
                "kind": kinds[param].value,
                "importance": max(raw[param], 0.0) / total,
                "importance_low": float(np.percentile(samples, 10)),
                "importance_high": float(np.percentile(samples, 90)),
                "raw_importance": raw[param],
                "correlation": pearson,
                "spearman": spearman,
                "runs_with_value": int(runs[param].notna().sum()),
            }
        )
    table = pd.DataFrame(rows)
    return table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def trust_warnings(n_runs: int, n_params: int, r2: float | None, r2_kind: str) -> list[str]:
    warnings = []
    if n_runs < max(MIN_RUNS * 2, 5 * n_params):
        warnings.append(
            f"Only {n_runs} runs for {n_params} parameters: importances this thin are rough. "
            f"Aim for at least {max(MIN_RUNS * 2, 5 * n_params)} runs."
        )
    if r2 is None:
        warnings.append("The metric does not vary across these runs, so nothing can explain it.")
    elif r2 < 0.1:
        warnings.append(
            f"The forest predicts the metric poorly on runs it has not seen ({r2_kind} R² = {r2:.2f}): "
            "do not trust these importances. The metric may be mostly noise, or depend on something "
            "that is not among the parameters."
        )
    elif r2 < 0.4:
        warnings.append(
            f"The forest explains the metric only partly ({r2_kind} R² = {r2:.2f}): "
            "read the importances as a rough ranking."
        )
    return warnings


def _empty_report(
    params: Sequence[str], metric: str, method: Method, settings: ForestSettings, n: int, missing: int
) -> ImportanceReport:
    table = pd.DataFrame({"parameter": list(params)}).assign(importance=np.nan, correlation=np.nan)
    message = f"{n} runs have a value for {metric}; importance needs at least {MIN_RUNS}."
    return ImportanceReport(table, metric, method, settings, n, missing, None, "", [message])


def importance_report(
    runs: pd.DataFrame,
    params: Sequence[str],
    metric: str,
    *,
    kinds: Mapping[str, Kind] | None = None,
    method: Method = Method.HELD_OUT_PERMUTATION,
    settings: ForestSettings | None = None,
) -> ImportanceReport:
    """Importance and correlation of every parameter for `metric`, with how far to trust them.
    Runs without a value for the metric are left out and counted."""
    settings = settings or ForestSettings()
    used, y = runs_with_metric(runs, metric)
    n_missing = len(runs) - len(used)
    if len(used) < MIN_RUNS or not params:
        return _empty_report(params, metric, method, settings, len(used), n_missing)
    kinds_in_model = model_kinds(used, params, kinds)
    design = design_matrix(used, params, kinds_in_model)
    evaluation = EVALUATORS[method](design, y, settings)
    table = _importance_table(used, params, kinds_in_model, y, evaluation)
    warnings = trust_warnings(len(used), len(params), evaluation.r2, evaluation.r2_kind)
    return ImportanceReport(
        table, metric, method, settings, len(used), n_missing, evaluation.r2, evaluation.r2_kind, warnings
    )


def parameter_importance(
    runs: pd.DataFrame,
    params: Sequence[str],
    metric: str,
    *,
    kinds: Mapping[str, Kind] | None = None,
    method: Method = Method.HELD_OUT_PERMUTATION,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per parameter: importance (shares summing to 1), its spread, Pearson and Spearman."""
    settings = ForestSettings(seed=seed)
    return importance_report(runs, params, metric, kinds=kinds, method=method, settings=settings).table


def level_breakdown(runs: pd.DataFrame, param: str, metric: str) -> pd.DataFrame:
    """Per level of a categorical parameter: runs, mean, median and best-to-worst of the metric."""
    frame = pd.DataFrame(
        {"level": category_labels(runs[param]), "value": parsed_numbers(runs[metric])}
    ).dropna(subset=["value"])
    summary = frame.groupby("level")["value"].agg(
        runs="count", mean="mean", median="median", min="min", max="max"
    )
    return summary.reset_index().sort_values("mean", kind="stable").reset_index(drop=True)
