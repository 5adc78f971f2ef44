"""The importance table: raw importance samples made into shares in [0, 1] with an interval, a
noise floor from the shuffled-metric nulls, a signed effect, and the plain correlations.

Shares: a parameter's mean raw importance, negatives read as 0 (a shuffle that happened to help
says "no effect", not "harmful"), over the sum of those. Interval (`importance_low/high`): the 10th
and 90th percentiles of that same share over bootstrap resamples of the samples (folds x shuffles,
or trees), so it is a share too and lies in [0, 1]. Noise floor: the 90th percentile, over the
nulls and the parameters of its kind, of the mean raw importance on a shuffled metric, on the same
scale as the share (divided by the real total); `within_noise` when the share does not exceed it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from lib.analysis.encoding import Design
from lib.analysis.importance_effect import Effect
from lib.columns import Kind
from lib.values import numeric_values

TABLE_COLUMNS = [
    "parameter",
    "kind",
    "importance",
    "importance_low",
    "importance_high",
    "raw_importance",
    "correlation",
    "spearman",
    "runs_with_value",
    "noise_floor",
    "within_noise",
    "effect",
    "effect_text",
]
INTERVAL_PERCENTILES = (10, 90)
NOISE_FLOOR_PERCENTILE = 90
N_BOOTSTRAP = 200
NO_CLEAR_EFFECT = "no clear effect (within noise)"


def correlations(runs: pd.DataFrame, param: str, kind: Kind, y: np.ndarray) -> tuple[float, float]:
    """Pearson and Spearman correlation with the metric; log-scaled parameters on the log scale.
    A categorical has no order, so no single correlation: NaN (see `level_breakdown`)."""
    if kind is Kind.CATEGORICAL:
        return float("nan"), float("nan")
    x = numeric_values(runs[param], kind)
    present = np.isfinite(x)
    x, target = x[present], y[present]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(target) == 0:
        return float("nan"), float("nan")
    pearson = float(np.corrcoef(x, target)[0, 1])
    return pearson, float(np.corrcoef(rankdata(x), rankdata(target))[0, 1])


def _shares(means: np.ndarray) -> np.ndarray:
    """Rows of mean raw importances (last axis = parameters) as shares: negatives as 0, summing to 1."""
    positive = np.clip(means, 0.0, None)
    total = positive.sum(axis=-1, keepdims=True)
    return np.divide(positive, total, out=np.zeros_like(positive), where=total > 0)


def _share_intervals(samples: np.ndarray, shares: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """10-90% bootstrap interval of each share over the samples (rows), widened to hold the share."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(samples), size=(N_BOOTSTRAP, len(samples)))
    boot = _shares(samples[picks].mean(axis=1))
    low, high = np.percentile(boot, INTERVAL_PERCENTILES, axis=0)
    return np.minimum(low, shares), np.maximum(high, shares)


def _noise_floors(null: np.ndarray | None, total: float, kinds: Sequence[Kind]) -> np.ndarray:
    """Per parameter, the 90th percentile of mean null importance as a share of `total`, pooled
    over the parameters of its kind: a few nulls give each parameter only a few values, while
    parameters of one kind (numbers, booleans, categoricals) score alike under the null."""
    if null is None or len(null) == 0 or total <= 0:
        return np.full(len(kinds), np.nan)
    groups = np.array([_null_group(kind) for kind in kinds])
    floors = np.empty(len(kinds))
    for group in set(groups):
        members = groups == group
        pooled = np.clip(null[:, members], 0.0, None).ravel()
        floors[members] = np.percentile(pooled, NOISE_FLOOR_PERCENTILE) / total
    return np.clip(floors, 0.0, 1.0)


def _null_group(kind: Kind) -> str:
    return kind.value if kind in (Kind.CATEGORICAL, Kind.BOOLEAN) else "number"


def importance_table(
    runs: pd.DataFrame,
    kinds: Mapping[str, Kind],
    y: np.ndarray,
    samples: Mapping[str, np.ndarray],
    null: np.ndarray | None,
    effects: Mapping[str, Effect],
    *,
    seed: int,
) -> pd.DataFrame:
    """One row per parameter, most important first, with the columns of `TABLE_COLUMNS`.
    `samples[p]`: raw importance samples, aligned across parameters; `null`: one row per null
    (shuffled metric), one column per parameter, of mean raw importances."""
    params = list(samples)
    matrix = np.column_stack([samples[p] for p in params])
    raw = matrix.mean(axis=0)
    shares = _shares(raw)
    low, high = _share_intervals(matrix, shares, seed)
    floors = _noise_floors(null, float(np.clip(raw, 0.0, None).sum()), [kinds[p] for p in params])
    rows = []
    for i, param in enumerate(params):
        pearson, spearman = correlations(runs, param, kinds[param], y)
        within = bool(np.isfinite(floors[i]) and shares[i] <= floors[i])
        effect = effects.get(param, Effect(float("nan"), ""))
        rows.append(
            {
                "parameter": param,
                "kind": kinds[param].value,
                "importance": float(shares[i]),
                "importance_low": float(low[i]),
                "importance_high": float(high[i]),
                "raw_importance": float(raw[i]),
                "correlation": pearson,
                "spearman": spearman,
                "runs_with_value": int(runs[param].notna().sum()),
                "noise_floor": float(floors[i]),
                "within_noise": within,
                "effect": effect.value,
                "effect_text": NO_CLEAR_EFFECT if within else effect.text,
            }
        )
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def sampling_notes(
    design: Design, n_runs: int, n_fit_rows: int, n_eval_rows: int, *, subsampled: bool
) -> list[str]:
    """What the numbers were computed on, in plain words: subsampling and filled-in branches."""
    notes = []
    if subsampled:
        scored = f", scored on {n_eval_rows:,} held-out runs" if n_eval_rows else ""
        notes.append(
            f"Subsampled for speed: each forest was fitted on {n_fit_rows:,} of the {n_runs:,} runs, "
            f"drawn at random{scored}."
        )
    for child, parent in design.parents.items():
        notes.append(
            f"{child} exists only for some values of {parent}: where it is missing it was filled from "
            f"the runs that have it, and shuffling {parent} carries it along, so {parent} gets the "
            "credit for the branch."
        )
    return notes
