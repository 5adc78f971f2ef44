"""How close an estimate is to the truth, and mean ± standard error across seeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr


def to_shares(raw: Mapping[str, float], params: Sequence[str]) -> dict[str, float]:
    """Negative or missing scores count as 0; shares sum to 1 (all equal when every score is 0)."""
    clipped = np.array([max(0.0, float(np.nan_to_num(raw.get(p, 0.0)))) for p in params])
    total = clipped.sum()
    shares = clipped / total if total > 0 else np.full(len(params), 1 / len(params))
    return dict(zip(params, shares.tolist(), strict=True))


def spearman(estimate: Mapping[str, float], truth: Mapping[str, float], *, resolution: float = 0.01) -> float:
    """Rank correlation over all parameters; 0 when the estimate ranks nothing (all tied). True
    shares are rounded to `resolution` first, so Monte-Carlo error cannot order equal ones
    (a and b in y = 2ab + c). Dead parameters tie in the truth: an estimate ordering them at random
    loses rank correlation (`spearman_ceiling`), one tying them all at 0 does not."""
    params = list(truth)
    est = [estimate[p] for p in params]
    if len(set(est)) < 2:
        return 0.0
    value = float(spearmanr(est, [round(truth[p] / resolution) for p in params]).statistic)
    return value if np.isfinite(value) else 0.0


def spearman_ceiling(truth: Mapping[str, float]) -> float:
    """Spearman of the true order with ties (the dead parameters) broken arbitrarily: what an
    estimate that orders the live ones right but gives every dead one a different score gets."""
    broken = {p: share + i * 1e-9 for i, (p, share) in enumerate(truth.items())}
    return spearman(broken, truth)


def ndcg_at(estimate: Mapping[str, float], truth: Mapping[str, float], k: int = 3) -> float:
    """NDCG@k with the true shares as gains. Ties in the estimate are scored by their expectation
    under a random order: every position a tied group spans gets the group's mean gain."""
    params = sorted(truth, key=lambda p: -estimate[p])
    gains = np.empty(len(params))
    start = 0
    while start < len(params):
        end = start
        while end + 1 < len(params) and estimate[params[end + 1]] == estimate[params[start]]:
            end += 1
        gains[start : end + 1] = np.mean([truth[p] for p in params[start : end + 1]])
        start = end + 1
    discounts = 1 / np.log2(np.arange(2, k + 2))
    ideal = np.sort(np.array(list(truth.values())))[::-1][:k]
    return float(gains[:k] @ discounts[: len(gains[:k])] / (ideal @ discounts[: len(ideal)]))


def dead_share(estimate: Mapping[str, float], dead: Sequence[str]) -> float:
    return float(sum(estimate[p] for p in dead))


@dataclass(frozen=True)
class MeanSE:
    mean: float
    se: float  # standard error of the mean across seeds (0 with one seed)
    count: int

    def text(self, digits: int = 2) -> str:
        return f"{self.mean:.{digits}f}±{self.se:.{digits}f}"


def mean_se(values: Sequence[float]) -> MeanSE:
    array = np.asarray(values, dtype=float)
    se = float(array.std(ddof=1) / np.sqrt(len(array))) if len(array) > 1 else 0.0
    return MeanSE(float(array.mean()), se, len(array))
