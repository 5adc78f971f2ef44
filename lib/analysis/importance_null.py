"""The noise floor of an importance: the same procedure run on shuffled copies of the metric.

With the metric shuffled no parameter can matter, so what each parameter still scores is what
chance alone gives it with these runs, this forest and this resampling. `null_importances` runs
the procedure `ForestSettings.null_repeats` times on shuffled metrics, each with its own seed
derived from `ForestSettings.seed`, and returns every parameter's mean raw importance per null.
Each null's out-of-bag permutation grows `null_trees` trees where the real estimate grows
`oob_trees`: fewer trees scatter more, so the floor errs towards "within noise", at a third of
the cost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from lib.analysis._fit import ForestSettings

NULL_SEED_OFFSET = 10_007

Procedure = Callable[[np.ndarray, ForestSettings], Mapping[str, np.ndarray]]


def null_importances(
    procedure: Procedure, params: Sequence[str], y: np.ndarray, settings: ForestSettings
) -> np.ndarray | None:
    """One row per null, one column per parameter (in `params` order): the mean raw importance
    `procedure(shuffled metric, settings)` gives it. None when no null is asked for. Large sweeps
    (one split) run `single_split_nulls`: each costs a fit, and there the floor is far below any
    effect worth reading."""
    repeats = settings.single_split_nulls if len(y) > settings.single_split_above else settings.null_repeats
    if repeats <= 0:
        return None
    rng = np.random.default_rng(settings.seed + NULL_SEED_OFFSET)
    rows = []
    for r in range(repeats):
        null_settings = dataclasses.replace(
            settings, seed=settings.seed + NULL_SEED_OFFSET + r, oob_trees=settings.null_trees
        )
        samples = procedure(rng.permutation(y), null_settings)
        rows.append([float(np.mean(samples[p])) for p in params])
    return np.array(rows)
