"""Could the sweep have stopped early? How well the ranking of runs part-way agrees with the final one.

At each step s of a grid of the logged steps, every run that has reached s (logged at or before s
and went on to s or beyond) stands at the value of its last logged step at or before s; runs that
had stopped before s are left out of that step, as `metric_value` leaves them out of "at step k".
Among those runs the step reports:

- Spearman's rank correlation between the values at s and the final values (the chosen value the
  pages rank by: the summary, the best, ...);
- the successive-halving view: had the top q% at s been kept, what share of the final top q% (of
  the same runs) would have survived.

The ranking "agrees from step s" when Spearman is at or above the threshold at s and at every later
step with enough runs, so a lucky early step does not count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from lib.analysis.metric_value import RunRows, run_rows, step_name, step_text, values_at_step
from lib.columns import Direction
from lib.histories import MetricHistory

DEFAULT_THRESHOLD = 0.9
DEFAULT_TOP_PERCENT = 25.0
MIN_RUNS = 8  # fewer runs at a step and its ranking says little
MIN_STEPS = 3  # fewer distinct logged steps and there is no "part-way"
MAX_GRID = 100  # steps on the grid at most (spread over the logged ones, the last always kept)
LATE_SHARE = 0.8  # agreeing only past this share of the step range is agreeing at the end


@dataclass(frozen=True)
class RankStability:
    """Agreement with the final ranking per grid step (arrays of one entry per step), the first
    step from which it stays at or above `threshold` (None if never, or not enough data), and the
    sentence for the page. `enough` is False when there are too few runs or steps to tell."""

    metric: str
    step_key: str
    steps: np.ndarray
    n_runs_reporting: np.ndarray
    spearman: np.ndarray  # NaN at steps with fewer than MIN_RUNS runs, or no spread
    top_kept_share: np.ndarray  # in [0, 1]; NaN where spearman is
    threshold: float
    top_percent: float
    stable_from: float | None
    n_runs: int  # runs with history and a final value
    n_distinct_steps: int
    enough: bool
    sentence: str

    def as_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "step": self.steps,
                "n_runs_reporting": self.n_runs_reporting,
                "spearman": self.spearman,
                "top_kept_share": self.top_kept_share,
            }
        )


# ---------------------------------------------------------------------------------------------
# Per step


def step_grid(steps: np.ndarray, max_steps: int = MAX_GRID) -> np.ndarray:
    """The distinct logged steps, thinned evenly to at most `max_steps` (first and last kept)."""
    distinct = np.unique(steps)
    if len(distinct) <= max_steps:
        return distinct
    picks = np.unique(np.round(np.linspace(0, len(distinct) - 1, max_steps)).astype(int))
    return distinct[picks]


@dataclass(frozen=True)
class Ranked:
    """Values with their average ranks (1-based, ties share the mean rank) and their order best first."""

    ranks: np.ndarray
    best_first: np.ndarray

    @staticmethod
    def of(values: np.ndarray, direction: Direction) -> Ranked:
        keyed = -values if direction is Direction.MAXIMIZE else values
        order = np.argsort(keyed, kind="stable")
        ordered = keyed[order]
        new_value = np.r_[True, ordered[1:] != ordered[:-1]]
        starts = np.flatnonzero(new_value)
        sizes = np.diff(np.r_[starts, len(ordered)])
        ranks = np.empty(len(values))
        ranks[order] = (starts + (sizes + 1) / 2)[np.cumsum(new_value) - 1]
        return Ranked(ranks, order)


def spearman(a: Ranked, b: Ranked) -> float:
    """Rank correlation with average ranks for ties; NaN when either side has no spread."""
    if a.ranks.std() == 0 or b.ranks.std() == 0:
        return math.nan
    return float(np.corrcoef(a.ranks, b.ranks)[0, 1])


def kept_share(at_step: Ranked, final: Ranked, top_percent: float) -> float:
    """Share of the final top q% that the top q% at the step also holds (ties broken by position)."""
    n = len(final.ranks)
    n_top = max(1, math.ceil(n * top_percent / 100))
    in_final_top = np.zeros(n, dtype=bool)
    in_final_top[final.best_first[:n_top]] = True
    return float(in_final_top[at_step.best_first[:n_top]].sum()) / n_top


def _scoped(
    rows: RunRows, final: pd.Series | None, run_ids: list[str] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Run positions in `rows` to analyse, and their final values (last logged without `final`)."""
    finals = rows.values[rows.ends - 1] if rows.n_runs else np.zeros(0)
    if final is not None:
        finals = (
            pd.to_numeric(final, errors="coerce").reindex(pd.Index(rows.ids, dtype=object)).to_numpy(float)
        )
    use = np.isfinite(finals)
    if run_ids is not None:
        use &= pd.Index(rows.ids, dtype=object).isin(run_ids)
    positions = np.flatnonzero(use)
    return positions, finals[positions]


def _agreement_by_step(
    rows: RunRows,
    positions: np.ndarray,
    finals: np.ndarray,
    grid: np.ndarray,
    *,
    top_percent: float,
    direction: Direction,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_reporting = np.zeros(len(grid), dtype=int)
    rho = np.full(len(grid), np.nan)
    share = np.full(len(grid), np.nan)
    all_finals = Ranked.of(finals, direction)
    for i, step in enumerate(grid):
        at_step = values_at_step(rows, float(step))[positions]
        reporting = np.isfinite(at_step)
        n_reporting[i] = int(reporting.sum())
        if n_reporting[i] < MIN_RUNS:
            continue
        everyone = n_reporting[i] == len(positions)
        final = all_finals if everyone else Ranked.of(finals[reporting], direction)
        now = Ranked.of(at_step[reporting], direction)
        rho[i] = spearman(now, final)
        if not math.isnan(rho[i]):
            share[i] = kept_share(now, final, top_percent)
    return n_reporting, rho, share


def stable_from(steps: np.ndarray, rho: np.ndarray, threshold: float) -> float | None:
    """The earliest step from which every step with a Spearman has it at or above `threshold`."""
    known = np.flatnonzero(~np.isnan(rho))
    below = known[rho[known] < threshold]
    after = known[known > below[-1]] if below.size else known
    return float(steps[after[0]]) if after.size else None


# ---------------------------------------------------------------------------------------------
# Words


def _too_few(metric: str, n_runs: int, n_steps: int) -> str | None:
    if n_runs < MIN_RUNS:
        have = "run has" if n_runs == 1 else "runs have"
        return (
            f"Too few runs to tell: {n_runs} {have} a history of {metric} and a final value "
            f"({MIN_RUNS} needed)."
        )
    if n_steps < MIN_STEPS:
        return (
            f"Too few steps to tell: the runs log {metric} at {n_steps} distinct "
            f"step{'s' if n_steps != 1 else ''} ({MIN_STEPS} needed)."
        )
    return None


def _sentence(result: RankStability) -> str:
    where = step_name(result.step_key)
    known = ~np.isnan(result.spearman)
    if not known.any():
        return (
            f"No step has {MIN_RUNS} or more runs reporting {result.metric} with some spread: "
            "too few to tell."
        )
    last = float(result.steps[-1])
    if result.stable_from is None:
        peak = int(np.nanargmax(result.spearman))
        return (
            f"The ranking never agrees with the final one at {result.threshold:g} or more (at best "
            f"{result.spearman[peak]:.2f}, at {where} {step_text(float(result.steps[peak]))}): "
            "stopping runs early would have lost some of the best."
        )
    i = int(np.flatnonzero(result.steps == result.stable_from)[0])
    at = f"{where} {step_text(result.stable_from)}"
    first = float(result.steps[0])
    late = last > first and (result.stable_from - first) / (last - first) > LATE_SHARE
    if late or result.stable_from == last:
        return (
            f"The ranking agrees with the final one (Spearman {result.threshold:g} or more) only from {at} "
            f"of {step_text(last)}: stopping runs early would have lost some of the best."
        )
    q = f"{result.top_percent:g}%"
    return (
        f"The ranking at {at} agrees with the final one at {result.spearman[i]:.2f}, and keeping its top {q} "
        f"would have kept {result.top_kept_share[i]:.0%} of the final top {q}: "
        "a successive-halving sweep could stop most runs there."
    )


def rank_stability(
    history: MetricHistory,
    *,
    direction: Direction,
    final: pd.Series | None = None,
    run_ids: list[str] | None = None,
    top_percent: float = DEFAULT_TOP_PERCENT,
    threshold: float = DEFAULT_THRESHOLD,
    max_steps: int = MAX_GRID,
) -> RankStability:
    """Agreement of each step's ranking with the final one for the runs of `history` (only those in
    `run_ids` when given) that have a final value: `final` (indexed by run id: the value the pages
    rank by), or the last logged value without it."""
    if not 0 < top_percent <= 100:
        raise ValueError("The top share is a percentage above 0 and at most 100.")
    rows = run_rows(history)
    positions, finals = _scoped(rows, final, run_ids)
    scoped_steps = rows.steps[np.isin(rows.run_of_row(), positions)]
    grid = step_grid(scoped_steps, max_steps)
    n_distinct = len(np.unique(scoped_steps))
    too_few = _too_few(history.metric, len(positions), n_distinct)
    nothing = np.full(len(grid), np.nan)
    n_reporting, rho, share = (
        _agreement_by_step(rows, positions, finals, grid, top_percent=top_percent, direction=direction)
        if too_few is None
        else (np.zeros(len(grid), dtype=int), nothing, nothing.copy())
    )
    result = RankStability(
        metric=history.metric,
        step_key=history.step_key,
        steps=grid,
        n_runs_reporting=n_reporting,
        spearman=rho,
        top_kept_share=share,
        threshold=threshold,
        top_percent=top_percent,
        stable_from=stable_from(grid, rho, threshold),
        n_runs=len(positions),
        n_distinct_steps=n_distinct,
        enough=too_few is None,
        sentence=too_few or "",
    )
    return result if too_few is not None else replace(result, sentence=_sentence(result))
