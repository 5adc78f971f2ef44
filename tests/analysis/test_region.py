"""The promising region on designed sweeps: kept runs against all runs, per parameter."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lib.analysis.region import promising_region
from lib.sweep import finish_sweep
from lib.values import AxisScale

# 20 runs; the 5 kept ones (k*) use lr between 1e-3 and 5e-3 and mostly adam
LR_KEPT = [1e-3, 2e-3, 5e-3, 1e-3, 5e-3]
LR_REST = [1e-5, 1e-1, 3e-5, 1e-4, 3e-4, 3e-2, 1e-2, 2e-5, 5e-2, 2e-4, 6e-3, 7e-4, 4e-5, 8e-2, 9e-5]
OPT_KEPT = ["adam", "adam", "adam", "adam", "sgd"]
OPT_REST = ["adam", "adam", "adam"] + ["sgd"] * 8 + ["rmsprop"] * 4
IDS = [f"k{i}" for i in range(5)] + [f"r{i:02d}" for i in range(15)]


def designed_sweep():
    frame = pd.DataFrame(
        {
            "lr": LR_KEPT + LR_REST,
            "optimizer": OPT_KEPT + OPT_REST,
            "layers": [2, 2, 3, 2, 2, *([1, 2, 3, 4] * 3), 1, 2, 3],  # the kept 5, then the rest
            "use_bn": [True, True, True, True, False, *([True, False] * 7), False],
            "dropout": [0.1, np.nan, 0.2, 0.3, np.nan, *np.linspace(0.0, 0.5, 15)],
            "loss": np.arange(20, dtype=float),
        },
        index=pd.Index(IDS, name="run_id"),
    )
    return finish_sweep(
        frame, params=["lr", "optimizer", "layers", "use_bn", "dropout"], metrics=["loss"], source="designed"
    )


@pytest.fixture(scope="module")
def sweep():
    return designed_sweep()


def kept_mask(sweep) -> pd.Series:
    return pd.Series(sweep.runs.index.str.startswith("k"), index=sweep.runs.index)


def row(table: pd.DataFrame, **where) -> pd.Series:
    selected = table
    for column, value in where.items():
        selected = selected[selected[column] == value]
    assert len(selected) == 1
    return selected.iloc[0]


def test_log_parameter_quantiles_are_taken_on_the_log_scale(sweep) -> None:
    region = promising_region(sweep, kept_mask(sweep))
    kept = row(region.numeric, parameter="lr", runs="kept")
    assert kept["scale"] == "log"
    assert kept["min"] == pytest.approx(1e-3) and kept["max"] == pytest.approx(5e-3)
    assert kept["median"] == pytest.approx(2e-3)
    # q1 of log10 values [-3, -3, -2.70, -2.30, -2.30] is -3 ; q3 is log10(5e-3)
    assert kept["q1"] == pytest.approx(1e-3) and kept["q3"] == pytest.approx(5e-3)
    every = row(region.numeric, parameter="lr", runs="all")
    logs = np.log10(LR_KEPT + LR_REST)
    assert every["q3"] == pytest.approx(10 ** np.quantile(logs, 0.75))  # 6.8e-3
    assert every["q3"] != pytest.approx(np.quantile(LR_KEPT + LR_REST, 0.75), rel=0.01)  # 7e-3


def test_linear_override_takes_plain_quantiles(sweep) -> None:
    region = promising_region(sweep, kept_mask(sweep), scales={"lr": AxisScale.LINEAR})
    every = row(region.numeric, parameter="lr", runs="all")
    assert every["scale"] == "linear"
    assert every["q1"] == pytest.approx(np.quantile(LR_KEPT + LR_REST, 0.25))


def test_numeric_summary_reads_kept_against_all(sweep) -> None:
    summaries = promising_region(sweep, kept_mask(sweep)).summaries
    assert summaries["lr"] == "lr: kept runs use 1e-3 – 5e-3 (all: 1e-5 – 0.1)"
    assert summaries["layers"] == "layers: kept runs use 2 – 3, middle half 2 (all: 1 – 4)"


def test_missing_values_are_counted_not_dropped_silently(sweep) -> None:
    region = promising_region(sweep, kept_mask(sweep))
    kept = row(region.numeric, parameter="dropout", runs="kept")
    assert (kept["n"], kept["missing"]) == (3, 2)
    assert kept["median"] == pytest.approx(0.2)
    assert region.summaries["dropout"].endswith("; 2 kept runs have no value")


def test_level_shares_of_kept_and_all_runs(sweep) -> None:
    region = promising_region(sweep, kept_mask(sweep))
    adam = row(region.levels, parameter="optimizer", level="adam")
    assert (adam["kept"], adam["all"]) == (4, 7)
    assert adam["kept_share"] == pytest.approx(0.8) and adam["all_share"] == pytest.approx(0.35)
    rmsprop = row(region.levels, parameter="optimizer", level="rmsprop")
    assert (rmsprop["kept"], rmsprop["kept_share"]) == (0, 0.0)
    shares = region.levels[region.levels["parameter"] == "optimizer"]
    assert shares["kept_share"].sum() == pytest.approx(1.0) and shares["all_share"].sum() == pytest.approx(
        1.0
    )
    assert region.summaries["optimizer"] == "optimizer: adam in 80% of kept runs vs 35% of all"


def test_boolean_levels_are_named_true_and_false(sweep) -> None:
    region = promising_region(sweep, kept_mask(sweep))
    assert set(region.levels.loc[region.levels["parameter"] == "use_bn", "level"]) == {"true", "false"}
    # kept: 4 of 5 true; all: 4 + 7 = 11 of 20 true
    assert region.summaries["use_bn"] == "use_bn: true in 80% of kept runs vs 55% of all"


def test_no_kept_runs_says_so(sweep) -> None:
    none = pd.Series(False, index=sweep.runs.index)
    region = promising_region(sweep, none, params=["lr", "optimizer"])
    assert region.summaries == {"lr": "lr: no runs kept", "optimizer": "optimizer: no runs kept"}
    assert math.isnan(row(region.numeric, parameter="lr", runs="kept")["median"])


def test_only_the_asked_parameters_are_summarised(sweep) -> None:
    region = promising_region(sweep, kept_mask(sweep), params=["layers", "not_a_column"])
    assert list(region.summaries) == ["layers"]
    assert region.levels.empty
    assert set(region.numeric["runs"]) == {"kept", "all"}
