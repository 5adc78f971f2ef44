"""Where a sweep's metric histories are, and reading one metric's history when it is asked for.

A source puts a small, picklable `HistorySource` on the `Sweep` while loading (`Sweep.history`);
nothing of the history is read then, so the first load is as fast as without it. Asking for a
value other than the summary (`best`, `at step k`, `mean of the last k`) calls `read_history`,
which reads the rows of that one metric and step key (cached by the readers).

One reader per kind of source, each in its own module:
- `LocalRuns`: the history records of `run-<id>.wandb` files and `wandb-history.jsonl` (wandb_local)
- `WandbRuns`: W&B's sampled history, asked for within the paged runs query (wandb_api)
- `InMemory`: histories read with the runs (Optuna's intermediate values)
- `SummaryForms`: a runs table's best-value columns (`val_loss.min`, `best_val_loss`): no steps
- `NoHistory`: a source that kept none (a wandb/ folder committed with files/ only), and why
"""

from __future__ import annotations

from lib.histories import (
    ALL_CHOICES,
    HistorySource,
    InMemory,
    LocalRuns,
    MetricHistory,
    NoHistory,
    RunLogFiles,
    SummaryForms,
    WandbRuns,
)
from lib.sources.history.errors import HistoryUnavailable

__all__ = [
    "ALL_CHOICES",
    "HistorySource",
    "HistoryUnavailable",
    "InMemory",
    "LocalRuns",
    "MetricHistory",
    "NoHistory",
    "RunLogFiles",
    "SummaryForms",
    "WandbRuns",
]
