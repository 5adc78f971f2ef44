"""The one shape a metric's history takes, whichever source it came from.

Sources read it (`lib/sources/history/`), analysis turns it into one value per run (last, best,
at a step, mean of the last k) and into learning curves and rank stability. Neither imports the
other: both use these names.
"""

from __future__ import annotations

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
