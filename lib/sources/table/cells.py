"""How a runs table's cells are settled: missing tokens, booleans, numbers, and literal dicts and lists."""

from __future__ import annotations

import ast
import json
from typing import Any

import numpy as np
import pandas as pd

from lib.columns import scalar_for_cell
from lib.values import all_parse_as_numbers, parsed_numbers

# W&B writes `-` for an empty field; the rest are the usual spellings of a missing number.
MISSING_TOKENS = ["", "-", "NaN", "nan", "NA", "N/A", "n/a", "null", "NULL", "<NA>", "#N/A"]
NONE_TOKENS = frozenset({"None", "none"})
BOOLEAN_WORDS = {"true": True, "false": False}
MAX_LITERAL_CHARS = 1_000_000
NUMBER_PROBE = 50

_LITERAL_NAMES = {
    "nan": float("nan"),
    "NaN": float("nan"),
    "inf": float("inf"),
    "Infinity": float("inf"),
    "true": True,
    "false": False,
    "null": None,
}


def settle_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns become numbers, booleans or trimmed text; nested cells become JSON text."""
    settled = {
        column: settle_text(values) if _is_text_like(values) else values for column, values in frame.items()
    }
    return pd.DataFrame(settled, index=pd.RangeIndex(len(frame)))


def settle_text(values: pd.Series) -> pd.Series:
    """One text column as booleans, as numbers (`None` marking a missing one), or as trimmed text."""
    cells = values.astype(object)
    if _inferred(cells) != "string":
        cells = cells.map(_plain_cell, na_action="ignore").astype(object)
        if _inferred(cells) != "string":
            return cells  # numbers mixed with text, or nothing at all: left as they are
    texts = cells.str.strip()
    texts = texts.mask(texts.isin(MISSING_TOKENS))
    distinct = pd.unique(texts.dropna())
    if len(distinct) == 0:
        return texts
    if len(distinct) <= len(BOOLEAN_WORDS) and {v.lower() for v in distinct} <= set(BOOLEAN_WORDS):
        return texts.map(lambda v: BOOLEAN_WORDS[v.lower()], na_action="ignore").astype(object)
    probe = [v for v in distinct[:NUMBER_PROBE] if v not in NONE_TOKENS]
    if not all_parse_as_numbers(pd.Series(probe, dtype=object)):
        return texts  # cheap early answer for text columns
    numbers = parsed_numbers(texts.mask(texts.isin(NONE_TOKENS)))
    expected = int((texts.notna() & ~texts.isin(NONE_TOKENS)).sum())
    if expected and int(numbers.notna().sum()) == expected:
        return numbers  # a numeric column where `None` marks a missing value
    return texts


def parse_literal(text: str) -> Any:
    """A JSON or Python literal (dicts, lists, numbers, nan/inf); None when it is neither.

    Nothing is evaluated: the text is parsed into a syntax tree, the few bare names that appear
    in dumped floats are swapped for constants, and `ast.literal_eval` refuses everything else.
    """
    if len(text) > MAX_LITERAL_CHARS:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    try:
        tree = _NamedConstants().visit(ast.parse(text.strip(), mode="eval"))
        return ast.literal_eval(tree)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None


class _NamedConstants(ast.NodeTransformer):
    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in _LITERAL_NAMES:
            return ast.copy_location(ast.Constant(_LITERAL_NAMES[node.id]), node)
        return node


def _is_text_like(values: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)


def _inferred(values: pd.Series) -> str:
    return pd.api.types.infer_dtype(values, skipna=True)


def _plain_cell(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    return scalar_for_cell(value)
