"""What a table of data may send to the browser: bounded rows, columns and text per cell.

Streamlit serialises the whole frame given to `st.dataframe` into one message: a 100 MB cell crashed
the browser tab, and a table of 100k runs is megabytes the page cannot usefully show. Pages pass their
tables through `capped_table` and say what it left out with `CappedTable.note`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

MAX_ROWS = 1_000
MAX_COLUMNS = 100
MAX_CELL_CHARS = 200
ELLIPSIS = "…"


@dataclass(frozen=True)
class CappedTable:
    frame: pd.DataFrame  # what may be sent
    total_rows: int
    total_columns: int
    cut_cells: int  # text cells (and column names, index labels) shortened to MAX_CELL_CHARS

    @property
    def rows_left_out(self) -> bool:
        return len(self.frame) < self.total_rows

    @property
    def columns_left_out(self) -> bool:
        return len(self.frame.columns) < self.total_columns

    def note(self, unit: str = "runs") -> str | None:
        """What was left out, in a sentence; None when the table is shown whole."""
        parts = []
        if self.rows_left_out:
            parts.append(f"the first {len(self.frame):,} of {self.total_rows:,} {unit}")
        if self.columns_left_out:
            parts.append(f"the first {len(self.frame.columns):,} of {self.total_columns:,} columns")
        shown = f"Showing {' and '.join(parts)}." if parts else ""
        cut = (
            f" {self.cut_cells:,} long text value(s) cut to {MAX_CELL_CHARS} characters."
            if self.cut_cells
            else ""
        )
        return (shown + cut).strip() or None


def capped_table(
    frame: pd.DataFrame,
    *,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
    max_chars: int = MAX_CELL_CHARS,
) -> CappedTable:
    """The first `max_rows` rows and `max_columns` columns of `frame`, each text cell, column name and
    index label at most `max_chars` characters (ending in an ellipsis when cut). Numbers are untouched."""
    head = frame.iloc[:max_rows, :max_columns].copy()
    cut = 0
    for position in range(len(head.columns)):
        column = head.iloc[:, position]
        if _may_hold_text(column):
            shortened = column.map(lambda v: _short(v, max_chars))
            cut += int((shortened.map(_is_text) & (shortened.astype(object) != column.astype(object))).sum())
            head.isetitem(position, shortened.array)
    names = [_short_label(name, max_chars) for name in head.columns]
    cut += sum(str(a) != str(b) for a, b in zip(names, head.columns, strict=True))
    head.columns = _unique(names)
    if _may_hold_text(head.index.to_series()):
        labels: list[Any] = [_short_label(label, max_chars) for label in head.index]
        cut += sum(str(a) != str(b) for a, b in zip(labels, head.index, strict=True))
        head.index = pd.Index(
            labels, name=_short_label(head.index.name, max_chars) if head.index.name else None
        )
    return CappedTable(frame=head, total_rows=len(frame), total_columns=len(frame.columns), cut_cells=cut)


def shorten(text: str, max_chars: int = MAX_CELL_CHARS) -> str:
    return text if len(text) <= max_chars else text[: max(max_chars - 1, 0)] + ELLIPSIS


def _may_hold_text(values: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values))


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _short(value: object, max_chars: int) -> object:
    """Text cut to `max_chars`; containers (lists, dicts) as their cut text; other scalars unchanged."""
    if isinstance(value, str):
        return shorten(value, max_chars)
    if isinstance(value, (list, tuple, dict, set, bytes)):
        return shorten(str(value), max_chars)
    return value


def _short_label(label: object, max_chars: int) -> object:
    return shorten(label, max_chars) if isinstance(label, str) else label


def _unique(names: list[object]) -> list[object]:
    """Cut names that now collide get a counter, as a frame with duplicate columns cannot be shown."""
    seen: dict[object, int] = {}
    unique = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        unique.append(name if count == 0 else f"{name} ({count + 1})")
    return unique
