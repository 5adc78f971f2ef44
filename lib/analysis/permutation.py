"""Permutation importance on runs a forest has not seen, and what every importance evaluator returns.

Where runs are few (up to `ForestSettings.single_split_above`), `out_of_bag_permutation` follows
Breiman (2001): each tree of a bagged forest is scored on the runs its bootstrap left out (about a
third), with and without a parameter's values shuffled among them. Every run is held out by many
trees, so none is spent on a test fold: on 30-50 runs this ranks the top parameters better than
K-fold did, at a third of the cost (benchmarks/bench_importance_truth.py). Two forests are grown
this way, a random forest and extremely randomized trees, and the one that predicts the held-out
runs better (out-of-bag R²) is reported: random thresholds find a pure interaction (y = a·b) that
greedy splits on 60 runs miss, while greedy splits rank ordinary effects more sharply.
Where runs are many, `split_permutation` fits one smaller forest on 75% and scores the rest.

Randomness: the forests' seeds and every shuffle come from `ForestSettings.seed`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor

from lib.analysis._fit import (
    SINGLE_THREAD_ROWS,
    Forest,
    ForestSettings,
    forest_for,
    split_forest,
    subsample_rows,
)
from lib.analysis.encoding import Design

PREDICT_BATCH_ROWS = 200_000
DISAGREEMENT_R2 = 0.1  # forests closer than this in out-of-bag R² both count as evidence
RANDOM_FOREST, EXTRA_TREES = "random forest", "extremely randomized trees"


@dataclass(frozen=True)
class Evaluation:
    """Per parameter, samples of its raw importance, aligned across parameters (sample i of every
    parameter comes from the same tree, or the same shuffle of one split). `predicted` holds each
    run's held-out (or out-of-bag) prediction, NaN where there is none; `forests` the fitted
    forests, for partial dependence; `forest_kind` which forest the numbers come from."""

    samples: dict[str, np.ndarray]
    r2: float | None  # out-of-sample R² of the forest
    r2_kind: str  # "held-out" or "out-of-bag"
    predicted: np.ndarray
    forests: list[Forest]
    n_fit_rows: int
    n_eval_rows: int
    subsampled: bool  # fewer runs were fitted (or scored) than the split held
    forest_kind: str = RANDOM_FOREST
    disagreement: str = ""  # where the forest not chosen ranked another parameter first


def r2_score(y: np.ndarray, predicted: np.ndarray) -> float | None:
    if len(y) < 2 or np.var(y) == 0:
        return None
    return float(1 - np.mean((y - predicted) ** 2) / np.var(y))


def permutation_drops(
    predict: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    design: Design,
    n_repeats: int,
    rng: np.random.Generator,
    *,
    variance: float | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per parameter and repeat, the growth of squared error when its columns (and those of the
    branches it decides, `Design.carried`) are shuffled together, as a share of the metric's
    variance (a drop in R²); and the unshuffled predictions. Shuffled copies are predicted in a
    few large batches: one call per batch is far cheaper than one per parameter."""
    variance = variance or float(np.var(y)) or 1.0
    predicted = predict(x)
    base = float(np.mean((predicted - y) ** 2))
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
        errors = (predict(stacked) - np.tile(y, len(batch) * n_repeats)) ** 2
        per_copy = errors.reshape(len(batch), n_repeats, len(x)).mean(axis=2)
        drops.update({param: (per_copy[b] - base) / variance for b, param in enumerate(batch)})
    return drops, predicted


def bagged_forest(kind: str, settings: ForestSettings, n_rows: int) -> Forest:
    """An unfitted bagged forest of `kind` (RANDOM_FOREST or EXTRA_TREES) for out-of-bag scoring."""
    n_jobs = 1 if n_rows <= SINGLE_THREAD_ROWS else -1
    if kind == RANDOM_FOREST:
        return forest_for(settings, n_rows).set_params(n_estimators=settings.oob_trees, n_jobs=n_jobs)
    return ExtraTreesRegressor(
        n_estimators=settings.oob_trees,
        bootstrap=True,
        min_samples_leaf=settings.min_samples_leaf,
        max_features=settings.max_features,
        n_jobs=n_jobs,
        random_state=settings.seed,
    )


def _tree_predictor(tree: object) -> Callable[[np.ndarray], np.ndarray]:
    """A fitted tree's predictions on float32 rows, without the per-call input checks of
    `tree.predict` (they cost more than the tree itself on a few dozen runs)."""
    nodes = tree.tree_  # type: ignore[attr-defined]
    return lambda x: nodes.predict(x)[:, 0]


def score_out_of_bag(kind: str, design: Design, y: np.ndarray, settings: ForestSettings) -> Evaluation:
    """Out-of-bag permutation importance of one bagged forest of `kind`."""
    rng = np.random.default_rng(settings.seed)
    forest = bagged_forest(kind, settings, len(y)).fit(design.matrix, y)
    x = np.ascontiguousarray(design.matrix, dtype=np.float32)
    variance = float(np.var(y)) or 1.0
    per_tree: dict[str, list[float]] = {p: [] for p in design.groups}
    predicted_sum, predicted_count = np.zeros(len(y)), np.zeros(len(y))
    for tree, in_bag in zip(forest.estimators_, forest.estimators_samples_, strict=True):
        held_out = np.setdiff1d(np.arange(len(y)), in_bag)
        if len(held_out) < 2:
            continue
        predict = _tree_predictor(tree)
        drops, predicted = permutation_drops(
            predict, x[held_out], y[held_out], design, settings.n_repeats, rng, variance=variance
        )
        predicted_sum[held_out] += predicted
        predicted_count[held_out] += 1
        for param, values in drops.items():
            per_tree[param].append(float(np.mean(values)))
    scored = predicted_count > 0
    predicted_all = np.where(scored, predicted_sum / np.maximum(predicted_count, 1), np.nan)
    return Evaluation(
        samples={p: np.asarray(v) for p, v in per_tree.items()},
        r2=r2_score(y[scored], predicted_all[scored]),
        r2_kind="out-of-bag",
        predicted=predicted_all,
        forests=[forest],
        n_fit_rows=len(y),
        n_eval_rows=len(y),
        subsampled=False,
        forest_kind=kind,
    )


def out_of_bag_permutation(design: Design, y: np.ndarray, settings: ForestSettings) -> Evaluation:
    """Out-of-bag permutation importance of the bagged forest (random forest or extremely
    randomized trees) with the higher out-of-bag R²; ties go to the random forest."""
    forest = score_out_of_bag(RANDOM_FOREST, design, y, settings)
    extra = score_out_of_bag(EXTRA_TREES, design, y, settings)
    chosen, other = (extra, forest) if (extra.r2 or -np.inf) > (forest.r2 or -np.inf) else (forest, extra)
    return dataclasses.replace(chosen, disagreement=_disagreement(chosen, other))


def top_parameter(evaluation: Evaluation) -> str | None:
    means = {p: float(np.mean(v)) for p, v in evaluation.samples.items() if len(v)}
    best = max(means, key=means.__getitem__, default=None)
    return best if best is not None and means[best] > 0 else None


def _disagreement(chosen: Evaluation, other: Evaluation) -> str:
    """A warning when the forest that predicts slightly worse ranks another parameter first: on a
    few dozen runs the top of the ranking then rests on which forest is asked."""
    ours, theirs = top_parameter(chosen), top_parameter(other)
    close = chosen.r2 is not None and other.r2 is not None and chosen.r2 - other.r2 < DISAGREEMENT_R2
    if ours is None or theirs is None or ours == theirs or not close:
        return ""
    return (
        f"A second forest ({other.forest_kind}) predicts the held-out runs almost as well "
        f"(R² {other.r2:.2f} against {chosen.r2:.2f}) and ranks {theirs} first rather than {ours}: "
        "read the top of the ranking as uncertain."
    )


def split_permutation(design: Design, y: np.ndarray, settings: ForestSettings) -> Evaluation:
    """One smaller forest fitted on a subsample of 75% of the runs, scored on (a subsample of) the
    other 25%: at thousands of runs one split is already precise, and far cheaper."""
    rng = np.random.default_rng(settings.seed)
    order = rng.permutation(len(y))
    cut = int(len(y) * 0.75)
    train, test = np.sort(order[:cut]), np.sort(order[cut:])
    fit_rows = subsample_rows(len(y), min(settings.max_fit_rows, settings.importance_fit_rows), rng, train)
    eval_rows = subsample_rows(len(y), settings.max_eval_rows, rng, test)
    forest = split_forest(settings, len(fit_rows))
    forest.fit(design.matrix[fit_rows], y[fit_rows])
    drops, predicted_eval = permutation_drops(
        forest.predict, design.matrix[eval_rows], y[eval_rows], design, settings.single_split_repeats, rng
    )
    predicted = np.full(len(y), np.nan)
    predicted[eval_rows] = predicted_eval
    return Evaluation(
        samples=drops,
        r2=r2_score(y[eval_rows], predicted_eval),
        r2_kind="held-out",
        predicted=predicted,
        forests=[forest],
        n_fit_rows=len(fit_rows),
        n_eval_rows=len(eval_rows),
        subsampled=len(fit_rows) < len(train) or len(eval_rows) < len(test),
    )
