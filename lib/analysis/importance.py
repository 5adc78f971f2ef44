"""Parameter importance: how much each hyperparameter matters for a metric, and how far to trust it.

Each method is a small evaluator behind `importance_report` (as in `optuna.importance`):
- held-out permutation (default): a parameter's importance is how much a random forest's error
  on runs it has *not* seen grows when that parameter's values are shuffled. A parameter with no
  effect cannot help on unseen runs, so it scores near zero, while a parameter that matters only
  together with another still breaks the predictions. Up to `single_split_above` runs each tree
  is scored on the runs its bootstrap left out (out-of-bag); above, one 75/25 split.
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

from lib.analysis._fit import (
    MIN_RUNS,
    Forest,
    ForestSettings,
    forest_for,
    model_kinds,
    runs_with_metric,
    subsample_rows,
)
from lib.analysis.encoding import Design, design_matrix, fill_branches
from lib.analysis.importance_effect import signed_effects
from lib.analysis.importance_null import null_importances
from lib.analysis.importance_table import TABLE_COLUMNS, importance_table, sampling_notes
from lib.analysis.permutation import (
    Evaluation,
    out_of_bag_permutation,
    permutation_drops,
    split_permutation,
)
from lib.columns import Direction, Kind
from lib.values import category_labels, parsed_numbers


class Method(StrEnum):
    HELD_OUT_PERMUTATION = "held-out permutation"
    MDI = "impurity (MDI, as in W&B)"
    TRAINING_PERMUTATION = "permutation on the training runs"


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
    forest_kind: str = ""


def evaluate_held_out_permutation(design: Design, y: np.ndarray, settings: ForestSettings) -> Evaluation:
    """Out-of-bag permutation where runs are few, one 75/25 split where they are many."""
    if len(y) > settings.single_split_above:
        return split_permutation(design, y, settings)
    return out_of_bag_permutation(design, y, settings)


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
    drops, _ = permutation_drops(
        forest.predict, design.matrix[eval_rows], y[eval_rows], design, settings.n_repeats, rng
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
    if evaluation.disagreement:
        warnings.append(evaluation.disagreement)
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
        forest_kind=evaluation.forest_kind,
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
