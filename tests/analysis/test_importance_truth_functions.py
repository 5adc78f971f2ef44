"""The benchmark's truth code against closed forms, and its sampler against what a loader gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.importance_truth import (
    Boolean,
    Branch,
    Categorical,
    IntUniform,
    LogUniform,
    Uniform,
    function_named,
    materialise,
    sample_runs,
    sobol_indices,
    true_importance,
)
from benchmarks.importance_truth.methods import optuna_study, wandb_design
from benchmarks.importance_truth.scores import ndcg_at, spearman, to_shares
from lib.columns import Kind

BASE = 2**14


def test_additive_total_effects_are_the_variance_shares() -> None:
    # Var(a) = 1/12, Var(2b) = 4/12: T_a = 1/5, T_b = 4/5, and without interactions S = T
    params = (Uniform("a"), Uniform("b"))
    indices = sobol_indices(params, lambda x: x["a"] + 2 * x["b"], n_base=BASE)
    assert indices.total["a"] == pytest.approx(0.2, abs=0.02)
    assert indices.total["b"] == pytest.approx(0.8, abs=0.02)
    assert indices.first["b"] == pytest.approx(0.8, abs=0.03)
    assert indices.shares["a"] == pytest.approx(0.2, abs=0.02)


def test_a_pure_product_is_all_interaction() -> None:
    params = (Uniform("a", -1.0, 1.0), Uniform("b", -1.0, 1.0))
    indices = sobol_indices(params, lambda x: x["a"] * x["b"], n_base=BASE)
    assert indices.total == pytest.approx({"a": 1.0, "b": 1.0}, abs=0.03)
    assert indices.first == pytest.approx({"a": 0.0, "b": 0.0}, abs=0.03)


@pytest.mark.parametrize(
    "dead",
    [
        Uniform("dead"),
        IntUniform("dead", 0, 9),
        LogUniform("dead", 1e-6, 1.0),
        Categorical("dead", levels=tuple(f"l{i}" for i in range(30))),
        Boolean("dead"),
    ],
)
def test_a_parameter_the_function_never_reads_is_exactly_dead(dead: Uniform) -> None:
    indices = sobol_indices((Uniform("x"), dead), lambda x: x["x"] ** 2, n_base=4096)
    assert indices.total["dead"] == 0.0
    assert indices.dead == ["dead"]
    assert indices.shares["x"] == 1.0


def test_the_parent_of_a_branch_carries_what_the_branch_adds() -> None:
    # y = 1{opt = sgd}·m, P(sgd) = 1/2, m ~ U(0, 1): V = 1/6 - 1/16 = 5/48,
    # T_m = P(sgd)·Var(m) / V = 2/5 and T_opt = E[m²]·Var(1{sgd}) / V = 4/5
    params = (Categorical("opt", levels=("sgd", "adam")), Uniform("m", when=Branch("opt", ("sgd",))))
    indices = sobol_indices(
        params, lambda x: np.where(x["opt"] == "sgd", np.nan_to_num(x["m"]), 0.0), n_base=BASE
    )
    assert indices.total["opt"] == pytest.approx(0.8, abs=0.03)
    assert indices.total["m"] == pytest.approx(0.4, abs=0.03)


def test_a_function_reading_a_child_outside_its_branch_is_refused() -> None:
    params = (Boolean("flag"), Uniform("child", when=Branch("flag", (True,))))
    with pytest.raises(ValueError, match="outside its branch"):
        sobol_indices(params, lambda x: x["child"], n_base=256)


def test_values_follow_their_specs() -> None:
    unit = np.random.default_rng(0).random((20_000, 4))
    params = (
        IntUniform("i", 2, 5),
        LogUniform("lr", 1e-5, 1e-1),
        Categorical("c", levels=("x", "y", "z")),
        Uniform("child", when=Branch("c", ("z",))),
    )
    values = materialise(params, unit)
    assert sorted(set(values["i"].tolist())) == [2, 3, 4, 5]
    assert np.median(values["lr"]) == pytest.approx(1e-3, rel=0.1)  # log-uniform: the geometric middle
    assert pd.Series(values["c"]).value_counts(normalize=True).to_dict() == pytest.approx(
        {"x": 1 / 3, "y": 1 / 3, "z": 1 / 3}, abs=0.02
    )
    assert np.array_equal(np.isnan(values["child"]), values["c"] != "z")


def test_the_designed_interaction_has_its_closed_form() -> None:
    # y = 2ab + c: Var(2ab) = 4/9, Var(c) = 1/3, T_a = T_b = 4/7, T_c = 3/7, first-order of a, b is 0
    indices = true_importance(function_named("interaction"), n_base=BASE)
    assert indices.total["a"] == pytest.approx(4 / 7, abs=0.03)
    assert indices.total["c"] == pytest.approx(3 / 7, abs=0.03)
    assert abs(indices.first["a"]) < 0.03
    assert set(indices.dead) == {"d", "e", "f", "g"}


def test_the_optimizer_outranks_the_children_it_creates() -> None:
    indices = true_importance(function_named("branches"), n_base=BASE)
    shares = indices.shares
    assert shares["optimizer"] > shares["momentum"] > shares["beta1"] > 0
    assert set(indices.dead) == {"dampening", "label_smoothing", "scheduler"}


def test_every_designed_dead_parameter_is_dead_and_no_other() -> None:
    expected = {
        "training": {"weight_decay", "num_workers", "init_scheme", "pin_memory", "warmup_frac"},
        "many_dead": {"data_shard", "junk0", "junk1", "junk2", "junk3", "seed_offset", "eps", "amp"}
        | {"compile", "precision"},
        "levels": {"tokenizer", "shuffle_buffer", "log_every", "grad_clip"},
    }
    for name, dead in expected.items():
        assert set(true_importance(function_named(name), n_base=2048).dead) == dead, name


def test_sampled_runs_look_like_a_loaded_sweep() -> None:
    sweep = sample_runs(function_named("training"), 400, seed=3)
    runs = sweep.runs
    assert runs["lr"].dtype == float and runs["batch_size"].dtype == np.int64
    assert runs["use_bn"].dtype == bool and isinstance(runs["optimizer"].iloc[0], str)
    assert runs["momentum"].isna().eq(runs["optimizer"] != "sgd").all()
    diverged = (runs["optimizer"] == "sgd") & (runs["lr"] > 10**-1.5)
    assert diverged.any() and runs.loc[diverged, "metric"].isna().all()
    assert 0.02 < runs.loc[~diverged, "metric"].isna().mean() < 0.1  # 5% fail at random
    assert sweep.kinds["lr"] == Kind.LOG and sweep.kinds["init_scheme"] == Kind.CATEGORICAL


def test_the_optuna_study_keeps_branches_and_failures_apart() -> None:
    from optuna.distributions import FloatDistribution
    from optuna.trial import TrialState

    sweep = sample_runs(function_named("training"), 60, seed=1)
    trials = optuna_study(sweep).get_trials()
    for trial, (_, run) in zip(trials, sweep.runs.iterrows(), strict=True):
        assert ("momentum" in trial.params) == (run["optimizer"] == "sgd")
        assert (trial.state == TrialState.FAIL) == pd.isna(run["metric"])
    assert trials[0].distributions["lr"] == FloatDistribution(1e-5, 1e-1, log=True)


def test_the_wandb_like_design_fills_missing_numbers_with_the_mean() -> None:
    sweep = sample_runs(function_named("branches"), 50, seed=0)
    x, groups, y = wandb_design(sweep)
    momentum = x[:, groups["momentum"][0]]
    present = sweep.runs["momentum"].dropna()
    assert not np.isnan(x).any() and len(y) == 50
    assert np.allclose(momentum[sweep.runs["momentum"].isna().to_numpy()], present.mean())
    assert len(groups["scheduler"]) == 6


def test_scores_read_as_a_person_would() -> None:
    truth = {"a": 0.6, "b": 0.3, "c": 0.1, "d": 0.0}
    assert ndcg_at({"a": 3, "b": 2, "c": 1, "d": 0}, truth) == pytest.approx(1.0)
    assert ndcg_at({"a": 0, "b": 0, "c": 0, "d": 1}, truth) < 0.6
    # all tied: the expectation under a random order, a quarter of the gain at each position
    tied = ndcg_at(dict.fromkeys(truth, 1.0), truth)
    ideal = 0.6 + 0.3 / np.log2(3) + 0.1 / 2
    assert tied == pytest.approx(0.25 * (1 + 1 / np.log2(3) + 0.5) / ideal)
    assert spearman(dict.fromkeys(truth, 0.2), truth) == 0.0
    assert to_shares({"a": -1.0, "b": 3.0, "c": 1.0, "d": float("nan")}, list(truth)) == {
        "a": 0.0,
        "b": 0.75,
        "c": 0.25,
        "d": 0.0,
    }
