"""One value of a metric per run, chosen from its history: last, best, at a step, mean of the last k.

The chooser's answer feeds every page, so it must be quick on cached history (10,000 runs x 50
steps well under 300 ms): the history's rows are grouped by run once (`run_rows`, contiguous row
ranges, as `MetricHistory` promises rows sorted by run then step) and every choice is one
`reduceat` over those ranges, never a Python loop over runs.

`AT_STEP` takes the value at the last logged step at or before k, and only for runs that reached k
(logged at k or later): a run that stopped at step 30 has no value "at step 40", since comparing
it with runs that went on would rank a short run against long ones. Such runs, and runs whose
first logged step is after k, are counted by `value_gaps` with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.columns import Direction
from lib.histories import RUN_ID, STEP, VALUE, MetricHistory, MetricValue, ValueChoice
from lib.values import compact_number

DEFAULT_STEP_KEY = "_step"  # W&B's own step counter, named "step" in words


@dataclass(frozen=True)
class RunRows:
    """A history's rows grouped by run: run `i` owns rows `starts[i]:ends[i]` of `steps`/`values`,
    in increasing step order."""

    ids: np.ndarray  # run id per run (object)
    starts: np.ndarray
    ends: np.ndarray
    steps: np.ndarray  # float per row
    values: np.ndarray  # float per row

    @property
    def n_runs(self) -> int:
        return len(self.ids)

    @property
    def counts(self) -> np.ndarray:
        return self.ends - self.starts

    @property
    def first_steps(self) -> np.ndarray:
        return self.steps[self.starts]

    @property
    def last_steps(self) -> np.ndarray:
        return self.steps[self.ends - 1]

    def run_of_row(self) -> np.ndarray:
        """The run position of every row."""
        return np.repeat(np.arange(self.n_runs), self.counts)

    def sum_where(self, mask: np.ndarray, numbers: np.ndarray | None = None) -> np.ndarray:
        """Per run, the sum of `numbers` (or the count) over the rows where `mask` holds."""
        if self.n_runs == 0:
            return np.zeros(0)
        taken = mask.astype(float) if numbers is None else np.where(mask, numbers, 0.0)
        return np.add.reduceat(taken, self.starts)


def _boundaries(ids: np.ndarray) -> np.ndarray:
    if len(ids) == 0:
        return np.zeros(0, dtype=np.intp)
    return np.concatenate([[0], np.flatnonzero(ids[1:] != ids[:-1]) + 1])


def _grouped(ids: np.ndarray, steps: np.ndarray) -> bool:
    """Each run's rows are contiguous and in step order (what `MetricHistory` promises)."""
    starts = _boundaries(ids)
    if len(pd.unique(ids[starts])) != len(starts):
        return False
    backwards = np.flatnonzero(np.diff(steps) < 0) + 1
    return bool(np.isin(backwards, starts).all())


def run_rows(history: MetricHistory) -> RunRows:
    """Group the history's rows by run (sorting first only when a source broke the promised order).
    Rows without a finite step or value are dropped."""
    frame = history.frame
    steps = frame[STEP].to_numpy(dtype=float)
    values = frame[VALUE].to_numpy(dtype=float)
    ids = frame[RUN_ID].to_numpy(dtype=object)
    finite = np.isfinite(steps) & np.isfinite(values)
    if not finite.all():
        ids, steps, values = ids[finite], steps[finite], values[finite]
    if not _grouped(ids, steps):
        order = np.lexsort((steps, ids.astype(str)))
        ids, steps, values = ids[order], steps[order], values[order]
    starts = _boundaries(ids)
    ends = np.append(starts[1:], len(ids)).astype(np.intp)
    return RunRows(ids[starts], starts, ends, steps, values)


# ---------------------------------------------------------------------------------------------
# Per-run values


def the_step(value: MetricValue) -> float:
    """The k of "at step k" (a ValueError without one)."""
    if value.step is None or not math.isfinite(value.step):
        raise ValueError("A value at a step needs the step.")
    return float(value.step)


def the_k(value: MetricValue) -> int:
    """The k of "mean of the last k" (a ValueError unless it is at least 1)."""
    if value.k is None or value.k < 1:
        raise ValueError("A mean of the last k values needs k of at least 1.")
    return int(value.k)


def _check(value: MetricValue) -> None:
    if value.choice is ValueChoice.AT_STEP:
        the_step(value)
    if value.choice is ValueChoice.MEAN_LAST:
        the_k(value)


def rows_at_step(rows: RunRows, step: float) -> np.ndarray:
    """Per run, the row of the last logged step at or before `step`; -1 for runs that log their
    first step after it or stop before it."""
    if rows.n_runs == 0:
        return np.zeros(0, dtype=np.intp)
    logged = rows.sum_where(rows.steps <= step).astype(np.intp)
    at = rows.starts + logged - 1
    reached = (logged > 0) & (rows.last_steps >= step)
    return np.where(reached, at, -1)


def values_at_step(rows: RunRows, step: float) -> np.ndarray:
    at = rows_at_step(rows, step)
    return np.where(at >= 0, rows.values[np.maximum(at, 0)], np.nan)


def _best(rows: RunRows, direction: Direction) -> np.ndarray:
    reduce = np.maximum if direction is Direction.MAXIMIZE else np.minimum
    return reduce.reduceat(rows.values, rows.starts)


def _mean_last(rows: RunRows, k: int) -> np.ndarray:
    """Mean of each run's last k values (all of them for runs with fewer than k)."""
    from_end = np.repeat(rows.ends, rows.counts) - np.arange(len(rows.values))  # 1 for a run's last row
    kept = from_end <= k
    return rows.sum_where(kept, rows.values) / np.minimum(rows.counts, k)


def per_run_values(rows: RunRows, value: MetricValue, direction: Direction) -> np.ndarray:
    """The chosen value for each run of `rows` (NaN where it has none)."""
    _check(value)
    if rows.n_runs == 0:
        return np.zeros(0)
    if value.choice is ValueChoice.BEST:
        return _best(rows, direction)
    if value.choice is ValueChoice.AT_STEP:
        return values_at_step(rows, the_step(value))
    if value.choice is ValueChoice.MEAN_LAST:
        return _mean_last(rows, the_k(value))
    return rows.values[rows.ends - 1]


def default_step(history: MetricHistory, run_ids: Sequence[str]) -> float | None:
    """The step to open "at step k" on: the last step that at least half of `run_ids` reached (a
    step some run really logged), so most of them have a value there. None without history."""
    rows = run_rows(history)
    asked = pd.Index(rows.ids, dtype=object).isin(list(run_ids))
    if not asked.any():
        return None
    return float(np.quantile(rows.last_steps[asked], 0.5, method="lower"))


def chosen_values(
    history: MetricHistory, value: MetricValue, *, direction: Direction, run_ids: Sequence[str]
) -> pd.Series:
    """The chosen value of `history`'s metric for each of `run_ids` (index, in that order): NaN for
    runs without history and, at a step, for runs that had not logged by it or stopped before it.
    `LAST` here is the last logged value; the summary (what sources call last) is the caller's."""
    rows = run_rows(history)
    chosen = pd.Series(per_run_values(rows, value, direction), index=pd.Index(rows.ids, dtype=object))
    return chosen.reindex(pd.Index(list(run_ids), dtype=object)).rename(history.metric)


# ---------------------------------------------------------------------------------------------
# Words


def step_text(step: float) -> str:
    """3.0 -> "3", 1500 -> "1500", 0.25 -> "0.25"."""
    return str(int(step)) if float(step).is_integer() else compact_number(step, 4)


def step_name(step_key: str | None) -> str:
    return "step" if step_key in (None, "", DEFAULT_STEP_KEY, STEP) else str(step_key)


def describe_value(
    metric: str, value: MetricValue, direction: Direction, *, step_key: str | None = None
) -> str:
    """A caption naming the chosen value: "val_loss, best (lowest) over training"."""
    _check(value)
    if value.choice is ValueChoice.BEST:
        extreme = "highest" if direction is Direction.MAXIMIZE else "lowest"
        return f"{metric}, best ({extreme}) over training"
    if value.choice is ValueChoice.AT_STEP:
        where = f"{step_name(step_key)} {step_text(the_step(value))}"
        return f"{metric} at {where} (nearest logged at or before)"
    if value.choice is ValueChoice.MEAN_LAST:
        k = the_k(value)
        return f"{metric}, mean of the last {k} logged values" if k > 1 else f"{metric}, last logged value"
    return f"{metric}, last value (the run's summary)"


@dataclass(frozen=True)
class ValueGaps:
    """How many of the asked runs have no chosen value, and why; `short` runs (fewer than k values
    for a mean of the last k) do have one, over the values they logged."""

    n_runs: int
    without_history: int
    not_yet_logged: int  # first logged step after k
    stopped_before: int  # last logged step before k
    short: int

    @property
    def n_missing(self) -> int:
        return self.without_history + self.not_yet_logged + self.stopped_before

    def sentence(self, metric: str, value: MetricValue, *, step_key: str | None = None) -> str:
        """ "12 of 40 runs have no value: 8 have no history of val_loss, 4 stopped before step 30."
        (empty when every run has one)."""
        where = f"{step_name(step_key)} {step_text(value.step)}" if value.step is not None else ""
        has = "has" if self.without_history == 1 else "have"
        reasons = [
            (self.without_history, f"{has} no history of {metric}"),
            (self.not_yet_logged, f"logged it first after {where}"),
            (self.stopped_before, f"stopped before {where}"),
        ]
        text = ""
        if self.n_missing:
            runs = "run has" if self.n_missing == 1 else "runs have"
            why = ", ".join(f"{n} {reason}" for n, reason in reasons if n)
            text = f"{self.n_missing} of {self.n_runs} {runs} no value: {why}."
        if self.short:
            text += f" {self.short} logged fewer than {value.k} values: their mean is over what they logged."
        return text.strip()


def value_gaps(history: MetricHistory, value: MetricValue, *, run_ids: Sequence[str]) -> ValueGaps:
    """Count the runs among `run_ids` that `chosen_values` leaves without a value, by reason."""
    _check(value)
    rows = run_rows(history)
    asked = pd.Index(list(run_ids), dtype=object)
    position = pd.Index(rows.ids, dtype=object).get_indexer(asked)
    present = position[position >= 0]
    not_yet = stopped = short = 0
    if value.choice is ValueChoice.AT_STEP and present.size:
        step = the_step(value)
        not_yet = int((rows.first_steps[present] > step).sum())
        stopped = int(((rows.last_steps[present] < step) & (rows.first_steps[present] <= step)).sum())
    if value.choice is ValueChoice.MEAN_LAST and present.size:
        short = int((rows.counts[present] < the_k(value)).sum())
    return ValueGaps(len(asked), int((position < 0).sum()), not_yet, stopped, short)
