"""What separates the best runs, on designed random searches whose truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.analysis.noise import repeat_groups, seed_columns
from lib.analysis.separation import (
    TABLE_COLUMNS,
    ComparedRuns,
    best_runs_separation,
    effective_count,
    numeric_bins,
    pearson_divergence,
    separation_vs_importance_sentence,
)
from lib.columns import Direction, Kind
from lib.sources.demo import load_demo

KINDS = {
    "lr": Kind.LOG,
    "width": Kind.NUMERIC,
    "optimizer": Kind.CATEGORICAL,
    "dropout": Kind.NUMERIC,
    "momentum": Kind.NUMERIC,
}
PARAMS = ["lr", "width", "optimizer", "dropout"]


def random_search(n: int, seed: int) -> pd.DataFrame:
    """lr log-uniform over 5 decades; width, dropout and optimizer drawn independently of it."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "lr": 10 ** rng.uniform(-5, 0, n),
            "width": rng.uniform(0, 1, n),
            "optimizer": rng.choice(["adam", "sgd", "rmsprop"], n),
            "dropout": rng.uniform(0, 0.5, n),
        },
        index=pd.Index([f"r{i:04d}" for i in range(n)], name="run_id"),
    )


def lr_band_loss(runs: pd.DataFrame, seed: int = 0) -> pd.Series:
    """Lowest around lr = 10^-2.5, nothing else matters."""
    noise = np.random.default_rng(seed + 100).normal(0, 0.05, len(runs))
    return (np.log10(runs["lr"]) + 2.5) ** 2 + noise


def separation(runs: pd.DataFrame, metric: str = "loss", **options):
    options.setdefault("direction", Direction.MINIMIZE)
    params = options.pop("params", PARAMS)
    return best_runs_separation(runs, params, metric, kinds=KINDS, **options)


def row(table: pd.DataFrame, parameter: str) -> pd.Series:
    return table.set_index("parameter").loc[parameter]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_parameter_whose_top_runs_sit_in_a_narrow_band_ranks_first(seed: int) -> None:
    runs = random_search(600, seed).assign(loss=lambda r: lr_band_loss(r, seed))
    report = separation(runs)
    assert report.warnings == []
    assert report.table["parameter"].iloc[0] == "lr"
    assert row(report.table, "lr")["separation"] > 0.8
    assert report.table["separation"].sum() == pytest.approx(1.0)
    assert list(report.table.columns) == TABLE_COLUMNS


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_parameter_with_no_effect_scores_near_zero(seed: int) -> None:
    runs = random_search(600, seed).assign(loss=lambda r: lr_band_loss(r, seed))
    table = separation(runs).table
    lr = row(table, "lr")["divergence"]
    for name in ("width", "dropout", "optimizer"):
        assert row(table, name)["divergence"] < 0.05 * lr, name
        assert row(table, name)["separation"] < 0.05, name


def test_the_chance_level_is_what_random_top_sets_show_on_average() -> None:
    """Over many random 'top' sets the raw divergence averages the chance level that is subtracted."""
    labels = numeric_bins(random_search(200, 0)["width"].to_numpy(), 8)
    rng = np.random.default_rng(5)
    raw, chance = [], []
    for _ in range(400):
        top = np.zeros(200, dtype=bool)
        top[rng.choice(200, 25, replace=False)] = True
        divergence, expected = pearson_divergence(labels, ComparedRuns(pd.DataFrame(), top, np.ones(200)))
        raw.append(divergence)
        chance.append(expected)
    assert np.mean(raw) == pytest.approx(chance[0], rel=0.1)
    assert chance[0] == pytest.approx(7 / 25 * 175 / 199)


def test_a_categorical_whose_top_runs_all_use_one_level() -> None:
    runs = random_search(300, 4)
    noise = np.random.default_rng(9).normal(0, 0.1, len(runs))
    runs["loss"] = np.where(runs["optimizer"] == "adam", 0.0, 1.0) + noise
    report = separation(runs)
    assert report.table["parameter"].iloc[0] == "optimizer"
    summary = row(report.table, "optimizer")["top_summary"]
    share_all = (runs["optimizer"] == "adam").mean()
    assert summary == f"optimizer: adam in 100% of top runs vs {share_all:.0%} of all"


def top_range(summary: str) -> tuple[float, float]:
    """The `low..high` of "name: top runs low..high (all ...)"."""
    low, high = summary.split("top runs ")[1].split(" (all")[0].split("..")
    return float(low), float(high)


def test_the_top_runs_follow_the_metric_direction() -> None:
    runs = random_search(400, 6).assign(loss=lambda r: lr_band_loss(r))
    best = separation(runs, direction=Direction.MINIMIZE)
    as_score = separation(runs.assign(score=-runs["loss"]), "score", direction=Direction.MAXIMIZE)
    pd.testing.assert_frame_equal(best.table, as_score.table)
    low, high = top_range(row(best.table, "lr")["top_summary"])
    assert low >= 10**-3.5 and high <= 10**-1.5  # around the optimum at 10^-2.5
    worst = separation(runs, direction=Direction.MAXIMIZE)  # the wrong way round: the worst runs
    low, high = top_range(row(worst.table, "lr")["top_summary"])
    assert low < 1e-4 and high > 0.3  # at both ends of the range
    assert worst.table["parameter"].iloc[0] == "lr"


def test_the_summary_gives_the_top_range_in_real_units() -> None:
    runs = random_search(400, 7).assign(loss=lambda r: lr_band_loss(r))
    low, high = top_range(row(separation(runs).table, "lr")["top_summary"])
    top_lr = runs["lr"][runs["loss"] <= np.sort(runs["loss"])[39]]
    assert low == pytest.approx(top_lr.min(), rel=0.05)
    assert high == pytest.approx(top_lr.max(), rel=0.05)


@pytest.mark.parametrize(
    ("n", "percent", "mask_size"),
    [(30, 10.0, None), (200, 1.0, None), (100, 10.0, 3), (100, 10.0, 0)],
)
def test_too_few_top_runs_give_an_empty_table_and_a_warning(n: int, percent: float, mask_size) -> None:
    runs = random_search(n, 8).assign(loss=lambda r: lr_band_loss(r))
    mask = None
    if mask_size is not None:
        mask = pd.Series(np.arange(n) < mask_size, index=runs.index)
    report = separation(runs, percent=percent, mask=mask)
    assert report.table.empty and list(report.table.columns) == TABLE_COLUMNS
    assert len(report.warnings) == 1 and "at least 5" in report.warnings[0]


def test_a_metric_nobody_has_or_a_selection_of_everyone_does_not_crash() -> None:
    runs = random_search(50, 9).assign(loss=np.nan)
    assert separation(runs).table.empty
    assert separation(runs, "no_such_metric").warnings[0].startswith("Only 0 runs with no_such_metric")
    scored = random_search(50, 9).assign(loss=1.0)
    everyone = separation(scored, mask=pd.Series(True, index=scored.index))
    assert everyone.table.empty and "nothing to compare" in everyone.warnings[0]


def test_conditional_parameters_count_missing_as_a_level() -> None:
    runs = random_search(400, 10)
    is_sgd = runs["optimizer"] == "sgd"
    runs["momentum"] = np.where(is_sgd, np.random.default_rng(1).uniform(0.5, 0.99, len(runs)), np.nan)
    runs.loc[runs.index[::7], "dropout"] = np.nan  # missing at random, no effect
    runs["loss"] = np.where(is_sgd, 1.0, 0.0) + np.random.default_rng(2).normal(0, 0.1, len(runs))
    report = separation(runs, params=[*PARAMS, "momentum"])
    momentum = row(report.table, "momentum")
    share_missing = 1 - is_sgd.mean()
    assert momentum["top_summary"].endswith(f"missing in 100% of top runs vs {share_missing:.0%} of all")
    assert momentum["divergence"] > 0.2  # which branch the top runs took shows through the missing level
    assert row(report.table, "dropout")["separation"] < 0.05


def test_a_mask_from_thresholds_replaces_the_best_percent() -> None:
    runs = random_search(300, 11).assign(loss=lambda r: lr_band_loss(r))
    kept = runs["width"] < 0.15
    report = separation(runs, mask=kept)
    assert report.n_top == int(kept.sum())
    assert report.table["parameter"].iloc[0] == "width"
    summary = row(report.table, "width")["top_summary"]
    top_range = summary.removeprefix("width: top runs ").split(" (all")[0]
    assert float(top_range.split("..")[1]) < 0.15


def test_groups_make_a_repeated_configuration_count_once() -> None:
    runs = random_search(300, 12)
    repeats = pd.DataFrame(
        [{"lr": 10**-2.5, "width": 0.999, "optimizer": "sgd", "dropout": 0.25}] * 20,
        index=pd.Index([f"seed{i}" for i in range(20)], name="run_id"),
    )
    runs = pd.concat([runs, repeats]).assign(loss=lambda r: lr_band_loss(r))
    plain = separation(runs)
    groups = repeat_groups(runs, PARAMS, [])
    grouped = separation(runs, groups=groups)
    assert row(plain.table, "width")["separation"] > 0.15  # one configuration, 20 times, looks like a trend
    assert row(grouped.table, "width")["separation"] < 0.05
    assert grouped.table["parameter"].iloc[0] == "lr"
    assert grouped.n_top_effective < plain.n_top_effective
    assert effective_count(np.array([1.0, 1.0, 0.5, 0.5])) == pytest.approx(9 / 2.5)


def test_the_sentence_names_the_parameter_the_rankings_disagree_on() -> None:
    importance = pd.DataFrame({"parameter": ["batch_size", "lr", "dropout"], "importance": [0.5, 0.4, 0.1]})
    separation_table = pd.DataFrame(
        {"parameter": ["lr", "dropout", "batch_size"], "separation": [0.8, 0.2, 0.0]}
    )
    sentence = separation_vs_importance_sentence(separation_table, importance)
    assert sentence.startswith("batch_size matters for the average run but the best runs are spread")
    assert sentence.endswith(".") and sentence.count(".") == 1


def test_the_sentence_calls_out_a_parameter_that_only_matters_at_the_top() -> None:
    importance = pd.DataFrame({"parameter": ["lr", "alpha"], "importance": [0.98, 0.02]})
    separation_table = pd.DataFrame({"parameter": ["lr", "alpha"], "separation": [0.6, 0.4]})
    sentence = separation_vs_importance_sentence(separation_table, importance)
    assert "alpha barely moves the average run" in sentence
    assert "lr matters more for the average run (98% of the importance)" in sentence


def test_the_sentence_when_the_rankings_agree_or_cannot_be_compared() -> None:
    importance = pd.DataFrame({"parameter": ["lr", "width"], "importance": [0.7, 0.3]})
    separation_table = pd.DataFrame({"parameter": ["lr", "width"], "separation": [0.75, 0.25]})
    assert "agree" in separation_vs_importance_sentence(separation_table, importance)
    assert "lr" in separation_vs_importance_sentence(separation_table, importance)
    empty = pd.DataFrame(columns=TABLE_COLUMNS)
    assert "not enough" in separation_vs_importance_sentence(empty, importance)
    assert "not enough" in separation_vs_importance_sentence(separation_table, None)


def test_on_the_demo_the_no_effect_knob_does_not_separate_the_best_runs() -> None:
    demo = load_demo()
    groups = repeat_groups(demo.runs, demo.analysable_params, seed_columns(demo))
    metric = demo.primary_metric
    report = best_runs_separation(
        demo.runs,
        demo.analysable_params,
        metric,
        direction=demo.direction(metric),
        kinds=demo.kinds,
        groups=groups,
    )
    table = report.table
    assert set(table["parameter"]) == set(demo.analysable_params)
    assert report.n_top >= 20 and report.n_top_effective < report.n_top  # seed repeats crowd the top
    assert row(table, "dataloader_workers")["separation"] < 0.1
    assert table["parameter"].tolist().index("dataloader_workers") >= 4
    assert row(table, "learning_rate")["top_summary"].startswith("learning_rate: top runs ")
    assert "missing in" in row(table, "momentum")["top_summary"]
