"""Search history on designed sweeps (known order, known best so far) and on the demo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.analysis.history import (
    NO_SWEEP,
    convergence_summary,
    run_order,
    sampling_summary,
    search_history,
)
from lib.columns import Direction, Kind
from lib.sweep import RUN_CREATED, RUN_NAME, RUN_STATE, RUN_SWEEP, Sweep

START = pd.Timestamp("2026-01-01 12:00", tz="UTC")
# In creation order: values, and which sweep. Row order in the table is scrambled below.
VALUES = [0.5, 0.7, np.nan, 0.6, 0.9, 0.8, np.nan, 0.95, 0.93, 0.94]
SWEEPS = ["s1", "s1", "s1", "s1", "s1", "s2", "s2", "s2", None, None]
CREATION_ORDER_IDS = [f"r{i}" for i in range(10)]


def designed_sweep(direction: Direction = Direction.MAXIMIZE, with_created: bool = True) -> Sweep:
    """Ten runs created one minute apart, stored in a scrambled row order; two failed runs report
    no metric; the last two runs belong to no sweep."""
    frame = pd.DataFrame(
        {
            RUN_NAME: [f"run-{i}" for i in range(10)],
            RUN_STATE: ["failed" if np.isnan(v) else "finished" for v in VALUES],
            RUN_SWEEP: SWEEPS,
            RUN_CREATED: [START + pd.Timedelta(minutes=i) for i in range(10)],
            "lr": [1e-4, 3e-4, 1e-3, 1e-2, 1e-1, 2e-3, 3e-3, 4e-3, 5e-3, 5e-3],
            "opt": ["adam", "sgd", "rmsprop", "adam", "sgd", "adam", "adam", "adam", "sgd", "adam"],
            "score": VALUES,
        },
        index=pd.Index(CREATION_ORDER_IDS, name="run_id"),
    )
    scrambled = frame.iloc[[3, 7, 0, 9, 5, 1, 8, 2, 6, 4]]
    if not with_created:
        scrambled = frame.drop(columns=[RUN_CREATED])
    return Sweep(
        runs=scrambled,
        params=["lr", "opt"],
        metrics=["score"],
        kinds={"lr": Kind.LOG, "opt": Kind.CATEGORICAL, "score": Kind.NUMERIC},
        directions={"score": direction},
    )


def test_runs_are_ordered_by_creation_time() -> None:
    history = search_history(designed_sweep(), "score")
    assert history["run_id"].tolist() == CREATION_ORDER_IDS
    assert history["order"].tolist() == list(range(1, 11))
    assert history["created"].is_monotonic_increasing


def test_without_creation_times_the_table_order_is_kept() -> None:
    sweep = designed_sweep(with_created=False)
    history = search_history(sweep, "score")
    assert history["run_id"].tolist() == sweep.runs.index.tolist()


def test_runs_without_a_time_come_last_in_table_order() -> None:
    sweep = designed_sweep()
    runs = sweep.runs.copy()
    runs.loc[["r0", "r5"], RUN_CREATED] = pd.NaT
    order = runs.index[run_order(runs)].tolist()
    assert order[-2:] == [i for i in runs.index if i in ("r0", "r5")]
    assert order[:8] == [i for i in CREATION_ORDER_IDS if i not in ("r0", "r5")]


def test_best_so_far_when_maximizing_skips_failed_runs() -> None:
    history = search_history(designed_sweep(Direction.MAXIMIZE), "score")
    expected = [0.5, 0.7, 0.7, 0.7, 0.9, 0.9, 0.9, 0.95, 0.95, 0.95]
    assert history["best_so_far"].tolist() == pytest.approx(expected)
    assert history["improved"].tolist() == [True, True, False, False, True, False, False, True, False, False]
    assert history["value"].isna().sum() == 2  # failed runs kept, counted, without a value


def test_best_so_far_when_minimizing() -> None:
    history = search_history(designed_sweep(Direction.MINIMIZE), "score")
    assert history["best_so_far"].tolist() == pytest.approx([0.5] * 10)
    assert history["improved"].sum() == 1


def test_best_so_far_within_each_sweep_and_runs_without_a_sweep() -> None:
    history = search_history(designed_sweep(), "score")
    assert history["sweep"].tolist()[-2:] == [NO_SWEEP, NO_SWEEP]
    s2 = history[history["sweep"] == "s2"]
    assert s2["sweep_best_so_far"].tolist() == pytest.approx([0.8, 0.8, 0.95])
    assert s2["sweep_order"].tolist() == [1, 2, 3]
    unsweeped = history[history["sweep"] == NO_SWEEP]
    assert unsweeped["sweep_best_so_far"].tolist() == pytest.approx([0.93, 0.94])


def test_history_starts_with_nan_until_the_first_value() -> None:
    sweep = designed_sweep()
    runs = sweep.runs.copy()
    runs.loc["r0", "score"] = np.nan
    runs.loc["r1", "score"] = np.nan
    history = search_history(sweep.replace(runs=runs), "score")
    assert history["best_so_far"].iloc[:3].isna().all()
    assert history["best_so_far"].iloc[3] == pytest.approx(0.6)


def test_unknown_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="nope"):
        search_history(designed_sweep(), "nope")


def test_convergence_summary_says_where_the_best_came_and_what_the_tail_did() -> None:
    history = search_history(designed_sweep(), "score")
    text = convergence_summary(history, "score", Direction.MAXIMIZE)
    assert "The best score (0.95) was reached at run 8 of 10 (sweep s2)." in text
    # The last quarter (3 runs: 8, 9, 10) lifted the best from 0.9 to 0.95.
    assert "The last 2 runs did not improve it." not in text
    assert "The last 3 runs improved it by 0.05 (5.6%)." in text
    assert "2 runs without it are counted in the order" in text


def test_convergence_summary_when_the_tail_did_not_help_and_when_minimizing() -> None:
    history = search_history(designed_sweep(Direction.MINIMIZE), "score")
    text = convergence_summary(history, "score", Direction.MINIMIZE)
    assert "The best score (0.5) was reached at run 1 of 10" in text
    assert "The last 3 runs did not improve it." in text


def test_convergence_summary_without_any_value() -> None:
    sweep = designed_sweep()
    runs = sweep.runs.assign(score=np.nan)
    history = search_history(sweep.replace(runs=runs), "score")
    assert (
        convergence_summary(history, "score", Direction.MAXIMIZE)
        == "None of the 10 runs has a value for score."
    )


def test_sampling_summary_names_the_refining_sweep() -> None:
    sentences = sampling_summary(designed_sweep(), ["lr", "opt"])
    assert len(sentences) == 1
    text = sentences[0]
    assert text.startswith("Sweep s2 (runs 6–8) sampled")
    assert "lr in 2e-3 – 4e-3 (before: 1e-4 – 0.1)" in text
    assert "opt in adam (before: adam, rmsprop, sgd)" in text


# ---------------------------------------------------------------------------------------------
# The demo sweep


@pytest.fixture(scope="module")
def demo():
    from lib.sources.demo import load_demo

    return load_demo()


def test_demo_history_covers_every_run_and_only_improves(demo) -> None:
    history = search_history(demo, "val_accuracy")
    assert len(history) == len(demo.runs)
    assert history["run_id"].is_unique
    best = history["best_so_far"].dropna()
    assert (np.diff(best.to_numpy()) >= 0).all()
    assert best.iloc[-1] == pytest.approx(demo.runs["val_accuracy"].max())
    assert set(history["sweep"]) == set(demo.sweep_ids)
    text = convergence_summary(history, "val_accuracy", Direction.MAXIMIZE)
    assert f"of {len(demo.runs)}" in text


def test_demo_refine_sweep_narrowed_the_learning_rate(demo) -> None:
    sentences = sampling_summary(demo, ["learning_rate", "optimizer"])
    assert any(s.startswith("Sweep bkk56ar3") and "learning_rate in" in s for s in sentences)
