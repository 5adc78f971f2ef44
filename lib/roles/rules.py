"""Parameter, metric or bookkeeping for each column, from all the evidence, with a reason a user can read.

Evidence, strongest first:
1. the sweep config: its `metric` is a metric, its `parameters` are parameters;
2. the source's structure (`Origin`): config vs summary is strong in wandb folders, W&B API tables
   and Optuna studies, weak in W&B UI exports (only the column order hints at it), absent in tidy
   tables; a weak hint loses to a name (`MRR` among an export's config columns is a metric);
3. names (`lib.roles.vocabulary`): step counters and learning rates in a summary are bookkeeping;
4. values: a summary column equal to a config column in every run is an echo of it, and one value
   in every run measures nothing, so neither is a metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from lib.columns import is_bookkeeping_key, is_numeric_column, name_tokens
from lib.roles.vocabulary import (
    is_learning_rate_name,
    is_step_counter_name,
    looks_like_metric_name,
    metric_words_in,
    names_a_metric,
)
from lib.values import real_numbers

HAND_TYPED_DIGITS = 3
HAND_TYPED_REASON = "hand-typed values"
MIN_RUNS_FOR_VALUE_RULES = 2  # one run's value says nothing about whether a column varies


class Origin(StrEnum):
    CONFIG = "config"  # the source read it as a setting
    SUMMARY = "summary"  # the source read it as something a run logged
    UNKNOWN = "unknown"  # the source cannot say (a tidy table)


@dataclass(frozen=True)
class Evidence:
    """What the source knows of one column: where it came from and how sure that is."""

    origin: Origin
    strong: bool = True  # False: only a hint (the column order of a W&B UI export)


CONFIG = Evidence(Origin.CONFIG)
SUMMARY = Evidence(Origin.SUMMARY)
CONFIG_BY_ORDER = Evidence(Origin.CONFIG, strong=False)
SUMMARY_BY_ORDER = Evidence(Origin.SUMMARY, strong=False)
BY_NAME_ONLY = Evidence(Origin.UNKNOWN, strong=False)


@dataclass
class Roles:
    """The decision: parameters and metrics in column order, and a reason for every column decided."""

    params: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    bookkeeping: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    fallback_metric: str | None = None  # chosen only because nothing is named like a metric
    notes: list[str] = field(default_factory=list)  # decisions worth telling the user up front


@dataclass(frozen=True)
class SweepConfigFacts:
    """What the sweep configs say about columns: the metric they name and the parameters they sweep."""

    metric: str | None = None
    parameters: frozenset[str] = frozenset()


def decide_roles(
    frame: pd.DataFrame,
    columns: Sequence[str],
    evidence: Mapping[str, Evidence],
    *,
    config: SweepConfigFacts = SweepConfigFacts(),
) -> Roles:
    """Each of `columns` (in order) as parameter, metric or bookkeeping, with its reason."""
    roles = Roles()
    for column in columns:
        role, reason = _role_of(frame[column], column, evidence.get(column, BY_NAME_ONLY), config)
        _record(roles, column, role, reason)
        if reason.startswith(HAND_TYPED_REASON):
            roles.notes.append(f"{column!r} holds {reason}, so it is read as a parameter.")
    _demote_echoes(frame, roles, config)
    _fall_back_to_last_numeric(frame, roles, evidence)
    return roles


def _record(roles: Roles, column: str, role: str, reason: str) -> None:
    {"parameter": roles.params, "metric": roles.metrics, "bookkeeping": roles.bookkeeping}[role].append(
        column
    )
    roles.reasons[column] = f"{role}: {reason}"


def _role_of(values: pd.Series, column: str, evidence: Evidence, config: SweepConfigFacts) -> tuple[str, str]:
    if column == config.metric:
        return "metric", "the sweep config's metric"
    if column in config.parameters:
        return "parameter", "in the sweep config" + _constant_note(values)
    if is_bookkeeping_key(column):
        return "bookkeeping", "W&B's own key"
    if evidence.origin is Origin.CONFIG:
        return _config_role(values, column, evidence)
    if evidence.origin is Origin.SUMMARY:
        return _summary_role(values, column, evidence)
    return _unknown_role(values, column)


def _config_role(values: pd.Series, column: str, evidence: Evidence) -> tuple[str, str]:
    if evidence.strong:
        return "parameter", "config column" + _constant_note(values)
    if names_a_metric(column) and is_numeric_column(values):
        words = ", ".join(dict.fromkeys(metric_words_in(column)))
        return "metric", f"name says so ({words}), though it sits among the config columns"
    return "parameter", "among the config columns" + _constant_note(values)


def _summary_role(values: pd.Series, column: str, evidence: Evidence) -> tuple[str, str]:
    if not is_numeric_column(values):
        if evidence.strong:
            return "bookkeeping", "text logged in the summary"
        return "parameter", "text among the summary columns: summaries are numbers, so a setting"
    logged = _logged_side_role(values, column)
    if logged is not None:
        return logged
    if not evidence.strong and not looks_like_metric_name(column) and looks_hand_typed(values):
        return "parameter", f"{HAND_TYPED_REASON} (like {_examples(values)}) among the summary columns"
    return "metric", "name says so" if looks_like_metric_name(column) else "summary column"


def _logged_side_role(values: pd.Series, column: str) -> tuple[str, str] | None:
    """Numbers a run logs that are not outcomes: step counters, learning rates, constants."""
    if is_step_counter_name(column):
        return "bookkeeping", "step counter"
    if is_learning_rate_name(column):
        return "bookkeeping", "learning rate logged during training (a schedule value, not an outcome)"
    constant = _constant_value(values)
    if constant is not None:
        return "bookkeeping", f"same value ({constant}) in every run"
    return None


def _unknown_role(values: pd.Series, column: str) -> tuple[str, str]:
    if column.startswith("Unnamed: "):
        return "bookkeeping", "a column with no name"
    if not (looks_like_metric_name(column) or is_step_counter_name(column)) or not is_numeric_column(values):
        return "parameter", "not named like a metric" + _constant_note(values)
    logged = _logged_side_role(values, column)
    return logged if logged is not None else ("metric", "name says so")


def _constant_value(values: pd.Series) -> str | None:
    """The one value of a column that several runs share, as text; None when it varies or is too sparse."""
    present = values.dropna()
    if len(present) < MIN_RUNS_FOR_VALUE_RULES or present.astype(str).nunique() != 1:
        return None
    value = present.iloc[0]
    return f"{value:g}" if isinstance(value, float | np.floating) else str(value)


def _constant_note(values: pd.Series) -> str:
    constant = _constant_value(values)
    return f"; same value ({constant}) in every run, so not analysed" if constant is not None else ""


def looks_hand_typed(values: pd.Series) -> bool:
    """Varied, not all whole, and every value short (0.2, 1e-4): typed by a person, not measured."""
    numbers = real_numbers(values)
    distinct = np.unique(numbers[~np.isnan(numbers)])
    if len(distinct) < 2 or np.all(distinct == np.round(distinct)):
        return False
    return all(_significant_digits(v) <= HAND_TYPED_DIGITS for v in distinct)


def _significant_digits(value: float) -> int:
    mantissa = repr(float(value)).split("e")[0].lstrip("-").replace(".", "")
    return len(mantissa.strip("0"))


def _examples(values: pd.Series) -> str:
    return ", ".join(f"{v:g}" for v in sorted(real_numbers(values.dropna()))[:3])


# ---------------------------------------------------------------- echoes


def _demote_echoes(frame: pd.DataFrame, roles: Roles, config: SweepConfigFacts) -> None:
    """A metric named after a parameter and equal to it in every run: that parameter logged again."""
    numeric_params = {p: real_numbers(frame[p]) for p in roles.params if is_numeric_column(frame[p])}
    for metric in [m for m in roles.metrics if m != config.metric]:
        source = echoed_column(metric, real_numbers(frame[metric]), numeric_params)
        if source is not None:
            roles.metrics.remove(metric)
            roles.bookkeeping.append(metric)
            roles.reasons[metric] = f"bookkeeping: echo of config `{source}`"


def echoed_column(name: str, values: np.ndarray, candidates: Mapping[str, np.ndarray]) -> str | None:
    """The candidate `name` is named after (`summary.batch_size`, `final_dropout` for `dropout`) and
    equal to in every row where `values` is present (at least two rows).

    The name must match: two columns can be equal by design (a loss that grows with a rate)."""
    present = ~np.isnan(values)
    if present.sum() < MIN_RUNS_FOR_VALUE_RULES:
        return None
    words = set(name_tokens(name))
    first = int(np.argmax(present))
    for candidate, other in candidates.items():
        if not set(name_tokens(candidate)) <= words or not np.isclose(other[first], values[first]):
            continue
        if np.allclose(other[present], values[present], rtol=1e-9, atol=0.0):
            return candidate
    return None


# ---------------------------------------------------------------- no metric at all


def _fall_back_to_last_numeric(frame: pd.DataFrame, roles: Roles, evidence: Mapping[str, Evidence]) -> None:
    """A table with no column named like a metric: its last numeric column the source is unsure of is one."""
    if roles.metrics:
        return
    unsure = [p for p in roles.params if not evidence.get(p, BY_NAME_ONLY).strong]
    numeric = [p for p in unsure if is_numeric_column(frame[p])]
    if not numeric:
        return
    chosen = numeric[-1]
    roles.params.remove(chosen)
    roles.metrics.append(chosen)
    roles.fallback_metric = chosen
    roles.reasons[chosen] = "metric: no column is named like a metric, so the last numeric column"


def evidence_for(columns: Iterable[str], evidence: Evidence) -> dict[str, Evidence]:
    return dict.fromkeys(columns, evidence)


def aside_reason(column: str) -> str:
    """Why a column the source kept out of parameters and metrics is bookkeeping."""
    if is_bookkeeping_key(column.split(".")[0]):
        return "bookkeeping: W&B's own key"
    if is_step_counter_name(column):
        return "bookkeeping: step counter"
    if column.startswith("Unnamed: "):
        return "bookkeeping: a column with no name"
    return "bookkeeping: kept aside by the source"
