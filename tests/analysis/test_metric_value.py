"""The value chosen per run from a metric's history, on curves whose best, last and values at a step
are known by hand: run i logs y = (t - t_i*)^2 + c_i at steps 0..n_i - 1."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.analysis.metric_value import chosen_values, describe_value, run_rows, value_gaps
from lib.columns import Direction
from lib.histories import RUN_ID, STEP, VALUE, MetricHistory, MetricValue, ValueChoice, empty_history

# run: (number of steps, step of the minimum t*, offset c)
PARABOLAS = {"a": (10, 3, 1.0), "b": (6, 5, 2.0), "c": (10, 0, 0.5), "d": (4, 1, 3.0)}


def parabola_history(
    curves: dict[str, tuple[int, int, float]] = PARABOLAS, *, metric: str = "loss"
) -> MetricHistory:
    rows = [
        (run, float(t), float((t - best_at) ** 2 + offset))
        for run, (n_steps, best_at, offset) in curves.items()
        for t in range(n_steps)
    ]
    return MetricHistory(metric, "_step", pd.DataFrame(rows, columns=[RUN_ID, STEP, VALUE]))


def values(choice: ValueChoice, direction: Direction = Direction.MINIMIZE, **kw: float) -> pd.Series:
    value = MetricValue(choice, step=kw.get("step"), k=int(kw["k"]) if "k" in kw else None)
    return chosen_values(parabola_history(), value, direction=direction, run_ids=["a", "b", "c", "d", "zz"])


def test_best_is_each_curves_minimum_and_last_its_final_point() -> None:
    best = values(ValueChoice.BEST)
    assert best.tolist()[:4] == [1.0, 2.0, 0.5, 3.0]
    assert np.isnan(best["zz"])  # no history at all
    last = values(ValueChoice.LAST)
    assert last.tolist()[:4] == [(9 - 3) ** 2 + 1.0, 2.0, 81.5, 4 + 3.0]
    assert list(last.index) == ["a", "b", "c", "d", "zz"] and last.name == "loss"


def test_best_when_maximizing_is_the_largest_value() -> None:
    best = values(ValueChoice.BEST, Direction.MAXIMIZE)
    assert best.tolist()[:4] == [36 + 1.0, 25 + 2.0, 81.5, 4 + 3.0]  # the far end of each parabola


def test_at_step_needs_the_run_to_have_reached_the_step() -> None:
    at_5 = values(ValueChoice.AT_STEP, step=5)
    assert at_5["a"] == 4 + 1.0 and at_5["b"] == 2.0 and at_5["c"] == 25.5
    assert np.isnan(at_5["d"])  # d stopped at step 3
    between = values(ValueChoice.AT_STEP, step=4.5)  # the last logged step at or before: 4
    assert between["a"] == 1 + 1.0 and between["c"] == 16.5


def test_at_step_takes_the_last_logged_step_at_or_before_on_sparse_logging() -> None:
    frame = pd.DataFrame({RUN_ID: ["r"] * 3, STEP: [0.0, 10.0, 20.0], VALUE: [3.0, 2.0, 1.0]})
    history = MetricHistory("m", "epoch", frame)
    at = [
        chosen_values(
            history, MetricValue(ValueChoice.AT_STEP, step=s), direction=Direction.MINIMIZE, run_ids=["r"]
        )["r"]
        for s in (0, 9.9, 10, 19, 20, 21)
    ]
    assert at[:5] == [3.0, 3.0, 2.0, 2.0, 1.0] and np.isnan(at[5])


def test_mean_of_the_last_k_logged_values() -> None:
    mean_3 = values(ValueChoice.MEAN_LAST, k=3)
    assert mean_3["a"] == pytest.approx(np.mean([16, 25, 36]) + 1.0)
    assert mean_3["d"] == pytest.approx(np.mean([0, 1, 4]) + 3.0)
    mean_5 = values(ValueChoice.MEAN_LAST, k=5)
    assert mean_5["d"] == pytest.approx(np.mean([1, 0, 1, 4]) + 3.0)  # only 4 values: all of them
    assert values(ValueChoice.MEAN_LAST, k=1).tolist()[:4] == values(ValueChoice.LAST).tolist()[:4]


def test_unsorted_rows_and_non_finite_values_are_handled() -> None:
    frame = pd.DataFrame(
        {
            RUN_ID: ["b", "a", "b", "a", "a"],
            STEP: [1.0, 2.0, 0.0, 0.0, 1.0],
            VALUE: [5.0, 1.0, 7.0, np.nan, 3.0],
        }
    )
    history = MetricHistory("m", "_step", frame)
    last = chosen_values(history, MetricValue(), direction=Direction.MINIMIZE, run_ids=["a", "b"])
    assert last.tolist() == [1.0, 5.0]
    rows = run_rows(history)
    assert list(rows.ids) == ["a", "b"] and list(rows.counts) == [2, 2]


def test_empty_history_gives_no_values() -> None:
    empty = empty_history("m", "_step")
    for value in (MetricValue(), MetricValue(ValueChoice.BEST), MetricValue(ValueChoice.AT_STEP, step=1)):
        chosen = chosen_values(empty, value, direction=Direction.MINIMIZE, run_ids=["x", "y"])
        assert chosen.isna().all() and len(chosen) == 2


def test_a_choice_without_its_number_is_refused() -> None:
    with pytest.raises(ValueError, match="step"):
        values(ValueChoice.AT_STEP)
    with pytest.raises(ValueError, match="k of at least 1"):
        values(ValueChoice.MEAN_LAST, k=0)


def test_captions_name_the_value() -> None:
    minimize = Direction.MINIMIZE
    assert (
        describe_value("val_loss", MetricValue(ValueChoice.BEST), minimize)
        == "val_loss, best (lowest) over training"
    )
    assert "highest" in describe_value("acc", MetricValue(ValueChoice.BEST), Direction.MAXIMIZE)
    at = MetricValue(ValueChoice.AT_STEP, step=3.0)
    assert describe_value("val_loss", at, minimize) == "val_loss at step 3 (nearest logged at or before)"
    assert describe_value("val_loss", at, minimize, step_key="epoch").startswith("val_loss at epoch 3 ")
    mean = MetricValue(ValueChoice.MEAN_LAST, k=5)
    assert describe_value("val_loss", mean, minimize) == "val_loss, mean of the last 5 logged values"
    assert "summary" in describe_value("val_loss", MetricValue(), minimize)


def test_gaps_count_each_reason() -> None:
    history = parabola_history()
    history.frame.loc[history.frame[RUN_ID] == "b", STEP] += 4  # b logs steps 4..9
    at_3 = MetricValue(ValueChoice.AT_STEP, step=3)
    gaps = value_gaps(history, at_3, run_ids=["a", "b", "c", "d", "x", "y"])
    assert (gaps.without_history, gaps.not_yet_logged, gaps.stopped_before, gaps.n_missing) == (2, 1, 0, 3)
    chosen = chosen_values(
        history, at_3, direction=Direction.MINIMIZE, run_ids=["a", "b", "c", "d", "x", "y"]
    )
    assert int(chosen.isna().sum()) == gaps.n_missing
    sentence = gaps.sentence("loss", at_3)
    assert sentence == "3 of 6 runs have no value: 2 have no history of loss, 1 logged it first after step 3."
    at_7 = value_gaps(history, MetricValue(ValueChoice.AT_STEP, step=7), run_ids=["a", "b", "c", "d"])
    assert at_7.stopped_before == 1 and "1 stopped before step 7" in at_7.sentence(
        "loss", MetricValue(ValueChoice.AT_STEP, step=7)
    )
    short = value_gaps(history, MetricValue(ValueChoice.MEAN_LAST, k=5), run_ids=["a", "d"])
    assert short.n_missing == 0 and short.short == 1
    assert short.sentence("loss", MetricValue(ValueChoice.MEAN_LAST, k=5)).startswith("1 logged fewer than 5")
    assert value_gaps(history, MetricValue(), run_ids=["a"]).sentence("loss", MetricValue()) == ""
