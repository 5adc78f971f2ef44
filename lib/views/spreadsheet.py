"""Tables offered for download as CSV, made safe to open in a spreadsheet (no formula injection).

A spreadsheet reads a cell that begins with `=`, `+`, `-` or `@` as a formula (`=HYPERLINK(...)`,
`=WEBSERVICE(...)`, DDE payloads); a leading tab or carriage return can hide such a start (OWASP,
"CSV Injection"). Column names, run names and levels come from uploaded files or W&B, so every
text header, index value and cell that begins with one of `FORMULA_STARTS` (the ASCII ones, a
line feed, and the full-width forms some spreadsheets also accept) gets a leading `'`, which
spreadsheets show as text.

Left alone: real numbers (a float -0.5 stays the number -0.5), booleans, missing values, dates, and
text that is a plain decimal number (`"-0.5"`, `"+1e-3"`): a spreadsheet reads it as that number,
which cannot run anything, and prefixing it would turn a number stored as text into text.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from numbers import Number
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
TEXT_PREFIX = "'"


def safe_text(text: str) -> str:
    """`text` as a spreadsheet shows it literally: prefixed with `'` when it could start a formula."""
    if not text.startswith(FORMULA_STARTS) or PLAIN_NUMBER.fullmatch(text):
        return text
    return TEXT_PREFIX + text


def safe_value(value: Any) -> Any:
    """A cell, header or index value: text made safe, numbers, booleans, dates and missing values as
    they are, anything else (a list, an object) as its safe text."""
    if isinstance(value, str):
        return safe_text(value)
    if value is None or isinstance(value, Number | dt.date | dt.timedelta | pd.Timestamp | pd.Timedelta):
        return value
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return value
    return safe_text(str(value))


def _safe_column(values: pd.Series) -> pd.Series:
    kinds = pd.api.types
    if (
        kinds.is_numeric_dtype(values)
        or kinds.is_datetime64_any_dtype(values)
        or kinds.is_timedelta64_dtype(values)
    ):
        return values  # numbers, booleans (a numeric dtype to pandas), dates, durations
    return values.astype(object).map(safe_value)


def _safe_names(names: list[Any]) -> list[Any]:
    return [safe_value(name) for name in names]


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells, column names, index values and index names cannot start a
    formula in a spreadsheet (see the module docstring for what is left alone)."""
    safe = frame.copy()
    for position in range(frame.shape[1]):
        safe.isetitem(position, _safe_column(frame.iloc[:, position]).array)
    safe.columns = frame.columns.map(_safe_label)
    safe.index = frame.index.map(_safe_label)
    safe.columns.names = _safe_names(list(frame.columns.names))
    safe.index.names = _safe_names(list(frame.index.names))
    return safe


def _safe_label(label: Any) -> Any:
    if isinstance(label, tuple):  # one label of a MultiIndex
        return tuple(safe_value(part) for part in label)
    return safe_value(label)


def to_safe_csv(frame: pd.DataFrame, *, index: bool = True) -> bytes:
    """`frame` as UTF-8 CSV bytes for a download, made safe by `spreadsheet_safe`. Rows end in CRLF
    (RFC 4180), which also makes the writer quote every field holding a `\r` or `\n`: pandas'
    default `\n` leaves a bare `\r` unquoted, and spreadsheets start a new row (and cell) there."""
    return spreadsheet_safe(frame).to_csv(index=index, lineterminator="\r\n").encode("utf-8")
