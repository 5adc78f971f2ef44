"""Random search over a designed function: a runs table shaped like the ones Sweepscope loads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmarks.importance_truth.space import DesignedFunction, materialise
from lib.columns import Kind

METRIC = "metric"


@dataclass(frozen=True)
class SampledSweep:
    """`runs`: one row per run (index `run_id`), parameter columns as a loader gives them (floats,
    int64, strings for categoricals, bools, NaN where a conditional parameter is absent) and
    `metric` (NaN for failed runs). `unit`: the uniform draws behind each run."""

    function: DesignedFunction
    runs: pd.DataFrame
    kinds: dict[str, Kind]
    unit: np.ndarray

    @property
    def params(self) -> list[str]:
        return self.function.names

    @property
    def failed(self) -> np.ndarray:
        return np.asarray(self.runs[METRIC].isna().to_numpy())


def sample_runs(function: DesignedFunction, n: int, *, seed: int) -> SampledSweep:
    rng = np.random.default_rng(seed)
    unit = rng.random((n, len(function.params)))
    values = materialise(function.params, unit)
    metric = function.mean(values) + function.noise_sd(values) * rng.standard_normal(n)
    if function.failure is not None:
        metric = np.where(rng.random(n) < function.failure(values), np.nan, metric)
    runs = pd.DataFrame(_columns(values), index=pd.RangeIndex(n, name="run_id"))
    runs[METRIC] = metric
    return SampledSweep(function, runs, function.kinds, unit)


def _columns(values: dict[str, np.ndarray]) -> dict[str, object]:
    columns: dict[str, object] = {}
    for name, column in values.items():
        # strings as plain Python objects, as pandas reads them from a CSV or a W&B config
        columns[name] = column.astype(object) if column.dtype.kind == "U" else column
    return columns
