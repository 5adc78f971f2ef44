"""Learning curves' data step: which runs are drawn and in what order, thinning that keeps each
curve's best point, and the median band, on curves known by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.analysis.learning_curves import MIN_BAND_RUNS, learning_curves, pick_curves
from lib.columns import Direction
from lib.histories import RUN_ID, STEP, VALUE, MetricHistory


def history_of(curves: dict[str, np.ndarray], steps: dict[str, np.ndarray] | None = None) -> MetricHistory:
    parts = [
        pd.DataFrame(
            {
                RUN_ID: run,
                STEP: (steps or {}).get(run, np.arange(len(y), dtype=float)),
                VALUE: np.asarray(y, dtype=float),
            }
        )
        for run, y in curves.items()
    ]
    return MetricHistory("loss", "_step", pd.concat(parts, ignore_index=True))


def offsets_history(n_runs: int, n_steps: int = 5) -> MetricHistory:
    """Run i logs the constant i: its rank is its number."""
    return history_of({f"r{i:04d}": np.full(n_steps, float(i)) for i in range(n_runs)})


def test_every_run_is_drawn_worst_first_so_the_best_are_on_top() -> None:
    history = offsets_history(6)
    curves = learning_curves(
        history, run_ids=[f"r{i:04d}" for i in range(6)], direction=Direction.MINIMIZE, n_best=2
    )
    assert curves.run_ids == ["r0005", "r0004", "r0003", "r0002", "r0001", "r0000"]
    assert curves.best_ids == ["r0000", "r0001"]
    assert list(curves.rank_values) == [5, 4, 3, 2, 1, 0]
    assert curves.caption == "showing 6 of 6 runs"
    steps, values = curves.curve("r0003")
    assert list(steps) == [0, 1, 2, 3, 4] and list(values) == [3.0] * 5
    maximizing = learning_curves(history, run_ids=["r0000", "r0005"], direction=Direction.MAXIMIZE)
    assert maximizing.run_ids == ["r0000", "r0005"] and maximizing.best_ids[0] == "r0005"


def test_only_the_asked_runs_are_drawn_and_the_rest_counted() -> None:
    history = offsets_history(4)
    curves = learning_curves(history, run_ids=["r0001", "r0003", "gone"], direction=Direction.MINIMIZE)
    assert set(curves.run_ids) == {"r0001", "r0003"} and curves.n_total == 2
    assert curves.caption == "showing 2 of 2 runs (1 more has no history of loss)"


def test_the_ranking_value_can_come_from_the_caller() -> None:
    history = offsets_history(3)
    rank_by = pd.Series({"r0000": 9.0, "r0001": np.nan, "r0002": 1.0})
    curves = learning_curves(
        history, run_ids=["r0000", "r0001", "r0002"], direction=Direction.MINIMIZE, rank_by=rank_by
    )
    assert curves.run_ids == ["r0001", "r0000", "r0002"]  # no ranking value: drawn first, under the rest
    assert curves.best_ids == ["r0002", "r0000"]


def test_too_many_runs_keep_the_best_and_a_spread_of_the_rest() -> None:
    n_runs, max_curves = 1000, 100
    history = offsets_history(n_runs, n_steps=3)
    curves = learning_curves(
        history,
        run_ids=[f"r{i:04d}" for i in range(n_runs)],
        direction=Direction.MINIMIZE,
        max_curves=max_curves,
    )
    assert curves.n_shown == max_curves and curves.caption == "showing 100 of 1,000 runs"
    drawn = sorted(int(r[1:]) for r in curves.run_ids)
    assert drawn[:10] == list(range(10))  # the best tenth of the budget
    assert drawn[-1] == n_runs - 1  # the worst run is in the spread, so the picture keeps its range
    gaps = np.diff(drawn[10:])
    assert gaps.max() - gaps.min() <= 1  # evenly spread
    assert curves.band["n_runs"].tolist() == [n_runs] * 3  # the band uses every run
    assert curves.notes and "100 of 1,000 curves are drawn" in curves.notes[0]


def test_pick_curves_puts_runs_without_a_value_last() -> None:
    picked = pick_curves(np.array([np.nan, 3.0, 1.0, 2.0]), Direction.MINIMIZE, 10)
    assert list(picked) == [2, 3, 1, 0]


def test_thinning_keeps_each_curves_best_point_and_both_ends() -> None:
    t = np.arange(10_000, dtype=float)
    noisy = np.random.default_rng(0).normal(0, 1, t.size) + ((t - 6_123) / 1_000) ** 2
    spike_at = 4_321
    spiky = np.ones(t.size)
    spiky[spike_at] = -5.0  # one sharp best value that a stride would miss
    history = history_of({"noisy": noisy, "spiky": spiky, "short": np.array([3.0, 1.0, 2.0])})
    curves = learning_curves(
        history, run_ids=["noisy", "spiky", "short"], direction=Direction.MINIMIZE, max_points=200
    )
    for run, y in (("noisy", noisy), ("spiky", spiky)):
        steps, values = curves.curve(run)
        assert len(values) <= 202
        assert values.min() == y.min() and values.max() == y.max()
        assert steps[0] == 0 and steps[-1] == t[-1]
        assert np.all(np.diff(steps) > 0)  # still in step order
    assert -5.0 in curves.curve("spiky")[1] and spike_at in curves.curve("spiky")[0]
    assert list(curves.curve("short")[1]) == [3.0, 1.0, 2.0]  # short curves are not touched
    assert any("thinned" in note for note in curves.notes)


def test_the_band_is_the_median_and_quartiles_across_runs_per_step() -> None:
    # five runs at offsets 0..4 over steps 0..3, value = offset + step: median offset 2, quartiles 1 and 3
    curves_in = {f"r{i}": np.arange(4, dtype=float) + i for i in range(5)}
    curves = learning_curves(history_of(curves_in), run_ids=list(curves_in), direction=Direction.MINIMIZE)
    band = curves.band
    assert list(band["step"]) == [0, 1, 2, 3]
    assert list(band["median"]) == [2, 3, 4, 5]
    assert list(band["q25"]) == [1, 2, 3, 4] and list(band["q75"]) == [3, 4, 5, 6]
    assert list(band["n_runs"]) == [5] * 4


def test_band_bins_need_enough_runs_and_wide_bins_take_one_vote_per_run() -> None:
    # three long runs (steps 0..9) and one short (0..1): steps 2..9 have three runs, fewer would be dropped
    long = {f"r{i}": np.full(10, float(i)) for i in range(3)}
    curves = learning_curves(
        history_of({**long, "short": np.array([100.0, 100.0])}),
        run_ids=[*long, "short"],
        direction=Direction.MINIMIZE,
    )
    assert list(curves.band["n_runs"]) == [4, 4] + [3] * 8
    two_runs = learning_curves(
        history_of({"a": np.ones(3), "b": np.ones(3)}), run_ids=["a", "b"], direction=Direction.MINIMIZE
    )
    assert two_runs.band.empty and MIN_BAND_RUNS == 3
    # 1,000 steps into 10 bins: a run with 100 rows in a bin still counts once
    many = {f"r{i}": np.full(1000, float(i)) for i in range(3)}
    binned = learning_curves(history_of(many), run_ids=list(many), direction=Direction.MINIMIZE, band_bins=10)
    assert len(binned.band) == 10 and list(binned.band["n_runs"]) == [3] * 10
    assert list(binned.band["median"]) == [1.0] * 10
    assert binned.band["step"].iloc[0] == pytest.approx(999 / 20)  # drawn at the bin's centre


def test_runs_logging_at_different_steps() -> None:
    history = history_of(
        {"a": np.array([5.0, 4.0, 3.0]), "b": np.array([6.0, 2.0])},
        steps={"a": np.array([0.0, 10.0, 20.0]), "b": np.array([5.0, 15.0])},
    )
    curves = learning_curves(history, run_ids=["a", "b"], direction=Direction.MINIMIZE)
    assert curves.run_ids == ["a", "b"]  # b's best (2) beats a's (3): b on top
    assert list(curves.curve("b")[0]) == [5, 15]


def test_nan_only_runs_count_as_without_history() -> None:
    history = history_of({"a": np.array([1.0, 2.0]), "nan": np.array([np.nan, np.nan])})
    curves = learning_curves(history, run_ids=["a", "nan"], direction=Direction.MINIMIZE)
    assert curves.run_ids == ["a"] and curves.n_without_history == 1


def test_nothing_to_draw() -> None:
    curves = learning_curves(offsets_history(2), run_ids=["x"], direction=Direction.MINIMIZE)
    assert curves.run_ids == [] and curves.band.empty and curves.caption.startswith("showing 0 of 0")
    with pytest.raises(ValueError, match="at least one curve"):
        learning_curves(offsets_history(2), run_ids=["r0000"], direction=Direction.MINIMIZE, max_curves=0)
