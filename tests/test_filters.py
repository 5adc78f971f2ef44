"""Run filters on designed sweeps: thresholds, direction-aware best q%, the kept-runs table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.columns import Direction
from lib.filters import (
    Threshold,
    best_percent_mask,
    column_extent,
    column_levels,
    kept_mask,
    kept_runs_table,
    kept_summary,
    threshold_mask,
)
from lib.sweep import RUN_NAME, finish_sweep

IDS = ["a", "b", "c", "d", "e", "f"]


def designed_sweep():
    frame = pd.DataFrame(
        {
            RUN_NAME: [f"run-{i}" for i in IDS],
            "lr": [1e-4, 1e-3, 1e-2, 1e-1, 3e-3, np.nan],
            "optimizer": ["adam", "sgd", "adam", None, "rmsprop", "sgd"],
            "flag": [True, False, True, True, False, None],
            "loss": [0.5, 0.1, 0.3, 0.2, 0.4, np.nan],
            "acc": [0.5, 0.9, 0.7, 0.8, 0.6, np.nan],
        },
        index=pd.Index(IDS, name="run_id"),
    )
    return finish_sweep(
        frame,
        params=["lr", "optimizer", "flag"],
        metrics=["loss", "acc"],
        source="designed",
        directions={"loss": Direction.MINIMIZE, "acc": Direction.MAXIMIZE},
    )


def kept_ids(mask: pd.Series) -> set[str]:
    return set(mask.index[mask.to_numpy(dtype=bool)])


def test_best_percent_of_a_minimized_metric_keeps_the_lowest() -> None:
    values = pd.Series([0.5, 0.1, 0.3, 0.2, 0.4, np.nan], index=IDS)
    # 5 runs have a value; 40% of 5 = 2 runs: 0.1 and 0.2
    assert kept_ids(best_percent_mask(values, Direction.MINIMIZE, 40)) == {"b", "d"}


def test_best_percent_of_a_maximized_metric_keeps_the_highest() -> None:
    values = pd.Series([0.5, 0.9, 0.7, 0.8, 0.6, np.nan], index=IDS)
    assert kept_ids(best_percent_mask(values, Direction.MAXIMIZE, 40)) == {"b", "d"}


def test_best_percent_rounds_up_to_at_least_one_run() -> None:
    values = pd.Series([0.5, 0.1, 0.3, 0.2, 0.4, np.nan], index=IDS)
    assert kept_ids(best_percent_mask(values, Direction.MINIMIZE, 1)) == {"b"}
    # 30% of 5 runs is 1.5 runs: rounded up to 2
    assert kept_ids(best_percent_mask(values, Direction.MINIMIZE, 30)) == {"b", "d"}


def test_ties_at_the_cutoff_are_all_kept() -> None:
    values = pd.Series([1.0, 1.0, 1.0, 2.0, 3.0, 0.5], index=IDS)
    # the 2nd best value is 1.0, shared by three runs
    assert kept_ids(best_percent_mask(values, Direction.MINIMIZE, 30)) == {"f", "a", "b", "c"}
    assert kept_ids(best_percent_mask(values, Direction.MAXIMIZE, 10)) == {"e"}


def test_runs_without_the_metric_are_never_best() -> None:
    values = pd.Series([np.nan, 0.1, np.nan, np.inf, 0.4, np.nan], index=IDS)
    assert kept_ids(best_percent_mask(values, Direction.MINIMIZE, 100)) == {"b", "e"}
    assert kept_ids(best_percent_mask(values, Direction.MAXIMIZE, 100)) == {"b", "e"}
    assert not best_percent_mask(pd.Series([np.nan] * 3), Direction.MINIMIZE, 50).any()


def test_no_share_keeps_nothing() -> None:
    values = pd.Series([0.5, 0.1, 0.3], index=IDS[:3])
    assert not best_percent_mask(values, Direction.MINIMIZE, 0).any()
    assert not best_percent_mask(values, Direction.MINIMIZE, float("nan")).any()


def test_numeric_threshold_ranges_are_inclusive_and_any_of() -> None:
    sweep = designed_sweep()
    threshold = Threshold("lr", ranges=((1e-3, 1e-2), (0.1, 0.1)))
    assert kept_ids(threshold_mask(sweep, threshold)) == {"b", "c", "d", "e"}


def test_numeric_threshold_keeps_missing_only_when_asked() -> None:
    sweep = designed_sweep()
    assert "f" not in kept_ids(threshold_mask(sweep, Threshold("lr", ranges=((0, 1),))))
    with_missing = Threshold("lr", ranges=((5e-2, 1),), include_missing=True)
    assert kept_ids(threshold_mask(sweep, with_missing)) == {"d", "f"}


def test_level_threshold_on_categorical_and_boolean_columns() -> None:
    sweep = designed_sweep()
    assert kept_ids(threshold_mask(sweep, Threshold("optimizer", levels=("adam", "(missing)")))) == {
        "a",
        "c",
        "d",
    }
    assert kept_ids(threshold_mask(sweep, Threshold("flag", levels=("true",)))) == {"a", "c", "d"}


def test_an_empty_threshold_keeps_everything() -> None:
    sweep = designed_sweep()
    assert threshold_mask(sweep, Threshold("lr")).all()


def test_kept_mask_combines_thresholds_with_best_percent_over_all_runs() -> None:
    sweep = designed_sweep()
    adam_or_sgd = Threshold("optimizer", levels=("adam", "sgd"))
    # best 60% of acc among the 5 runs with it: 0.9 (b), 0.8 (d), 0.7 (c); d uses no optimizer
    mask = kept_mask(sweep, [adam_or_sgd], best_percent=60, metric="acc")
    assert kept_ids(mask) == {"b", "c"}
    assert kept_summary(mask) == "2 of 6 runs kept"


def test_kept_runs_table_lists_only_kept_runs_best_first() -> None:
    sweep = designed_sweep()
    mask = pd.Series([True, False, True, True, True, True], index=IDS)
    table = kept_runs_table(sweep, mask, "loss", ["lr", "loss", "optimizer"])
    assert list(table.index) == ["d", "c", "e", "a", "f"]  # loss 0.2, 0.3, 0.4, 0.5, then missing
    assert list(table.columns) == [RUN_NAME, "loss", "lr", "optimizer"]
    maximized = kept_runs_table(sweep, mask, "acc", [])
    assert list(maximized.index) == ["d", "c", "e", "a", "f"]  # acc 0.8, 0.7, 0.6, 0.5, missing


def test_column_levels_and_extent() -> None:
    sweep = designed_sweep()
    assert set(column_levels(sweep, "optimizer")) == {"adam", "sgd", "rmsprop", "(missing)"}
    assert column_levels(sweep, "flag")[0] == "true"  # commonest first
    assert column_extent(sweep, "lr") == pytest.approx((1e-4, 1e-1))
