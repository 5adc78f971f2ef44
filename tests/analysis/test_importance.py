"""Importance on synthetic sweeps whose truth is designed in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.analysis.importance import Method, importance_report, level_breakdown, parameter_importance
from lib.columns import Kind, infer_kind

N = 400


def designed_sweep(seed: int = 3) -> pd.DataFrame:
    """score = dominant lr effect + a pure a*b interaction + an optimizer effect + noise.
    junk, seed, color and flag have no effect; momentum exists only for sgd and has no effect."""
    rng = np.random.default_rng(seed)
    runs = pd.DataFrame(
        {
            "lr": 10 ** rng.uniform(-5, -1, N),
            "a": rng.uniform(-1, 1, N),
            "b": rng.uniform(-1, 1, N),
            "optimizer": rng.choice(["adam", "sgd", "rmsprop"], N),
            "junk": rng.normal(size=N),
            "seed": rng.integers(0, 1_000_000, N),
            "color": rng.choice(["red", "green", "blue", "cyan"], N),
            "flag": rng.choice([True, False], N),
        }
    )
    runs["momentum"] = np.where(runs["optimizer"] == "sgd", rng.uniform(0.5, 0.99, N), np.nan)
    effect = -((np.log10(runs["lr"]) + 3) ** 2) + 1.5 * np.sign(runs["a"] * runs["b"])
    effect += runs["optimizer"].map({"adam": 1.0, "sgd": 0.0, "rmsprop": 0.5})
    runs["score"] = effect + rng.normal(0, 0.3, N)
    runs.loc[runs.index[:15], "score"] = np.nan  # failed runs report nothing
    return runs


PARAMS = ["lr", "a", "b", "optimizer", "junk", "seed", "color", "flag", "momentum"]
NO_EFFECT = ["junk", "seed", "color", "flag", "momentum"]


def kinds_of(runs: pd.DataFrame) -> dict[str, Kind]:
    return {p: infer_kind(runs[p], p) for p in PARAMS}


@pytest.fixture(scope="module")
def report():
    runs = designed_sweep()
    return importance_report(runs, PARAMS, "score", kinds=kinds_of(runs))


def importance_of(table: pd.DataFrame) -> dict[str, float]:
    return dict(zip(table["parameter"], table["importance"], strict=True))


def test_dominant_and_interacting_parameters_lead(report) -> None:
    top3 = set(report.table["parameter"].head(3))
    assert top3 == {"lr", "a", "b"}


def test_parameters_without_effect_get_near_zero(report) -> None:
    shares = importance_of(report.table)
    for param in NO_EFFECT:
        assert shares[param] < 0.03, (param, shares[param])


def test_interaction_is_found_though_correlation_misses_it(report) -> None:
    row = report.table.set_index("parameter").loc["a"]
    assert abs(row["correlation"]) < 0.15
    assert row["importance"] > 0.15


def test_categorical_effect_is_credited_once(report) -> None:
    shares = importance_of(report.table)
    assert shares["optimizer"] > max(shares[p] for p in NO_EFFECT)
    assert report.table["parameter"].tolist().count("optimizer") == 1
    assert np.isnan(report.table.set_index("parameter").loc["optimizer", "correlation"])


def test_failed_runs_are_left_out_and_counted(report) -> None:
    assert report.n_without_metric == 15
    assert report.n_runs == N - 15


def test_trust_is_reported(report) -> None:
    assert report.r2 is not None and report.r2 > 0.5
    assert report.r2_kind == "out-of-bag"  # each run predicted by the trees that left it out
    assert report.warnings == []


def test_shares_sum_to_one_and_spread_brackets_them(report) -> None:
    table = report.table
    assert table["importance"].sum() == pytest.approx(1.0)
    assert (table["importance_low"] <= table["importance"] + 1e-9).all()
    assert (table["importance_high"] >= table["importance"] - 1e-9).all()


def test_log_parameter_is_correlated_on_the_log_scale() -> None:
    rng = np.random.default_rng(0)
    runs = pd.DataFrame({"lr": 10 ** rng.uniform(-6, 0, 200)})
    runs["score"] = np.log10(runs["lr"])
    table = parameter_importance(runs, ["lr"], "score", kinds={"lr": Kind.LOG})
    assert table.loc[0, "correlation"] == pytest.approx(1.0)
    linear = parameter_importance(runs, ["lr"], "score", kinds={"lr": Kind.NUMERIC})
    assert linear.loc[0, "correlation"] < 0.8
    assert linear.loc[0, "spearman"] == pytest.approx(1.0)


def test_mdi_credits_junk_that_held_out_permutation_does_not() -> None:
    runs = designed_sweep(seed=5)
    kinds = kinds_of(runs)
    mdi = importance_of(importance_report(runs, PARAMS, "score", kinds=kinds, method=Method.MDI).table)
    held_out = importance_of(importance_report(runs, PARAMS, "score", kinds=kinds).table)
    assert mdi["junk"] + mdi["seed"] > 3 * (held_out["junk"] + held_out["seed"])
    assert mdi["junk"] + mdi["seed"] > 0.08


def test_pure_noise_metric_is_flagged_untrustworthy() -> None:
    rng = np.random.default_rng(1)
    runs = pd.DataFrame({"x": rng.uniform(size=300), "y": rng.uniform(size=300), "m": rng.normal(size=300)})
    report = importance_report(runs, ["x", "y"], "m")
    assert report.r2 is not None and report.r2 < 0.1
    assert any("do not trust" in w for w in report.warnings)


def test_too_few_runs_says_so_instead_of_fitting() -> None:
    runs = pd.DataFrame({"x": [1.0, 2.0, 3.0], "m": [1.0, 2.0, 3.0]})
    report = importance_report(runs, ["x"], "m")
    assert report.table["importance"].isna().all()
    assert "at least" in report.warnings[0]


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    runs = designed_sweep()
    first = parameter_importance(runs, PARAMS, "score", seed=1)
    again = parameter_importance(runs, PARAMS, "score", seed=1)
    other = parameter_importance(runs, PARAMS, "score", seed=2)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(
        first.sort_values("parameter")["importance"], other.sort_values("parameter")["importance"]
    )


def test_level_breakdown_shows_which_optimizer_is_best() -> None:
    runs = designed_sweep()
    levels = level_breakdown(runs, "optimizer", "score").set_index("level")
    assert levels["mean"].idxmax() == "adam"
    assert levels["runs"].sum() == N - 15
