"""What separates the best runs: per parameter, how differently the top runs are spread from all runs.

In the spirit of PED-ANOVA (Watanabe et al., 2023): a parameter matters for *being among the best*
when its distribution among the top runs differs from its distribution among all runs (the runs
as sampled, like PED-ANOVA's local mode: a follow-up sweep that already narrowed a range makes that
range common among all runs too). The difference is the Pearson (χ²) divergence, on bins:

    divergence = Σ_b (top_b - all_b)² / all_b        (shares of the runs in bin b)

Numbers are binned at the quantiles of all runs, so every bin holds about the same share of them.
A divergence does not depend on the scale a parameter is read on (log or linear), only its
estimate does; equal-share bins make the estimate scale-free too. Numbers with few distinct values,
booleans and categoricals use one bin per value, and runs without a value (a conditional parameter)
have a bin of their own.

Even a parameter with no effect shows some divergence in a small top set, by chance alone: for a
random subset of n of the N runs over B non-empty bins its expected value is
(B - 1) / n * (N - n) / (N - 1), which is subtracted (never below 0). When some configurations were
run several times (seeds), pass their `groups` so that each configuration counts once: its runs
share a weight of 1, and n and N become effective counts (Kish: (Σw)² / Σw²).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lib.analysis._fit import model_kind, runs_with_metric
from lib.columns import NUMERIC_KINDS, Direction, Kind, infer_kind
from lib.filters import best_percent_mask
from lib.values import MISSING_LEVEL, compact_number, level_labels, pooled_levels, real_numbers

MIN_TOP_RUNS = 5
MAX_LEVELS = 30
MIN_BINS, MAX_BINS = 4, 10
RUNS_PER_BIN = 5  # top runs per bin: bins the top set cannot fill only add chance divergence
ROUGH_BELOW_TOP_RUNS = 2 * MIN_BINS * RUNS_PER_BIN
TABLE_COLUMNS = ["parameter", "kind", "separation", "divergence", "chance_divergence", "top_summary"]
NOTABLE_GAP = 0.15  # difference in shares that the comparison sentence calls out
BARELY = 0.05  # a share this small "barely" matters


@dataclass(frozen=True)
class SeparationReport:
    """`table`: one row per parameter, most separating first: `separation` (shares of the summed
    divergence, adding up to 1), `divergence` (above chance), `chance_divergence` (what a random
    top set of this size would show), `top_summary` (one phrase). `n_top` and `n_runs` count runs
    (with a value for the metric); `n_top_effective` counts configurations when `groups` were given.
    The table is empty when the top set is too small to say anything; `warnings` then says why."""

    table: pd.DataFrame
    metric: str
    n_top: int
    n_runs: int
    n_top_effective: float
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ComparedRuns:
    """The runs compared: `top` marks the top set, `weights` make each configuration count once."""

    frame: pd.DataFrame
    top: np.ndarray
    weights: np.ndarray

    @property
    def n_top_effective(self) -> float:
        return effective_count(self.weights[self.top])

    @property
    def n_effective(self) -> float:
        return effective_count(self.weights)


def effective_count(weights: np.ndarray) -> float:
    """Kish's effective sample size: the number of equally weighted runs worth as much."""
    total = float(weights.sum())
    return total**2 / float((weights**2).sum()) if total > 0 else 0.0


def _bin_count(n_top: float) -> int:
    return int(min(MAX_BINS, max(MIN_BINS, n_top // RUNS_PER_BIN)))


def numeric_bins(numbers: np.ndarray, n_bins: int) -> pd.Series:
    """Each value's bin as a label: one per distinct value when there are at most `n_bins` of them,
    else bins at the quantiles of the values; missing values get `MISSING_LEVEL`."""
    present = ~np.isnan(numbers)
    labels = np.full(numbers.shape, MISSING_LEVEL, dtype=object)
    values = numbers[present]
    distinct = np.unique(values)
    if distinct.size <= n_bins:
        labels[present] = [f"{v!r}" for v in values]
    else:
        inner_edges = np.unique(np.quantile(values, np.linspace(0, 1, n_bins + 1)[1:-1]))
        labels[present] = [f"bin {i}" for i in np.searchsorted(inner_edges, values, side="right")]
    return pd.Series(labels, dtype=object)


def weighted_shares(labels: pd.Series, weights: np.ndarray) -> pd.Series:
    """Share of the total weight in each label."""
    totals = pd.Series(weights, index=labels.index).groupby(labels.to_numpy(), sort=True).sum()
    return totals / totals.sum()


def pearson_divergence(labels: pd.Series, compared: ComparedRuns) -> tuple[float, float]:
    """Pearson divergence of the top runs' bin shares from all runs', and what a random top set of
    the same (effective) size would show on average."""
    all_shares = weighted_shares(labels, compared.weights)
    top_shares = weighted_shares(labels[compared.top], compared.weights[compared.top])
    top_shares = top_shares.reindex(all_shares.index, fill_value=0.0)
    divergence = float((((top_shares - all_shares) ** 2) / all_shares).sum())
    n, big_n = compared.n_top_effective, compared.n_effective
    chance = (len(all_shares) - 1) / n * max(big_n - n, 0.0) / (big_n - 1) if big_n > 1 else 0.0
    return divergence, chance


def _format(value: float, integer: bool) -> str:
    if integer and float(value).is_integer():
        return f"{int(value)}"
    return compact_number(value, 2)


def _span(values: np.ndarray, integer: bool) -> str:
    low, high = _format(float(values.min()), integer), _format(float(values.max()), integer)
    return low if low == high else f"{low}..{high}"


def numeric_phrase(name: str, numbers: np.ndarray, compared: ComparedRuns, integer: bool) -> str:
    """`lr: top runs 2e-3..2e-2 (all 1e-4..0.9)`, plus how often a value is missing when it can be."""
    top = compared.top
    top_values = numbers[top][~np.isnan(numbers[top])]
    every = numbers[~np.isnan(numbers)]
    if every.size == 0:
        return f"{name}: no run has a value"
    if top_values.size == 0:
        text = f"{name}: no top run has a value (all {_span(every, integer)})"
    else:
        text = f"{name}: top runs {_span(top_values, integer)} (all {_span(every, integer)})"
    missing = np.isnan(numbers)
    if missing.any():
        top_missing = float(np.average(missing[top], weights=compared.weights[top]))
        all_missing = float(np.average(missing, weights=compared.weights))
        text += f"; missing in {top_missing:.0%} of top runs vs {all_missing:.0%} of all"
    return text


def level_phrase(name: str, labels: pd.Series, compared: ComparedRuns) -> str:
    """`optimizer: adam in 90% of top runs vs 50% of all`, for the level the top runs favour most."""
    all_shares = weighted_shares(labels, compared.weights)
    top_shares = weighted_shares(labels[compared.top], compared.weights[compared.top])
    top_shares = top_shares.reindex(all_shares.index, fill_value=0.0)
    favoured = max(all_shares.index, key=lambda level: (top_shares[level] - all_shares[level], str(level)))
    return (
        f"{name}: {favoured} in {top_shares[favoured]:.0%} of top runs vs {all_shares[favoured]:.0%} of all"
    )


def _parameter_row(name: str, kind: Kind, compared: ComparedRuns, n_bins: int) -> dict:
    values = compared.frame[name].reset_index(drop=True)
    if kind in NUMERIC_KINDS:
        numbers = real_numbers(values)
        labels = numeric_bins(numbers, n_bins)
        summary = numeric_phrase(name, numbers, compared, integer=kind is Kind.INTEGER)
    else:
        labels = pooled_levels(level_labels(values, kind), MAX_LEVELS, count_missing=True, keep_missing=True)
        summary = level_phrase(name, labels, compared)
    divergence, chance = pearson_divergence(labels, compared)
    return {
        "parameter": name,
        "kind": kind.value,
        "divergence": max(divergence - chance, 0.0),
        "chance_divergence": chance,
        "top_summary": summary,
    }


def _weights(groups: pd.Series | None, index: pd.Index) -> np.ndarray:
    """1 / (runs of the same configuration among `index`), or 1 per run without `groups`."""
    if groups is None:
        return np.ones(len(index))
    ids = groups.reindex(index)
    ids = ids.where(ids.notna(), pd.Series(index.astype(str), index=index))  # unknown: its own config
    return 1.0 / ids.map(ids.value_counts()).to_numpy(dtype=float)


def _top_runs(
    runs: pd.DataFrame, metric: str, direction: Direction, percent: float, mask: pd.Series | None
) -> tuple[pd.DataFrame, np.ndarray, str]:
    scored, y = runs_with_metric(runs, metric)
    if mask is None:
        top = best_percent_mask(pd.Series(y, index=scored.index), direction, percent).to_numpy(dtype=bool)
        return scored, top, f"the best {compact_number(percent, 3)}% by {metric}"
    top = mask.reindex(scored.index, fill_value=False).to_numpy(dtype=bool)
    return scored, top, "the selected runs"


def _empty(metric: str, compared: ComparedRuns, warning: str) -> SeparationReport:
    return SeparationReport(
        pd.DataFrame(columns=TABLE_COLUMNS),
        metric,
        int(compared.top.sum()),
        len(compared.top),
        compared.n_top_effective,
        [warning],
    )


def best_runs_separation(
    runs: pd.DataFrame,
    params: Sequence[str],
    metric: str,
    *,
    direction: Direction,
    kinds: Mapping[str, Kind] | None = None,
    percent: float = 10.0,
    mask: pd.Series | None = None,
    groups: pd.Series | None = None,
    min_top_runs: int = MIN_TOP_RUNS,
) -> SeparationReport:
    """How much each parameter separates the best `percent` % of the runs by `metric` (ties at the
    cut-off kept, see `best_percent_mask`) from all runs that have a value for `metric`.

    `mask` (bools indexed like `runs`, e.g. the runs parallel-coordinates thresholds keep) replaces
    the best `percent` %; runs it keeps without a value for `metric` are left out like the rest.
    `groups` (a configuration id per run, e.g. `lib.analysis.noise.repeat_groups`) makes each configuration
    count once. Fewer than `min_top_runs` top runs (configurations, with `groups`) give an empty
    table and a warning."""
    if metric not in runs:
        runs = runs.assign(**{metric: np.nan})
    frame, top, chosen = _top_runs(runs, metric, direction, percent, mask)
    compared = ComparedRuns(frame, top, _weights(groups, frame.index))
    n_top, n_runs = int(top.sum()), len(frame)
    unit = "configurations" if groups is not None else "runs"
    if compared.n_top_effective < min_top_runs - 1e-9:
        return _empty(
            metric,
            compared,
            f"Only {compared.n_top_effective:.3g} {unit} with {metric} are in {chosen} ({n_top} of "
            f"{n_runs} runs); comparing them with all runs needs at least {min_top_runs}. "
            "Widen the selection or add runs.",
        )
    if n_top == n_runs:
        return _empty(
            metric, compared, f"{chosen[0].upper()}{chosen[1:]} are all the runs: nothing to compare."
        )
    given = kinds or {}
    n_bins = _bin_count(compared.n_top_effective)
    rows = [
        _parameter_row(p, model_kind(frame, p, given.get(p) or infer_kind(frame[p], p)), compared, n_bins)
        for p in params
        if p in frame
    ]
    table = pd.DataFrame(rows, columns=[c for c in TABLE_COLUMNS if c != "separation"])
    total = float(table["divergence"].sum())
    table.insert(2, "separation", table["divergence"] / total if total > 0 else 0.0)
    table = table.sort_values(["separation", "parameter"], ascending=[False, True], kind="stable")
    warnings = []
    if compared.n_top_effective < ROUGH_BELOW_TOP_RUNS:
        warnings.append(
            f"The top runs amount to only about {compared.n_top_effective:.0f} {unit} (runs of one "
            "configuration share a weight): read the separation as a rough ranking."
        )
    return SeparationReport(
        table.reset_index(drop=True), metric, n_top, n_runs, compared.n_top_effective, warnings
    )


def _shares(table: pd.DataFrame | None, column: str) -> pd.Series:
    if table is None or table.empty or column not in table:
        return pd.Series(dtype=float)
    return table.set_index("parameter")[column].astype(float).dropna()


def _matters_on_average(param: str, importance: float, separation: float) -> str:
    if separation <= 0:
        return f"{param} matters for the average run but the best runs are spread across all its values"
    return (
        f"{param} matters more for the average run ({importance:.0%} of the importance) than for "
        f"telling the best runs apart ({separation:.0%} of the separation)"
    )


def _matters_at_the_top(param: str, importance: float, separation: float) -> str:
    if importance < BARELY:
        return f"{param} barely moves the average run, yet the best runs concentrate in part of its range"
    return (
        f"{param} tells the best runs apart ({separation:.0%} of the separation) more than it moves "
        f"the average run ({importance:.0%} of the importance)"
    )


def separation_vs_importance_sentence(
    separation_table: pd.DataFrame | None, importance_table: pd.DataFrame | None
) -> str:
    """One plain sentence on how "what makes the best runs" differs from "what moves the metric",
    from a `best_runs_separation` table and an importance table (`parameter`, `importance`)."""
    separation = _shares(separation_table, "separation")
    importance = _shares(importance_table, "importance")
    common = [p for p in importance.index if p in separation.index]
    if not common or separation[common].sum() <= 0 or importance[common].sum() <= 0:
        return "There is not enough to compare what separates the best runs with what matters on average."
    gap = importance[common] - separation[common]
    on_average, at_the_top = str(gap.idxmax()), str(gap.idxmin())  # parameter names
    parts = []
    if gap[on_average] >= NOTABLE_GAP:
        parts.append(_matters_on_average(on_average, importance[on_average], separation[on_average]))
    if -gap[at_the_top] >= NOTABLE_GAP:
        parts.append(_matters_at_the_top(at_the_top, importance[at_the_top], separation[at_the_top]))
    if parts:
        return "; ".join(parts) + "."
    leader, top_importance = separation[common].idxmax(), importance[common].idxmax()
    if leader == top_importance:
        return f"Both rankings agree: {leader} matters most, on average and for being among the best."
    return (
        f"Both rankings broadly agree: {top_importance} leads for the average run and {leader} "
        "for being among the best."
    )
