"""The metric a sweep opens on, chosen as a person reading the columns would, with the reason.

The sweep config's metric when there is one. Otherwise each metric is scored, best first:
present for most runs; a headline outcome (accuracy, f1/auc/ranking/reward, loss/error) over
incidental statistics (per-class breakdowns, runtime, throughput, memory, gradients); validation
over test over train; the best a run reached (`max_val_acc`) over the last value; then the most
runs, then column order. A step counter, learning rate, model size, constant or echo of a
parameter is never chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.columns import Direction, guess_direction, is_numeric_column
from lib.roles.rules import echoed_column
from lib.roles.vocabulary import (
    Split,
    headline_rank,
    is_best_form,
    is_incidental_name,
    is_learning_rate_name,
    is_model_size_name,
    is_step_counter_name,
    metric_words_in,
    split_of,
)
from lib.values import real_numbers

MOST_RUNS = 0.5
SPLIT_WORDS = {Split.VALIDATION: "validation", Split.TEST: "test", Split.TRAIN: "train", Split.UNSTATED: ""}
CONFIG_METRIC_REASON = "the sweep config's metric"


@dataclass(frozen=True)
class OpeningMetric:
    metric: str | None
    reason: str | None


def choose_opening_metric(
    runs: pd.DataFrame,
    metrics: Sequence[str],
    params: Sequence[str] = (),
    *,
    config_metric: str | None = None,
) -> OpeningMetric:
    """The metric to open on among `metrics`; `config_metric` (a column) wins when it is one."""
    if config_metric is not None and config_metric in metrics:
        return OpeningMetric(config_metric, CONFIG_METRIC_REASON)
    ranked = ranked_metrics(runs, metrics, params)
    if not ranked:
        return OpeningMetric(None, None)
    return OpeningMetric(ranked[0], _reason(runs[ranked[0]], ranked[0]))


def ranked_metrics(runs: pd.DataFrame, metrics: Sequence[str], params: Sequence[str] = ()) -> list[str]:
    """The metrics a person could open on, most likely first: never step counters, learning rates,
    model sizes, constants or echoes of a parameter."""
    eligible = [m for m in metrics if m in runs and disqualification(runs[m], m) is None]
    positions = {m: i for i, m in enumerate(metrics)}

    def score(metric: str) -> tuple[int, ...]:
        values: pd.Series = runs[metric]
        return _score(values, metric, positions[metric])

    ranked = sorted(eligible, key=score, reverse=True)
    numeric_params = {p: real_numbers(runs[p]) for p in params if p in runs and is_numeric_column(runs[p])}
    return [m for m in ranked if echoed_column(m, real_numbers(runs[m]), numeric_params) is None]


def disqualification(values: pd.Series, name: str) -> str | None:
    """Why a metric is never opened on (a step counter, a constant, ...), or None."""
    if is_step_counter_name(name):
        return "a step counter"
    if is_learning_rate_name(name):
        return "a learning rate"
    if is_model_size_name(name) and not metric_words_in(name):
        return "a model size or compute count"
    present = real_numbers(values.dropna())
    present = present[np.isfinite(present)]
    if present.size == 0:
        return "no run has a value"
    if np.unique(present).size == 1 and present.size > 1:
        return "the same value in every run"
    return None


def _score(values: pd.Series, name: str, position: int) -> tuple[int, ...]:
    coverage = int(values.notna().sum())
    most_runs = int(coverage >= MOST_RUNS * len(values))
    headline = 0 if is_incidental_name(name) else headline_rank(name)
    maximize = guess_direction(name) is Direction.MAXIMIZE
    return (
        most_runs,
        int(headline > 0),
        int(split_of(name)),
        headline,
        int(is_best_form(name, maximize=maximize)),
        coverage,
        -position,
    )


def _reason(values: pd.Series, name: str) -> str:
    coverage, total = int(values.notna().sum()), len(values)
    logged = f"logged by all {total} runs" if coverage == total else f"logged by {coverage} of {total} runs"
    headline = 0 if is_incidental_name(name) else headline_rank(name)
    if not headline:
        return f"no column is named like a headline outcome; {name} varies and is {logged}"
    maximize = guess_direction(name) is Direction.MAXIMIZE
    words = [
        "best" if is_best_form(name, maximize=maximize) else "",
        SPLIT_WORDS[split_of(name)],
        _headline_word(name),
    ]
    return f"{' '.join(w for w in words if w)}, {logged}"


def _headline_word(name: str) -> str:
    word = metric_words_in(name)[-1]
    return {"acc": "accuracy", "err": "error", "ppl": "perplexity", "rank": "mean rank"}.get(word, word)
