"""Learning curves, the data step: which runs' curves to draw, each thinned, and the median band.

`learning_curves` picks at most `max_curves` of the asked runs (all of them when they fit; else the
best tenth of that budget by the ranking value plus runs spread evenly over the rest of the
ranking, so the picture keeps its spread), thins each curve to about `max_points` points keeping the
smallest and largest value of each bucket of steps (the best point is never lost), and orders them
worst first so the best are drawn on top. The band (median and 25-75% across runs per step bin)
uses every asked run, drawn or not, one vote per run and bin. `lib.figures.learning_curves` draws it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lib.analysis.metric_value import RunRows, per_run_values, run_rows
from lib.columns import Direction
from lib.histories import MetricHistory, MetricValue, ValueChoice

DEFAULT_MAX_CURVES = 2_000
DEFAULT_MAX_POINTS = 200
DEFAULT_N_BEST = 5  # the best runs, drawn on top and named
BEST_SHARE = 0.1  # of the curve budget, kept for the best runs when not every run fits
BAND_BINS = 100  # at most this many step bins for the band
MIN_BAND_RUNS = 3  # a bin with fewer runs has no band (a "median" of one or two curves misleads)
BAND_COLUMNS = ["step", "median", "q25", "q75", "n_runs"]


@dataclass(frozen=True)
class LearningCurves:
    """The curves to draw, worst first: run `run_ids[j]` is `steps`/`values[offsets[j]:offsets[j+1]]`
    (thinned), ranked by `rank_values[j]` (NaN: no ranking value, drawn first). `best_ids` are the
    best few, best first. `band` has one row per step bin with at least MIN_BAND_RUNS runs."""

    metric: str
    step_key: str
    run_ids: list[str]
    steps: np.ndarray
    values: np.ndarray
    offsets: np.ndarray
    rank_values: np.ndarray
    best_ids: list[str]
    band: pd.DataFrame
    n_total: int  # asked runs with history
    n_without_history: int
    notes: list[str] = field(default_factory=list)

    @property
    def n_shown(self) -> int:
        return len(self.run_ids)

    @property
    def caption(self) -> str:
        """ "showing 2,000 of 10,000 runs" (and how many had no history)."""
        text = f"showing {self.n_shown:,} of {self.n_total:,} runs"
        if self.n_without_history:
            have = "has" if self.n_without_history == 1 else "have"
            text += f" ({self.n_without_history:,} more {have} no history of {self.metric})"
        return text

    def curve(self, run_id: str) -> tuple[np.ndarray, np.ndarray]:
        j = self.run_ids.index(run_id)
        part = slice(self.offsets[j], self.offsets[j + 1])
        return self.steps[part], self.values[part]


# ---------------------------------------------------------------------------------------------
# Which runs


def _ranking(rank_values: np.ndarray, direction: Direction) -> np.ndarray:
    """Positions best first; runs without a ranking value last."""
    keyed = -rank_values if direction is Direction.MAXIMIZE else rank_values.copy()
    keyed[np.isnan(keyed)] = np.inf
    return np.argsort(keyed, kind="stable")


def pick_curves(rank_values: np.ndarray, direction: Direction, max_curves: int) -> np.ndarray:
    """Positions of the runs to draw, best first: all when they fit; else the best BEST_SHARE of the
    budget and the rest spread evenly over the remaining ranking (its last run included)."""
    best_first = _ranking(rank_values, direction)
    if len(best_first) <= max_curves:
        return best_first
    n_best = math.ceil(max_curves * BEST_SHARE)
    rest = best_first[n_best:]
    spread = np.round(np.linspace(0, len(rest) - 1, max_curves - n_best)).astype(int)
    return np.concatenate([best_first[:n_best], rest[np.unique(spread)]])


# ---------------------------------------------------------------------------------------------
# Thinning


def _rows_of(rows: RunRows, runs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row numbers of `runs` in that order, and per row its run's place in `runs` and its position."""
    counts = rows.counts[runs]
    curve = np.repeat(np.arange(len(runs)), counts)
    first_of_curve = np.repeat(np.cumsum(counts) - counts, counts)
    position = np.arange(counts.sum()) - first_of_curve
    return np.repeat(rows.starts[runs], counts) + position, curve, position


def thin_rows(
    values: np.ndarray, curve: np.ndarray, position: np.ndarray, counts: np.ndarray, max_points: int
) -> np.ndarray:
    """Which rows to keep (a mask): every row of a curve with at most `max_points`; of a longer one,
    its first and last rows and the smallest and largest value of each of (max_points - 2) // 2
    buckets of consecutive rows."""
    length = counts[curve]
    long = length > max_points
    keep = ~long
    if not long.any():
        return keep
    n_buckets = max(1, (max_points - 2) // 2)
    bucket = position * n_buckets // length
    group = curve.astype(np.int64) * n_buckets + bucket
    candidates = np.flatnonzero(long)
    order = candidates[np.lexsort((values[candidates], group[candidates]))]
    ordered_groups = group[order]
    starts = np.flatnonzero(np.r_[True, ordered_groups[1:] != ordered_groups[:-1]])
    ends = np.r_[starts[1:], len(order)] - 1
    keep[order[starts]] = True  # each bucket's smallest value
    keep[order[ends]] = True  # and its largest
    keep[long & ((position == 0) | (position == length - 1))] = True
    return keep


# ---------------------------------------------------------------------------------------------
# The band


def _bin_steps(steps: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Per row its bin, the step each bin is drawn at, and whether bins are wider than one step:
    each distinct step is a bin when there are at most `n_bins`, else equal-width bins over the
    step range drawn at their centres."""
    distinct, bins = np.unique(steps, return_inverse=True)
    if len(distinct) <= n_bins:
        return bins, distinct, False
    edges = np.linspace(distinct[0], distinct[-1], n_bins + 1)
    bins = np.clip(np.searchsorted(edges, steps, side="right") - 1, 0, n_bins - 1)
    return bins, (edges[:-1] + edges[1:]) / 2, True


def median_band(rows: RunRows, runs: np.ndarray, n_bins: int = BAND_BINS) -> pd.DataFrame:
    """Median and quartiles across `runs` per step bin (each run's mean in the bin is its vote;
    with a bin per distinct step that is its one row there)."""
    row, curve, _ = _rows_of(rows, runs)
    if row.size == 0:
        return pd.DataFrame(columns=BAND_COLUMNS)
    bins, centres, wide = _bin_steps(rows.steps[row], n_bins)
    values = rows.values[row]
    if wide:  # a run may have several rows in one bin: their mean is its vote
        key = bins.astype(np.int64) * len(runs) + curve
        unique_keys, inverse = np.unique(key, return_inverse=True)
        values = np.bincount(inverse, weights=values) / np.bincount(inverse)
        bins = unique_keys // len(runs)
    grouped = pd.Series(values).groupby(bins, sort=True)
    quartiles = grouped.quantile(np.array([0.25, 0.5, 0.75])).unstack()
    band = pd.DataFrame(
        {
            "median": quartiles[0.5],
            "q25": quartiles[0.25],
            "q75": quartiles[0.75],
            "n_runs": grouped.size(),
        }
    )
    band.insert(0, "step", centres[band.index.to_numpy()])
    return band[band["n_runs"] >= MIN_BAND_RUNS].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The data step


def _notes(n_total: int, n_shown: int, n_thinned: int, max_points: int) -> list[str]:
    notes = []
    if n_shown < n_total:
        notes.append(
            f"{n_shown:,} of {n_total:,} curves are drawn: the best {math.ceil(n_shown * BEST_SHARE):,} "
            "and the rest spread evenly over the ranking; the band uses every run."
        )
    if n_thinned:
        notes.append(
            f"{n_thinned:,} curves are thinned to about {max_points} points, keeping each stretch's "
            "lowest and highest value."
        )
    return notes


def learning_curves(
    history: MetricHistory,
    *,
    run_ids: Sequence[str],
    direction: Direction,
    rank_by: pd.Series | None = None,
    max_curves: int = DEFAULT_MAX_CURVES,
    max_points: int = DEFAULT_MAX_POINTS,
    n_best: int = DEFAULT_N_BEST,
    band_bins: int = BAND_BINS,
) -> LearningCurves:
    """The curves of `run_ids` (the kept runs) to draw, ranked by `rank_by` (indexed by run id: the
    value the pages use) or, without it, by each run's best value over training."""
    if max_curves < 1 or max_points < 4:
        raise ValueError("Draw at least one curve of at least four points.")
    rows = run_rows(history)
    found = pd.Index(rows.ids, dtype=object).get_indexer(pd.Index(list(dict.fromkeys(run_ids)), dtype=object))
    asked = found[found >= 0]
    if rank_by is None:
        rank_values = per_run_values(rows, MetricValue(ValueChoice.BEST), direction)[asked]
    else:
        ranking = pd.to_numeric(rank_by, errors="coerce").reindex(pd.Index(rows.ids[asked], dtype=object))
        rank_values = ranking.to_numpy(dtype=float)
    picked = pick_curves(rank_values, direction, max_curves)
    drawn = picked[::-1]  # worst first, so the best are drawn last, on top
    runs = asked[drawn]
    row, curve, position = _rows_of(rows, runs)
    counts = rows.counts[runs]
    keep = thin_rows(rows.values[row], curve, position, counts, max_points)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(curve[keep], minlength=len(runs)))])
    ids = [str(i) for i in rows.ids[runs]]
    has_rank = ~np.isnan(rank_values[picked])
    return LearningCurves(
        metric=history.metric,
        step_key=history.step_key,
        run_ids=ids,
        steps=rows.steps[row[keep]],
        values=rows.values[row[keep]],
        offsets=offsets,
        rank_values=rank_values[drawn],
        best_ids=[str(rows.ids[asked[p]]) for p in picked[has_rank][:n_best]],
        band=median_band(rows, asked, band_bins),
        n_total=len(asked),
        n_without_history=int((found < 0).sum()),
        notes=_notes(len(asked), len(runs), int((counts > max_points).sum()), max_points),
    )
