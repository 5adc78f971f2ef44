"""The one shape a metric's history takes, whichever source it came from.

Sources read it (`lib/sources/history/`), analysis turns it into one value per run (last, best,
at a step, mean of the last k) and into learning curves and rank stability. Neither imports the
other: both use these names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

RUN_ID, STEP, VALUE = "run_id", "step", "value"
HISTORY_COLUMNS = (RUN_ID, STEP, VALUE)


class ValueChoice(StrEnum):
    """Which value of a metric stands for a run."""

    LAST = "last"  # the summary: what W&B's panels show (usually the last logged value)
    BEST = "best"  # min or max over the history, by the metric's direction
    AT_STEP = "at step"  # the value at the last logged step at or before k
    MEAN_LAST = "mean of the last"  # mean of the last k logged values


@dataclass(frozen=True)
class MetricValue:
    """The value chosen for every run: `choice`, with `step` (AT_STEP) or `k` (MEAN_LAST)."""

    choice: ValueChoice = ValueChoice.LAST
    step: float | None = None
    k: int | None = None


@dataclass(frozen=True)
class MetricHistory:
    """One metric over a step axis for many runs.

    `frame` has exactly the columns `run_id` (str, the Sweep's run id), `step` (float: the value of
    `step_key` at that row) and `value` (float, finite), sorted by run id then step, one row per
    logged (run, step). `step_key` names the axis (`_step`, `epoch`, `trainer/global_step`, or
    "trial step" for Optuna). `without_history` lists run ids that have no logged values for the
    metric; `notes` say what was downsampled or left out, in words a user can read.
    """

    metric: str
    step_key: str
    frame: pd.DataFrame
    without_history: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def run_ids(self) -> list[str]:
        return list(pd.unique(self.frame[RUN_ID]))


def empty_history(metric: str, step_key: str, *, notes: list[str] | None = None) -> MetricHistory:
    frame = pd.DataFrame(
        {RUN_ID: pd.Series(dtype=str), STEP: pd.Series(dtype=float), VALUE: pd.Series(dtype=float)}
    )
    return MetricHistory(metric, step_key, frame, notes=list(notes or []))


# Where a sweep's histories are: a source puts one of these on `Sweep.history` while loading, and
# `lib.sources.history` reads from it when a value other than the summary is asked for.


@dataclass(frozen=True)
class RunLogFiles:
    """The files holding one run's logged rows, oldest first (a resumed run has several folders)."""

    run_id: str
    logs: tuple[str, ...] = ()  # run-<id>.wandb
    jsonl: tuple[str, ...] = ()  # files/wandb-history.jsonl (online runs)


@dataclass(frozen=True)
class LocalRuns:
    """A local `wandb/` folder's runs, by the files their history is in."""

    runs: tuple[RunLogFiles, ...]


@dataclass(frozen=True)
class WandbRuns:
    """The runs of a W&B fetch: asked again, for one metric's sampled history, with the user's key.

    Holds no key: the caller passes it to `read_history`, so the source can be kept and shared.
    """

    spec: str  # the canonical spec the sweep was fetched with (`wandb://entity/project[/sweep]`)
    base_url: str
    run_ids: tuple[str, ...]


@dataclass(frozen=True)
class InMemory:
    """Histories the source read with its runs: metric -> frame of `lib.histories` columns."""

    step_key: str
    frames: Mapping[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class SummaryForms:
    """A runs table's columns holding a metric's best value: metric -> (min column, max column)."""

    best: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class NoHistory:
    """A source that could have had histories but kept none, and why (to tell the user)."""

    why: str


HistorySource = LocalRuns | WandbRuns | InMemory | SummaryForms | NoHistory

ALL_CHOICES = (ValueChoice.LAST, ValueChoice.BEST, ValueChoice.AT_STEP, ValueChoice.MEAN_LAST)
