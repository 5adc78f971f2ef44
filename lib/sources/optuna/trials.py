"""The trials of one study: states, times, parameters, objective values, last reports, user attributes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.sources.optuna.decode import (
    as_datetime,
    distribution,
    error_reason,
    external_value,
    json_value,
    stored_float,
)
from lib.sources.optuna.schema import (
    TRIAL_INTERMEDIATE,
    TRIAL_PARAMS,
    TRIAL_REPORTS_BEFORE_2_4,
    TRIAL_SYSTEM_ATTRS,
    TRIAL_USER_ATTRS,
    TRIAL_VALUES,
    TRIALS,
    Schema,
)

NUMBER_ATTR = "_number"  # where Optuna < 1.3 kept a trial's number (a trial system attribute)


@dataclass
class Trial:
    number: int
    state: str  # Optuna's name (COMPLETE, PRUNED, WAITING, ...)
    start: datetime | None
    complete: datetime | None
    params: dict[str, Any] = field(default_factory=dict)
    values: dict[int, float] = field(default_factory=dict)
    last_step: int | None = None
    last_intermediate: float | None = None
    intermediate: dict[int, float] = field(default_factory=dict)  # step -> reported value
    user_attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Params:
    """What decoding the parameter rows learned besides the values."""

    latest: dict[str, str] = field(default_factory=dict)  # distribution JSON of the latest trial, per name
    log_scaled: set[str] = field(default_factory=set)
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)  # (param, reason) -> trials
    unreadable: Counter[str] = field(default_factory=Counter)  # "objective value" etc. -> trials


def read_trials(connection: Connection, study_id: int, schema: Schema) -> dict[int, Trial]:
    """The study's trials by trial id, in trial-number order, without their values yet."""
    number = TRIALS.c.number if schema.numbered_trials else sa.null()
    query = (
        sa.select(
            TRIALS.c.trial_id,
            number,
            TRIALS.c.state,
            TRIALS.c.datetime_start,
            TRIALS.c.datetime_complete,
        )
        .where(TRIALS.c.study_id == study_id)
        .order_by(number, TRIALS.c.trial_id)
    )
    numbers = {} if schema.numbered_trials else _numbers_before_1_3(connection, study_id)
    trials: dict[int, Trial] = {}
    for position, (trial_id, stored, state, start, complete) in enumerate(connection.execute(query)):
        if stored is None:
            stored = numbers.get(int(trial_id), position)
        trials[int(trial_id)] = Trial(
            number=int(stored),
            state=str(state).upper(),
            start=as_datetime(start),
            complete=as_datetime(complete),
        )
    if not schema.numbered_trials:  # numbers came from attributes: order by them now
        trials = dict(sorted(trials.items(), key=lambda item: (item[1].number, item[0])))
    return trials


def _numbers_before_1_3(connection: Connection, study_id: int) -> dict[int, int]:
    """Trial id -> number from the `_number` system attributes, where they hold a whole number."""
    rows = _rows_of_study(connection, TRIAL_SYSTEM_ATTRS, study_id, "key", "value_json")
    numbers: dict[int, int] = {}
    for trial_id, key, value_json in rows:
        value = json_value(value_json)
        if key == NUMBER_ATTR and isinstance(value, int) and not isinstance(value, bool):
            numbers[int(trial_id)] = value
    return numbers


def attach_trial_data(
    connection: Connection, study_id: int, trials: dict[int, Trial], schema: Schema
) -> Params:
    """Fill in the trials' parameters, values, last reports and user attributes."""
    params = _attach_params(connection, study_id, trials)
    _attach_values(connection, study_id, trials, schema, params.unreadable)
    _attach_intermediate_values(connection, study_id, trials, schema, params.unreadable)
    _attach_user_attrs(connection, study_id, trials, schema)
    return params


def _rows_of_study(
    connection: Connection, table: sa.TableClause, study_id: int, *columns: str, order_by: str = "trial_id"
) -> Any:
    """Rows of a per-trial table for one study's trials: (trial_id, *columns)."""
    of_study = sa.select(TRIALS.c.trial_id).where(TRIALS.c.study_id == study_id)
    query = sa.select(table.c.trial_id, *(table.c[c] for c in columns)).where(table.c.trial_id.in_(of_study))
    return connection.execute(query.order_by(table.c[order_by]))


def _attach_params(connection: Connection, study_id: int, trials: dict[int, Trial]) -> Params:
    found = Params()
    columns = ("param_name", "param_value", "distribution_json")
    rows = _rows_of_study(connection, TRIAL_PARAMS, study_id, *columns, order_by="param_id")  # sampling order
    for trial_id, name, internal, distribution_json in rows:
        trial = trials.get(trial_id)
        if trial is None:
            continue
        try:
            parameter = distribution(distribution_json)
            value = external_value(parameter, internal)
        except (ValueError, TypeError, KeyError, IndexError) as error:
            found.failures[(str(name), error_reason(error))] += 1
            continue
        trial.params[str(name)] = value
        found.latest[str(name)] = distribution_json
        if getattr(parameter, "log", False):
            found.log_scaled.add(str(name))
    return found


def _readable_float(
    value: Any, value_type: Sequence[Any], what: str, unreadable: Counter[str]
) -> float | None:
    """A stored value, or None (counted under `what`) when the cell holds no number (text, a blob)."""
    try:
        return stored_float(value, value_type)
    except (TypeError, ValueError, OverflowError):
        unreadable[what] += 1
        return None


def _attach_values(
    connection: Connection, study_id: int, trials: dict[int, Trial], schema: Schema, unreadable: Counter[str]
) -> None:
    for trial_id, objective, value, *value_type in _objective_rows(connection, study_id, schema):
        if trial_id in trials:
            number = _readable_float(value, value_type, "objective value", unreadable)
            if number is not None:
                trials[trial_id].values[int(objective)] = number


def _objective_rows(connection: Connection, study_id: int, schema: Schema) -> Any:
    """(trial_id, objective, value[, value_type]) rows; before Optuna 2.4 the one value is on `trials`."""
    if schema.before_2_4:
        query = sa.select(TRIALS.c.trial_id, sa.literal(0), TRIALS.c.value).where(
            TRIALS.c.study_id == study_id,
            TRIALS.c.value.is_not(None),  # NULL: no value (failed, running)
        )
        return connection.execute(query.order_by(TRIALS.c.trial_id))
    columns = ("objective", "value", "value_type") if schema.typed_values else ("objective", "value")
    return _rows_of_study(connection, TRIAL_VALUES, study_id, *columns)


def _attach_intermediate_values(
    connection: Connection, study_id: int, trials: dict[int, Trial], schema: Schema, unreadable: Counter[str]
) -> None:
    for trial_id, step, value, *value_type in _report_rows(connection, study_id, schema):
        trial = trials.get(trial_id)
        if trial is None or step is None:
            continue
        reported = _readable_float(value, value_type, "reported value (trial.report)", unreadable)
        if reported is None:
            continue
        trial.intermediate[int(step)] = reported
        if trial.last_step is None or int(step) > trial.last_step:
            trial.last_step, trial.last_intermediate = int(step), reported


def _report_rows(connection: Connection, study_id: int, schema: Schema) -> Any:
    """(trial_id, step, value[, value_type]) rows of `trial.report`; before Optuna 2.4 in `trial_values`."""
    if schema.before_2_4:
        return _rows_of_study(connection, TRIAL_REPORTS_BEFORE_2_4, study_id, "step", "value")
    if TRIAL_INTERMEDIATE.name not in schema.tables:
        return ()
    columns: tuple[str, ...] = ("step", "intermediate_value")
    if schema.typed_values:
        columns = (*columns, "intermediate_value_type")
    return _rows_of_study(connection, TRIAL_INTERMEDIATE, study_id, *columns)


def _attach_user_attrs(
    connection: Connection, study_id: int, trials: dict[int, Trial], schema: Schema
) -> None:
    if TRIAL_USER_ATTRS.name not in schema.tables:
        return
    for trial_id, key, value_json in _rows_of_study(
        connection, TRIAL_USER_ATTRS, study_id, "key", "value_json"
    ):
        if trial_id in trials:
            trials[trial_id].user_attrs[str(key)] = json_value(value_json)
