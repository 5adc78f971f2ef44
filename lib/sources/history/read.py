"""One call for a metric's history, whatever the source: which values can be chosen, on which step
axes, and the rows themselves.

The readers of logged rows live beside this module (`wandb_local`, `wandb_api`); a runs table has
no rows, only what its columns say (`summary_forms`), and a source without either offers the
summary alone, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from lib.columns import Direction
from lib.histories import (
    ALL_CHOICES,
    RUN_ID,
    STEP,
    VALUE,
    HistorySource,
    InMemory,
    LocalRuns,
    MetricHistory,
    NoHistory,
    SummaryForms,
    ValueChoice,
    WandbRuns,
    empty_history,
)
from lib.roles.vocabulary import is_step_counter_name
from lib.sources.history.errors import HistoryUnavailable
from lib.sweep import Sweep

W_AND_B_STEP = "_step"
SUMMARY_ONLY = (ValueChoice.LAST,)
BEST_ONLY = (ValueChoice.LAST, ValueChoice.BEST)


def history_source(sweep: Sweep) -> HistorySource | None:
    """Where `sweep`'s histories are: the source's own, else a table's best-value columns (else
    the source's word on why it has none, if it gave one)."""
    if sweep.history is not None and not isinstance(sweep.history, NoHistory):
        return sweep.history
    forms = summary_forms(sweep.runs.columns, sweep.metrics)
    return forms if forms.best else sweep.history


def history_choices(sweep: Sweep, metric: str) -> tuple[ValueChoice, ...]:
    """The values of `metric` that can be chosen on `sweep` (always `last`, the summary)."""
    source = history_source(sweep)
    if isinstance(source, LocalRuns | WandbRuns):
        return ALL_CHOICES
    if isinstance(source, InMemory):
        return ALL_CHOICES if metric in source.frames else SUMMARY_ONLY
    if isinstance(source, SummaryForms) and metric in source.best:
        return BEST_ONLY
    return SUMMARY_ONLY


def why_summary_only(sweep: Sweep, metric: str) -> str | None:
    """Why only some values of `metric` can be chosen (None when all can), in a user's words."""
    source = history_source(sweep)
    choices = history_choices(sweep, metric)
    if choices == ALL_CHOICES:
        return None
    if isinstance(source, SummaryForms) and choices == BEST_ONLY:
        return (
            f"This source has no history of {metric}: its best value comes from the "
            f"{_best_column_names(source, metric)} column; steps and means need the logged rows."
        )
    if isinstance(source, InMemory):
        return f"{metric} has no reported history (only the study's objective does)."
    if isinstance(sweep.history, NoHistory):  # whether or not a table's best-value columns are there
        return f"This source has no history of {metric}, only each run's summary value: {sweep.history.why}."
    return (
        f"This source has no history of {metric}, only each run's summary value: load the W&B "
        "project, the local wandb/ folder or the Optuna study to choose best, a step or a mean."
    )


def history_step_keys(sweep: Sweep) -> list[str]:
    """The step axes a history can be read on: W&B's `_step` first, then the counters the runs log
    (`epoch`, `trainer/global_step`: the columns the roles call step counters)."""
    source = history_source(sweep)
    if isinstance(source, InMemory):
        return [source.step_key]
    if not isinstance(source, LocalRuns | WandbRuns):
        return []
    counters = [str(c) for c in sweep.runs.columns if is_step_counter_name(str(c)) and str(c) != W_AND_B_STEP]
    return [W_AND_B_STEP, *sorted(counters, key=_counter_order)]


def _counter_order(name: str) -> tuple[int, str]:
    preferred = ("epoch", "trainer/global_step", "global_step", "step", "iter", "iteration")
    return (preferred.index(name) if name in preferred else len(preferred), name)


def read_history(sweep: Sweep, metric: str, *, step_key: str, key: str | None = None) -> MetricHistory:
    """The logged rows of `metric` on the `step_key` axis for `sweep`'s runs.

    `key` is the W&B API key, needed for a W&B source alone (never stored with the history).
    Raises `HistoryUnavailable` when the rows cannot be read; a source without history gives an
    empty history whose note says so.
    """
    source = history_source(sweep)
    if isinstance(source, LocalRuns):
        from lib.sources.history.wandb_local import read_local_history

        return read_local_history(source, metric, step_key=step_key)
    if isinstance(source, WandbRuns):
        if not key:
            raise HistoryUnavailable(
                "Reading the history from W&B needs your API key: enter it on the Load page."
            )
        from lib.sources.history.wandb_api import read_api_history

        return read_api_history(source, metric, step_key=step_key, key=key)
    if isinstance(source, InMemory) and metric in source.frames:
        return MetricHistory(metric, source.step_key, source.frames[metric])
    if isinstance(source, SummaryForms) and metric in source.best:
        return best_column_history(sweep, source, metric)
    return empty_history(metric, step_key, notes=[why_summary_only(sweep, metric) or ""])


# ---------------------------------------------------------------------------------------------
# A runs table's best-value columns

_FORMS = (
    (re.compile(r"^(?P<m>.+)\.(?P<x>min|max)$"), "x"),  # W&B summary="min": val_loss.min
    (re.compile(r"^(?P<m>.+) \((?P<x>min|max)\)$", re.IGNORECASE), "x"),  # W&B charts CSV
    (re.compile(r"^(?P<x>min|max)[_ ](?P<m>.+)$"), "x"),  # min_val_loss
    (re.compile(r"^(?P<x>best)[_ ](?P<m>.+)$"), "best"),  # best_val_loss
    (re.compile(r"^(?P<m>.+)[_.](?P<x>best)$"), "best"),  # val_loss_best
)


def summary_forms(columns: Sequence[object] | pd.Index, metrics: Sequence[str]) -> SummaryForms:
    """The columns that hold a metric's extreme over training, paired with the metric they name.

    Only a name that is another metric's name plus a min/max/best form counts, so a parameter
    `max_epochs` or `min_lr` is never read as the best of anything.
    """
    known = set(metrics)
    best: dict[str, tuple[str | None, str | None]] = {}
    for column in map(str, columns):
        for pattern, _ in _FORMS:
            found = pattern.match(column)
            if found is None or found["m"] not in known or found["m"] == column:
                continue
            low, high = best.get(found["m"], (None, None))
            form = found["x"].lower()
            if form in ("min", "best") and low is None:
                low = column
            if form in ("max", "best") and high is None:
                high = column
            best[found["m"]] = (low, high)
            break
    return SummaryForms(best)


def _best_column_names(source: SummaryForms, metric: str) -> str:
    low, high = source.best[metric]
    return " / ".join(f"`{c}`" for c in dict.fromkeys((low, high)) if c)


def best_column_history(sweep: Sweep, source: SummaryForms, metric: str) -> MetricHistory:
    """One row per run holding its best value, from the column of the metric's direction: `best`
    over it is that value; the other choices are not offered for such a source."""
    low, high = source.best[metric]
    column = high if sweep.directions.get(metric) is Direction.MAXIMIZE else low
    if column is None:
        return empty_history(metric, W_AND_B_STEP, notes=[why_summary_only(sweep, metric) or ""])
    values = pd.to_numeric(sweep.runs[column], errors="coerce")
    values = values[values.notna() & values.abs().lt(float("inf"))]
    frame = pd.DataFrame({RUN_ID: values.index.astype(str), STEP: 0.0, VALUE: values.to_numpy(float)})
    frame = frame.sort_values(RUN_ID, kind="stable").reset_index(drop=True)
    missing = [str(r) for r in sweep.runs.index if str(r) not in set(frame[RUN_ID])]
    note = f"best values from the table's `{column}` column"
    return MetricHistory(metric, W_AND_B_STEP, frame, without_history=missing, notes=[note])
