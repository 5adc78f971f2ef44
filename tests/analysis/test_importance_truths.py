"""Designed truths the default importance must get right, at the sizes real sweeps have."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

from lib.analysis._fit import ForestSettings, model_kinds
from lib.analysis.encoding import design_matrix, fill_branches
from lib.analysis.importance import Method, importance_report
from lib.analysis.permutation import EXTRA_TREES, RANDOM_FOREST, score_out_of_bag, top_parameter
from lib.columns import Direction, Kind
from lib.sources import load_source
from tests.test_real_fixture_roles import spec_of

NUMERIC = Kind.NUMERIC


def interaction_sweep(n: int, seed: int) -> pd.DataFrame:
    """y = 2·a·b + c: a and b matter only together; d, e and f do nothing."""
    rng = np.random.default_rng(seed)
    runs = pd.DataFrame({p: rng.uniform(-1, 1, n) for p in "abcdef"})
    runs["y"] = 2 * runs["a"] * runs["b"] + runs["c"] + rng.normal(0, 0.05, n)
    return runs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_interaction_partners_are_found_at_60_runs(seed: int) -> None:
    runs = interaction_sweep(60, seed)
    table = importance_report(runs, list("abcdef"), "y", kinds=dict.fromkeys("abcdef", NUMERIC)).table
    shares = table.set_index("parameter")["importance"]
    assert min(shares["a"], shares["b"], shares["c"]) > max(shares[list("def")]), shares
    assert set(table["parameter"].head(3)) == {"a", "b", "c"}


@pytest.mark.parametrize("seed", [0, 1])
def test_dead_parameters_fall_within_the_noise_floor(seed: int) -> None:
    runs = interaction_sweep(60, seed)
    table = importance_report(runs, list("abcdef"), "y").table.set_index("parameter")
    assert table.loc[["a", "b", "c"], "within_noise"].eq(False).all()
    assert table.loc[["d", "e", "f"], "within_noise"].sum() >= 2  # the floor is a 90th percentile
    assert (table["noise_floor"] < 0.2).all()


def test_a_pure_noise_metric_is_all_within_noise() -> None:
    rng = np.random.default_rng(4)
    runs = pd.DataFrame({p: rng.uniform(size=80) for p in "xyz"}).assign(m=rng.normal(size=80))
    table = importance_report(runs, list("xyz"), "m").table
    assert table["within_noise"].sum() >= 2
    assert (table["effect_text"] == "no clear effect (within noise)").sum() == table["within_noise"].sum()


def test_every_share_and_interval_lies_in_zero_one() -> None:
    # few runs for many parameters: per-fold drops scatter far beyond the mean
    rng = np.random.default_rng(7)
    params = [f"p{i}" for i in range(12)]
    runs = pd.DataFrame({p: rng.uniform(size=30) for p in params})
    runs["m"] = runs["p0"] + rng.normal(0, 0.5, 30)
    for method in Method:
        table = importance_report(runs, params, "m", method=method).table
        for column in ["importance", "importance_low", "importance_high", "noise_floor"]:
            assert table[column].between(0, 1).all(), (method, column, table[column].max())
        assert (table["importance_low"] <= table["importance"]).all()
        assert (table["importance"] <= table["importance_high"]).all()


def test_signed_effects_say_which_way_each_parameter_pushes() -> None:
    rng = np.random.default_rng(2)
    n = 300
    runs = pd.DataFrame(
        {
            "width": rng.uniform(0, 1, n),
            "lr": 10 ** rng.uniform(-5, -1, n),
            "optimizer": rng.choice(["adam", "sgd", "rmsprop"], n),
            "dropout": rng.uniform(0, 1, n),
        }
    )
    accuracy = 0.5 * runs["width"] - 0.3 * (np.log10(runs["lr"]) + 3) ** 2 - 0.8 * runs["dropout"]
    runs["acc"] = accuracy + runs["optimizer"].map({"adam": 0.6, "sgd": 0.0, "rmsprop": 0.2})
    kinds = {"width": NUMERIC, "lr": Kind.LOG, "optimizer": Kind.CATEGORICAL, "dropout": NUMERIC}
    table = importance_report(runs, list(kinds), "acc", kinds=kinds, direction=Direction.MAXIMIZE).table
    rows = table.set_index("parameter")
    # PD of width from its 5% to 95% quantile: 0.5 * 0.9, shrunk a little by the forest's averaging
    assert 0.25 < rows.loc["width", "effect"] < 0.5
    assert rows.loc["width", "effect_text"] == "higher is better"
    assert rows.loc["dropout", "effect"] < 0
    assert rows.loc["dropout", "effect_text"] == "higher is worse"
    assert rows.loc["lr", "effect_text"].startswith("higher is better up to ")
    peak = float(rows.loc["lr", "effect_text"].split("up to ")[1].split(",")[0])
    assert 10**-3.8 < peak < 10**-2.2  # the true optimum is 1e-3
    assert rows.loc["optimizer", "effect_text"] == "best level: adam, worst: sgd"
    assert 0.4 < rows.loc["optimizer", "effect"] < 0.7
    minimizing = importance_report(runs, list(kinds), "acc", kinds=kinds, direction=Direction.MINIMIZE).table
    assert minimizing.set_index("parameter").loc["width", "effect_text"] == "higher is worse"


def test_held_out_predictions_are_kept_per_run() -> None:
    runs = interaction_sweep(120, 3)
    runs.index = pd.Index([f"run-{i}" for i in range(120)], name="run_id")
    report = importance_report(runs, list("abcdef"), "y")
    held_out = report.held_out
    assert list(held_out.columns) == ["observed", "predicted"]
    assert set(held_out.index) == set(runs.index)  # 200 bootstraps: every run is left out by some trees
    pd.testing.assert_series_equal(held_out["observed"], runs.loc[held_out.index, "y"], check_names=False)
    residual = held_out["observed"] - held_out["predicted"]
    r2 = 1 - (residual**2).mean() / held_out["observed"].var(ddof=0)
    assert r2 == pytest.approx(report.r2, abs=1e-9)
    assert report.n_fit_rows == 120  # each forest bootstraps all runs


@pytest.mark.parametrize(
    ("kind", "forest_class"), [(RANDOM_FOREST, RandomForestRegressor), (EXTRA_TREES, ExtraTreesRegressor)]
)
def test_out_of_bag_predictions_match_scikit_learns(kind: str, forest_class: type) -> None:
    """Each run's held-out prediction is the mean of the trees that left it out: exactly what
    scikit-learn's own out-of-bag estimate computes for the same forest."""
    runs = interaction_sweep(80, 6)
    design = design_matrix(runs, list("abcdef"), dict.fromkeys("abcdef", NUMERIC))
    settings = ForestSettings(seed=3)
    evaluation = score_out_of_bag(kind, design, runs["y"].to_numpy(), settings)
    oracle = forest_class(
        n_estimators=settings.oob_trees,
        min_samples_leaf=settings.min_samples_leaf,
        max_features=settings.max_features,
        bootstrap=True,
        oob_score=True,
        random_state=settings.seed,
    ).fit(design.matrix, runs["y"])
    np.testing.assert_allclose(evaluation.predicted, oracle.oob_prediction_, rtol=1e-6)
    assert evaluation.r2 == pytest.approx(oracle.oob_score_, abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_forest_that_predicts_held_out_runs_better_is_reported(seed: int) -> None:
    runs = interaction_sweep(60, seed)
    kinds = dict.fromkeys("abcdef", NUMERIC)
    report = importance_report(runs, list("abcdef"), "y", kinds=kinds)
    design = design_matrix(runs, list("abcdef"), kinds)
    y = runs["y"].to_numpy()
    r2 = {
        kind: score_out_of_bag(kind, design, y, ForestSettings()).r2 for kind in (RANDOM_FOREST, EXTRA_TREES)
    }
    assert report.forest_kind == max(r2, key=lambda k: r2[k] or -1)
    assert report.r2 == pytest.approx(max(v or -1 for v in r2.values()))


def test_subsampling_is_reported() -> None:
    runs = interaction_sweep(2000, 5)
    settings = ForestSettings(importance_fit_rows=600, max_eval_rows=300)
    report = importance_report(runs, list("abcdef"), "y", settings=settings)
    assert report.n_fit_rows == 600
    assert any("600 of the 2,000 runs" in note for note in report.notes)
    assert len(report.held_out) == 300
    assert set(report.table["parameter"].head(3)) == {"a", "b", "c"}


def test_a_sweep_without_subsampling_or_branches_has_no_notes() -> None:
    report = importance_report(interaction_sweep(60, 0), list("abcdef"), "y")
    assert report.notes == []


def test_a_close_second_forest_that_ranks_another_parameter_first_is_reported() -> None:
    """The NevroHelios export (44 finished runs): the random forest ranks lr first, the extremely
    randomized trees (R² within 0.1) strategy; the table says its top is uncertain."""
    sweep = load_source(
        spec_of("wandb_runs_csv/NevroHelios__DeepWaste-Optimization__notebooks__wandb_export.csv")
    )
    runs = sweep.runs[sweep.runs["run.state"] == "finished"]
    metric = "val_accuracy"
    report = importance_report(runs, sweep.analysable_params, metric, kinds=sweep.kinds)
    used = runs[runs[metric].notna()]
    design = fill_branches(
        design_matrix(used, sweep.analysable_params, model_kinds(used, sweep.analysable_params, sweep.kinds)),
        np.random.default_rng(0),
    )
    y = used[metric].to_numpy(dtype=float)
    both = [score_out_of_bag(kind, design, y, ForestSettings()) for kind in (RANDOM_FOREST, EXTRA_TREES)]
    tops = {top_parameter(e) for e in both}
    assert len(tops) == 2 and abs((both[0].r2 or 0) - (both[1].r2 or 0)) < 0.1
    (warning,) = [w for w in report.warnings if "second forest" in w]
    assert all(re.search(rf"\b{top}\b", warning) for top in tops)


def test_forests_that_agree_add_no_warning() -> None:
    report = importance_report(interaction_sweep(200, 0), list("abcdef"), "y")
    assert not any("second forest" in w for w in report.warnings)
