"""The one shape every source returns: a `Sweep`, one row per run."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from lib.columns import (
    ANALYSABLE_KINDS,
    Direction,
    Kind,
    flatten,
    guess_direction,
    infer_kind,
    is_bookkeeping_key,
    is_numeric_column,
)
from lib.histories import HistorySource
from lib.roles import (
    CONFIG,
    SUMMARY,
    Evidence,
    OpeningMetric,
    SweepConfigFacts,
    choose_opening_metric,
    decide_roles,
)
from lib.roles.rules import aside_reason
from lib.sweep_config import first_config_metric, metric_column, swept_parameters
from lib.values import counted, parsed_numbers

# Run fields every source fills where it knows them. Prefixed so they never collide with a
# config key a user chose (a config key `name` stays `name`).
RUN_NAME = "run.name"
RUN_STATE = "run.state"
RUN_SWEEP = "run.sweep"
RUN_GROUP = "run.group"
RUN_TAGS = "run.tags"
RUN_CREATED = "run.created"
RUN_RUNTIME = "run.runtime"
META_COLUMNS = (RUN_NAME, RUN_STATE, RUN_SWEEP, RUN_GROUP, RUN_TAGS, RUN_CREATED, RUN_RUNTIME)

# Normalised run states (W&B's, plus Optuna's pruned).
FINISHED, FAILED, CRASHED, RUNNING, KILLED, PRUNED, UNKNOWN = (
    "finished",
    "failed",
    "crashed",
    "running",
    "killed",
    "pruned",
    "unknown",
)


@dataclass(frozen=True)
class RunRecord:
    """One run as a source read it, before it becomes a row."""

    run_id: str
    config: Mapping[str, Any] = field(default_factory=dict)  # unwrapped, possibly nested
    summary: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None
    state: str = UNKNOWN
    sweep_id: str | None = None
    group: str | None = None
    tags: tuple[str, ...] = ()
    created: datetime | None = None
    runtime: float | None = None


@dataclass(frozen=True)
class Sweep:
    """Runs of one or more sweeps, with what each column means.

    `runs` is indexed by run id; `params` and `metrics` name columns of it; `kinds` says how each
    of those columns is read; `directions` says whether each metric is minimized or maximized.
    `reasons` gives, for every column but the run fields, why it has its role ("metric: name says
    so", "bookkeeping: step counter"); `primary_metric` is the metric the sweep opens on and
    `primary_reason` why ("the sweep config's metric", "validation accuracy, logged by all 5 runs").
    `history` says where the runs' logged rows are (read only when a value other than the summary
    is asked for: `lib.sources.history`); None when the source has none.
    """

    runs: pd.DataFrame
    params: list[str]
    metrics: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    source: str = ""
    kinds: dict[str, Kind] = field(default_factory=dict)
    directions: dict[str, Direction] = field(default_factory=dict)
    primary_metric: str | None = None
    sweep_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    primary_reason: str | None = None
    history: HistorySource | None = None  # where the metrics' histories can be read, if anywhere

    @property
    def meta_columns(self) -> list[str]:
        return [c for c in META_COLUMNS if c in self.runs.columns]

    @property
    def other_columns(self) -> list[str]:
        used = set(self.params) | set(self.metrics) | set(self.meta_columns)
        return [c for c in self.runs.columns if c not in used]

    @property
    def sweep_ids(self) -> list[str]:
        return _present_values(self.runs, RUN_SWEEP)

    def sweep_label(self, sweep_id: str) -> str:
        """`broad-search (8wy6u14i)` when the sweep's config names it, else the id alone."""
        name = (self.sweep_configs.get(sweep_id) or {}).get("name")
        if not isinstance(name, str) or not name.strip() or name == sweep_id:
            return sweep_id
        return f"{name} ({sweep_id})"

    @property
    def states(self) -> list[str]:
        return _present_values(self.runs, RUN_STATE)

    @property
    def groups(self) -> list[str]:
        return _present_values(self.runs, RUN_GROUP)

    @property
    def analysable_params(self) -> list[str]:
        """Parameters worth analysing by default: not constant, not identifiers."""
        return [p for p in self.params if self.kinds.get(p) in ANALYSABLE_KINDS]

    @property
    def default_metric(self) -> str | None:
        """The metric the app opens on: `primary_metric`, or the scored choice when it is not a metric."""
        if self.primary_metric in self.metrics:
            return self.primary_metric
        chosen = choose_opening_metric(self.runs, self.metrics, self.params).metric
        return chosen if chosen is not None else (self.metrics[0] if self.metrics else None)

    def kind(self, column: str) -> Kind:
        return self.kinds.get(column) or infer_kind(self.runs[column], column)

    def direction(self, metric: str) -> Direction:
        return self.directions.get(metric) or guess_direction(metric)

    def replace(self, **changes: Any) -> Sweep:
        return dataclasses.replace(self, **changes)


def empty_sweep(source: str = "No sweep loaded") -> Sweep:
    return Sweep(runs=pd.DataFrame(index=pd.Index([], name="run_id")), params=[], metrics=[], source=source)


def _present_values(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame.columns:
        return []
    return sorted(str(v) for v in frame[column].dropna().unique())


def _flat_config(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in flatten(config).items() if not is_bookkeeping_key(k.split(".")[0])}


def _flat_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Summary keys as logged; media and table entries (dicts with `_type`) left out."""
    kept = {
        k: v
        for k, v in summary.items()
        if not is_bookkeeping_key(k) and not (isinstance(v, Mapping) and "_type" in v)
    }
    return {k: v for k, v in flatten(kept).items() if not k.split(".")[-1].startswith("_")}


def _record_row(record: RunRecord) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    meta = {
        RUN_NAME: record.name,
        RUN_STATE: record.state,
        RUN_SWEEP: record.sweep_id,
        RUN_GROUP: record.group,
        RUN_TAGS: ", ".join(record.tags) if record.tags else None,
        RUN_CREATED: pd.Timestamp(record.created) if record.created else None,
        RUN_RUNTIME: record.runtime,
    }
    return meta, _flat_config(record.config), _flat_summary(record.summary)


def _ordered_union(dicts: Iterable[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for d in dicts:
        for k in d:
            seen.setdefault(k, None)
    return list(seen)


def sweep_from_records(
    records: Iterable[RunRecord],
    *,
    source: str,
    skipped: Iterable[tuple[str, str]] = (),
    sweep_configs: Mapping[str, dict[str, Any]] | None = None,
) -> Sweep:
    """Turn runs as read into a `Sweep`: config keys are parameters, numeric summaries metrics.

    Config and summary are strong evidence here; the role rules still set aside step counters,
    learning rates, constants and echoes of config keys logged into the summary."""
    ids: list[str] = []
    metas, configs, summaries = [], [], []
    for record in records:
        meta, config, summary = _record_row(record)
        ids.append(record.run_id)
        metas.append(meta)
        configs.append(config)
        summaries.append(summary)
    param_cols = _ordered_union(configs)
    summary_cols = _ordered_union(summaries)
    clashing = set(param_cols) | set(META_COLUMNS)
    renamed = {c: f"summary.{c}" if c in clashing else c for c in summary_cols}
    rows = [
        {**m, **c, **{renamed[k]: v for k, v in s.items()}}
        for m, c, s in zip(metas, configs, summaries, strict=True)
    ]
    columns = list(META_COLUMNS) + param_cols + [renamed[c] for c in summary_cols]
    frame = pd.DataFrame.from_records(rows, columns=columns, index=pd.Index(ids, name="run_id"))
    frame = frame.dropna(axis="columns", how="all")
    frame[RUN_STATE] = frame[RUN_STATE].fillna(UNKNOWN) if RUN_STATE in frame else UNKNOWN
    logged = [renamed[c] for c in summary_cols if renamed[c] in frame]
    params = [c for c in param_cols if c in frame]
    return finish_sweep(
        frame,
        params=params,
        metrics=[c for c in logged if is_numeric_column(frame[c])],
        source=source,
        skipped=list(skipped),
        sweep_configs=dict(sweep_configs or {}),
        evidence={**dict.fromkeys(params, CONFIG), **dict.fromkeys(logged, SUMMARY)},
    )


def _clean_metric_column(values: pd.Series) -> tuple[pd.Series, int]:
    """Metrics as floats, with +-inf turned into missing; returns how many were infinite."""
    numbers = parsed_numbers(values).astype(float)
    infinite = np.isinf(numbers.to_numpy())
    return numbers.mask(infinite), int(infinite.sum())


def _config_facts(
    frame: pd.DataFrame, columns: list[str], sweep_configs: Mapping[str, dict[str, Any]]
) -> SweepConfigFacts:
    """The column holding the first config's metric, and every parameter the configs sweep."""
    named = first_config_metric(sweep_configs)
    numeric = [c for c in columns if is_numeric_column(frame[c])]
    metric = metric_column(named.name, numeric, named.goal) if named else None
    swept = {p for config in sweep_configs.values() for p in swept_parameters(config)}
    return SweepConfigFacts(metric=metric, parameters=frozenset(swept) - {metric})


def finish_sweep(
    frame: pd.DataFrame,
    *,
    params: list[str],
    metrics: list[str],
    source: str,
    skipped: list[tuple[str, str]] | None = None,
    sweep_configs: dict[str, dict[str, Any]] | None = None,
    primary_metric: str | None = None,
    directions: Mapping[str, Direction] | None = None,
    evidence: Mapping[str, Evidence] | None = None,
    set_aside: Mapping[str, str] | None = None,
    primary_reason: str | None = None,
) -> Sweep:
    """Shared last step of every source: decide roles, clean metrics, infer kinds and directions.

    `params` and `metrics` are the source's reading; `evidence` says how sure it is of each column
    (default: the caller is sure). `set_aside` gives reasons for columns kept out of both."""
    frame = frame.copy()
    sweep_configs = sweep_configs or {}
    given = {**dict.fromkeys(params, CONFIG), **dict.fromkeys(metrics, SUMMARY), **(evidence or {})}
    columns = [c for c in dict.fromkeys([*params, *metrics, *given]) if c in frame and c not in META_COLUMNS]
    facts = _config_facts(frame, columns, sweep_configs)
    roles = decide_roles(frame, columns, given, config=facts)
    params, metrics = roles.params, roles.metrics
    named = first_config_metric(sweep_configs)
    config_goal = named.goal if named else None
    primary = primary_metric or facts.metric or (named.name if named else None)
    if (
        primary is not None
        and primary not in metrics
        and primary in frame
        and is_numeric_column(frame[primary])
    ):
        params = [p for p in params if p != primary]
        metrics = [*metrics, primary]
        roles.reasons[primary] = "metric: the metric the source names"
    notes: list[str] = list(roles.notes)
    for metric in metrics:
        frame[metric], n_inf = _clean_metric_column(frame[metric])
        if n_inf:
            notes.append(f"{metric}: {counted(n_inf, 'run')} had an infinite value, treated as missing.")
    if roles.fallback_metric is not None and primary not in metrics:
        primary, primary_reason = roles.fallback_metric, "no column is named like a metric"
        notes.append(
            f"No column is named like a metric (loss, accuracy, val_..., ...), so the last numeric "
            f"column, {primary!r}, is taken as the metric. Change it on the Load page if that is wrong."
        )
    chosen_directions = {m: guess_direction(m) for m in metrics}
    chosen_directions.update(directions or {})
    if primary in chosen_directions and config_goal is not None and primary == facts.metric:
        chosen_directions[primary] = config_goal
    opening = choose_opening_metric(frame, metrics, params, config_metric=primary)
    if (
        opening.metric is not None
        and opening.metric == primary
        and (primary_reason or primary != facts.metric)
    ):
        opening = OpeningMetric(primary, primary_reason or "the metric the source names")
    kinds = {col: infer_kind(frame[col], col) for col in [*params, *metrics]}
    return Sweep(
        runs=frame,
        params=list(params),
        metrics=list(metrics),
        skipped=list(skipped or []),
        source=source,
        kinds=kinds,
        directions=chosen_directions,
        primary_metric=opening.metric,
        sweep_configs=dict(sweep_configs),
        notes=notes,
        reasons=_all_reasons(frame, roles.reasons, set_aside or {}),
        primary_reason=opening.reason,
    )


def _all_reasons(
    frame: pd.DataFrame, decided: Mapping[str, str], set_aside: Mapping[str, str]
) -> dict[str, str]:
    """A reason for every column but the run fields, in column order."""
    return {
        str(c): decided.get(c) or set_aside.get(c) or aside_reason(str(c))
        for c in frame.columns
        if c not in META_COLUMNS
    }
