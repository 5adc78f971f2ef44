"""Parameters as a numeric design matrix for models: one group of columns per parameter.

Numbers stay numbers (log-scaled ones as log10), booleans become 0/1, categoricals become one-hot
columns (rare levels pooled), and a missing value stays NaN so the forest can route it on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.columns import Kind

MAX_LEVELS = 30
OTHER_LEVEL = "(other)"
MISSING_LEVEL = "(missing)"


@dataclass(frozen=True)
class Design:
    """`matrix[:, groups[p]]` are the columns that encode parameter `p`; `present[p]` marks the runs
    that have a value for it (a conditional parameter exists only for some runs)."""

    matrix: np.ndarray
    columns: list[str]
    groups: dict[str, list[int]]
    present: dict[str, np.ndarray]


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


def _one_hot(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    labels = category_labels(values)
    levels = sorted(labels.unique(), key=str)
    matrix = np.stack([(labels == level).to_numpy(dtype=float) for level in levels], axis=1)
    return matrix, levels


def design_matrix(runs: pd.DataFrame, params: Sequence[str], kinds: Mapping[str, Kind]) -> Design:
    blocks: list[np.ndarray] = []
    columns: list[str] = []
    groups: dict[str, list[int]] = {}
    present: dict[str, np.ndarray] = {}
    for param in params:
        present[param] = runs[param].notna().to_numpy()
        kind = kinds.get(param, Kind.CATEGORICAL)
        if kind is Kind.CATEGORICAL:
            block, levels = _one_hot(runs[param])
            names = [f"{param}={level}" for level in levels]
        else:
            block = numeric_values(runs[param], kind)[:, None]
            names = [param]
        groups[param] = list(range(len(columns), len(columns) + len(names)))
        columns.extend(names)
        blocks.append(block)
    matrix = np.hstack(blocks) if blocks else np.empty((len(runs), 0))
    return Design(matrix=matrix, columns=columns, groups=groups, present=present)
