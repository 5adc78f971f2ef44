"""Response curves and interactions on synthetic sweeps whose shape is designed in, and on the demo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from lib.analysis._fit import ForestSettings
from lib.analysis.response import (
    ResponseCurve,
    curve_summary,
    interaction_strengths,
    interaction_summary,
    response_curves,
    response_shape,
    strongest_interaction,
)
from lib.analysis.response_model import TreeAverage, fit_response_model
from lib.columns import Direction, Kind, infer_kind

N = 500
PARAMS = ["lr", "depth", "junk", "optimizer", "momentum", "a", "b", "flag"]


def designed_runs(seed: int = 0) -> pd.DataFrame:
    """score = sweet spot at lr = 1e-3 + rising in depth + optimizer (adam best, sgd worst)
    + 2 * momentum (exists only for sgd) + 1.5 * a * b (pure interaction) + noise.
    junk and flag have no effect."""
    rng = np.random.default_rng(seed)
    runs = pd.DataFrame(
        {
            "lr": 10 ** rng.uniform(-5, -1, N),
            "depth": rng.uniform(0, 10, N),
            "junk": rng.normal(size=N),
            "optimizer": rng.choice(["adam", "rmsprop", "sgd"], N),
            "a": rng.uniform(-1, 1, N),
            "b": rng.uniform(-1, 1, N),
            "flag": rng.choice([True, False], N),
        }
    )
    sgd = (runs["optimizer"] == "sgd").to_numpy()
    runs["momentum"] = np.where(sgd, rng.uniform(0, 1, N), np.nan)
    score = -0.5 * (np.log10(runs["lr"]) + 3) ** 2 + 0.3 * runs["depth"]
    score += runs["optimizer"].map({"adam": 1.0, "rmsprop": 0.5, "sgd": 0.0})
    score += np.where(sgd, 2.0 * runs["momentum"].fillna(0) - 1.0, 0.0)
    score += 1.5 * runs["a"] * runs["b"]
    runs["score"] = score + rng.normal(0, 0.1, N)
    runs.loc[runs.index[:20], "score"] = np.nan  # failed runs
    return runs


def kinds_of(runs: pd.DataFrame) -> dict[str, Kind]:
    return {p: infer_kind(runs[p], p) for p in PARAMS}


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    return designed_runs()


@pytest.fixture(scope="module")
def model(runs):
    return fit_response_model(runs, PARAMS, "score", kinds=kinds_of(runs))


@pytest.fixture(scope="module")
def curves(model) -> dict[str, ResponseCurve]:
    return {c.parameter: c for c in response_curves(model, PARAMS)}


def test_kinds_are_what_the_design_says(runs) -> None:
    kinds = kinds_of(runs)
    assert kinds["lr"] is Kind.LOG
    assert kinds["optimizer"] is Kind.CATEGORICAL
    assert kinds["flag"] is Kind.BOOLEAN


def test_monotone_effect_gives_monotone_curve(curves) -> None:
    depth = curves["depth"]
    steps = np.diff(depth.mean)
    assert depth.mean[-1] - depth.mean[0] > 1.5  # the true rise is 3
    assert np.mean(steps >= -0.05) > 0.9


def test_sweet_spot_peaks_at_the_right_place(curves) -> None:
    lr = curves["lr"]
    best = lr.x[lr.best_index(Direction.MAXIMIZE)]
    assert 10**-3.6 < best < 10**-2.4
    assert lr.mean.max() - lr.mean[0] > 1.0 and lr.mean.max() - lr.mean[-1] > 1.0
    assert lr.best_index(Direction.MINIMIZE) in (0, len(lr.x) - 1)


def test_no_effect_parameter_gives_flat_curve(curves) -> None:
    assert curves["junk"].swing < 0.15 * curves["depth"].swing
    assert curves["flag"].swing < 0.15 * curves["depth"].swing
    assert "nearly flat" in curve_summary(curves["junk"], "score", Direction.MAXIMIZE)
    assert "nearly flat" not in curve_summary(curves["depth"], "score", Direction.MAXIMIZE)


def test_categorical_shows_its_known_best_and_worst_level(curves) -> None:
    optimizer = curves["optimizer"]
    assert optimizer.levels == ("adam", "rmsprop", "sgd")
    assert optimizer.best_label(Direction.MAXIMIZE) == "adam"
    assert optimizer.best_label(Direction.MINIMIZE) == "sgd"
    assert sum(optimizer.level_counts) == optimizer.n_runs
    assert optimizer.x.size == 0


def test_numeric_looking_levels_are_ordered_by_value() -> None:
    rng = np.random.default_rng(4)
    runs = pd.DataFrame({"batch": rng.choice(["16", "128", "32"], 60), "x": rng.uniform(0, 1, 60)})
    runs["y"] = runs["x"] + rng.normal(0, 0.1, 60)
    model = fit_response_model(runs, ["batch", "x"], "y", settings=ForestSettings(n_trees=10))
    assert model.levels["batch"] == ("16", "32", "128")


def test_boolean_reads_as_two_levels(curves) -> None:
    assert curves["flag"].levels == ("false", "true")


def test_tree_average_predicts_like_the_forest_with_missing_values(model) -> None:
    rows = model.matrix[:200]
    assert np.isnan(rows).any()
    np.testing.assert_allclose(
        TreeAverage(model.forest).predict(rows), model.forest.predict(rows), rtol=1e-12
    )


def test_ice_band_encloses_the_mean(curves) -> None:
    for curve in curves.values():
        assert np.all(curve.ice_low <= curve.mean + 1e-9)
        assert np.all(curve.mean <= curve.ice_high + 1e-9)


def test_conditional_parameter_is_read_over_runs_that_have_it(runs, curves) -> None:
    momentum = curves["momentum"]
    scored = runs[runs["score"].notna()]
    assert momentum.n_runs == int(scored["momentum"].notna().sum())
    assert momentum.n_missing == int(scored["momentum"].isna().sum()) > 0
    assert momentum.mean[-1] - momentum.mean[0] > 1.0  # true rise 2, among sgd runs only
    summary = curve_summary(momentum, "score", Direction.MAXIMIZE)
    assert f"{momentum.n_missing} do not" in summary


def test_log_parameter_grid_is_in_real_units_spanning_the_data(runs, curves) -> None:
    lr = curves["lr"]
    scored = runs.loc[runs["score"].notna(), "lr"]
    assert lr.log and lr.kind is Kind.LOG
    assert lr.x[0] == pytest.approx(scored.min()) and lr.x[-1] == pytest.approx(scored.max())
    ratios = lr.x[1:] / lr.x[:-1]
    assert np.allclose(ratios, ratios[0])  # even on the log scale


def test_pure_interaction_is_the_strongest_pair(model) -> None:
    pair = strongest_interaction(model, ["lr", "depth", "a", "b", "optimizer"])
    assert pair is not None
    assert set(pair.pair) == {"a", "b"}
    assert pair.h_squared > 0.5 and pair.is_notable
    assert pair.values.shape == (len(pair.first.x), len(pair.second.x))
    corners = pair.values[[0, 0, -1, -1], [0, -1, 0, -1]]  # a*b: high where signs agree
    assert min(corners[0], corners[3]) > max(corners[1], corners[2])
    assert "interact" in interaction_summary(pair, "score")


def test_pure_product_is_found_among_main_effects_and_noise() -> None:
    rng = np.random.default_rng(1)
    runs = pd.DataFrame({f"x{i}": rng.uniform(-1, 1, 400) for i in range(1, 6)})
    runs["y"] = runs["x1"] * runs["x2"] + 0.5 * runs["x3"] + 0.3 * runs["x4"] + rng.normal(0, 0.05, 400)
    params = [f"x{i}" for i in range(1, 6)]
    model = fit_response_model(runs, params, "y", settings=ForestSettings(n_trees=60))
    table = interaction_strengths(model, params)
    assert len(table) == 10
    assert set(table.iloc[0][["first", "second"]]) == {"x1", "x2"}
    assert table.iloc[0]["h_squared"] > 0.5 > table.iloc[1]["h_squared"]


def test_additive_parameters_show_no_notable_interaction(model) -> None:
    table = interaction_strengths(model, ["lr", "depth", "junk"])
    assert len(table) == 3
    assert table["h_squared"].max() < 0.1
    pair = strongest_interaction(model, ["lr", "depth", "junk"])
    assert pair is not None and not pair.is_notable
    assert interaction_summary(pair, "score").startswith("No strong interaction")


def test_interaction_with_a_categorical_uses_its_levels() -> None:
    """The slope of x flips with the level of `mode`: a categorical x numeric interaction."""
    rng = np.random.default_rng(2)
    runs = pd.DataFrame(
        {"x": rng.uniform(0, 1, 400), "mode": rng.choice(["down", "up"], 400), "z": rng.uniform(0, 1, 400)}
    )
    runs["y"] = np.where(runs["mode"] == "up", 2.0, -2.0) * runs["x"] + runs["z"] + rng.normal(0, 0.05, 400)
    model = fit_response_model(runs, ["x", "mode", "z"], "y", settings=ForestSettings(n_trees=60))
    pair = strongest_interaction(model, ["x", "mode", "z"])
    assert pair is not None and set(pair.pair) == {"x", "mode"}
    by_level = pair.values if pair.first.parameter == "mode" else pair.values.T
    levels = pair.first.levels or pair.second.levels
    assert levels == ("down", "up")
    assert by_level[0, -1] < by_level[0, 0] and by_level[1, -1] > by_level[1, 0]


def test_response_shape_counts_runs_and_is_deterministic(runs) -> None:
    settings = ForestSettings(n_trees=40, seed=5)
    first = response_shape(runs, PARAMS, "score", top=["lr", "a", "b", "nope"], settings=settings)
    again = response_shape(runs, PARAMS, "score", top=["lr", "a", "b", "nope"], settings=settings)
    assert first.n_runs == N - 20 and first.n_without_metric == 20
    assert [c.parameter for c in first.curves] == ["lr", "a", "b"]
    assert any("nope" in note for note in first.notes)
    assert first.interaction is not None and set(first.interaction.pair) == {"a", "b"}
    for c1, c2 in zip(first.curves, again.curves, strict=True):
        np.testing.assert_array_equal(c1.mean, c2.mean)
        np.testing.assert_array_equal(c1.ice_low, c2.ice_low)
    assert first.r2 is not None and first.r2 > 0.5


def test_too_few_runs_give_an_empty_shape_with_a_reason(runs) -> None:
    few = runs.dropna(subset=["score"]).head(5)
    shape = response_shape(few, PARAMS, "score", top=["lr"])
    assert shape.curves == [] and shape.interaction is None
    assert "at least" in shape.notes[0]


# ---------------------------------------------------------------------------------------------
# The demo sweep


@pytest.fixture(scope="module")
def demo_shape():
    from lib.sources.demo import load_demo

    sweep = load_demo()
    top = ["learning_rate", "optimizer", "momentum", "dataloader_workers", "alpha"]
    shape = response_shape(sweep.runs, sweep.analysable_params, "val_accuracy", top=top, kinds=sweep.kinds)
    return sweep, shape


def test_demo_learning_rate_has_a_sweet_spot_inside_its_range(demo_shape) -> None:
    _, shape = demo_shape
    lr = next(c for c in shape.curves if c.parameter == "learning_rate")
    assert lr.log
    best = lr.x[lr.best_index(Direction.MAXIMIZE)]
    assert lr.x[0] * 3 < best < lr.x[-1] / 3


def test_demo_momentum_exists_only_for_sgd_and_workers_do_not_matter(demo_shape) -> None:
    sweep, shape = demo_shape
    curves = {c.parameter: c for c in shape.curves}
    scored = sweep.runs[sweep.runs["val_accuracy"].notna()]
    assert curves["momentum"].n_missing == int((scored["optimizer"] != "sgd").sum())
    assert curves["dataloader_workers"].swing < 0.25 * curves["learning_rate"].swing
    assert shape.interaction is not None


def test_tree_average_fit_refits_the_wrapped_forest(model) -> None:
    forest = clone(model.forest)
    y = np.nan_to_num(model.matrix[:, 0]) * 2.0 + 1.0
    wrapped = TreeAverage(forest).fit(model.matrix, y)
    np.testing.assert_allclose(
        wrapped.predict(model.matrix[:50]), forest.predict(model.matrix[:50]), rtol=1e-12
    )
