"""Importance against a known truth: designed sweeps, their Sobol total effects, the contenders.

`bench_importance_truth.py` scores every contender on the same sampled runs; the tests in
tests/analysis/test_importance_truth_functions.py check the truth code against closed forms.
"""

from benchmarks.importance_truth.functions import FUNCTIONS, QUICK_FUNCTIONS, function_named
from benchmarks.importance_truth.sampling import METRIC, SampledSweep, sample_runs
from benchmarks.importance_truth.space import (
    Boolean,
    Branch,
    Categorical,
    DesignedFunction,
    IntUniform,
    LogUniform,
    Param,
    Uniform,
    level_effect,
    materialise,
)
from benchmarks.importance_truth.truth import SobolIndices, sobol_indices, true_importance

__all__ = [
    "FUNCTIONS",
    "METRIC",
    "QUICK_FUNCTIONS",
    "Boolean",
    "Branch",
    "Categorical",
    "DesignedFunction",
    "IntUniform",
    "LogUniform",
    "Param",
    "SampledSweep",
    "SobolIndices",
    "Uniform",
    "function_named",
    "level_effect",
    "materialise",
    "sample_runs",
    "sobol_indices",
    "true_importance",
]
