"""How Optuna's stored cells read: states, directions, floats, infinities, JSON, times, parameters."""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lib.columns import Direction
from lib.sweep import FAILED, FINISHED, PRUNED, RUNNING, UNKNOWN

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution

# WAITING: enqueued, not started.
STATES = {"COMPLETE": FINISHED, "PRUNED": PRUNED, "FAIL": FAILED, "RUNNING": RUNNING, "WAITING": RUNNING}
DIRECTIONS = {"MINIMIZE": Direction.MINIMIZE, "MAXIMIZE": Direction.MAXIMIZE}
INFINITIES = {"INF_POS": float("inf"), "INF_NEG": float("-inf"), "NAN": float("nan")}


def run_state(state: Any) -> str:
    """An Optuna trial state as one of the Sweep's states."""
    return STATES.get(str(state).upper(), UNKNOWN)


def direction(stored: Any) -> Direction | None:
    return DIRECTIONS.get(str(stored).upper())


def stored_float(value: Any, value_type: Sequence[Any]) -> float:
    """A stored objective or intermediate value; infinities are kept as a type with a NULL value."""
    kind = str(value_type[0]).upper() if value_type and value_type[0] is not None else "FINITE"
    if kind in INFINITIES:
        return INFINITIES[kind]
    return float(value) if value is not None else float("nan")


def json_value(value_json: Any) -> Any:
    try:
        return json.loads(value_json)
    except (TypeError, ValueError):
        return value_json


def as_datetime(value: Any) -> datetime | None:
    """SQLite hands back timestamps as text, server databases as datetimes."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


@functools.lru_cache(maxsize=4096)
def distribution(distribution_json: str) -> BaseDistribution:
    """Optuna's distribution object for a parameter's stored distribution JSON."""
    from optuna.distributions import json_to_distribution

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # old distribution classes warn that they are deprecated
        return json_to_distribution(distribution_json)


def external_value(parameter: BaseDistribution, internal: Any) -> Any:
    """The value the objective saw: a categorical's choice (None as the text "None"), an int for ints."""
    if internal is None:
        raise ValueError("no stored value")
    value = parameter.to_external_repr(float(internal))
    return "None" if value is None else value


def error_reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
