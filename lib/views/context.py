"""The analysis every page shares: one metric with its direction, one set of run filters, and so one
set of kept runs, with the sentence each page shows at its top.

Two steps decide which runs count. The Load page's include filters (states, sweeps, groups) make
the included runs, which every page starts from; the thresholds and the best q% (set on the
parallel-coordinates page) then keep some of them. A page analyses the kept runs unless it says
it uses all included runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from lib.analysis.metric_value import describe_value
from lib.columns import Direction
from lib.filters import Threshold, kept_mask
from lib.histories import MetricValue, ValueChoice
from lib.roles import ranked_metrics
from lib.selection import Choices
from lib.sweep import RUN_STATE, Sweep
from lib.values import compact_number, counted, reads_as_numbers
from lib.views.parallel_state import ViewState

MAX_LEVELS_NAMED = 3


@dataclass(frozen=True)
class ValueInUse:
    """Which value of the metric stands for each run, as really used: `value` is the summary when
    the source has no history for it; `text` the caption ("val_loss, best (lowest) over training");
    `note` what a person should know (no history here, runs without a value)."""

    value: MetricValue = field(default_factory=MetricValue)
    text: str = ""
    note: str = ""

    @property
    def is_summary(self) -> bool:
        return self.value.choice is ValueChoice.LAST


@dataclass(frozen=True)
class Context:
    """What "the metric" and "the runs" are on every page.

    `kept` is a bool mask over the included runs (`sweep.runs` after the Load page's filters);
    `filters` are short phrases for each filter in force, in the order they apply.
    """

    metric: str | None
    direction: Direction | None
    kept: pd.Series
    n_loaded: int
    filters: tuple[str, ...]
    narrowed: bool  # thresholds or a best q% keep fewer runs than are included
    best_percent: float | None = None
    value: ValueInUse = field(default_factory=ValueInUse)

    @property
    def n_included(self) -> int:
        return len(self.kept)

    @property
    def n_kept(self) -> int:
        return int(self.kept.sum())

    def headline(self) -> str:
        """`val_loss, minimize · 47 of 224 runs: finished only, best 21% by val_loss` (plain text)."""
        metric = f"{self.metric}, {self.direction.value}" if self.metric and self.direction else "no metric"
        if self.metric and not self.value.is_summary:
            metric = f"{self.value.text}, {self.direction.value if self.direction else ''}".rstrip(", ")
        runs = f"{self.n_kept:,} of {counted(self.n_loaded, 'run')}"
        return f"{metric} · {runs}" + (f": {', '.join(self.filters)}" if self.filters else "")


def context_metric(sweep: Sweep, view: ViewState) -> str | None:
    """The view's metric when the sweep still has it, else the metric the sweep opens on."""
    if view.metric in sweep.metrics:
        return view.metric
    return sweep.default_metric


def with_metric_values(sweep: Sweep, metric: str, values: pd.Series) -> Sweep:
    """`sweep` with the metric's column replaced by `values` (by run id; NaN where a run has no
    such value), so every page analyses the chosen value of the metric without knowing it."""
    runs = sweep.runs.copy()
    runs[metric] = values.reindex(runs.index).to_numpy(dtype=float)
    return sweep.replace(runs=runs)


def value_in_use(
    metric: str, value: MetricValue, direction: Direction, *, step_key: str | None = None, note: str = ""
) -> ValueInUse:
    return ValueInUse(value, describe_value(metric, value, direction, step_key=step_key), note)


def build_context(
    loaded: Sweep, sweep: Sweep, choices: Choices, view: ViewState, *, value: ValueInUse | None = None
) -> Context:
    """The shared context for `sweep` (the included runs of `loaded`, its metric column already
    holding the chosen `value`) under `view`'s filters."""
    metric = context_metric(sweep, view)
    thresholds = [t for t in view.thresholds if t.is_active and t.column in sweep.runs]
    best = view.best_percent if metric is not None else None
    kept = kept_mask(sweep, thresholds, best, metric)
    phrases = [*include_phrases(loaded, choices), *(threshold_phrase(sweep, t) for t in thresholds)]
    if best is not None:
        phrases.append(f"best {compact_number(best, 3)}% by {metric}")
    return Context(
        metric=metric,
        direction=sweep.direction(metric) if metric is not None else None,
        kept=kept,
        n_loaded=len(loaded.runs),
        filters=tuple(phrases),
        narrowed=bool(thresholds or best is not None) and not bool(kept.all()),
        best_percent=best,
        value=value or ValueInUse(),
    )


def kept_runs(sweep: Sweep, context: Context) -> Sweep:
    """`sweep` with only the runs the context keeps."""
    mask = context.kept.reindex(sweep.runs.index, fill_value=False).to_numpy(dtype=bool)
    return sweep.replace(runs=sweep.runs[mask])


def include_phrases(loaded: Sweep, choices: Choices) -> list[str]:
    """The Load page's include filters as phrases: `finished only (5 failed left out)`, `sweep abc`."""
    phrases = []
    if choices.states is not None:
        phrases.append(_states_phrase(loaded, choices.states))
    sweeps = [loaded.sweep_label(s) for s in choices.sweeps] if choices.sweeps is not None else None
    for label, picked in (("sweep", sweeps), ("group", choices.groups)):
        if picked is not None:
            phrases.append(f"{label}{'s' if len(picked) != 1 else ''} {_named(picked)}")
    return phrases


def _states_phrase(loaded: Sweep, states: Sequence[str]) -> str:
    if RUN_STATE not in loaded.runs:
        return f"{_named(states)} only"
    left_out = loaded.runs[RUN_STATE].astype("string")
    counts = left_out[~left_out.isin(states)].value_counts()
    named = f"{_named(states)} only" if states else "no state"
    if counts.empty:
        return named
    dropped = ", ".join(f"{n:,} {state}" for state, n in counts.items())
    return f"{named} ({dropped} left out)"


def _named(items: Sequence[str]) -> str:
    shown = ", ".join(items[:MAX_LEVELS_NAMED])
    return shown + (f" and {len(items) - MAX_LEVELS_NAMED} more" if len(items) > MAX_LEVELS_NAMED else "")


def threshold_phrase(sweep: Sweep, threshold: Threshold) -> str:
    """`learning_rate 1e-4 to 3e-3`, `optimizer adam, sgd`, with `or missing` when missing passes."""
    if reads_as_numbers(sweep, threshold.column) and threshold.ranges:
        ranges = " or ".join(
            f"{compact_number(lo, 3)} to {compact_number(hi, 3)}" for lo, hi in threshold.ranges
        )
        text = f"{threshold.column} {ranges}"
    else:
        text = f"{threshold.column} {_named(list(threshold.levels))}"
    return text + (" or missing" if threshold.include_missing and threshold.ranges else "")


def metric_alternatives(sweep: Sweep, current: str | None, *, limit: int = 4) -> list[str]:
    """Metrics worth offering instead of `current`, most likely first (`lib.roles.ranked_metrics`:
    never step counters, constants, learning rates, model sizes or echoes), at most `limit`."""
    ranked = ranked_metrics(sweep.runs, sweep.metrics, sweep.params)
    return [m for m in ranked if m != current][:limit]
