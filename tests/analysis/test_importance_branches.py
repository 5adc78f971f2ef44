"""Conditional parameters: the choice that creates a branch gets its credit, not "missing"."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib.analysis.encoding import design_matrix, fill_branches
from lib.analysis.importance import importance_report
from lib.columns import Kind

KINDS = {"optimizer": Kind.CATEGORICAL, "momentum": Kind.NUMERIC, "lr": Kind.NUMERIC, "noise": Kind.NUMERIC}


def optimizer_sweep(n: int, seed: int) -> pd.DataFrame:
    """sgd is much worse than adam; momentum exists only for sgd and does nothing."""
    rng = np.random.default_rng(seed)
    runs = pd.DataFrame(
        {
            "optimizer": rng.choice(["adam", "sgd"], n),
            "lr": rng.uniform(0, 1, n),
            "noise": rng.uniform(0, 1, n),
        }
    )
    runs["momentum"] = np.where(runs["optimizer"] == "sgd", rng.uniform(0.5, 0.99, n), np.nan)
    runs["score"] = np.where(runs["optimizer"] == "adam", 1.0, 0.0) + 0.5 * runs["lr"] + rng.normal(0, 0.1, n)
    return runs


def test_missing_branch_values_are_drawn_from_the_branch_and_the_parent_is_named() -> None:
    runs = optimizer_sweep(60, seed=0)
    plain = design_matrix(runs, list(KINDS), KINDS)
    filled = fill_branches(plain, np.random.default_rng(0))
    momentum = filled.matrix[:, filled.groups["momentum"][0]]
    present = runs["momentum"].notna().to_numpy()
    assert filled.parents == {"momentum": "optimizer"}
    assert not np.isnan(momentum).any()
    assert set(momentum[~present]) <= set(runs["momentum"].dropna())
    np.testing.assert_array_equal(momentum[present], runs["momentum"].dropna().to_numpy())
    # shuffling the optimizer moves momentum with it; shuffling momentum moves only momentum
    assert set(filled.carried("optimizer")) == {*filled.groups["optimizer"], *filled.groups["momentum"]}
    assert filled.carried("momentum") == filled.groups["momentum"]


def test_a_float_column_is_not_taken_for_a_branch_parent() -> None:
    rng = np.random.default_rng(1)
    runs = pd.DataFrame({"x": rng.uniform(size=40), "wd": np.where(rng.uniform(size=40) < 0.5, 0.1, np.nan)})
    filled = fill_branches(design_matrix(runs, ["x", "wd"], {"x": Kind.NUMERIC, "wd": Kind.NUMERIC}), rng)
    assert filled.parents == {}
    assert np.isnan(filled.matrix[:, 1]).sum() == runs["wd"].isna().sum()  # a value of its own


def test_the_optimizer_takes_the_branch_credit_and_momentum_stays_in_the_noise() -> None:
    for seed in range(3):
        runs = optimizer_sweep(80, seed)
        report = importance_report(runs, list(KINDS), "score", kinds=KINDS)
        table = report.table.set_index("parameter")
        # the optimizer alone moves the metric by 1.0 (3/4 of its variance); momentum by nothing
        assert table.loc["optimizer", "importance"] > 0.5, (seed, table["importance"])
        assert table.loc["momentum", "importance"] < 0.05, (seed, table["importance"])
        assert table.loc["momentum", "within_noise"], (seed, table.loc["momentum"])
        assert any("momentum exists only for some values of optimizer" in note for note in report.notes)
