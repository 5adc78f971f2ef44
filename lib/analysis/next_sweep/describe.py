"""Plain values, level labels and short descriptions of specs and runs, for the next sweep's texts."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import yaml

from lib.analysis.next_sweep.ranges import SIGNIFICANT_DIGITS
from lib.columns import scalar_for_cell
from lib.sweep import Sweep
from lib.sweep_config import PLAIN_TYPES, spec_distribution
from lib.values import compact_number, reads_as_numbers, real_numbers


def plain_value(value: Any) -> Any:
    """A config value as a plain Python value YAML can write: numpy scalars unwrapped, NaN as None,
    lists that a source stored as JSON text (`"[64, 64]"`) back to lists."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, list) else value
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    return value if isinstance(value, PLAIN_TYPES) else str(value)


def typed_number(value: Any, integer: bool) -> Any:
    value = plain_value(value)
    if integer and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


FIXED_DIGITS = 4  # a value fixed for a parameter that does not matter: its last digits mean nothing
LISTED_DIGITS = 6  # values a sweep listed (a grid): short already, only float noise is trimmed


def rounded_number(value: Any, integer: bool, digits: int) -> Any:
    """`typed_number` with a float rounded to `digits` significant digits (0.00010339404 -> 0.0001034)."""
    value = typed_number(value, integer)
    if isinstance(value, float) and math.isfinite(value) and not isinstance(value, bool):
        return float(f"{value:.{digits}g}")
    return value


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return compact_number(value, SIGNIFICANT_DIGITS)
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def level_label(value: Any) -> str:
    return str(scalar_for_cell(plain_value(value)))


def level_table(values: pd.Series) -> tuple[np.ndarray, dict[str, Any]]:
    """Each value's level label (None when missing) and each label's first value as a plain value;
    labels are worked out once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = [level_label(u) for u in uniques]
    labels = np.array([*distinct, None], dtype=object)[codes]  # code -1 (missing) picks None
    first: dict[str, Any] = {}
    for label, value in zip(distinct, uniques, strict=True):
        first.setdefault(label, plain_value(value))
    return labels, first


def describe_spec(spec: Mapping[str, Any], max_levels: int = 8) -> str:
    """A parameter spec in a few words: `fixed at 2`, `one of adam, sgd`, `uniform 0.5 – 0.9`."""
    if "value" in spec:
        return f"fixed at {format_value(spec['value'])}"
    if "values" in spec and isinstance(spec["values"], list):
        shown = ", ".join(format_value(v) for v in spec["values"][:max_levels])
        return f"one of {shown}{', …' if len(spec['values']) > max_levels else ''}"
    distribution = spec_distribution(spec)
    if {"min", "max"} <= set(spec):
        return f"{distribution} {format_value(spec['min'])} – {format_value(spec['max'])}"
    return yaml.safe_dump(dict(spec), default_flow_style=True, sort_keys=False).strip()


def describe_runs(sweep: Sweep, name: str) -> str:
    values = sweep.runs[name].dropna() if name in sweep.runs else pd.Series(dtype=object)
    if values.empty:
        return "no run has a value"
    if reads_as_numbers(sweep, name):
        numbers = real_numbers(values)
        return (
            f"runs used {format_value(float(np.nanmin(numbers)))} – {format_value(float(np.nanmax(numbers)))}"
        )
    return describe_spec({"values": list(level_table(values)[1])}).replace("one of", "runs used", 1)
