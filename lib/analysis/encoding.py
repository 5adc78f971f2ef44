"""Parameters as a numeric design matrix for models: one group of columns per parameter.

Numbers stay numbers (log-scaled ones as log10), booleans become 0/1, categoricals become one-hot
columns (rare levels pooled), and a missing value stays NaN so the forest can route it on its own.

`fill_branches` is for models whose credit must go to the right parent: where another parameter
decides whether a parameter exists (momentum only for `optimizer == sgd`), "missing" says nothing
the parent does not, so it is filled with values drawn from the branch's own runs (as `fanova`
does), and `Design.parents` records the link so that shuffling a parent carries its branch along.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lib.columns import Kind
from lib.values import MAX_LEVELS, category_labels, numeric_values

MIN_RUNS_PER_PARENT_LEVEL = 3  # a parent with a level per run or two (a float) decides nothing


@dataclass(frozen=True)
class Design:
    """`matrix[:, groups[p]]` are the columns that encode parameter `p`; `present[p]` marks the runs
    that have a value for it (a conditional parameter exists only for some runs). `parents[p]` is
    the parameter whose value decides whether `p` exists, when `fill_branches` found one."""

    matrix: np.ndarray
    columns: list[str]
    groups: dict[str, list[int]]
    present: dict[str, np.ndarray]
    parents: dict[str, str] = field(default_factory=dict)

    def carried(self, param: str) -> list[int]:
        """The columns that move together when `param` is shuffled: its own and those of every
        parameter that exists only on some of its branches (transitively)."""
        family, frontier = [param], [param]
        while frontier:
            parent = frontier.pop()
            children = [c for c, p in self.parents.items() if p == parent and c not in family]
            family.extend(children)
            frontier.extend(children)
        return [col for member in family for col in self.groups[member]]


def _one_hot(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    labels = category_labels(values)
    codes, uniques = pd.factorize(labels)
    found = list(uniques)
    levels = sorted(found, key=str)
    column_of_code = np.array([levels.index(level) for level in found], dtype=int)
    matrix = np.zeros((len(labels), len(levels)))
    matrix[np.arange(len(labels)), column_of_code[codes]] = 1.0
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


def _decides_existence(block: np.ndarray, parent_present: np.ndarray, missing: np.ndarray) -> bool:
    """True when the parent (its encoded columns `block`) has a value wherever the child is missing,
    has a few levels with several runs each, and each level comes always or never with the child
    missing: momentum is missing exactly when the optimizer is not sgd."""
    if not parent_present[missing].all():
        return False
    _, codes = np.unique(np.nan_to_num(block, nan=np.inf), axis=0, return_inverse=True)
    codes = codes.ravel()
    n_levels = int(codes.max()) + 1
    if not 2 <= n_levels <= min(MAX_LEVELS, len(codes) // MIN_RUNS_PER_PARENT_LEVEL):
        return False
    runs_missing = np.bincount(codes, weights=missing, minlength=n_levels)
    runs = np.bincount(codes, minlength=n_levels)
    return bool(np.all((runs_missing == 0) | (runs_missing == runs)))


def _parent_of(design: Design, child: str) -> str | None:
    missing = ~design.present[child]
    for other, cols in design.groups.items():
        if other == child or design.parents.get(other) == child:
            continue
        if _decides_existence(design.matrix[:, cols], design.present[other], missing):
            return other
    return None


def fill_branches(design: Design, rng: np.random.Generator) -> Design:
    """A copy of `design` where each parameter that exists only on some branches of another (its
    parent) has its missing values filled with values drawn at random from the runs that have it,
    and `parents` names the parent. The model then cannot read "missing" as a stand-in for the
    parent's choice; that choice keeps the credit. Other missing values stay NaN (a weight decay
    left out may mean none, which is a value of its own). Randomness: `rng`."""
    matrix = design.matrix.copy()
    parents: dict[str, str] = {}
    for child, cols in design.groups.items():
        present = design.present[child]
        if present.all() or not present.any():
            continue
        parent = _parent_of(dataclasses.replace(design, parents=parents), child)
        if parent is None:
            continue
        parents[child] = parent
        missing = np.flatnonzero(~present)
        donors = rng.choice(np.flatnonzero(present), size=len(missing))
        block = np.asarray(cols)
        matrix[np.ix_(missing, block)] = design.matrix[np.ix_(donors, block)]
    return dataclasses.replace(design, matrix=matrix, parents=parents)
