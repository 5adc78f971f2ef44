"""The one place a cell is read: numbers, log values, booleans, levels, missing values and labels.

Every layer reads a run's value through these functions, so "what counts as a number", "how a
boolean is spelled" and "which levels are pooled" have one answer. Numbers become floats with
text, missing and infinite values as NaN; log-scaled columns are read as log10; booleans as 0/1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum

import numpy as np
import pandas as pd

from lib.columns import NUMERIC_KINDS, Kind, is_numeric_column
from lib.sweep import Sweep

MAX_LEVELS = 30
OTHER_LEVEL = "(other)"
MISSING_LEVEL = "(missing)"
TRUE_LEVEL, FALSE_LEVEL = "true", "false"


def numeric_values(values: pd.Series, kind: Kind) -> np.ndarray:
    """A parameter as floats on the scale it is read on: log10 for log-scaled, 0/1 for booleans."""
    if kind is Kind.BOOLEAN:
        as_text = values.map(lambda v: None if pd.isna(v) else str(v).strip().lower())
        return as_text.map({"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0, "1.0": 1.0, "0.0": 0.0}).to_numpy(
            dtype=float, na_value=np.nan
        )
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
    numbers[~np.isfinite(numbers)] = np.nan
    if kind is Kind.LOG:
        with np.errstate(divide="ignore", invalid="ignore"):
            numbers = np.where(numbers > 0, np.log10(numbers), np.nan)
    return numbers


def category_labels(values: pd.Series, max_levels: int = MAX_LEVELS) -> pd.Series:
    """Levels as text; missing as its own level; beyond the `max_levels` commonest, pooled."""
    labels = values.map(lambda v: MISSING_LEVEL if pd.isna(v) else str(v)).astype(object)
    counts = labels.value_counts()
    if len(counts) > max_levels:
        keep = set(counts.index[: max_levels - 1])
        labels = labels.where(labels.isin(keep), OTHER_LEVEL)
    return labels


def reads_as_numbers(sweep: Sweep, column: str) -> bool:
    """True when a column is filtered and drawn as numbers rather than as levels.

    Numeric kinds are; so are identifiers and constants that hold only numbers (a seed)."""
    kind = sweep.kind(column)
    if kind in NUMERIC_KINDS:
        return True
    return kind in (Kind.IDENTIFIER, Kind.CONSTANT) and is_numeric_column(sweep.runs[column])


def real_numbers(values: pd.Series) -> np.ndarray:
    """A column as floats in its own units; text, missing and infinite values become NaN."""
    return numeric_values(values, Kind.NUMERIC)


def level_labels(values: pd.Series, kind: Kind) -> pd.Series:
    """Each run's level as text: booleans as "true"/"false", missing as "(missing)"."""
    present = values.notna().to_numpy()
    if kind is Kind.BOOLEAN:
        if pd.api.types.is_bool_dtype(values):
            flags = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            flags = numeric_values(values, Kind.BOOLEAN)
        text = np.where(flags == 1.0, TRUE_LEVEL, FALSE_LEVEL).astype(object)
        text[np.isnan(flags)] = MISSING_LEVEL
    else:
        text = values.astype(str).to_numpy(dtype=object)
        text[~present] = MISSING_LEVEL
    return pd.Series(text, index=values.index, dtype=object)


class AxisScale(StrEnum):
    """How a numeric column is drawn and summarised."""

    LINEAR = "linear"
    LOG = "log"


def resolved_scale(sweep: Sweep, column: str, scales: Mapping[str, AxisScale]) -> AxisScale:
    """The user's override, else log for log-scaled columns; never log for values <= 0."""
    wanted = scales.get(column) or (AxisScale.LOG if sweep.kind(column) is Kind.LOG else AxisScale.LINEAR)
    if wanted is AxisScale.LOG:
        numbers = real_numbers(sweep.runs[column])
        if np.any(numbers[~np.isnan(numbers)] <= 0):
            return AxisScale.LINEAR
    return wanted


def compact_number(value: float, digits: int = 2) -> str:
    """`value` with `digits` significant digits: plain between 0.01 and 99999, else like `3e-4`."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    rounded = float(f"{value:.{digits}g}")
    exponent = math.floor(math.log10(abs(rounded)))
    if -2 <= exponent <= 4:
        return strip_zeros(f"{rounded:.{max(0, digits - 1 - exponent)}f}")
    return exponent_form(rounded, digits)


def exponent_form(value: float, digits: int) -> str:
    rounded = float(f"{value:.{digits}g}")
    exponent = math.floor(math.log10(abs(rounded)))
    return f"{strip_zeros(f'{rounded / 10**exponent:.{digits - 1}f}')}e{exponent}"


def strip_zeros(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text
