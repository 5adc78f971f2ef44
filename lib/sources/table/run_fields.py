"""Which run each row is and its run fields: ids, repeated rows, states, runtimes, dates and tags."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from lib.sources.table.cells import parse_literal
from lib.sources.table.read import capped
from lib.sources.table.shape import ColumnRoles
from lib.sweep import (
    CRASHED,
    FAILED,
    FINISHED,
    KILLED,
    PRUNED,
    RUN_CREATED,
    RUN_NAME,
    RUN_RUNTIME,
    RUN_STATE,
    RUNNING,
    UNKNOWN,
)

STATE_SYNONYMS = {
    "complete": FINISHED,
    "completed": FINISHED,
    "success": FINISHED,
    "fail": FAILED,
    "error": FAILED,
    "errored": FAILED,
    "stopped": KILLED,
}
KNOWN_STATES = frozenset({FINISHED, FAILED, CRASHED, RUNNING, KILLED, PRUNED, UNKNOWN})
_RUNTIME_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")
_SECONDS_PER_UNIT = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def drop_repeated_runs(
    frame: pd.DataFrame, id_column: str | None
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Rows that repeat an earlier row exactly, same run id included, are the same run listed twice."""
    if id_column is None or frame[id_column].is_unique:
        return frame, []
    repeated = frame.astype(str).duplicated(keep="first")
    skipped = [
        (
            f"row {i + 1} (run {frame.at[i, id_column]!s})",
            "the same run listed again; the first copy is kept",
        )
        for i in frame.index[repeated]
    ]
    return frame.loc[~repeated].reset_index(drop=True), capped(skipped)


def run_index(frame: pd.DataFrame, roles: ColumnRoles) -> tuple[pd.Index, str | None, str | None]:
    """Run ids from the ID column, else the names, else row numbers: the first that names each run once.

    Returns the index, a note when a column was passed over, and the column used (None: row numbers).
    """
    name_column = next((c for c, m in roles.meta.items() if m == RUN_NAME), None)
    refused: list[str] = []
    for column in (roles.id_column, name_column):
        if column is None:
            continue
        values = frame[column]
        if values.notna().all() and values.astype(str).is_unique:
            note = f"Runs are identified by {column!r}: {'; '.join(refused)}." if refused else None
            return pd.Index(values.astype(str).tolist(), name="run_id"), note, column
        refused.append(f"{column!r} has {values.astype(str).nunique()} distinct values in {len(values)} rows")
    index = pd.Index([str(i + 1) for i in range(len(frame))], name="run_id")
    note = f"Runs are numbered by row, since no column names each run once: {'; '.join(refused)}."
    return index, note if refused else None, None


def meta_values(values: pd.Series, meta: str) -> pd.Series:
    """A run-field column as the Sweep holds it: states normalised, dates in UTC, runtimes in seconds."""
    if meta == RUN_STATE:
        return values.map(run_state).astype(object)
    if meta == RUN_CREATED:
        return pd.to_datetime(values.astype(object), utc=True, errors="coerce", format="ISO8601")
    if meta == RUN_RUNTIME:
        return values.map(runtime_seconds).astype(float)
    return values.map(str, na_action="ignore").astype(object)


def run_state(value: Any) -> str:
    """A state as written (`Finished`, `completed`, `error`) as one of the Sweep's states."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return UNKNOWN
    state = str(value).strip().lower()
    state = STATE_SYNONYMS.get(state, state)
    return state if state in KNOWN_STATES else UNKNOWN


def runtime_seconds(value: Any) -> float:
    """Seconds from `45`, `45.5` or `1h 2m 3s`; NaN when unreadable."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return float(value)
    parts = _RUNTIME_PART.findall(str(value).lower()) if isinstance(value, str) else []
    return sum(float(n) * _SECONDS_PER_UNIT[unit] for n, unit in parts) if parts else float("nan")


def tags(value: Any) -> tuple[str, ...]:
    """Tags from a list literal (`["a", "b"]`) or comma-separated text."""
    if value is None:
        return ()
    parsed = parse_literal(value) if isinstance(value, str) and value.startswith("[") else None
    items: Iterable[Any] = parsed if isinstance(parsed, list) else str(value).split(",")
    return tuple(t for t in (str(item).strip() for item in items) if t)


def timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    stamp = pd.to_datetime(str(value), utc=True, errors="coerce")
    return None if pd.isna(stamp) else stamp.to_pydatetime()
