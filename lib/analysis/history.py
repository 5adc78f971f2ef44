"""How the search explored: the metric over run order with the best so far, per sweep, and which
sweeps narrowed where they sampled, so a reader sees whether and where it converged. The charts of
these are drawn by `lib.figures.history`.

Run order is creation order (`run.created`) where known, else the order of the runs table. Runs
without a value for the metric (failed, still running) keep their place in the order and are
counted, but add no point and do not move the best-so-far line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from lib.columns import Direction, Kind
from lib.sweep import RUN_CREATED, RUN_NAME, RUN_STATE, RUN_SWEEP, Sweep
from lib.values import compact_number, counted, level_labels, reads_as_numbers, real_numbers

NO_SWEEP = "no sweep"
HISTORY_COLUMNS = [
    "run_id",
    "name",
    "state",
    "sweep",
    "order",
    "sweep_order",
    "created",
    "value",
    "best_so_far",
    "sweep_best_so_far",
    "improved",
]
TAIL_SHARE = 0.25  # "the last quarter of the runs" in the convergence summary
NARROWED_BELOW = 0.5  # a later sweep "narrowed" a parameter when it spans under half the earlier range


# ---------------------------------------------------------------------------------------------
# Order and the running best


def orders_by_created(runs: pd.DataFrame) -> bool:
    return RUN_CREATED in runs and bool(runs[RUN_CREATED].notna().any())


def run_order(runs: pd.DataFrame) -> np.ndarray:
    """Row positions in the order the runs were made: by `run.created` where any run has one (runs
    without a time after the others), ties and unknown times in table order; else table order."""
    if not orders_by_created(runs):
        return np.arange(len(runs))
    created = pd.to_datetime(runs[RUN_CREATED], utc=True, errors="coerce")
    return np.argsort(created.to_numpy(dtype="datetime64[ns]"), kind="stable")  # NaT sorts last


def sweep_labels(runs: pd.DataFrame) -> pd.Series:
    """Each run's sweep id as text; runs outside any sweep are "no sweep"."""
    if RUN_SWEEP not in runs:
        return pd.Series(NO_SWEEP, index=runs.index, dtype=object)
    return runs[RUN_SWEEP].map(lambda v: NO_SWEEP if pd.isna(v) else str(v)).astype(object)


def running_best(values: pd.Series, direction: Direction) -> pd.Series:
    """The best value so far at each position; carried over runs without a value, NaN before the first."""
    best = values.cummax() if direction is Direction.MAXIMIZE else values.cummin()
    return best.ffill()


def _better(value: pd.Series, than: pd.Series, direction: Direction) -> pd.Series:
    return value > than if direction is Direction.MAXIMIZE else value < than


def _column_or(runs: pd.DataFrame, column: str, default: object) -> pd.Series:
    return runs[column] if column in runs else pd.Series(default, index=runs.index)


def search_history(sweep: Sweep, metric: str) -> pd.DataFrame:
    """One row per run in run order: run_id, name, state, sweep, order (1-based, all runs),
    sweep_order (1-based within its sweep), created, value (NaN without the metric), best_so_far
    (over all runs so far), sweep_best_so_far (within the run's sweep) and improved (this run set a
    new overall best). Best means largest or smallest by `sweep.direction(metric)`."""
    runs = sweep.runs
    if metric not in runs:
        raise ValueError(f"{metric} is not a column of these runs.")
    direction = sweep.direction(metric)
    ordered = runs.iloc[run_order(runs)]
    ids = ordered.index.astype(str)
    frame = pd.DataFrame(
        {
            "run_id": ids,
            "name": _column_or(ordered, RUN_NAME, None)
            .astype(object)
            .fillna(pd.Series(ids, index=ordered.index, dtype=object))
            .to_numpy(),
            "state": _column_or(ordered, RUN_STATE, None).to_numpy(),
            "sweep": sweep_labels(ordered).to_numpy(),
            "order": np.arange(1, len(ordered) + 1),
            "created": pd.to_datetime(
                _column_or(ordered, RUN_CREATED, pd.NaT), utc=True, errors="coerce"
            ).to_numpy(),
            "value": real_numbers(ordered[metric]),
        }
    )
    frame["sweep_order"] = frame.groupby("sweep", sort=False).cumcount() + 1
    frame["best_so_far"] = running_best(frame["value"], direction)
    frame["sweep_best_so_far"] = frame.groupby("sweep", sort=False)["value"].transform(
        lambda values: running_best(values, direction)
    )
    previous = frame["best_so_far"].shift(1)
    frame["improved"] = frame["value"].notna() & (
        previous.isna() | _better(frame["value"], previous, direction)
    )
    return frame[HISTORY_COLUMNS]


# ---------------------------------------------------------------------------------------------
# Words


def _number(value: float) -> str:
    return compact_number(value, 3)


def convergence_summary(history: pd.DataFrame, metric: str, direction: Direction) -> str:
    """Two or three plain sentences: where the best run came, how much the last quarter of the runs
    improved on what came before, and how many runs have no value."""
    n = len(history)
    valued = history["value"].notna()
    if not valued.any():
        if n == 1:
            return f"The one run has no value for {metric}."
        return f"None of the {counted(n, 'run')} has a value for {metric}."
    best = float(history["best_so_far"].iloc[-1])
    setter = history[history["improved"]].iloc[-1]
    several_sweeps = history["sweep"].nunique() > 1
    where = f" (sweep {setter['sweep']})" if several_sweeps else ""
    text = f"The best {metric} ({_number(best)}) was reached at run {setter['order']} of {n}{where}."
    tail = max(1, math.ceil(n * TAIL_SHARE))
    before = history["best_so_far"].iloc[n - tail - 1] if n > tail else math.nan
    if not math.isnan(before):
        gain = best - before if direction is Direction.MAXIMIZE else before - best
        if gain > 0:
            relative = f" ({gain / abs(before):.1%})" if before != 0 else ""
            text += f" The last {counted(tail, 'run')} improved it by {_number(gain)}{relative}."
        else:
            text += f" The last {counted(tail, 'run')} did not improve it."
    missing = int((~valued).sum())
    if missing:
        runs_are = "runs without it are" if missing > 1 else "run without it is"
        text += f" {missing} {runs_are} counted in the order but not drawn."
    return text


def _numeric_span(values: np.ndarray, log: bool) -> tuple[float, float, float] | None:
    present = values[~np.isnan(values)]
    if log:
        present = present[present > 0]
    if present.size == 0:
        return None
    low, high = float(present.min()), float(present.max())
    width = math.log10(high / low) if log else high - low
    return low, high, width


def _span_text(low: float, high: float, integer: bool) -> str:
    a, b = (f"{low:.0f}", f"{high:.0f}") if integer else (compact_number(low, 2), compact_number(high, 2))
    return a if a == b else f"{a} – {b}"


def _narrowing(sweep: Sweep, param: str, mine: pd.Series, earlier: pd.Series) -> str | None:
    """ "learning_rate in 2e-3 – 0.17 (before: 1e-4 – 0.96)" when this sweep sampled a clearly
    narrower range (or fewer levels) than the runs made before it; None otherwise."""
    if reads_as_numbers(sweep, param):
        log, integer = sweep.kind(param) is Kind.LOG, sweep.kind(param) is Kind.INTEGER
        now, then = _numeric_span(real_numbers(mine), log), _numeric_span(real_numbers(earlier), log)
        if now is None or then is None or not now[2] < NARROWED_BELOW * then[2]:
            return None
        return (
            f"{param} in {_span_text(now[0], now[1], integer)} "
            f"(before: {_span_text(then[0], then[1], integer)})"
        )
    kind = sweep.kind(param)
    now_levels = set(level_labels(mine.dropna(), kind))
    then_levels = set(level_labels(earlier.dropna(), kind))
    if not now_levels or not now_levels < then_levels:
        return None
    return f"{param} in {', '.join(sorted(now_levels))} (before: {', '.join(sorted(then_levels))})"


def sampling_summary(sweep: Sweep, params: Sequence[str]) -> list[str]:
    """One sentence per sweep that sampled some of `params` in a clearly narrower range or fewer
    levels than the runs made before its first run (a refining sweep), in run order."""
    runs = sweep.runs.iloc[run_order(sweep.runs)]
    labels = sweep_labels(runs).to_numpy()
    sentences = []
    for name in dict.fromkeys(labels):
        if name == NO_SWEEP:
            continue
        mine = labels == name
        first = int(np.argmax(mine))
        if first == 0:
            continue
        changes = [
            text
            for param in params
            if param in runs
            and (text := _narrowing(sweep, param, runs[param][mine], runs[param].iloc[:first])) is not None
        ]
        if changes:
            positions = np.flatnonzero(mine) + 1
            where = f"runs {positions[0]}–{positions[-1]}" if len(positions) > 1 else f"run {positions[0]}"
            sentences.append(f"Sweep {name} ({where}) sampled {_join(changes)}.")
    return sentences


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{'; '.join(items[:-1])} and {items[-1]}"
