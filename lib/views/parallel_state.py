"""What the user chose on the parallel-coordinates chart, and its round trip through the URL."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lib.figures.encoded_axis import RUN_ORDER
from lib.filters import Threshold, column_levels
from lib.histories import MetricValue, ValueChoice
from lib.sweep import Sweep
from lib.values import MISSING_LEVEL, AxisScale, reads_as_numbers

__all__ = ["RUN_ORDER", "ViewState", "from_query", "parse_value", "to_query", "value_query", "with_metric"]


@dataclass(frozen=True)
class ViewState:
    """Everything the user chose on the chart; empty `axes` means `default_axes`, `colour` None
    means the metric."""

    metric: str | None = None
    axes: tuple[str, ...] = ()
    scales: Mapping[str, AxisScale] = field(default_factory=dict)
    flipped: tuple[str, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    colour: str | None = None
    reversed: bool = False
    best_percent: float | None = None
    hide: bool = False
    value: MetricValue = field(default_factory=MetricValue)  # which value of the metric stands for a run
    step_key: str | None = None  # the step axis for "at step k" (None: the source's default)


def with_metric(state: ViewState, metric: str, *, previous: str | None) -> ViewState:
    """The view once the metric changes from `previous`: the new metric becomes the last axis and
    the colour where the old one was; ranges set on the old metric stay (they are the user's)."""
    if metric == previous:
        return dataclasses.replace(state, metric=metric)
    axes = state.axes
    if axes and previous in axes:
        axes = (*(a for a in axes if a not in (previous, metric)), metric)
    colour = None if state.colour in (previous, metric) else state.colour
    return dataclasses.replace(state, metric=metric, axes=axes, colour=colour)


THRESHOLD_PREFIX = "f."
_RANGE_SEP = "~"


def _join(items: Iterable[str]) -> str:
    return ",".join(i.replace("\\", "\\\\").replace(",", "\\,") for i in items)


def _split(text: str) -> list[str]:
    items, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [i for i in items if i]


def _threshold_text(threshold: Threshold) -> str:
    tokens = [f"{low!r}{_RANGE_SEP}{high!r}" for low, high in threshold.ranges]
    tokens += list(threshold.levels)
    if threshold.include_missing and MISSING_LEVEL not in threshold.levels:
        tokens.append(MISSING_LEVEL)
    return _join(tokens)


def value_query(value: MetricValue) -> str | None:
    """`best`, `step:3`, `last:5`; None for the summary (the default)."""
    if value.choice is ValueChoice.BEST:
        return "best"
    if value.choice is ValueChoice.AT_STEP and value.step is not None:
        return f"step:{value.step!r}"
    if value.choice is ValueChoice.MEAN_LAST and value.k is not None:
        return f"last:{value.k}"
    return None


def parse_value(text: str | None) -> MetricValue:
    """`value_query` read back; anything else is the summary."""
    kind, _, argument = (text or "").strip().partition(":")
    if kind == "best":
        return MetricValue(ValueChoice.BEST)
    number = _number(argument) if argument else None
    if kind == "step" and number is not None:
        return MetricValue(ValueChoice.AT_STEP, step=number)
    if kind == "last" and number is not None and number >= 1:
        return MetricValue(ValueChoice.MEAN_LAST, k=int(number))
    return MetricValue()


def to_query(state: ViewState) -> dict[str, str]:
    """The state as short URL query parameters; defaults are left out."""
    query: dict[str, str] = {}
    if state.metric:
        query["m"] = state.metric
    if state.axes:
        query["axes"] = _join(state.axes)
    for key, scale in (("log", AxisScale.LOG), ("lin", AxisScale.LINEAR)):
        columns = [c for c, s in state.scales.items() if s is scale]
        if columns:
            query[key] = _join(columns)
    if state.flipped:
        query["flip"] = _join(state.flipped)
    if state.colour:
        query["c"] = state.colour
    if state.reversed:
        query["rev"] = "1"
    if state.best_percent is not None:
        query["q"] = repr(float(state.best_percent))
    if state.hide:
        query["hide"] = "1"
    value = value_query(state.value)
    if value:
        query["v"] = value
    if state.step_key:
        query["sk"] = state.step_key
    for threshold in state.thresholds:
        if threshold.is_active:
            query[f"{THRESHOLD_PREFIX}{threshold.column}"] = _threshold_text(threshold)
    return query


def _last(value: str | list[str] | None) -> str | None:
    if isinstance(value, list):
        value = value[-1] if value else None
    return value if isinstance(value, str) else None


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _flag(text: str | None) -> bool:
    return (text or "").strip().lower() in {"1", "true", "yes", "on"}


def _parse_threshold(sweep: Sweep, column: str, text: str) -> Threshold | None:
    tokens = _split(text)
    if reads_as_numbers(sweep, column):
        ranges = []
        for token in tokens:
            low_text, sep, high_text = token.partition(_RANGE_SEP)
            low, high = _number(low_text), _number(high_text) if sep else None
            if low is not None and high is not None:
                ranges.append((min(low, high), max(low, high)))
        threshold = Threshold(column, ranges=tuple(ranges), include_missing=MISSING_LEVEL in tokens)
    else:
        known = set(column_levels(sweep, column))
        threshold = Threshold(column, levels=tuple(dict.fromkeys(t for t in tokens if t in known)))
    return threshold if threshold.is_active else None


def from_query(params: Mapping[str, str | list[str]], sweep: Sweep) -> ViewState:
    """Read `to_query`'s parameters back; unknown or stale columns and bad numbers are dropped."""
    columns = set(sweep.runs.columns)

    def known(key: str) -> list[str]:
        return list(dict.fromkeys(c for c in _split(_last(params.get(key)) or "") if c in columns))

    scales = {c: AxisScale.LOG for c in known("log") if reads_as_numbers(sweep, c)}
    scales.update({c: AxisScale.LINEAR for c in known("lin") if reads_as_numbers(sweep, c)})
    metric = _last(params.get("m"))
    colour = _last(params.get("c"))
    percent = _number(_last(params.get("q")) or "")
    thresholds = []
    for key, value in params.items():
        column = key[len(THRESHOLD_PREFIX) :] if key.startswith(THRESHOLD_PREFIX) else None
        text = _last(value)
        if column in columns and text is not None:
            parsed = _parse_threshold(sweep, column, text)
            thresholds += [parsed] if parsed else []
    return ViewState(
        metric=metric if metric in sweep.metrics else None,
        axes=tuple(known("axes")),
        scales=scales,
        flipped=tuple(known("flip")),
        thresholds=tuple(thresholds),
        colour=colour if colour == RUN_ORDER or colour in columns else None,
        reversed=_flag(_last(params.get("rev"))),
        best_percent=percent if percent is not None and 0 < percent <= 100 else None,
        hide=_flag(_last(params.get("hide"))),
        value=parse_value(_last(params.get("v"))),
        step_key=_last(params.get("sk")) or None,
    )
