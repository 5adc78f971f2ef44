"""Plotly figures whose text came from data, made inert before they reach the browser.

Plotly draws titles, tick labels, legend names, hover labels and parallel-coordinates labels as its
own small HTML dialect: a column named `<a href="https://host">val_loss</a>` would become a link in
every visitor's chart. `defused` escapes every `<` except the handful of tags Sweepscope itself writes,
in every string of the figure, so a name from data is always drawn as the characters it has.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

# The tags Sweepscope's own figure text uses: no attributes, except one font size on a span.
_OWN_TAG = re.compile(r"</?(?:br|b|i|em|sup|sub|extra)>|<span style='font-size:\d{1,2}px'>|</span>")
_ANY_TAG_START = re.compile(r"<")


def inert(text: str) -> str:
    """`text` with every `<` that does not open one of Sweepscope's own tags written as `&lt;`."""
    pieces: list[str] = []
    position = 0
    for own in _OWN_TAG.finditer(text):
        pieces.append(_ANY_TAG_START.sub("&lt;", text[position : own.start()]))
        pieces.append(own.group(0))
        position = own.end()
    pieces.append(_ANY_TAG_START.sub("&lt;", text[position:]))
    return "".join(pieces)


def defused(figure: go.Figure) -> go.Figure:
    """`figure` with every string of its traces and layout made inert (changed in place, returned)."""
    for trace in figure.data:
        changes = _changed_entries(trace.to_plotly_json())
        if changes:
            trace.update(changes)
    layout_changes = _changed_entries(figure.layout.to_plotly_json())
    if layout_changes:
        figure.layout.update(layout_changes)
    return figure


def _changed_entries(spec: Mapping[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, value in spec.items():
        cleaned = _cleaned(value)
        if cleaned is not value:
            changes[key] = cleaned
    return changes


def _cleaned(value: Any) -> Any:
    """The same value with inert strings; the very same object when nothing needed changing."""
    if isinstance(value, str):
        safe = inert(value)
        return value if safe == value else safe
    if isinstance(value, np.ndarray):
        return _cleaned_array(value)
    if isinstance(value, Mapping):
        entries = {k: _cleaned(v) for k, v in value.items()}
        return value if all(entries[k] is value[k] for k in value) else entries
    if isinstance(value, list | tuple):
        items = [_cleaned(v) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def _cleaned_array(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind not in "OUS":
        return values  # numbers cannot carry tags
    flat = [_cleaned(v) for v in values.ravel().tolist()]
    if all(a is b or a == b for a, b in zip(flat, values.ravel().tolist(), strict=True)):
        return values
    return np.array(flat, dtype=object).reshape(values.shape)
