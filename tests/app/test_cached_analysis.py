"""`cached_analysis` keys a frame on every cell: a one-cell change in a big frame recomputes, the same
data (even a copy) does not. The oracle is a count of the calls that reached the analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib.ui.cache import cached_analysis

calls: list[int] = []


@cached_analysis(max_entries=4)
def row_count(runs: pd.DataFrame, column: str) -> float:
    calls.append(len(runs))
    return float(runs[column].sum())


def big_frame() -> pd.DataFrame:
    # Streamlit hashes frames of 50,000+ rows from a sample of their rows
    return pd.DataFrame({"x": np.arange(200_000, dtype=float), "y": np.ones(200_000)})


def test_a_copy_of_the_same_data_is_a_cache_hit() -> None:
    calls.clear()
    frame = big_frame()
    assert row_count(frame, "x") == row_count(frame.copy(), "x")
    assert len(calls) == 1


def unsampled_row(frame: pd.DataFrame) -> int:
    """A row Streamlit's own frame hashing (a seeded sample of 10,000 rows) does not read."""
    sampled = set(frame.sample(n=10_000, random_state=0).index)
    return next(i for i in range(len(frame)) if i not in sampled)


def test_one_changed_cell_in_a_big_frame_is_recomputed() -> None:
    calls.clear()
    frame = big_frame()
    before = row_count(frame, "y")
    changed = frame.copy()
    changed.iloc[unsampled_row(frame), 1] = 2.0
    assert row_count(changed, "y") == before + 1.0
    assert len(calls) == 2


def test_other_arguments_are_part_of_the_key() -> None:
    calls.clear()
    frame = big_frame()
    assert row_count(frame, "x") != row_count(frame, "y")
    assert len(calls) == 2
