"""Variance decomposition: fANOVA main effects (Hutter, Hoos & Leyton-Brown, ICML 2014).

A random forest is fitted on the runs. Each tree is a piecewise-constant function over the search
space (the box spanned by the parameters' observed ranges): its leaves cut the box into smaller
boxes, each with one prediction. A parameter's *marginal* at a value is the tree's average over
every other parameter with that one held fixed; the variance of the marginal across the parameter's
range, over the tree's total variance across the whole box, is the share of the metric's variance
the parameter explains on its own (its main effect). Shares are averaged over trees, with their
spread across trees; what they leave of the total is explained only by parameters acting together.

How it is computed here: every parameter gets one coordinate in which the search space is uniform on
[0, 1] (the "measure" coordinate, see `_cut_in_measure`), so a leaf's share of the space is the
product of its widths, and a parameter's marginal is a step function whose steps fall at the
tree's thresholds on it. Boxes and marginals of a whole tree are computed at once with numpy from
scikit-learn's fitted `tree_` arrays. Randomness comes only from `seed`: the forest's bootstraps, the
subsample of a large sweep, and the values drawn for a conditional parameter's missing runs (`_space`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

from lib.analysis._fit import MIN_RUNS, model_kinds, runs_with_metric
from lib.analysis.encoding import Design, design_matrix
from lib.analysis.importance import trust_warnings
from lib.columns import Kind
from lib.values import MAX_LEVELS

if TYPE_CHECKING:
    from sklearn.tree._tree import Tree  # a fitted tree's `tree_`

MISSING_POSITION = -1.0  # where a run without the parameter sits; present values lie in [0, 1]
SPREAD_PERCENTILES = (10, 90)


@dataclass(frozen=True)
class FanovaReport:
    """`table`: one row per parameter (parameter, kind, variance_share, low, high, runs_with_value),
    by variance_share descending. `interaction_share`: the part of the variance no single parameter
    explains on its own, i.e. what parameters explain only together. `r2` is the forest's
    out-of-bag R²: the decomposition is only as good as the forest."""

    table: pd.DataFrame
    interaction_share: float
    n_runs: int
    n_without_metric: int
    metric: str
    r2: float | None = None
    n_trees: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Space:
    """The runs as the forest sees them: one column per parameter, present values on [0, 1],
    missing ones at MISSING_POSITION; `missing_share[d]` is the share of the space given to
    "parameter d is missing"."""

    x: np.ndarray
    missing_share: np.ndarray


def _numeric_positions(column: np.ndarray) -> np.ndarray:
    """Present values on [0, 1]: the observed range, widened at each end by half the smallest step
    between distinct values, so that the end values of a grid (or of an integer or boolean
    parameter) get as much of the range as the inner ones do."""
    present = ~np.isnan(column)
    positions = np.full(len(column), MISSING_POSITION)
    distinct = np.unique(column[present])
    if len(distinct) < 2:
        positions[present] = 0.5
        return positions
    half_step = float(np.diff(distinct).min()) / 2
    low, high = distinct[0] - half_step, distinct[-1] + half_step
    positions[present] = (column[present] - low) / (high - low)
    return positions


def _categorical_positions(one_hot: np.ndarray, present: np.ndarray) -> np.ndarray:
    """A categorical as ONE coordinate: its levels as equal cells of [0, 1], in their natural order.

    Not one-hot columns: fANOVA averages over a product space, and with one column per level most
    of that space is impossible (no level, or several at once); the level's effect would be spread
    over columns whose separate main effects do not add up to the parameter's. With one cell per
    level, the marginal is exactly the tree's average for each level.

    The order does not look at the metric. Sorting levels by the analysed runs' mean metric lets
    threshold splits separate good from bad levels, but it leaks the metric into the coordinate: a
    dead 40-level categorical sorted by 50 runs' means reads as a smooth trend and took 36% of the
    variance (1% in a fixed order; a real 4-level effect kept 25% vs 19%; 6 seeds each).
    """
    level = one_hot.argmax(axis=1)
    n_levels = max(one_hot.shape[1], 1)
    return np.where(present, (level + 0.5) / n_levels, MISSING_POSITION)


def _decides_existence(parent: np.ndarray, missing: np.ndarray) -> bool:
    """True when `parent` (positions of another parameter) is present wherever `missing` is, and
    each of its values comes always or never with `missing`: momentum exists exactly when the
    optimizer is sgd."""
    if np.any(parent[missing] == MISSING_POSITION):
        return False
    codes, levels = pd.factorize(parent)
    if not 2 <= len(levels) <= MAX_LEVELS:
        return False
    runs_missing = np.bincount(codes, weights=missing, minlength=len(levels))
    runs = np.bincount(codes, minlength=len(levels))
    return bool(np.all((runs_missing == 0) | (runs_missing == runs)))


def _space(design: Design, params: Sequence[str], kinds: Mapping[str, Kind], seed: int) -> _Space:
    """Where another parameter decides whether a parameter exists (a branch of a conditional
    space), a missing value says nothing the other does not: it is filled with values drawn from
    the runs that have it, so the tree credits the branch to the parameter that chose it and sees
    this one as not mattering outside its branch. Any other missing value is a value of its own
    (a weight decay left out may mean none), given the share of the space that such runs have
    in the data, and its contrast with the present values is part of the parameter's effect."""
    columns = []
    for param in params:
        block = design.matrix[:, design.groups[param]]
        if kinds[param] is Kind.CATEGORICAL:
            columns.append(_categorical_positions(block, design.present[param]))
        else:
            columns.append(_numeric_positions(block[:, 0]))
    x = np.column_stack(columns)
    rng = np.random.default_rng(seed)
    for d in range(x.shape[1]):
        missing = x[:, d] == MISSING_POSITION
        if missing.all() or not missing.any():
            continue
        if any(_decides_existence(x[:, other], missing) for other in range(x.shape[1]) if other != d):
            x[missing, d] = rng.choice(x[~missing, d], size=int(missing.sum()))
    return _Space(x=x, missing_share=(x == MISSING_POSITION).mean(axis=0))


def _cut_in_measure(threshold: np.ndarray, feature: np.ndarray, missing_share: np.ndarray) -> np.ndarray:
    """A split threshold as a point of the measure coordinate, where the space is uniform on [0, 1]:
    [0, p) holds "missing" (p = its share), [p, 1] the present range, stretched by 1 - p."""
    p = missing_share[feature]
    return p * (threshold > MISSING_POSITION) + (1 - p) * np.clip(threshold, 0.0, 1.0)


def _leaf_boxes(tree: Tree, missing_share: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper corners (leaves x parameters, measure coordinates) and prediction of every
    leaf. Boxes are narrowed from the root down, one level of the tree at a time."""
    left, right, feature = tree.children_left, tree.children_right, tree.feature
    n_nodes, n_dims = tree.node_count, len(missing_share)
    split = left >= 0
    cut = np.zeros(n_nodes)
    cut[split] = _cut_in_measure(tree.threshold[split], feature[split], missing_share)
    lower, upper = np.zeros((n_nodes, n_dims)), np.ones((n_nodes, n_dims))
    level = np.array([0])
    while level.size:
        parents = level[split[level]]
        dims = feature[parents]
        for children, bound in ((left[parents], upper), (right[parents], lower)):
            lower[children], upper[children] = lower[parents], upper[parents]
            bound[children, dims] = cut[parents]
        level = np.concatenate([left[parents], right[parents]])
    leaves = ~split
    return lower[leaves], upper[leaves], tree.value[leaves, 0, 0]


def _products_of_others(widths: np.ndarray) -> np.ndarray:
    """[l, d] = product of row l over every column but d (no division, so zero widths are safe)."""
    ones = np.ones((len(widths), 1))
    before = np.cumprod(np.hstack([ones, widths[:, :-1]]), axis=1)
    after = np.cumprod(np.hstack([ones, widths[:, :0:-1]]), axis=1)[:, ::-1]
    return before * after


def _main_effect_variances(lower: np.ndarray, upper: np.ndarray, centred: np.ndarray) -> np.ndarray:
    """Per parameter, the variance of the tree's marginal; `centred` = leaf predictions minus the
    tree's mean over the space, so each marginal averages to zero and its variance is its mean square.

    Along parameter d the leaves' edges cut [0, 1] into cells; on a cell the marginal is the sum,
    over the leaves spanning it, of prediction x the leaf's width in every other parameter: a running
    sum of +that at each leaf's lower edge and -that at its upper edge. All parameters share one
    sorted axis, parameter d on [2d, 2d + 1], so a single sort and cumulative sum serve them all.
    """
    n_dims = lower.shape[1]
    offset = 2.0 * np.arange(n_dims)
    weight = (centred[:, None] * _products_of_others(upper - lower)).ravel()
    starts, ends = (lower + offset).ravel(), (upper + offset).ravel()
    edges = np.unique(np.concatenate([starts, ends]))
    steps = np.bincount(np.searchsorted(edges, starts), weights=weight, minlength=len(edges))
    steps -= np.bincount(np.searchsorted(edges, ends), weights=weight, minlength=len(edges))
    marginal = np.cumsum(steps)[:-1]
    middle = (edges[:-1] + edges[1:]) / 2
    dim = np.floor(middle / 2).astype(int)
    width = np.where(middle - 2.0 * dim < 1.0, np.diff(edges), 0.0)  # not the gaps between parameters
    return np.bincount(dim, weights=width * marginal**2, minlength=n_dims)


def tree_main_effect_shares(tree: Tree, missing_share: np.ndarray) -> np.ndarray | None:
    """Per parameter, its main-effect variance over the tree's total variance; None for a tree that
    predicts one value everywhere (it says nothing about shares)."""
    lower, upper, values = _leaf_boxes(tree, missing_share)
    volume = np.prod(upper - lower, axis=1)
    mean = float(volume @ values)
    total = float(volume @ (values - mean) ** 2)
    if total <= 1e-12 * max(float(np.mean(values**2)), 1e-300):
        return None
    return _main_effect_variances(lower, upper, values - mean) / total


def _fit_forest(
    space: _Space, y: np.ndarray, n_trees: int, seed: int, max_depth: int | None, min_samples_leaf: int
) -> RandomForestRegressor:
    forest = RandomForestRegressor(
        n_estimators=n_trees,
        max_depth=max_depth,
        min_samples_leaf=min_samples_leaf,
        max_features=1.0,
        oob_score=True,
        n_jobs=-1,
        random_state=seed,
    )
    with warnings.catch_warnings():  # with few trees some runs are in every bootstrap: R² uses the rest
        warnings.filterwarnings("ignore", message="Some inputs do not have OOB scores")
        # Centred and scaled: shares do not depend on the metric's units, and sums stay well conditioned.
        return forest.fit(space.x, (y - y.mean()) / (y.std() or 1.0))


def _subsample_rows(n: int, cap: int, seed: int) -> np.ndarray:
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=cap, replace=False))


def _table(
    runs: pd.DataFrame, params: Sequence[str], kinds: Mapping[str, Kind], shares: np.ndarray
) -> pd.DataFrame:
    """`shares`: trees x parameters; no rows (every tree flat) gives NaN shares."""
    if len(shares):
        mean = shares.mean(axis=0)
        low, high = np.percentile(shares, SPREAD_PERCENTILES, axis=0)
    else:
        mean = low = high = np.full(len(params), np.nan)
    table = pd.DataFrame(
        {
            "parameter": list(params),
            "kind": [kinds[p].value for p in params],
            "variance_share": mean,
            "low": low,
            "high": high,
            "runs_with_value": [int(runs[p].notna().sum()) for p in params],
        }
    )
    return table.sort_values("variance_share", ascending=False, kind="stable").reset_index(drop=True)


def _empty_report(params: Sequence[str], metric: str, n: int, missing: int, why: str) -> FanovaReport:
    table = pd.DataFrame({"parameter": list(params)}).assign(
        kind="", variance_share=np.nan, low=np.nan, high=np.nan, runs_with_value=0
    )
    return FanovaReport(table, float("nan"), n, missing, metric, warnings=[why])


def fanova_report(
    runs: pd.DataFrame,
    params: Sequence[str],
    metric: str,
    *,
    kinds: Mapping[str, Kind] | None = None,
    n_trees: int = 64,
    seed: int = 0,
    max_depth: int | None = None,
    min_samples_leaf: int = 2,
    max_fit_rows: int = 4000,
) -> FanovaReport:
    """The share of `metric`'s variance each parameter explains on its own, from a random forest of
    `n_trees` trees fitted on at most `max_fit_rows` runs (bootstraps and the subsample drawn with
    `seed`). Runs without a value for the metric are left out and counted; log-scaled parameters are
    read on the log10 scale; a run without a parameter gets a value of its own for it, unless another
    parameter decides whether it exists (see `_space`)."""
    with_metric, y_metric = runs_with_metric(runs, metric)
    n_runs, n_missing = len(with_metric), len(runs) - len(with_metric)
    if n_runs < MIN_RUNS or not params:
        why = f"{n_runs} runs have a value for {metric}; fANOVA needs at least {MIN_RUNS}."
        return _empty_report(params, metric, n_runs, n_missing, why)
    kinds_in_model = model_kinds(with_metric, params, kinds)
    rows = _subsample_rows(n_runs, max_fit_rows, seed)
    fitted, y = with_metric.iloc[rows], y_metric[rows]
    space = _space(design_matrix(fitted, params, kinds_in_model), params, kinds_in_model, seed)
    forest = _fit_forest(space, y, n_trees, seed, max_depth, min_samples_leaf)
    per_tree = [tree_main_effect_shares(t.tree_, space.missing_share) for t in forest.estimators_]
    shares = np.array([s for s in per_tree if s is not None]).reshape(-1, len(params))
    r2 = float(forest.oob_score_) if np.var(y) > 0 else None
    interaction = float(np.clip(1.0 - shares.sum(axis=1), 0.0, 1.0).mean()) if len(shares) else float("nan")
    return FanovaReport(
        table=_table(with_metric, params, kinds_in_model, shares),
        interaction_share=interaction,
        n_runs=n_runs,
        n_without_metric=n_missing,
        metric=metric,
        r2=r2,
        n_trees=len(shares),
        warnings=trust_warnings(n_runs, len(params), r2, "out-of-bag"),
    )


def fanova_importance(
    runs: pd.DataFrame,
    params: Sequence[str],
    metric: str,
    *,
    kinds: Mapping[str, Kind] | None = None,
    n_trees: int = 64,
    seed: int = 0,
    max_depth: int | None = None,
    min_samples_leaf: int = 2,
    max_fit_rows: int = 4000,
) -> pd.DataFrame:
    """`fanova_report(...).table`, with the interaction share in `table.attrs["interactions"]`."""
    report = fanova_report(
        runs,
        params,
        metric,
        kinds=kinds,
        n_trees=n_trees,
        seed=seed,
        max_depth=max_depth,
        min_samples_leaf=min_samples_leaf,
        max_fit_rows=max_fit_rows,
    )
    table = report.table.copy()
    table.attrs["interactions"] = report.interaction_share
    return table
