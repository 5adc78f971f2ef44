"""The one place a cell is read: numbers, log values, booleans, levels, missing values and labels.

Every layer reads a run's value through these functions, so "what counts as a number", "how a
boolean is spelled" and "which levels are pooled" have one answer. Numbers become floats with
text, missing and infinite values as NaN; log-scaled columns are read as log10; booleans as 0/1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lib.columns import NUMERIC_KINDS, Kind, is_numeric_column

if TYPE_CHECKING:  # lib.sweep reads metrics through this module
    from lib.sweep import Sweep

MAX_LEVELS = 30
OTHER_LEVEL = "(other)"
MISSING_LEVEL = "(missing)"
TRUE_LEVEL, FALSE_LEVEL = "true", "false"
# How a boolean cell may be spelled once a column is read as boolean (text is stripped, lower-cased).
BOOLEAN_SPELLINGS = {"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0, "1.0": 1.0, "0.0": 0.0}


def parsed_numbers(values: pd.Series) -> pd.Series:
    """Each cell as a number where it parses as one ("3" and True too); NaN where it does not.
    Infinities are kept and the dtype is pandas' choice: `real_numbers` is the finite float form."""
    return pd.to_numeric(values, errors="coerce")


def all_parse_as_numbers(values: pd.Series) -> bool:
    """True when every present cell parses as a number (text such as "3" and infinities count)."""
    return bool(parsed_numbers(values).notna().sum() == values.notna().sum())


def log10_positive(numbers: np.ndarray) -> np.ndarray:
    """log10 of the positive numbers; NaN for zero, negative and missing ones."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(numbers > 0, np.log10(numbers), np.nan)


def boolean_values(values: pd.Series) -> np.ndarray:
    """A boolean column as 1.0/0.0 (see `BOOLEAN_SPELLINGS`); other values and missing as NaN."""
    as_text = values.map(lambda v: None if pd.isna(v) else str(v).strip().lower())
    return as_text.map(BOOLEAN_SPELLINGS).to_numpy(dtype=float, na_value=np.nan)


def numeric_values(values: pd.Series, kind: Kind) -> np.ndarray:
    """A parameter as floats on the scale it is read on: log10 for log-scaled, 0/1 for booleans."""
    if kind is Kind.BOOLEAN:
        return boolean_values(values)
    numbers = parsed_numbers(values).to_numpy(dtype=float, na_value=np.nan, copy=True)
    numbers[~np.isfinite(numbers)] = np.nan
    return log10_positive(numbers) if kind is Kind.LOG else numbers


def cell_texts(values: pd.Series, missing: str | None = None) -> pd.Series:
    """Each present cell as `str()` writes it (a float32 0.1 as 0.10000000149011612), `missing`
    where there is no value. `level_labels` writes pandas' text instead (0.1)."""
    return values.map(lambda v: missing if pd.isna(v) else str(v))


def category_labels(values: pd.Series, max_levels: int = MAX_LEVELS) -> pd.Series:
    """Levels as text; missing as its own level; beyond the `max_levels` commonest, pooled
    (missing competes like any level, so a rare "(missing)" is pooled too)."""
    labels = cell_texts(values, missing=MISSING_LEVEL).astype(object)
    return pooled_levels(labels, max_levels, count_missing=True, keep_missing=False)


def pooled_levels(
    labels: pd.Series, max_levels: int, *, count_missing: bool, keep_missing: bool
) -> pd.Series:
    """`labels` with every level beyond the `max_levels - 1` commonest as "(other)", when there are
    more than `max_levels`. `count_missing`: "(missing)" takes a place in that count and ranking;
    `keep_missing`: it is never pooled."""
    counts = (labels if count_missing else labels[labels != MISSING_LEVEL]).value_counts()
    if len(counts) <= max_levels:
        return labels
    keep = set(counts.index[: max_levels - 1]) | ({MISSING_LEVEL} if keep_missing else set())
    return labels.where(labels.isin(keep), OTHER_LEVEL)


def natural_order(levels: Iterable[str]) -> list[str]:
    """Levels that are all numbers by value (16 before 128), otherwise alphabetically."""
    levels = list(levels)
    try:
        return sorted(levels, key=float)
    except ValueError:
        return sorted(levels, key=lambda s: (s.casefold(), s))


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
            flags = boolean_values(values)
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


def counted(n: int, noun: str, plural: str | None = None, *, verbs: tuple[str, str] | None = None) -> str:
    """`1 run`, `2 runs`, `1,204 runs`: a count with its noun agreeing, and its verb when given
    (`verbs=("has", "have")`: `1 run has`, `2 runs have`)."""
    text = f"{n:,} {noun if n == 1 else plural or noun + 's'}"
    return text if verbs is None else f"{text} {verbs[0] if n == 1 else verbs[1]}"
