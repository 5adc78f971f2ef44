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
from lib.values import category_labels, numeric_values


@dataclass(frozen=True)
class Design:
    """`matrix[:, groups[p]]` are the columns that encode parameter `p`; `present[p]` marks the runs
    that have a value for it (a conditional parameter exists only for some runs)."""

    matrix: np.ndarray
    columns: list[str]
    groups: dict[str, list[int]]
    present: dict[str, np.ndarray]


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
