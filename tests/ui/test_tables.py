"""Table widths and heights (`lib.ui.tables`), against arithmetic done by hand."""

from __future__ import annotations

from lib.ui.tables import CELL_PADDING_PX, CHAR_PX, fitted_width, whole_rows_height


def test_a_column_is_as_wide_as_its_longest_text_within_its_bounds() -> None:
    texts = ["higher is worse", "higher is better up to 0.028, then worse"]  # 15 and 40 characters
    assert fitted_width(texts, most=1000) == int(40 * CHAR_PX + CELL_PADDING_PX) == 328
    assert fitted_width(texts, most=300) == 300
    assert fitted_width(["lr"], least=110) == 110
    assert fitted_width([], least=90) == 90


def test_a_table_shows_whole_rows_and_its_header() -> None:
    assert whole_rows_height(3) == 35 * 4 + 2
    assert whole_rows_height(0) == 35 * 2 + 2  # one empty row's room, not a collapsed frame
    assert whole_rows_height(500, max_rows=18) == 35 * 19 + 2
