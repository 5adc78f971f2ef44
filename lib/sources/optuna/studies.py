"""The studies of a storage: directions, metric names, attributes, and a one-line summary of each."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.columns import Direction
from lib.sources.errors import SourceError
from lib.sources.optuna.decode import as_datetime, direction, json_value, run_state
from lib.sources.optuna.schema import (
    STUDIES,
    STUDY_DIRECTIONS,
    STUDY_SYSTEM_ATTRS,
    STUDY_USER_ATTRS,
    TRIALS,
    Schema,
)

METRIC_NAMES_ATTR = "study:metric_names"  # where `study.set_metric_names` keeps the names


@dataclass(frozen=True)
class StudyInfo:
    """One study of a storage, as the load page lists it."""

    name: str
    n_trials: int
    directions: tuple[Direction | None, ...]  # per objective; None when the study never set it
    metric_names: tuple[str, ...] | None  # from `study.set_metric_names`, else None
    objectives: tuple[str, ...]  # the metric columns the objectives load as
    state_counts: Mapping[str, int]  # normalised run state -> number of trials
    first_trial_at: datetime | None
    last_trial_at: datetime | None

    @property
    def is_multi_objective(self) -> bool:
        return len(self.directions) > 1

    @property
    def label(self) -> str:
        states = ", ".join(f"{n} {state}" for state, n in sorted(self.state_counts.items()))
        goals = ", ".join(
            f"{name} ({d.value if d else 'direction not set'})"
            for name, d in zip(self.objectives, self.directions, strict=False)
        )
        return f"{self.name}: {self.n_trials} trials ({states or 'none'}); {goals}"


@dataclass(frozen=True)
class Study:
    study_id: int
    name: str
    directions: tuple[Direction | None, ...]
    metric_names: tuple[str, ...] | None
    user_attrs: dict[str, Any]

    @property
    def objectives(self) -> tuple[str, ...]:
        return objective_names(len(self.directions), self.metric_names)


def objective_names(n_objectives: int, metric_names: Sequence[str] | None) -> tuple[str, ...]:
    """`study.metric_names` when they fit, else `value` (one objective) or `value_0`, `value_1`, ..."""
    if metric_names is not None and len(metric_names) == n_objectives:
        return tuple(metric_names)
    if n_objectives == 1:
        return ("value",)
    return tuple(f"value_{i}" for i in range(n_objectives))


def read_studies(connection: Connection, schema: Schema) -> list[Study]:
    """Every study of the storage, oldest first."""
    rows = connection.execute(
        sa.select(STUDIES.c.study_id, STUDIES.c.study_name).order_by(STUDIES.c.study_id)
    )
    studies = {int(study_id): str(name) for study_id, name in rows}
    directions: dict[int, dict[int, Direction | None]] = {i: {} for i in studies}
    for study_id, objective, stored in _direction_rows(connection, schema):
        if study_id in directions:
            directions[study_id][int(objective)] = direction(stored)
    system = _study_attrs(connection, schema, STUDY_SYSTEM_ATTRS, key=METRIC_NAMES_ATTR)
    user = _study_attrs(connection, schema, STUDY_USER_ATTRS)
    return [
        Study(
            study_id=study_id,
            name=name,
            directions=tuple(d for _, d in sorted(directions[study_id].items())) or (None,),
            metric_names=_metric_names(system.get(study_id, {}).get(METRIC_NAMES_ATTR)),
            user_attrs=user.get(study_id, {}),
        )
        for study_id, name in studies.items()
    ]


def _direction_rows(connection: Connection, schema: Schema) -> Any:
    """(study_id, objective, direction) rows; before Optuna 2.4 the one direction is on `studies`."""
    if schema.before_2_4:
        return connection.execute(sa.select(STUDIES.c.study_id, sa.literal(0), STUDIES.c.direction))
    columns = STUDY_DIRECTIONS.c
    return connection.execute(sa.select(columns.study_id, columns.objective, columns.direction))


def study_infos(connection: Connection, studies: list[Study]) -> list[StudyInfo]:
    counts = _trial_counts(connection)
    spans = _trial_spans(connection)
    return [_study_info(s, counts.get(s.study_id, {}), spans.get(s.study_id, (None, None))) for s in studies]


def choose_study(studies: list[Study], name: str | None, label: str) -> Study:
    """The study named `name`, or the only one; `SourceError` listing them otherwise."""
    if not studies:
        raise SourceError(f"{label!r} is an Optuna storage with no studies in it. Check the URL.")
    names = ", ".join(repr(s.name) for s in studies)
    if name is None:
        if len(studies) == 1:
            return studies[0]
        raise SourceError(
            f"{label!r} holds {len(studies)} studies: {names}. Choose one, "
            "e.g. by adding #study_name to the URL."
        )
    for study in studies:
        if study.name == name:
            return study
    raise SourceError(f"No study named {name!r} in {label!r}; it holds {names}.")


def _study_info(
    study: Study, counts: Mapping[str, int], span: tuple[datetime | None, datetime | None]
) -> StudyInfo:
    return StudyInfo(
        name=study.name,
        n_trials=sum(counts.values()),
        directions=study.directions,
        metric_names=study.metric_names,
        objectives=study.objectives,
        state_counts=dict(counts),
        first_trial_at=span[0],
        last_trial_at=span[1],
    )


def _study_attrs(
    connection: Connection, schema: Schema, attrs: sa.TableClause, key: str | None = None
) -> dict[int, dict[str, Any]]:
    if attrs.name not in schema.tables:
        return {}
    query = sa.select(attrs.c.study_id, attrs.c.key, attrs.c.value_json)
    if key is not None:
        query = query.where(attrs.c.key == key)
    found: dict[int, dict[str, Any]] = {}
    for study_id, name, value_json in connection.execute(query):
        found.setdefault(int(study_id), {})[str(name)] = json_value(value_json)
    return found


def _metric_names(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _trial_counts(connection: Connection) -> dict[int, dict[str, int]]:
    query = sa.select(TRIALS.c.study_id, TRIALS.c.state, sa.func.count()).group_by(
        TRIALS.c.study_id, TRIALS.c.state
    )
    counts: dict[int, Counter[str]] = {}
    for study_id, state, n in connection.execute(query):
        counts.setdefault(int(study_id), Counter())[run_state(state)] += int(n)
    return {k: dict(v) for k, v in counts.items()}


def _trial_spans(connection: Connection) -> dict[int, tuple[datetime | None, datetime | None]]:
    start = TRIALS.c.datetime_start
    query = sa.select(TRIALS.c.study_id, sa.func.min(start), sa.func.max(start)).group_by(TRIALS.c.study_id)
    return {int(s): (as_datetime(first), as_datetime(last)) for s, first, last in connection.execute(query)}
