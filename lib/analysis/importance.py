"""Parameter importance: how much each hyperparameter matters for a metric, and how far to trust it.

Each method is a small evaluator behind `importance_report` (as in `optuna.importance`):
- held-out permutation (default): a random forest is fitted on part of the runs; a parameter's
  importance is how much the forest's error on the *other* runs grows when that parameter's values
  are shuffled. A parameter with no effect cannot help on unseen runs, so it scores near zero,
  while a parameter that matters only together with another still breaks the predictions.
  K-fold where runs are few, one split where they are many; see `ForestSettings`.
- MDI, as in W&B's panel: the forest's mean decrease in impurity. Known to favour continuous,
  high-cardinality columns (a seed or a junk float can look important).
- permutation on the training runs: the same shuffling, scored on the runs the forest was fitted
  on; it inherits the forest's overfitting.

Conditional parameters: where another parameter decides whether one exists (`fill_branches`),
its missing values are filled from its branch and shuffling the parent carries the branch along,
so the choice that created the branch gets the credit. Every method is also run on shuffled
copies of the metric (`importance_null`) for a per-parameter noise floor, and the forests' partial
dependence gives each parameter a signed effect (`importance_effect`).
Randomness comes only from `ForestSettings.seed`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

from lib.analysis._fit import (
    MIN_RUNS,
    Forest,
    ForestSettings,
    forest_for,
    importance_forest,
    model_kinds,
    runs_with_metric,
    subsample_rows,
)
from lib.analysis.encoding import Design, design_matrix, fill_branches
from lib.analysis.importance_effect import signed_effects
from lib.analysis.importance_null import null_importances
from lib.analysis.importance_table import TABLE_COLUMNS, importance_table, sampling_notes
from lib.columns import Direction, Kind
from lib.values import category_labels, parsed_numbers

PREDICT_BATCH_ROWS = 200_000


class Method(StrEnum):
    HELD_OUT_PERMUTATION = "held-out permutation"
    MDI = "impurity (MDI, as in W&B)"
    TRAINING_PERMUTATION = "permutation on the training runs"


@dataclass(frozen=True)
class Evaluation:
    """Per parameter, samples of its raw importance, aligned across parameters (sample i of every
    parameter comes from the same fold and shuffle, or the same tree). `predicted` holds each
    run's held-out (or out-of-bag) prediction, NaN where there is none; `forests` the fitted
    forests, for partial dependence."""

    samples: dict[str, np.ndarray]
    r2: float | None  # out-of-sample R² of the forest
    r2_kind: str  # "held-out" or "out-of-bag"
    predicted: np.ndarray
    forests: list[Forest]
    n_fit_rows: int
    n_eval_rows: int
    subsampled: bool  # fewer runs were fitted (or scored) than the split held


Evaluator = Callable[[Design, np.ndarray, ForestSettings], Evaluation]


@dataclass(frozen=True)
class ImportanceReport:
    """`table`: one row per parameter, most important first (see `importance_table`). `held_out`:
    observed vs predicted per run (index = run id) from the runs the forest did not see; empty
    when there are none. `notes`: what was subsampled or filled in. `n_fit_rows`: runs per fit."""

    table: pd.DataFrame
    metric: str
    method: Method
    settings: ForestSettings
    n_runs: int
    n_without_metric: int
    r2: float | None
    r2_kind: str
    warnings: list[str] = field(default_factory=list)
    held_out: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["observed", "predicted"]))
    notes: list[str] = field(default_factory=list)
    n_fit_rows: int = 0


def _permutation_drops(
    forest: Forest,
    x: np.ndarray,
    y: np.ndarray,
    design: Design,
    n_repeats: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Per parameter and repeat, the growth of squared error when its columns (and those of the
    branches it decides, `Design.carried`) are shuffled together, as a share of the metric's
    variance (a drop in R²). Shuffled copies are predicted in a few large batches: one call per
    batch is far cheaper than one per parameter."""
    variance = float(np.var(y)) or 1.0
    base = float(np.mean((forest.predict(x) - y) ** 2))
    params = list(design.groups)
    per_batch = max(1, PREDICT_BATCH_ROWS // (len(x) * n_repeats))
    drops: dict[str, np.ndarray] = {}
    for start in range(0, len(params), per_batch):
        batch = params[start : start + per_batch]
        stacked = np.tile(x, (len(batch) * n_repeats, 1))
        for b, param in enumerate(batch):
            cols = design.carried(param)
            for r in range(n_repeats):
                copy = slice((b * n_repeats + r) * len(x), (b * n_repeats + r + 1) * len(x))
                stacked[copy, cols] = x[rng.permutation(len(x))][:, cols]
        errors = (forest.predict(stacked) - np.tile(y, len(batch) * n_repeats)) ** 2
        per_copy = errors.reshape(len(batch), n_repeats, len(x)).mean(axis=2)
        drops.update({param: (per_copy[b] - base) / variance for b, param in enumerate(batch)})
    return drops


def _n_folds(n: int, settings: ForestSettings) -> int:
    """More folds where runs are few (each fold's estimate is noisy), one split where they are many."""
    if n > settings.single_split_above:
        return 1
    return settings.n_folds if n <= 300 else 3


def _splits(n: int, settings: ForestSettings, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """K-fold, repeated `kfold_rounds` times with fresh splits on small sweeps; one 75/25 split on
    large ones."""
    n_folds = _n_folds(n, settings)
    if n_folds == 1:
        order = np.random.default_rng(seed).permutation(n)
        cut = int(n * 0.75)
        return [(np.sort(order[:cut]), np.sort(order[cut:]))]
    rounds = settings.kfold_rounds if n <= settings.kfold_rounds_below else 1
    return [
        split
        for r in range(rounds)
        for split in KFold(n_splits=n_folds, shuffle=True, random_state=seed + r).split(np.arange(n))
    ]


def evaluate_held_out_permutation(design: Design, y: np.ndarray, settings: ForestSettings) -> Evaluation:
    rng = np.random.default_rng(settings.seed)
    samples: dict[str, list[np.ndarray]] = {p: [] for p in design.groups}
    predicted_sum, predicted_count = np.zeros(len(y)), np.zeros(len(y))
    forests: list[Forest] = []
    fit_cap = min(settings.max_fit_rows, settings.importance_fit_rows)
    splits = _splits(len(y), settings, settings.seed)
    for i, (train, test) in enumerate(splits):
        fit_rows = subsample_rows(len(y), fit_cap, rng, train)
        eval_rows = subsample_rows(len(y), settings.max_eval_rows, rng, test)
        forest = importance_forest(settings, len(fit_rows), settings.seed + i, single_split=len(splits) == 1)
        forest.fit(design.matrix[fit_rows], y[fit_rows])
        forests.append(forest)
        predicted_sum[eval_rows] += forest.predict(design.matrix[eval_rows])
        predicted_count[eval_rows] += 1
        repeats = settings.single_split_repeats if len(splits) == 1 else settings.n_repeats
        drops = _permutation_drops(forest, design.matrix[eval_rows], y[eval_rows], design, repeats, rng)
        for param, values in drops.items():
            samples[param].append(values)
    scored = predicted_count > 0
    predicted = np.where(scored, predicted_sum / np.maximum(predicted_count, 1), np.nan)
    return Evaluation(
        samples={p: np.concatenate(v) for p, v in samples.items()},
        r2=_r2(y[scored], predicted[scored]),
        r2_kind="held-out",
        predicted=predicted,
        forests=forests,
        n_fit_rows=len(fit_rows),
        n_eval_rows=len(eval_rows),
        subsampled=len(fit_rows) < len(train) or len(eval_rows) < len(test),
    )


def _fit_all(design: Design, y: np.ndarray, settings: ForestSettings) -> tuple[Forest, np.ndarray]:
    rng = np.random.default_rng(settings.seed)
    rows = subsample_rows(len(y), settings.max_fit_rows, rng)
    return forest_for(settings, len(rows), oob=True).fit(design.matrix[rows], y[rows]), rows


def _out_of_bag(forest: Forest, rows: np.ndarray, n: int) -> np.ndarray:
    predicted = np.full(n, np.nan)
    predicted[rows] = np.asarray(forest.oob_prediction_).ravel()
    return predicted


def evaluate_mdi(design: Design, y: np.ndarray, settings: ForestSettings) -> Evaluation:
    forest, rows = _fit_all(design, y, settings)
    per_tree = np.array([tree.feature_importances_ for tree in forest.estimators_])
    samples = {p: per_tree[:, cols].sum(axis=1) for p, cols in design.groups.items()}
    predicted = _out_of_bag(forest, rows, len(y))
    oob = float(forest.oob_score_)
    return Evaluation(samples, oob, "out-of-bag", predicted, [forest], len(rows), 0, len(rows) < len(y))


def evaluate_training_permutation(design: Design, y: np.ndarray, settings: ForestSettings) -> Evaluation:
    forest, rows = _fit_all(design, y, settings)
    rng = np.random.default_rng(settings.seed + 1)
    eval_rows = subsample_rows(len(rows), settings.max_eval_rows, rng, rows)
    drops = _permutation_drops(
        forest, design.matrix[eval_rows], y[eval_rows], design, settings.n_repeats, rng
    )
    predicted = _out_of_bag(forest, rows, len(y))
    oob = float(forest.oob_score_)
    subsampled = len(rows) < len(y) or len(eval_rows) < len(rows)
    return Evaluation(drops, oob, "out-of-bag", predicted, [forest], len(rows), len(eval_rows), subsampled)


EVALUATORS: dict[Method, Evaluator] = {
    Method.HELD_OUT_PERMUTATION: evaluate_held_out_permutation,
    Method.MDI: evaluate_mdi,
    Method.TRAINING_PERMUTATION: evaluate_training_permutation,
}


def _r2(y: np.ndarray, predicted: np.ndarray) -> float | None:
    if len(y) < 2 or np.var(y) == 0:
        return None
    return float(1 - np.mean((y - predicted) ** 2) / np.var(y))


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
    table = pd.DataFrame({"parameter": list(params)}).reindex(columns=TABLE_COLUMNS)
    table["within_noise"] = False
    message = f"{n} runs have a value for {metric}; importance needs at least {MIN_RUNS}."
    return ImportanceReport(table, metric, method, settings, n, missing, None, "", [message])


def _held_out_frame(index: pd.Index, y: np.ndarray, predicted: np.ndarray) -> pd.DataFrame:
    scored = ~np.isnan(predicted)
    return pd.DataFrame({"observed": y[scored], "predicted": predicted[scored]}, index=index[scored])


def importance_report(
    runs: pd.DataFrame,
    params: Sequence[str],
    metric: str,
    *,
    kinds: Mapping[str, Kind] | None = None,
    method: Method = Method.HELD_OUT_PERMUTATION,
    settings: ForestSettings | None = None,
    direction: Direction | None = None,
) -> ImportanceReport:
    """Importance and correlation of every parameter for `metric`, with how far to trust them, its
    noise floor and its signed effect (worded as better/worse when `direction` is given).
    Runs without a value for the metric are left out and counted."""
    settings = settings or ForestSettings()
    used, y = runs_with_metric(runs, metric)
    n_missing = len(runs) - len(used)
    if len(used) < MIN_RUNS or not params:
        return _empty_report(params, metric, method, settings, len(used), n_missing)
    kinds_in_model = model_kinds(used, params, kinds)
    design = fill_branches(design_matrix(used, params, kinds_in_model), np.random.default_rng(settings.seed))
    evaluator = EVALUATORS[method]
    evaluation = evaluator(design, y, settings)
    null = null_importances(lambda shuffled, s: evaluator(design, shuffled, s).samples, params, y, settings)
    effects = signed_effects(
        design, evaluation.forests, kinds_in_model, direction=direction, seed=settings.seed
    )
    table = importance_table(used, kinds_in_model, y, evaluation.samples, null, effects, seed=settings.seed)
    warnings = trust_warnings(len(used), len(params), evaluation.r2, evaluation.r2_kind)
    notes = sampling_notes(
        design, len(used), evaluation.n_fit_rows, evaluation.n_eval_rows, subsampled=evaluation.subsampled
    )
    return ImportanceReport(
        table,
        metric,
        method,
        settings,
        len(used),
        n_missing,
        evaluation.r2,
        evaluation.r2_kind,
        warnings,
        held_out=_held_out_frame(used.index, y, evaluation.predicted),
        notes=notes,
        n_fit_rows=evaluation.n_fit_rows,
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
    """One row per parameter: importance (shares summing to 1), its interval, Pearson and Spearman,
    noise floor and signed effect (see `importance_table`)."""
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
