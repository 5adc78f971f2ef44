"""capped_table: what a table of data may send to the browser (issue 9, item 10)."""

import pandas as pd

from lib.views.display_limits import MAX_CELL_CHARS, capped_table


def test_long_text_cells_names_and_labels_are_cut_with_an_ellipsis() -> None:
    frame = pd.DataFrame(
        {"note": ["x" * 5_000_000, "short"], "lr": [0.1, 0.2], "n" * 500: [[1] * 10_000, None]},
        index=["r" * 400, "r2"],
    )
    shown = capped_table(frame)
    cells = [*shown.frame["note"], *shown.frame.iloc[:, 2].dropna(), *shown.frame.columns, *shown.frame.index]
    assert max(len(str(c)) for c in cells) == MAX_CELL_CHARS
    assert shown.frame["note"].iloc[0].endswith("…") and shown.frame["note"].iloc[1] == "short"
    assert shown.frame["lr"].tolist() == [0.1, 0.2]
    assert shown.cut_cells == 4
    assert shown.note() == f"4 long text value(s) cut to {MAX_CELL_CHARS} characters."


def test_rows_and_columns_beyond_the_caps_are_left_out_and_said() -> None:
    frame = pd.DataFrame({f"c{i}": range(5_000) for i in range(150)})
    shown = capped_table(frame, max_rows=1_000, max_columns=100)
    assert shown.frame.shape == (1_000, 100)
    assert shown.frame.equals(frame.iloc[:1_000, :100])
    assert shown.note() == "Showing the first 1,000 of 5,000 runs and the first 100 of 150 columns."


def test_a_small_table_is_shown_whole_and_unchanged() -> None:
    frame = pd.DataFrame({"opt": ["adam", "sgd"], "lr": [0.1, 0.01]}, index=["a", "b"])
    shown = capped_table(frame)
    assert shown.frame.equals(frame) and shown.note() is None


def test_names_that_collide_once_cut_stay_distinct() -> None:
    frame = pd.DataFrame({"c" * 300 + "1": [1], "c" * 300 + "2": [2]})
    assert capped_table(frame).frame.columns.is_unique
