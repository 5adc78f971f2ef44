"""fANOVA against an independent implementation: Optuna's `FanovaImportanceEvaluator` on the same study.

The study is made with Optuna (random sampling, fixed seeds) over numeric, log-scaled and categorical
parameters with a known objective, stored in SQLite and loaded the way the app loads it
(`load_source("sqlite:///...")`). Both decompositions must rank the parameters alike: the same top
parameter, the parameters with no effect at the bottom, and a Spearman correlation of at least 0.8.
"""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import pytest
from optuna.importance import FanovaImportanceEvaluator, get_param_importances
from scipy.stats import spearmanr

from lib.analysis.fanova import fanova_report
from lib.columns import Kind
from lib.sources import load_source

N_TRIALS = 200
N_TREES = 32
OPTIMIZER_EFFECT = {"adam": 0.0, "sgd": 1.25, "rmsprop": 0.625}
LIVE = ["x1", "optimizer", "lr", "x2"]  # by their designed share of the variance
DEAD = {"dead_float", "dead_log", "dead_cat"}


def objective(trial: optuna.Trial) -> float:
    """3·x1 + x2² + 0.25·log10(lr) + a per-optimizer offset + small noise; the dead_* do nothing.
    Variances: x1 0.75, optimizer 0.26, x2 0.09, lr 0.08."""
    x1 = trial.suggest_float("x1", 0.0, 1.0)
    x2 = trial.suggest_float("x2", -1.0, 1.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    optimizer = trial.suggest_categorical("optimizer", list(OPTIMIZER_EFFECT))
    trial.suggest_float("dead_float", 0.0, 1.0)
    trial.suggest_float("dead_log", 1e-6, 1e-2, log=True)
    trial.suggest_categorical("dead_cat", ["a", "b", "c", "d"])
    noise = np.random.default_rng(trial.number).normal(0.0, 0.05)
    return 3 * x1 + x2**2 + 0.25 * float(np.log10(lr)) + OPTIMIZER_EFFECT[str(optimizer)] + noise


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[pd.Series, pd.Series]:
    """(Optuna's importances, ours) per parameter, for one study."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"sqlite:///{tmp_path_factory.mktemp('oracle') / 'study.db'}"
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=N_TRIALS)
    # Sampled in memory, then stored in one go: optimizing against SQLite costs seconds per 100 trials.
    optuna.create_study(storage=url, study_name="oracle").add_trials(study.trials)
    evaluator = FanovaImportanceEvaluator(n_trees=N_TREES, seed=0)
    theirs = pd.Series(get_param_importances(study, evaluator=evaluator, normalize=True), dtype=float)

    sweep = load_source(url)
    assert set(sweep.params) == set(theirs.index) and sweep.default_metric is not None
    # the app reads the study's distributions: log-scaled floats and categoricals as such
    assert {p for p, k in sweep.kinds.items() if k is Kind.LOG} == {"lr", "dead_log"}
    assert {p for p, k in sweep.kinds.items() if k is Kind.CATEGORICAL} == {"optimizer", "dead_cat"}
    report = fanova_report(sweep.runs, sweep.params, sweep.default_metric, kinds=sweep.kinds, n_trees=N_TREES)
    ours = report.table.set_index("parameter")["variance_share"]
    return theirs.sort_values(ascending=False), ours.sort_values(ascending=False)


def test_both_put_the_same_parameter_on_top(both) -> None:
    theirs, ours = both
    assert theirs.index[0] == ours.index[0] == "x1"


def test_both_put_the_parameters_without_effect_at_the_bottom(both) -> None:
    theirs, ours = both
    assert set(theirs.index[-len(DEAD) :]) == DEAD
    assert set(ours.index[-len(DEAD) :]) == DEAD
    assert set(theirs.index[: len(LIVE)]) == set(ours.index[: len(LIVE)]) == set(LIVE)


def test_the_rankings_agree(both) -> None:
    theirs, ours = both
    names = list(theirs.index)
    rho = spearmanr(theirs.loc[names].to_numpy(), ours.loc[names].to_numpy()).statistic
    assert rho >= 0.8
