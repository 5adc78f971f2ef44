"""fANOVA main effects on synthetic sweeps whose variance decomposition is known, and on the demo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeRegressor

from lib.analysis.fanova import (
    FanovaReport,
    fanova_importance,
    fanova_report,
    tree_main_effect_shares,
)
from lib.columns import Kind

N = 600


def uniform_runs(n: int = N, seed: int = 0, names: tuple[str, ...] = ("x1", "x2", "x3")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({name: rng.uniform(0, 1, n) for name in names})


def shares_of(table: pd.DataFrame) -> dict[str, float]:
    return dict(zip(table["parameter"], table["variance_share"], strict=True))


NUMERIC = dict.fromkeys(["x1", "x2", "x3"], Kind.NUMERIC)


def test_additive_function_gets_its_known_shares() -> None:
    """y = 3 x1 + x2 on uniform x: Var = 9/12 + 1/12, so the shares are 0.9 and 0.1; x3 does nothing."""
    runs = uniform_runs()
    runs["y"] = 3 * runs["x1"] + runs["x2"]
    report = fanova_report(runs, ["x1", "x2", "x3"], "y", kinds=NUMERIC)
    shares = shares_of(report.table)
    assert shares["x1"] == pytest.approx(0.9, abs=0.04)
    assert shares["x2"] == pytest.approx(0.1, abs=0.03)
    assert shares["x3"] < 0.01
    assert report.interaction_share < 0.05
    assert list(report.table["parameter"]) == ["x1", "x2", "x3"]


def test_pure_interaction_leaves_main_effects_small() -> None:
    """y = (x1 - ½)(x2 - ½): averaging over either parameter gives zero, so no main effects."""
    runs = uniform_runs()
    runs["y"] = (runs["x1"] - 0.5) * (runs["x2"] - 0.5)
    report = fanova_report(runs, ["x1", "x2", "x3"], "y", kinds=NUMERIC)
    assert report.table["variance_share"].max() < 0.1
    assert report.interaction_share > 0.85


def test_spread_brackets_the_share_and_stays_in_unit_interval() -> None:
    runs = uniform_runs()
    runs["y"] = np.sin(6 * runs["x1"]) + runs["x2"] * runs["x3"] + np.random.default_rng(1).normal(0, 0.2, N)
    table = fanova_report(runs, ["x1", "x2", "x3"], "y", kinds=NUMERIC).table
    assert (table["low"] <= table["variance_share"]).all()
    assert (table["variance_share"] <= table["high"]).all()
    assert table[["low", "high", "variance_share"]].stack().between(0, 1).all()
    assert table["variance_share"].sum() <= 1.0


def test_categorical_effect_is_one_parameter() -> None:
    rng = np.random.default_rng(2)
    runs = pd.DataFrame(
        {"optimizer": rng.choice(["adam", "sgd", "rmsprop", "adamw"], N), "z": rng.uniform(size=N)}
    )
    runs["y"] = (
        runs["optimizer"].map({"adam": 1.0, "sgd": -1.0, "rmsprop": 0.0, "adamw": 3.0}) + 0.1 * runs["z"]
    )
    kinds = {"optimizer": Kind.CATEGORICAL, "z": Kind.NUMERIC}
    table = fanova_report(runs, ["optimizer", "z"], "y", kinds=kinds).table
    assert list(table["parameter"]) == ["optimizer", "z"]
    assert shares_of(table)["optimizer"] > 0.95


def conditional_runs(seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    optimizer = rng.choice(["sgd", "adam"], N)
    return pd.DataFrame(
        {
            "optimizer": optimizer,
            "momentum": np.where(optimizer == "sgd", rng.uniform(0.5, 0.99, N), np.nan),
            "noise": rng.uniform(size=N),
        }
    )


CONDITIONAL_KINDS = {"optimizer": Kind.CATEGORICAL, "momentum": Kind.NUMERIC, "noise": Kind.NUMERIC}


def test_branch_effect_goes_to_the_parameter_that_chose_the_branch() -> None:
    """Momentum exists only for sgd; the metric depends on the optimizer alone. Whether momentum
    is missing says the same as the optimizer, so momentum must not take the optimizer's credit."""
    runs = conditional_runs()
    runs["y"] = np.where(runs["optimizer"] == "adam", 2.0, 0.0)
    report = fanova_report(runs, list(CONDITIONAL_KINDS), "y", kinds=CONDITIONAL_KINDS)
    shares = shares_of(report.table)
    assert shares["optimizer"] > 0.95
    assert shares["momentum"] < 0.02
    assert (
        report.table.set_index("parameter").loc["momentum", "runs_with_value"]
        == (~runs["momentum"].isna()).sum()
    )


def test_conditional_parameter_effect_within_its_branch() -> None:
    """y = 2·momentum for sgd, 1 for adam (both branches average 1): momentum's effect exists in half
    the space, so half the variance is its main effect and half its interaction with the optimizer."""
    runs = conditional_runs()
    u = (runs["momentum"] - 0.5) / 0.49
    runs["y"] = np.where(runs["optimizer"] == "sgd", 2 * u, 1.0)
    report = fanova_report(runs, list(CONDITIONAL_KINDS), "y", kinds=CONDITIONAL_KINDS)
    shares = shares_of(report.table)
    assert shares["momentum"] == pytest.approx(0.5, abs=0.08)
    assert shares["noise"] < 0.02
    assert report.interaction_share == pytest.approx(0.5, abs=0.1)


def test_missing_value_of_its_own_counts_for_the_parameter() -> None:
    """A weight decay left out of some runs (meaning none), decided by no other parameter: the
    contrast between runs with and without it is its effect."""
    rng = np.random.default_rng(5)
    runs = uniform_runs(names=("noise",))
    decay = rng.uniform(0, 1, N)
    decay[rng.uniform(size=N) < 0.3] = np.nan
    runs["decay"] = decay
    runs["y"] = np.where(np.isnan(decay), -2.0, np.nan_to_num(decay))
    report = fanova_report(
        runs, ["decay", "noise"], "y", kinds={"decay": Kind.NUMERIC, "noise": Kind.NUMERIC}
    )
    shares = shares_of(report.table)
    assert shares["decay"] > 0.9
    assert shares["noise"] < 0.02


def test_log_scaled_parameter_is_read_on_the_log_scale() -> None:
    """y = log10(lr) + 4x, lr log-uniform over four decades: on the log scale both terms have variance
    16/12, so lr explains half. Read linearly, lr's range is mostly its top decade, where log10 moves
    little, so its share falls to about an eighth."""
    rng = np.random.default_rng(6)
    runs = pd.DataFrame({"lr": 10 ** rng.uniform(-5, -1, N), "x": rng.uniform(size=N)})
    runs["y"] = np.log10(runs["lr"]) + 4 * runs["x"]
    as_log = shares_of(fanova_report(runs, ["lr", "x"], "y", kinds={"lr": Kind.LOG, "x": Kind.NUMERIC}).table)
    as_linear = shares_of(
        fanova_report(runs, ["lr", "x"], "y", kinds={"lr": Kind.NUMERIC, "x": Kind.NUMERIC}).table
    )
    assert as_log["lr"] == pytest.approx(0.5, abs=0.06)
    assert as_linear["lr"] < 0.25


def test_runs_without_the_metric_are_left_out_and_counted() -> None:
    runs = uniform_runs()
    runs["y"] = (3 * runs["x1"] + runs["x2"]).astype(object)
    runs.loc[runs.index[:40], "y"] = np.nan
    runs.loc[runs.index[40:45], "y"] = "diverged"
    report = fanova_report(runs, ["x1", "x2", "x3"], "y", kinds=NUMERIC)
    assert (report.n_runs, report.n_without_metric) == (N - 45, 45)
    assert shares_of(report.table)["x1"] > 0.8


def test_same_seed_same_result_other_seed_other_forest() -> None:
    runs = conditional_runs()
    runs["y"] = np.where(runs["optimizer"] == "sgd", runs["momentum"], 0.7) + np.random.default_rng(7).normal(
        0, 0.1, N
    )
    first = fanova_report(runs, list(CONDITIONAL_KINDS), "y", kinds=CONDITIONAL_KINDS, seed=3)
    again = fanova_report(runs, list(CONDITIONAL_KINDS), "y", kinds=CONDITIONAL_KINDS, seed=3)
    other = fanova_report(runs, list(CONDITIONAL_KINDS), "y", kinds=CONDITIONAL_KINDS, seed=4)
    pd.testing.assert_frame_equal(first.table, again.table)
    assert first.interaction_share == again.interaction_share
    assert not np.allclose(
        first.table["variance_share"],
        other.table.set_index("parameter").loc[first.table["parameter"], "variance_share"],
    )


def test_tree_shares_match_a_brute_force_grid() -> None:
    """The vectorised decomposition of one tree against its predictions on a fine grid."""
    rng = np.random.default_rng(8)
    x = rng.uniform(0, 1, (300, 2))
    y = np.sin(6 * x[:, 0]) + 2 * x[:, 0] * x[:, 1]
    tree = DecisionTreeRegressor(max_depth=6, random_state=0).fit(x, y)
    grid = (np.arange(1000) + 0.5) / 1000
    predicted = tree.predict(np.stack(np.meshgrid(grid, grid, indexing="ij"), -1).reshape(-1, 2)).reshape(
        1000, 1000
    )
    brute = np.array([predicted.mean(axis=1).var(), predicted.mean(axis=0).var()]) / predicted.var()
    shares = tree_main_effect_shares(tree.tree_, missing_share=np.zeros(2))
    assert shares is not None
    np.testing.assert_allclose(shares, brute, atol=2e-3)


def test_too_few_runs_and_a_flat_metric_give_no_shares() -> None:
    few = uniform_runs(n=5).assign(y=1.0)
    report = fanova_report(few, ["x1", "x2"], "y")
    assert report.table["variance_share"].isna().all() and report.warnings
    flat = uniform_runs().assign(y=1.0)
    report = fanova_report(flat, ["x1", "x2"], "y", kinds=NUMERIC)
    assert report.table["variance_share"].isna().all() and report.r2 is None and report.warnings


def test_importance_table_carries_the_interaction_share() -> None:
    runs = uniform_runs()
    runs["y"] = runs["x1"] + (runs["x2"] - 0.5) * (runs["x3"] - 0.5) * 8
    table = fanova_importance(runs, ["x1", "x2", "x3"], "y", kinds=NUMERIC, n_trees=16)
    assert {"parameter", "variance_share", "low", "high"} <= set(table.columns)
    assert table["variance_share"].is_monotonic_decreasing
    assert 0.1 < table.attrs["interactions"] < 0.9


@pytest.fixture(scope="module")
def demo_report() -> FanovaReport:
    from lib.sources.demo import load_demo

    sweep = load_demo()
    return fanova_report(sweep.runs, sweep.analysable_params, "val_accuracy", kinds=sweep.kinds)


def test_demo_dataloader_workers_explains_next_to_nothing(demo_report: FanovaReport) -> None:
    table = demo_report.table
    position = table.index[table["parameter"] == "dataloader_workers"][0]
    assert position >= len(table) // 2
    assert table.loc[position, "variance_share"] < 0.02
    assert table["parameter"].iloc[0] in {"learning_rate", "epochs"}


def test_demo_counts_runs_without_the_metric(demo_report: FanovaReport) -> None:
    from lib.sources.demo import load_demo

    runs = load_demo().runs
    assert demo_report.n_without_metric == runs["val_accuracy"].isna().sum()
    assert demo_report.n_runs + demo_report.n_without_metric == len(runs)


def test_a_dead_many_level_categorical_takes_no_variance_at_fifty_runs() -> None:
    """y depends on lr only; a 40-level categorical with no effect has a true share of 0. Ordering
    its levels by the same runs' mean metric made it a fake trend (about a third of the variance)."""
    shares = []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        runs = pd.DataFrame(
            {"lr": rng.uniform(-4, -1, 50), "dead": rng.choice([f"l{i}" for i in range(40)], 50)}
        )
        runs["y"] = -((runs["lr"] + 2.5) ** 2) + rng.normal(0, 0.2, 50)
        kinds = {"lr": Kind.NUMERIC, "dead": Kind.CATEGORICAL}
        shares.append(shares_of(fanova_report(runs, ["lr", "dead"], "y", kinds=kinds).table))
    assert np.mean([s["dead"] for s in shares]) < 0.05
    assert np.mean([s["lr"] for s in shares]) > 0.85
