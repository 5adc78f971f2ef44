"""What the user chose on the load page, applied to a loaded sweep as a pure function."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from lib.columns import Direction, Kind
from lib.sweep import FINISHED, RUN_GROUP, RUN_STATE, RUN_SWEEP, UNKNOWN, Sweep
from lib.values import parsed_numbers


class Role(StrEnum):
    PARAMETER = "parameter"
    METRIC = "metric"
    BOOKKEEPING = "bookkeeping"  # run bookkeeping (step counters, echoes, ids): shown, not analysed


@dataclass(frozen=True)
class Choices:
    """The user's overrides. `None` in an include filter means "everything"."""

    sweeps: tuple[str, ...] | None = None
    groups: tuple[str, ...] | None = None
    states: tuple[str, ...] | None = None
    roles: Mapping[str, Role] = field(default_factory=dict)
    kinds: Mapping[str, Kind] = field(default_factory=dict)
    directions: Mapping[str, Direction] = field(default_factory=dict)


def default_states(sweep: Sweep) -> tuple[str, ...] | None:
    """Rankings use finished runs: when some runs finished and others were pruned, failed, crashed,
    killed or are still running, only the finished ones are included until the user adds the rest.
    None (every run) when the states do not say which runs finished."""
    states = set(sweep.states)
    if FINISHED in states and states - {FINISHED, UNKNOWN}:
        return (FINISHED,)
    return None


def default_choices(sweep: Sweep) -> Choices:
    """What a freshly loaded sweep starts with: no overrides, finished runs only (`default_states`)."""
    return Choices(states=default_states(sweep))


def role_of(sweep: Sweep, column: str) -> Role:
    if column in sweep.params:
        return Role.PARAMETER
    if column in sweep.metrics:
        return Role.METRIC
    return Role.BOOKKEEPING


def _rows_included(runs: pd.DataFrame, column: str, allowed: tuple[str, ...] | None) -> pd.Series:
    if allowed is None or column not in runs:
        return pd.Series(True, index=runs.index)
    return runs[column].astype("string").isin(allowed).fillna(False).astype(bool)


def include_mask(sweep: Sweep, choices: Choices) -> pd.Series:
    """Runs kept by the sweep, group and state filters."""
    runs = sweep.runs
    return (
        _rows_included(runs, RUN_SWEEP, choices.sweeps)
        & _rows_included(runs, RUN_GROUP, choices.groups)
        & _rows_included(runs, RUN_STATE, choices.states)
    )


def _reassigned(sweep: Sweep, roles: Mapping[str, Role]) -> tuple[list[str], list[str]]:
    columns = [c for c in sweep.runs.columns if c not in sweep.meta_columns]
    wanted = {c: roles.get(c, role_of(sweep, c)) for c in columns}
    params = [c for c in columns if wanted[c] is Role.PARAMETER]
    metrics = [c for c in columns if wanted[c] is Role.METRIC]
    return params, metrics


def _coerce_metrics(runs: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Metrics must be numbers: a column moved into the metric role is coerced, text becomes missing."""
    coerced = {
        m: parsed_numbers(runs[m])
        for m in metrics
        if not pd.api.types.is_numeric_dtype(runs[m]) or pd.api.types.is_bool_dtype(runs[m])
    }
    return runs.assign(**coerced) if coerced else runs


def apply_choices(sweep: Sweep, choices: Choices) -> Sweep:
    """The sweep every page analyses: filtered runs, reassigned roles, overridden kinds."""
    params, metrics = _reassigned(sweep, choices.roles)
    runs = _coerce_metrics(sweep.runs[include_mask(sweep, choices)], metrics)
    kinds: dict[str, Kind] = {c: sweep.kind(c) for c in [*params, *metrics]}
    kinds.update({c: k for c, k in choices.kinds.items() if c in kinds})
    directions = {m: sweep.direction(m) for m in metrics}
    directions.update({m: d for m, d in choices.directions.items() if m in directions})
    return sweep.replace(
        runs=runs,
        params=params,
        metrics=metrics,
        kinds=kinds,
        directions=directions,
        primary_metric=sweep.primary_metric if sweep.primary_metric in metrics else None,
    )


USER_CHOICE = "your choice"
COLUMN_TABLE_COLUMNS = ["column", "role", "why", "kind", "direction", "distinct", "missing"]


def column_table(sweep: Sweep, chosen: Mapping[str, Role] | None = None) -> pd.DataFrame:
    """One row per column the user can reassign: role and why it has it, kind, direction and a
    few facts. `chosen` are the roles the user set, which say so instead of the loader's reason."""
    chosen = chosen or {}
    rows: list[dict[str, Any]] = []
    for column in sweep.runs.columns:
        if column in sweep.meta_columns:
            continue
        values = sweep.runs[column]
        role = role_of(sweep, column)
        rows.append(
            {
                "column": column,
                "role": role.value,
                "why": USER_CHOICE if column in chosen else sweep.reasons.get(column, ""),
                "kind": sweep.kind(column).value,
                "direction": sweep.direction(column).value if role is Role.METRIC else None,
                "distinct": int(values.astype("string").nunique()),
                "missing": int(values.isna().sum()),
            }
        )
    return pd.DataFrame(rows, columns=COLUMN_TABLE_COLUMNS)


def choices_from_column_table(edited: pd.DataFrame, loaded: Sweep, base: Choices) -> Choices:
    """Read the edited column table back into overrides: only what differs from `loaded`'s guesses."""
    roles, kinds, directions = {}, {}, {}
    for row in edited.itertuples(index=False):
        column = str(row.column)
        if isinstance(row.role, str) and Role(row.role) is not role_of(loaded, column):
            roles[column] = Role(row.role)
        if isinstance(row.kind, str) and Kind(row.kind) is not loaded.kind(column):
            kinds[column] = Kind(row.kind)
        if isinstance(row.direction, str) and Direction(row.direction) is not loaded.direction(column):
            directions[column] = Direction(row.direction)
    return Choices(
        sweeps=base.sweeps,
        groups=base.groups,
        states=base.states,
        roles=roles,
        kinds=kinds,
        directions=directions,
    )
