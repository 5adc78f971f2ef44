"""Rank stability on histories whose agreement with the final ranking is known by construction."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from lib.analysis.rank_stability import MIN_RUNS, Ranked, rank_stability, spearman, step_grid
from lib.columns import Direction
from lib.histories import RUN_ID, STEP, VALUE, MetricHistory


def history_of(value: Callable[[int, int], float], n_runs: int = 10, n_steps: int = 6) -> MetricHistory:
    """Run i (ids r00, r01, ...) logs value(i, t) at steps 0..n_steps - 1."""
    rows = [(f"r{i:02d}", float(t), float(value(i, t))) for i in range(n_runs) for t in range(n_steps)]
    return MetricHistory("loss", "_step", pd.DataFrame(rows, columns=[RUN_ID, STEP, VALUE]))


def settles_at_step_2(i: int, t: int) -> float:
    """Reversed at steps 0 and 1, the final order (value i) from step 2 on."""
    return -i if t < 2 else i


def test_a_ranking_fixed_from_step_2_agrees_fully_from_there_and_reversed_before() -> None:
    result = rank_stability(history_of(settles_at_step_2), direction=Direction.MINIMIZE)
    assert list(result.steps) == [0, 1, 2, 3, 4, 5]
    assert result.spearman == pytest.approx([-1, -1, 1, 1, 1, 1])
    assert list(result.n_runs_reporting) == [10] * 6
    # top 25% of 10 runs is 3: the worst three at steps 0-1 (r07-r09), the best three (r00-r02) after
    assert result.top_kept_share == pytest.approx([0, 0, 1, 1, 1, 1])
    assert result.stable_from == 2 and result.enough
    assert result.sentence == (
        "The ranking at step 2 agrees with the final one at 1.00, and keeping its top 25% would have kept "
        "100% of the final top 25%: a successive-halving sweep could stop most runs there."
    )
    assert list(result.as_frame().columns) == ["step", "n_runs_reporting", "spearman", "top_kept_share"]


def test_kept_share_follows_the_direction() -> None:
    # maximizing, the runs with the largest values are best: the same reversal, the same shares
    result = rank_stability(history_of(settles_at_step_2), direction=Direction.MAXIMIZE)
    assert result.top_kept_share == pytest.approx([0, 0, 1, 1, 1, 1])
    # a half-right early step: values i for the best half, reversed for the worst half
    partly = history_of(lambda i, t: (i if i < 5 else 14 - i) if t == 0 else i)
    share = rank_stability(partly, direction=Direction.MINIMIZE, top_percent=30).top_kept_share[0]
    assert share == pytest.approx(1.0)  # r00-r02 are still the best three at step 0
    share_max = rank_stability(partly, direction=Direction.MAXIMIZE, top_percent=30).top_kept_share[0]
    # step 0's highest three are r05 (9), r06 (8), r07 (7); of the final best r07-r09 only r07 is kept
    assert share_max == pytest.approx(1 / 3)


def test_a_final_value_given_by_the_caller_is_what_steps_are_compared_with() -> None:
    history = history_of(lambda i, t: i)  # the same order at every step
    final = pd.Series({f"r{i:02d}": -float(i) for i in range(10)})  # e.g. the summary disagrees
    result = rank_stability(history, direction=Direction.MINIMIZE, final=final)
    assert result.spearman == pytest.approx([-1] * 6)
    assert result.stable_from is None
    assert result.sentence.startswith("The ranking never agrees with the final one at 0.9 or more")


def test_agreeing_only_at_the_end_is_said_so() -> None:
    result = rank_stability(history_of(lambda i, t: -i if t < 5 else i), direction=Direction.MINIMIZE)
    assert result.stable_from == 5
    assert "only from step 5 of 5" in result.sentence and "lost some of the best" in result.sentence


def test_a_lucky_early_step_does_not_count_as_agreeing() -> None:
    result = rank_stability(history_of(lambda i, t: -i if t in (0, 2) else i), direction=Direction.MINIMIZE)
    assert result.spearman[1] == pytest.approx(1) and result.spearman[2] == pytest.approx(-1)
    assert result.stable_from == 3


def test_runs_that_stopped_early_leave_the_later_steps() -> None:
    long = history_of(settles_at_step_2).frame
    short = history_of(settles_at_step_2, n_runs=12, n_steps=3).frame
    short = short[short[RUN_ID].isin(["r10", "r11"])]
    history = MetricHistory("loss", "_step", pd.concat([long, short], ignore_index=True))
    result = rank_stability(history, direction=Direction.MINIMIZE)
    assert list(result.n_runs_reporting) == [12, 12, 12, 10, 10, 10]
    assert result.n_runs == 12 and result.stable_from == 2


def test_sparse_logging_uses_the_last_logged_step_at_or_before() -> None:
    # half the runs log at even steps only: at step 3 they stand at their step-2 value
    frame = history_of(settles_at_step_2, n_steps=5).frame
    odd = (frame[RUN_ID] >= "r05") & (frame[STEP] % 2 == 1)
    result = rank_stability(MetricHistory("loss", "_step", frame[~odd]), direction=Direction.MINIMIZE)
    assert list(result.steps) == [0, 1, 2, 3, 4]
    assert list(result.n_runs_reporting) == [10] * 5
    assert result.spearman == pytest.approx([-1, -1, 1, 1, 1])


def test_run_ids_restrict_and_runs_without_a_final_value_are_left_out() -> None:
    history = history_of(settles_at_step_2, n_runs=12)
    final = pd.Series({f"r{i:02d}": float(i) for i in range(12)})
    final["r11"] = np.nan
    result = rank_stability(
        history, direction=Direction.MINIMIZE, final=final, run_ids=[f"r{i:02d}" for i in range(1, 12)]
    )
    assert result.n_runs == 10  # r00 not asked for, r11 without a final value


def test_too_few_runs_or_steps_are_said_plainly() -> None:
    few_runs = rank_stability(
        history_of(settles_at_step_2, n_runs=MIN_RUNS - 1), direction=Direction.MINIMIZE
    )
    assert not few_runs.enough and few_runs.stable_from is None
    assert (
        few_runs.sentence
        == "Too few runs to tell: 7 runs have a history of loss and a final value (8 needed)."
    )
    assert np.isnan(few_runs.spearman).all()
    few_steps = rank_stability(history_of(settles_at_step_2, n_steps=2), direction=Direction.MINIMIZE)
    assert not few_steps.enough
    assert few_steps.sentence == "Too few steps to tell: the runs log loss at 2 distinct steps (3 needed)."


def test_a_step_with_no_spread_has_no_spearman() -> None:
    result = rank_stability(history_of(lambda i, t: 1.0 if t == 0 else i), direction=Direction.MINIMIZE)
    assert np.isnan(result.spearman[0]) and np.isnan(result.top_kept_share[0])
    assert result.stable_from == 1


def test_the_grid_is_thinned_evenly_with_both_ends() -> None:
    grid = step_grid(np.arange(1000.0), 100)
    assert len(grid) == 100 and grid[0] == 0 and grid[-1] == 999
    assert list(step_grid(np.array([3.0, 1.0, 3.0, 2.0]))) == [1, 2, 3]


def test_a_percentage_outside_0_to_100_is_refused() -> None:
    with pytest.raises(ValueError, match="percentage"):
        rank_stability(history_of(settles_at_step_2), direction=Direction.MINIMIZE, top_percent=0)


def test_spearman_with_ties_matches_scipy() -> None:
    from scipy.stats import spearmanr

    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 5, 200).astype(float), rng.integers(0, 7, 200).astype(float)
    for direction in Direction:
        ours = spearman(Ranked.of(a, direction), Ranked.of(b, direction))
        assert ours == pytest.approx(spearmanr(a, b).statistic)
    assert Ranked.of(np.array([3.0, 1.0, 3.0, 2.0]), Direction.MINIMIZE).ranks == pytest.approx(
        [3.5, 1, 3.5, 2]
    )
