"""The estimators scored side by side: Sweepscope's methods, Optuna's evaluators, a W&B-like forest.

Each estimator takes a sampled sweep and a seed and returns a raw score per parameter; the
caller clips negatives to 0 and normalises to shares. Caps and choices that change a peer's
behaviour are listed in `PEER_NOTES` and printed with the figures.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

from benchmarks.importance_truth.sampling import METRIC, SampledSweep
from benchmarks.importance_truth.space import Boolean, Categorical, IntUniform, LogUniform, Param, Uniform
from lib.analysis._fit import ForestSettings
from lib.analysis.importance import Method, importance_report
from lib.columns import Direction

Scores = dict[str, float]
Estimator = Callable[[SampledSweep, int], Scores]

FANOVA_TREES, FANOVA_DEPTH = 64, 6
OPTUNA_MDI_TREES = 64
PEER_NOTES = [
    "Optuna: failed runs are added as FAIL trials (its evaluators use COMPLETE trials only); a "
    "conditional parameter is given only in the trials of its branch, so Optuna's default search "
    "space (parameters common to all trials) leaves it out: it scores 0.",
    f"Optuna fANOVA capped at depth {FANOVA_DEPTH} ({FANOVA_TREES} trees; default depth 64): its "
    "marginals grow combinatorially with depth (n = 1000: 4 s at depth 6, over 3 minutes at 7).",
    f"Optuna MDI with {OPTUNA_MDI_TREES} trees (its default); PED-ANOVA with its defaults "
    "(importance for reaching the best 10% of runs, not for the variance: its truth differs).",
    "W&B-like: sklearn RandomForestRegressor(100 trees, defaults), MDI; raw values (no log), "
    "booleans 0/1, categoricals one-hot with the parameter's MDI summed over its columns; W&B does "
    "not document missing values: a missing number is filled with its column mean, a missing "
    "level is an all-zero one-hot row; runs without the metric are left out.",
]


@dataclass(frozen=True)
class Contender:
    name: str
    estimate: Estimator
    sweepscope: bool = False


def default_method() -> Method | None:
    """The method `importance_report` uses when none is given (None if it is not a `Method`)."""
    default = inspect.signature(importance_report).parameters["method"].default
    return default if isinstance(default, Method) else None


def sweepscope(method: Method | None) -> Estimator:
    def estimate(sweep: SampledSweep, seed: int) -> Scores:
        settings = ForestSettings(seed=seed)
        if method is None:  # the call with no method, whatever the default is
            report = importance_report(sweep.runs, sweep.params, METRIC, kinds=sweep.kinds, settings=settings)
        else:
            report = importance_report(
                sweep.runs, sweep.params, METRIC, kinds=sweep.kinds, method=method, settings=settings
            )
        shares = report.table.set_index("parameter")["importance"]
        return {p: float(np.nan_to_num(shares.get(p, 0.0))) for p in sweep.params}

    return estimate


# --- Optuna ----------------------------------------------------------------------------------
def _distribution(param: Param) -> Any:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if isinstance(param, LogUniform):
        return FloatDistribution(param.low, param.high, log=True)
    if isinstance(param, Uniform):
        return FloatDistribution(param.low, param.high)
    if isinstance(param, IntUniform):
        return IntDistribution(param.low, param.high)
    if isinstance(param, Categorical):
        return CategoricalDistribution(param.levels)
    if isinstance(param, Boolean):
        return CategoricalDistribution((False, True))
    raise TypeError(f"no Optuna distribution for {param!r}")


def _trial_value(param: Param, value: object) -> object:
    if isinstance(param, Boolean):
        return bool(value)
    if isinstance(param, IntUniform):
        return int(value)  # type: ignore[call-overload]
    return value if isinstance(param, Categorical) else float(value)  # type: ignore[arg-type]


def optuna_study(sweep: SampledSweep) -> Any:
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(logging.ERROR)
    minimize = sweep.function.direction == Direction.MINIMIZE
    study = optuna.create_study(direction="minimize" if minimize else "maximize")
    distributions = {p.name: _distribution(p) for p in sweep.function.params}
    trials = []
    for _, run in sweep.runs.iterrows():
        present = {p.name: p for p in sweep.function.params if not pd.isna(run[p.name])}
        params = {name: _trial_value(p, run[name]) for name, p in present.items()}
        failed = pd.isna(run[METRIC])
        trials.append(
            optuna.trial.create_trial(
                params=params,
                distributions={name: distributions[name] for name in present},
                value=None if failed else float(run[METRIC]),
                state=TrialState.FAIL if failed else TrialState.COMPLETE,
            )
        )
    study.add_trials(trials)
    return study


def optuna_estimator(make_evaluator: Callable[[int], object]) -> Estimator:
    def estimate(sweep: SampledSweep, seed: int) -> Scores:
        import optuna

        study = optuna_study(sweep)
        evaluator = make_evaluator(seed)
        result = optuna.importance.get_param_importances(study, evaluator=evaluator, normalize=False)  # type: ignore[arg-type]
        return {p: float(result.get(p, 0.0)) for p in sweep.params}

    return estimate


def _optuna_mdi(seed: int) -> object:
    from optuna.importance import MeanDecreaseImpurityImportanceEvaluator

    return MeanDecreaseImpurityImportanceEvaluator(n_trees=OPTUNA_MDI_TREES, seed=seed)


def _optuna_fanova(seed: int) -> object:
    from optuna.importance import FanovaImportanceEvaluator

    return FanovaImportanceEvaluator(n_trees=FANOVA_TREES, max_depth=FANOVA_DEPTH, seed=seed)


def _optuna_ped_anova(seed: int) -> object:
    from optuna.importance import PedAnovaImportanceEvaluator

    return PedAnovaImportanceEvaluator()


# --- a W&B-like forest -----------------------------------------------------------------------
def wandb_design(sweep: SampledSweep) -> tuple[np.ndarray, dict[str, list[int]], np.ndarray]:
    """The matrix, each parameter's columns in it, and the metric, over runs with a metric."""
    runs = sweep.runs[sweep.runs[METRIC].notna()]
    blocks, groups, width = [], {}, 0
    for param in sweep.function.params:
        column = runs[param.name]
        if isinstance(param, Categorical):
            block = pd.get_dummies(column, dtype=float).to_numpy()  # a missing level: all zeros
        else:
            numbers = column.astype(float)
            block = numbers.fillna(numbers.mean() if numbers.notna().any() else 0.0).to_numpy()[:, None]
        blocks.append(block)
        groups[param.name] = list(range(width, width + block.shape[1]))
        width += block.shape[1]
    return np.hstack(blocks), groups, runs[METRIC].to_numpy(dtype=float)


def wandb_like(sweep: SampledSweep, seed: int) -> Scores:
    x, groups, y = wandb_design(sweep)
    forest = RandomForestRegressor(n_estimators=100, random_state=seed, n_jobs=1).fit(x, y)
    mdi = forest.feature_importances_
    return {p: float(mdi[cols].sum()) for p, cols in groups.items()}


def contenders() -> list[Contender]:
    """Every `Method` member, the default call (reused when it is a member), then the peers."""
    default = default_method()
    ours = [
        Contender(f"Sweepscope {m.value}" + (" [default]" if m == default else ""), sweepscope(m), True)
        for m in Method
    ]
    if default is None:
        ours.append(Contender("Sweepscope default call", sweepscope(None), True))
    return [
        *ours,
        Contender("Optuna MDI", optuna_estimator(_optuna_mdi)),
        Contender(f"Optuna fANOVA ({FANOVA_TREES}x d{FANOVA_DEPTH})", optuna_estimator(_optuna_fanova)),
        Contender("Optuna PED-ANOVA", optuna_estimator(_optuna_ped_anova)),
        Contender("W&B-like forest (MDI)", wandb_like),
    ]


def default_contender(names: list[str]) -> str:
    return next(n for n in names if n.endswith("[default]") or n == "Sweepscope default call")
