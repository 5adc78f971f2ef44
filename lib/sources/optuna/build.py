"""One study's trials as a Sweep: runs frame, objective directions, sweep config, skipped items, notes."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from lib.columns import NUMERIC_KINDS, Direction, Kind, flatten
from lib.histories import HISTORY_COLUMNS, RUN_ID, STEP, VALUE, InMemory
from lib.sources.optuna.decode import distribution, run_state
from lib.sources.optuna.studies import Study
from lib.sources.optuna.trials import Params, Trial
from lib.sweep import RUN_CREATED, RUN_NAME, RUN_RUNTIME, RUN_STATE, RUN_SWEEP, Sweep, finish_sweep
from lib.sweep_config import metric_entry

LAST_INTERMEDIATE_VALUE = "last_intermediate_value"
LAST_INTERMEDIATE_STEP = "last_intermediate_step"
OPTUNA_STEP_KEY = "trial step"  # the step given to trial.report
USER_ATTRS_PREFIX = "user_attrs."
META = (RUN_NAME, RUN_STATE, RUN_SWEEP, RUN_CREATED, RUN_RUNTIME)


def study_sweep(study: Study, trials: list[Trial], params: Params, label: str) -> Sweep:
    param_names = list(params.latest)
    objectives = _unique_names(study.objectives, taken={*param_names})
    has_intermediate = any(t.last_step is not None for t in trials)
    metrics = [*objectives, *([LAST_INTERMEDIATE_VALUE] if has_intermediate else [])]
    frame = _trials_frame(study, trials, param_names, objectives, has_intermediate)
    kept_metrics = [m for m in metrics if frame[m].notna().any()]
    directions = _metric_directions(study, objectives, has_intermediate)
    sweep = finish_sweep(
        frame,
        params=[p for p in param_names if frame[p].notna().any()],
        metrics=kept_metrics,
        source=f"Optuna study {study.name!r} ({label})",
        skipped=_skipped(params),
        sweep_configs={study.name: _sweep_config(study, objectives, directions, params)},
        primary_metric=objectives[0] if objectives[0] in kept_metrics else None,
        primary_reason="the study's objective",
        directions={m: d for m, d in directions.items() if m in kept_metrics},
        set_aside=_set_aside_reasons(frame),
    )
    kinds = {p: Kind.LOG for p in params.log_scaled if sweep.kinds.get(p) in NUMERIC_KINDS}
    return sweep.replace(
        kinds={**sweep.kinds, **kinds},
        notes=[*sweep.notes, *_notes(trials, metrics, kept_metrics)],
        history=_reports(trials, objectives[0]) if has_intermediate else None,
    )


def _reports(trials: list[Trial], objective: str) -> InMemory:
    """Every value the trials reported with `trial.report`: the history of the (first) objective,
    and of `last_intermediate_value`, over the trial's own steps."""
    rows = [
        (f"trial-{t.number}", float(step), value)
        for t in trials
        for step, value in sorted(t.intermediate.items())
        if value is not None and math.isfinite(value)
    ]
    frame = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS)).astype({STEP: float, VALUE: float})
    frame = frame.sort_values([RUN_ID, STEP], kind="stable").reset_index(drop=True)
    return InMemory(OPTUNA_STEP_KEY, {objective: frame, LAST_INTERMEDIATE_VALUE: frame})


def _set_aside_reasons(frame: pd.DataFrame) -> dict[str, str]:
    reasons = {LAST_INTERMEDIATE_STEP: "bookkeeping: the step of each trial's last report"}
    reasons |= {
        str(c): "bookkeeping: a user attribute of the trial"
        for c in frame.columns
        if str(c).startswith(USER_ATTRS_PREFIX)
    }
    return reasons


def _trials_frame(
    study: Study,
    trials: list[Trial],
    param_names: list[str],
    objectives: tuple[str, ...],
    has_intermediate: bool,
) -> pd.DataFrame:
    rows = [_trial_row(study, t, objectives, has_intermediate) for t in trials]
    attr_columns = list(dict.fromkeys(k for row in rows for k in row if k.startswith(USER_ATTRS_PREFIX)))
    outcome = [*objectives, *([LAST_INTERMEDIATE_VALUE, LAST_INTERMEDIATE_STEP] if has_intermediate else [])]
    columns = [*META, *param_names, *outcome, *attr_columns]
    index = pd.Index([f"trial-{t.number}" for t in trials], name="run_id")
    frame = pd.DataFrame.from_records(rows, columns=columns, index=index)
    frame[RUN_CREATED] = pd.to_datetime(frame[RUN_CREATED])
    return frame


def _trial_row(
    study: Study, trial: Trial, objectives: tuple[str, ...], has_intermediate: bool
) -> dict[str, Any]:
    row: dict[str, Any] = {
        RUN_NAME: f"trial {trial.number}",
        RUN_STATE: run_state(trial.state),
        RUN_SWEEP: study.name,
        RUN_CREATED: trial.start,
        RUN_RUNTIME: (trial.complete - trial.start).total_seconds()
        if trial.start and trial.complete
        else None,
        **trial.params,
    }
    for i, name in enumerate(objectives):
        row[name] = trial.values.get(i)
    if has_intermediate:
        row[LAST_INTERMEDIATE_VALUE] = trial.last_intermediate
        row[LAST_INTERMEDIATE_STEP] = trial.last_step
    row.update(flatten(trial.user_attrs, prefix=USER_ATTRS_PREFIX))
    return row


def _unique_names(names: Sequence[str], taken: set[str]) -> tuple[str, ...]:
    """Objective names that collide with a parameter or a fixed column get an `objective.` prefix."""
    reserved = {*taken, LAST_INTERMEDIATE_VALUE, LAST_INTERMEDIATE_STEP, *META}
    unique: list[str] = []
    for i, name in enumerate(names):
        candidate = name if name not in reserved else f"objective.{name}"
        if candidate in reserved or candidate in unique:
            candidate = f"{candidate}_{i}"
        unique.append(candidate)
    return tuple(unique)


def _metric_directions(
    study: Study, objectives: tuple[str, ...], has_intermediate: bool
) -> dict[str, Direction]:
    directions = {name: d for name, d in zip(objectives, study.directions, strict=False) if d is not None}
    if has_intermediate and study.directions[0] is not None:
        directions[LAST_INTERMEDIATE_VALUE] = study.directions[0]  # reports track the first objective
    return directions


def _sweep_config(
    study: Study, objectives: tuple[str, ...], directions: Mapping[str, Direction], params: Params
) -> dict[str, Any]:
    goals = [metric_entry(name, directions.get(name)) for name in objectives]
    config: dict[str, Any] = {"method": "optuna", "metric": goals[0], "parameters": _search_space(params)}
    if len(goals) > 1:
        config["metrics"] = goals
    if study.user_attrs:
        config["user_attrs"] = study.user_attrs
    return config


def _search_space(params: Params) -> dict[str, dict[str, Any]]:
    return {name: _parameter_spec(distribution_json) for name, distribution_json in params.latest.items()}


def _parameter_spec(distribution_json: str) -> dict[str, Any]:
    """A W&B-sweep-like description of the distribution, with Optuna's own under `optuna`."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    parameter = distribution(distribution_json)
    spec: dict[str, Any]
    if isinstance(parameter, CategoricalDistribution):
        spec = {"values": list(parameter.choices)}
    elif isinstance(parameter, FloatDistribution | IntDistribution):
        spec = {"distribution": _wandb_distribution_name(parameter)}
        spec |= {"min": parameter.low, "max": parameter.high}
        if parameter.step is not None and parameter.step != 1:
            spec["q"] = parameter.step
    else:
        spec = {}
    spec["optuna"] = json.loads(distribution_json)
    return spec


def _wandb_distribution_name(parameter: Any) -> str:
    from optuna.distributions import IntDistribution

    if isinstance(parameter, IntDistribution):
        return "q_log_uniform_values" if parameter.log else "int_uniform"
    if parameter.log:
        return "log_uniform_values"
    return "q_uniform" if parameter.step is not None else "uniform"


def _skipped(params: Params) -> list[tuple[str, str]]:
    skipped = [
        (f"parameter {name!r} in {n} trial(s)", f"its stored value could not be decoded ({reason})")
        for (name, reason), n in params.failures.items()
    ]
    skipped += [
        (f"{what} in {n} trial(s)", "the database holds something that is not a number there: left out")
        for what, n in params.unreadable.items()
    ]
    return skipped


def _notes(trials: list[Trial], metrics: list[str], kept: list[str]) -> list[str]:
    notes: list[str] = []
    if LAST_INTERMEDIATE_VALUE in kept:
        notes.append(
            f"{LAST_INTERMEDIATE_VALUE}: the last value each trial reported with trial.report (its step is "
            f"{LAST_INTERMEDIATE_STEP}), so pruned trials have an outcome; trials stopped at different steps."
        )
    notes.extend(f"{m}: no trial has a value yet, left out of the metrics." for m in metrics if m not in kept)
    pruned_with_value = sum(t.state == "PRUNED" and 0 in t.values for t in trials)
    if pruned_with_value and metrics[0] in kept:
        notes.append(
            f"{metrics[0]}: {pruned_with_value} pruned trial(s) hold the value Optuna stored when pruning "
            "them (their last report, often at an early step); compare finished trials to rank settings."
        )
    waiting = sum(t.state == "WAITING" for t in trials)
    if waiting:
        notes.append(f"{waiting} trial(s) enqueued but not started are shown as running.")
    return notes
