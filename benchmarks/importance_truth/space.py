"""Declarative search spaces: parameter specs, branch conditions and a designed function over them.

Every parameter maps a uniform draw u in [0, 1) to its value (an inverse CDF), so one unit
matrix drives both the random-search sampler and the Sobol truth. A conditional parameter
(`when=Branch("optimizer", ("sgd",))`) keeps its draw but is NaN wherever its branch was not
taken, exactly as a run table shows it; designed functions must read it only inside its branch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from lib.columns import Direction, Kind

Values = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Branch:
    """The child exists only where `parent` takes one of `levels`."""

    parent: str
    levels: tuple[object, ...]


@dataclass(frozen=True)
class Param:
    name: str
    when: Branch | None = field(default=None, kw_only=True)
    kind: ClassVar[Kind] = Kind.NUMERIC

    def values(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True)
class Uniform(Param):
    low: float = 0.0
    high: float = 1.0

    def values(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * u


@dataclass(frozen=True)
class LogUniform(Param):
    low: float = 1e-5
    high: float = 1e-1
    kind: ClassVar[Kind] = Kind.LOG

    def values(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(10 ** (np.log10(self.low) + (np.log10(self.high) - np.log10(self.low)) * u))


@dataclass(frozen=True)
class IntUniform(Param):
    """Integers low..high inclusive, equally likely."""

    low: int = 0
    high: int = 10
    kind: ClassVar[Kind] = Kind.INTEGER

    def values(self, u: np.ndarray) -> np.ndarray:
        return (self.low + np.floor(u * (self.high - self.low + 1))).astype(np.int64)


@dataclass(frozen=True)
class Categorical(Param):
    """Equally likely string levels."""

    levels: tuple[str, ...] = ("a", "b")
    kind: ClassVar[Kind] = Kind.CATEGORICAL

    def values(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(self.levels)[np.floor(u * len(self.levels)).astype(np.int64)]


@dataclass(frozen=True)
class Boolean(Param):
    kind: ClassVar[Kind] = Kind.BOOLEAN

    def values(self, u: np.ndarray) -> np.ndarray:
        return u < 0.5


def numbered_levels(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i:02d}" for i in range(count))


def level_effect(values: np.ndarray, effects: Mapping[str, float]) -> np.ndarray:
    """Per row, the effect of its level (vectorised dictionary look-up)."""
    levels = np.asarray(sorted(effects))
    table = np.asarray([effects[level] for level in levels])
    return np.asarray(table[np.searchsorted(levels, values)])


@dataclass(frozen=True)
class DesignedFunction:
    """A sweep with a known answer. `mean` is the noise-free metric; the observed metric adds
    N(0, noise_sd(x)²) and is missing (a failed run) with probability `failure(x)`."""

    name: str
    tests: str  # what the function is designed to probe
    params: tuple[Param, ...]
    mean: Callable[[Values], np.ndarray]
    noise_sd: Callable[[Values], np.ndarray]
    direction: Direction
    failure: Callable[[Values], np.ndarray] | None = None

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    @property
    def kinds(self) -> dict[str, Kind]:
        return {p.name: p.kind for p in self.params}


def materialise(params: tuple[Param, ...], unit: np.ndarray) -> dict[str, np.ndarray]:
    """Parameter values for each row of a unit matrix (one column per parameter, in order);
    conditional parameters are NaN (floats) outside their branch. Parents must come first."""
    values: dict[str, np.ndarray] = {}
    for i, param in enumerate(params):
        column = param.values(unit[:, i])
        if param.when is not None:
            column = np.where(branch_taken(values, param.when), column, np.nan)
        values[param.name] = column
    return values


def branch_taken(values: Values, branch: Branch) -> np.ndarray:
    return np.isin(values[branch.parent], np.asarray(branch.levels))
