"""Seed noise on designed runs whose within-configuration spread is known, and on the demo."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lib.analysis._fit import ForestSettings
from lib.analysis.noise import (
    LEAST_SIGNIFICANT_FACTOR,
    NO_REPEATS,
    WITHIN_NOISE,
    config_means,
    effect_sizes,
    flag_noise,
    looks_like_seed_name,
    repeat_groups,
    seed_columns,
    seed_noise,
)
from lib.columns import Kind
from lib.sources.demo import load_demo
from lib.sweep import RUN_GROUP, finish_sweep


def frame(rows: list[dict], prefix: str = "r") -> pd.DataFrame:
    return pd.DataFrame(rows, index=pd.Index([f"{prefix}{i:03d}" for i in range(len(rows))], name="run_id"))


@pytest.fixture(scope="module")
def demo():
    return load_demo()


# ---------------------------------------------------------------- seed columns


@pytest.mark.parametrize(
    ("name", "is_seed"),
    [
        ("seed", True),
        ("data.seed", True),
        ("seed_value", True),
        ("random_state", True),
        ("randomState", True),
        ("trainer.rng", True),
        ("seeds", True),
        ("lr", False),
        ("random_crop", False),
        ("state_dim", False),
        ("seedling_count", False),
    ],
)
def test_seed_names(name: str, is_seed: bool) -> None:
    assert looks_like_seed_name(name) is is_seed


def test_seed_columns_are_found_by_name_and_by_kind() -> None:
    rng = np.random.default_rng(0)
    runs = frame(
        [
            {
                "lr": float(rng.uniform()),
                "batch_size": int(rng.choice([16, 32])),
                "data.seed": i,
                "random_state": 100 + i,
                "trial_number": i * 7,
                "model.name": f"net-{i}",
            }
            for i in range(20)
        ]
    )
    sweep = finish_sweep(runs, params=list(runs.columns), metrics=[], source="designed")
    assert seed_columns(sweep) == ["data.seed", "random_state"]
    marked = sweep.replace(kinds={**sweep.kinds, "trial_number": Kind.IDENTIFIER})
    assert sweep.kind("model.name") is Kind.IDENTIFIER  # an identifier, but text: not a seed
    assert seed_columns(marked) == ["data.seed", "random_state", "trial_number"]


# ---------------------------------------------------------------- configurations


def test_repeat_groups_ignore_the_seed_and_match_floats_within_a_tolerance() -> None:
    runs = frame(
        [
            {"lr": 0.1, "opt": "adam", "momentum": np.nan, "seed": 1},
            {"lr": 0.1 * (1 + 1e-9), "opt": "adam", "momentum": np.nan, "seed": 2},  # a rounding apart
            {"lr": 0.1 + 1e-13, "opt": "adam", "momentum": np.nan, "seed": 3},
            {"lr": 0.1001, "opt": "adam", "momentum": np.nan, "seed": 4},  # a real difference
            {"lr": 0.1, "opt": "sgd", "momentum": 0.9, "seed": 5},
            {"lr": 0.1, "opt": "sgd", "momentum": 0.9, "seed": 6},
            {"lr": 0.1, "opt": "sgd", "momentum": 0.8, "seed": 7},
        ]
    )
    groups = repeat_groups(runs, ["lr", "opt", "momentum", "seed"], ["seed"])
    assert groups.index.equals(runs.index) and groups.name == "config"
    labels = groups.tolist()
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] != labels[0]
    assert labels[4] == labels[5] != labels[6]
    assert len(set(labels)) == 4
    strict = repeat_groups(runs, ["lr", "opt", "momentum"], ["seed"], rtol=0, atol=0)
    assert strict.nunique() == 6  # without a tolerance the rounded copy is a configuration of its own


def test_configuration_ids_do_not_depend_on_which_runs_are_there() -> None:
    runs = frame(
        [{"lr": lr, "opt": opt, "seed": s} for lr in (0.1, 0.01) for opt in ("a", "b") for s in (1, 2)]
    )
    everything = repeat_groups(runs, ["lr", "opt"], ["seed"])
    reordered = repeat_groups(runs.iloc[::-1], ["opt", "lr"], ["seed"])
    subset = repeat_groups(runs.iloc[2:5], ["lr", "opt"], ["seed"])
    assert reordered.reindex(runs.index).equals(everything)
    assert subset.equals(everything.iloc[2:5])


# ---------------------------------------------------------------- noise


def designed_repeats() -> pd.DataFrame:
    """Config A: 1, 2, 3 (std 1); config B: 10, 12 (std √2); config C once; D once without a metric."""
    rows = [
        *(
            {"lr": 0.1, "opt": "adam", "seed": s, "acc": v}
            for s, v in zip((1, 2, 3), (1.0, 2.0, 3.0), strict=True)
        ),
        *(
            {"lr": 0.01, "opt": "adam", "seed": s, "acc": v}
            for s, v in zip((1, 2), (10.0, 12.0), strict=True)
        ),
        {"lr": 0.01, "opt": "sgd", "seed": 1, "acc": 5.0},
        {"lr": 0.5, "opt": "sgd", "seed": 1, "acc": np.nan},
        {"lr": 0.5, "opt": "sgd", "seed": 2, "acc": np.nan},
    ]
    return frame(rows)


def test_seed_noise_pools_the_within_configuration_variances() -> None:
    report = seed_noise(designed_repeats(), ["lr", "opt", "seed"], "acc", seed_cols=["seed"])
    assert report.n_repeated == 2 and report.n_runs_repeated == 5
    assert report.n_configs == 3  # the configuration without any metric value is not counted
    assert report.degrees_of_freedom == 3
    assert report.pooled_std == pytest.approx(math.sqrt((2 * 1.0 + 1 * 2.0) / 3))
    table = report.table.set_index("lr")
    assert table.loc[0.1, "std"] == pytest.approx(1.0) and table.loc[0.1, "runs"] == 3
    assert table.loc[0.01, "std"] == pytest.approx(math.sqrt(2)) and table.loc[0.01, "mean"] == 11.0
    assert "seed" not in report.table.columns
    assert "2 configuration(s)" in report.message
    assert any("degree(s) of freedom" in note for note in report.notes)


@pytest.mark.parametrize("seed", [0, 1])
def test_seed_noise_recovers_a_known_standard_deviation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    configs = [{"lr": float(10 ** rng.uniform(-4, -1)), "layers": int(rng.integers(1, 5))} for _ in range(30)]
    rows = [
        {**c, "seed": s, "acc": 0.5 + 0.3 * math.log10(c["lr"]) / 4 + rng.normal(0, 0.02)}
        for c in configs
        for s in range(4)
    ]
    report = seed_noise(frame(rows), ["lr", "layers", "seed"], "acc", seed_cols=["seed"])
    assert report.n_repeated == 30 and report.degrees_of_freedom == 90
    assert report.pooled_std == pytest.approx(0.02, rel=0.2)
    assert report.spread_std is not None and report.spread_std > 3 * report.pooled_std
    assert report.notes == []


def test_no_repeated_configuration_says_so_and_flags_nothing() -> None:
    runs = frame([{"lr": 10.0**-i, "seed": i, "acc": float(i)} for i in range(10)])
    report = seed_noise(runs, ["lr", "seed"], "acc", seed_cols=["seed"])
    assert report.pooled_std is None and report.n_repeated == 0 and report.table.empty
    assert report.message == NO_REPEATS
    assert "run some configurations with several seeds" in report.message
    effects = pd.DataFrame({"parameter": ["lr"], "effect": [0.3], "how": ["designed"]})
    flagged = flag_noise(effects, report.pooled_std)
    assert flagged[WITHIN_NOISE].isna().all() and flagged["noise_threshold"].isna().all()


def test_without_seed_columns_identical_runs_still_count_as_repeats() -> None:
    runs = frame([{"lr": 0.1, "acc": 1.0}, {"lr": 0.1, "acc": 3.0}, {"lr": 0.2, "acc": 0.0}])
    report = seed_noise(runs, ["lr"], "acc", seed_cols=[])
    assert report.n_repeated == 1 and report.pooled_std == pytest.approx(math.sqrt(2))
    assert any("No seed column" in note for note in report.notes)


def test_config_means_give_one_row_per_configuration() -> None:
    runs = designed_repeats()
    means = config_means(runs, ["lr", "opt", "seed"], "acc", ["seed"])
    groups = repeat_groups(runs, ["lr", "opt", "seed"], ["seed"])
    assert list(means.index) == list(dict.fromkeys(groups))  # first appearance order, same ids
    assert means.index.name == "config"
    assert list(means.columns) == ["lr", "opt", "acc", "runs"]
    assert means["acc"].tolist()[:3] == [2.0, 11.0, 5.0] and np.isnan(means["acc"].iloc[3])
    assert means["runs"].tolist() == [3, 2, 1, 0]


# ---------------------------------------------------------------- effects


def designed_effects(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """acc = x (linear, range 1) + 0.5 for level b + noise; z and the conditional momentum do nothing."""
    rng = np.random.default_rng(seed)
    runs = pd.DataFrame(
        {
            "x": rng.uniform(0, 1, n),
            "cat": rng.choice(["a", "b", "c"], n),
            "z": rng.uniform(0, 1, n),
            "opt": rng.choice(["adam", "sgd"], n),
        }
    )
    runs["momentum"] = np.where(runs["opt"] == "sgd", rng.uniform(0.5, 0.99, n), np.nan)
    runs["acc"] = runs["x"] + np.where(runs["cat"] == "b", 0.5, 0.0) + rng.normal(0, 0.05, n)
    return runs


KINDS = {"x": Kind.NUMERIC, "cat": Kind.CATEGORICAL, "z": Kind.NUMERIC, "opt": Kind.CATEGORICAL}


def test_effect_sizes_measure_what_each_parameter_does() -> None:
    runs = designed_effects()
    effects = effect_sizes(
        runs, ["x", "cat", "z", "opt", "momentum"], "acc", {**KINDS, "momentum": Kind.NUMERIC}
    )
    effect = effects.set_index("parameter")["effect"]
    assert 0.6 < effect["x"] < 1.0  # the true range between the 5th and 95th percentiles is 0.9
    assert 0.35 < effect["cat"] < 0.6
    assert effect["z"] < 0.08 and effect["opt"] < 0.05 and effect["momentum"] < 0.08
    how = effects.set_index("parameter")["how"]
    assert "3 levels" in how["cat"] and "percentiles" in how["x"]
    assert f"among the {int(runs['momentum'].notna().sum())} runs that have it" in how["momentum"]


def test_effects_smaller_than_the_seed_noise_are_flagged() -> None:
    runs = designed_effects()
    effects = effect_sizes(runs, ["x", "cat", "z"], "acc", KINDS, settings=ForestSettings(seed=3))
    flagged = flag_noise(effects, 0.05).set_index("parameter")
    assert flagged.loc["z", WITHIN_NOISE] and not flagged.loc["x", WITHIN_NOISE]
    assert not flagged.loc["cat", WITHIN_NOISE]
    assert flagged["noise_threshold"].iloc[0] == pytest.approx(0.05 * LEAST_SIGNIFICANT_FACTOR)
    everything = flag_noise(effects, 0.05, factor=100.0)
    assert everything[WITHIN_NOISE].all()
    with_gap = flag_noise(effects.assign(effect=[0.5, np.nan, 0.01]), 0.05)
    assert with_gap[WITHIN_NOISE].isna().tolist() == [False, True, False]


def test_effect_sizes_with_too_few_runs_say_why() -> None:
    runs = designed_effects(n=5)
    effects = effect_sizes(runs, ["x", "cat"], "acc", KINDS)
    assert effects["effect"].isna().all() and effects["how"].str.contains("at least").all()


# ---------------------------------------------------------------- the demo


def test_the_demo_seed_is_an_identifier_left_out_of_the_analysis(demo) -> None:
    assert seed_columns(demo) == ["seed"]
    assert demo.kind("seed") is Kind.IDENTIFIER
    assert "seed" not in demo.analysable_params


def test_the_demo_repeats_eight_configurations_over_seeds(demo) -> None:
    params = demo.analysable_params
    groups = repeat_groups(demo.runs, params, seed_columns(demo))
    sizes = groups.value_counts()
    repeated = sizes[sizes > 1]
    assert len(repeated) == 8 and (repeated == 4).all()  # the original run and three new seeds
    in_repeats = demo.runs[RUN_GROUP] == "seed-repeats"
    assert groups[in_repeats].isin(repeated.index).all()
    assert (groups[in_repeats].value_counts() == 3).all()


def test_on_the_demo_the_no_effect_knob_is_within_seed_noise_and_learning_rate_is_not(demo) -> None:
    metric = demo.primary_metric
    params, seeds = demo.analysable_params, seed_columns(demo)
    report = seed_noise(demo.runs, params, metric, seed_cols=seeds, direction=demo.direction(metric))
    assert report.n_repeated == 8 and report.n_runs_repeated == 32
    assert 0.001 < report.pooled_std < 0.03
    assert report.table["mean"].is_monotonic_decreasing  # best first for a maximized metric
    assert "8 configuration(s)" in report.message
    means = config_means(demo.runs, params, metric, seeds)
    assert len(means) == demo.runs.shape[0] - 24
    flagged = flag_noise(effect_sizes(means, params, metric, demo.kinds), report.pooled_std)
    within = flagged.set_index("parameter")[WITHIN_NOISE]
    assert within["dataloader_workers"]
    assert not within["learning_rate"]
