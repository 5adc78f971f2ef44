"""How a cell is read (lib/values.py), checked against values written out by hand and `math`."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lib.columns import Kind
from lib.values import (
    MISSING_LEVEL,
    OTHER_LEVEL,
    all_parse_as_numbers,
    boolean_values,
    category_labels,
    cell_texts,
    level_labels,
    log10_positive,
    natural_order,
    numeric_values,
    parsed_numbers,
    pooled_levels,
    real_numbers,
)


def _same(actual: np.ndarray, expected: list[float]) -> bool:
    return bool(np.allclose(actual, expected, equal_nan=True))


def test_parsed_numbers_keep_infinities_and_read_text_and_true_as_numbers() -> None:
    cells = pd.Series(["3", "inf", "x", None, True, 1.5], dtype=object)
    assert _same(parsed_numbers(cells).to_numpy(dtype=float), [3.0, math.inf, np.nan, np.nan, 1.0, 1.5])


def test_real_numbers_drop_infinities_and_text() -> None:
    cells = pd.Series(["3", "inf", "-inf", "x", None, 2], dtype=object)
    assert _same(real_numbers(cells), [3.0, np.nan, np.nan, np.nan, np.nan, 2.0])


def test_all_parse_as_numbers_ignores_missing_cells() -> None:
    assert all_parse_as_numbers(pd.Series(["3", None, "inf"], dtype=object))
    assert not all_parse_as_numbers(pd.Series(["3", "x"], dtype=object))


def test_log10_positive_is_nan_for_zero_negative_and_missing() -> None:
    numbers = np.array([100.0, 0.001, 0.0, -5.0, np.nan])
    assert _same(log10_positive(numbers), [math.log10(100), math.log10(0.001), np.nan, np.nan, np.nan])


def test_numeric_values_read_log_columns_on_the_log10_scale() -> None:
    cells = pd.Series([1e-4, 1e-2, 0.0, "x"], dtype=object)
    assert _same(numeric_values(cells, Kind.LOG), [-4.0, -2.0, np.nan, np.nan])
    assert _same(numeric_values(cells, Kind.NUMERIC), [1e-4, 1e-2, 0.0, np.nan])


@pytest.mark.parametrize(
    ("cell", "expected"),
    [(True, 1.0), (False, 0.0), (" TRUE ", 1.0), ("false", 0.0), ("1", 1.0), ("0.0", 0.0), ("yes", np.nan)],
)
def test_boolean_spellings(cell: object, expected: float) -> None:
    assert _same(boolean_values(pd.Series([cell, None], dtype=object)), [expected, np.nan])


def test_level_labels_write_booleans_and_missing_as_levels() -> None:
    flags = pd.Series([True, False, None], dtype=object)
    assert level_labels(flags, Kind.BOOLEAN).tolist() == ["true", "false", MISSING_LEVEL]
    words = pd.Series(["a", None, 2], dtype=object)
    assert level_labels(words, Kind.CATEGORICAL).tolist() == ["a", MISSING_LEVEL, "2"]


def test_cell_texts_and_level_labels_write_a_float32_differently() -> None:
    # Two readings that disagree today (both kept as they are): str() of the cell, pandas' text.
    cells = pd.Series([0.1, None], dtype="float32")
    assert cell_texts(cells, missing=MISSING_LEVEL).tolist() == [str(float(np.float32(0.1))), MISSING_LEVEL]
    assert level_labels(cells, Kind.NUMERIC).tolist() == ["0.1", MISSING_LEVEL]


def _labels(counts: dict[str, int]) -> pd.Series:
    return pd.Series([level for level, n in counts.items() for _ in range(n)], dtype=object)


def test_pooled_levels_where_missing_competes_like_any_level() -> None:
    labels = _labels({"a": 5, "b": 4, "c": 3, MISSING_LEVEL: 1})
    pooled = pooled_levels(labels, 3, count_missing=True, keep_missing=False)
    assert pooled.value_counts().to_dict() == {"a": 5, "b": 4, OTHER_LEVEL: 4}
    assert category_labels(labels, max_levels=3).tolist() == pooled.tolist()


def test_pooled_levels_where_missing_is_always_kept() -> None:
    labels = _labels({"a": 5, "b": 4, "c": 3, MISSING_LEVEL: 1})
    counted = pooled_levels(labels, 3, count_missing=True, keep_missing=True)
    assert counted.value_counts().to_dict() == {"a": 5, "b": 4, OTHER_LEVEL: 3, MISSING_LEVEL: 1}
    # Not counted, three real levels fit in three places: nothing is pooled.
    uncounted = pooled_levels(labels, 3, count_missing=False, keep_missing=True)
    assert uncounted.tolist() == labels.tolist()


def test_pooled_levels_leave_few_levels_alone() -> None:
    labels = _labels({"a": 2, "b": 1})
    assert pooled_levels(labels, 2, count_missing=True, keep_missing=False).tolist() == labels.tolist()


def test_natural_order_sorts_numbers_by_value_and_text_alphabetically() -> None:
    assert natural_order(["128", "16", "2.5"]) == ["2.5", "16", "128"]
    assert natural_order(["b", "A", "a", "16"]) == ["16", "A", "a", "b"]


def test_a_count_agrees_with_its_noun() -> None:
    from lib.values import counted

    assert [counted(n, "run") for n in (0, 1, 2, 1204)] == ["0 runs", "1 run", "2 runs", "1,204 runs"]
    assert counted(1, "study", "studies") == "1 study" and counted(3, "study", "studies") == "3 studies"
