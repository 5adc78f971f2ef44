"""The parallel-coordinates sidebar: every control of the chart, over the shared view.

The view (metric, thresholds, best q%, axes) is the one every page shares (`lib.ui.context`), so
filters set here keep the same runs on the other pages. Widget keys carry the load generation and
the view token, so a new sweep, an applied link or a brush on the chart starts from fresh widgets;
a range slider shows a range brushed on the chart exactly and, left alone, keeps that filter as it
was brushed (several ranges on one axis, whether runs without a value pass).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import streamlit as st

from lib.filters import Threshold, column_levels
from lib.safe_text import md
from lib.sweep import Sweep
from lib.ui.context import value_picker, view_token
from lib.ui.session import current_choices, load_generation, loaded_sweep, set_choices
from lib.views.context import context_metric
from lib.views.parallel_chart import colour_options, default_axes
from lib.views.parallel_controls import (
    filter_candidates,
    initial_range,
    levels_threshold,
    log_axes,
    numeric_axes,
    scales_from_log_choice,
    slider_steps,
    slider_threshold,
    step_label,
    steps_with_bounds,
    threshold_for,
)
from lib.views.parallel_state import RUN_ORDER, ViewState, with_metric

AXES_SHOWN_IN_PICKER = 5  # chips the sidebar's axis picker shows before it scrolls


def _key(name: str) -> str:
    return f"parallel.{name}.{load_generation()}.{view_token()}"


def sidebar_controls(sweep: Sweep, start: ViewState, importance_order: Sequence[str] | None) -> ViewState:
    """Every control of the chart, in the sidebar; returns the view they describe."""
    with st.sidebar:
        st.subheader("Axes")
        metric = _metric_picker(sweep, start)
        start = with_metric(start, metric, previous=context_metric(sweep, start))
        value_picker(sweep, start, key="parallel.value")
        axes = _axis_picker(sweep, start, metric, importance_order)
        scales = scales_from_log_choice(sweep, axes, _log_picker(sweep, start, axes))
        flipped = st.multiselect(
            "Flip axes", axes, default=[a for a in start.flipped if a in axes], key=_key("flip")
        )
        st.subheader("Filters")
        best_percent = _best_percent(start, metric)
        thresholds = _metric_thresholds(sweep, start, metric) + _parameter_thresholds(sweep, start)
        hide = st.toggle("Hide runs outside the filters", value=start.hide, key=_key("hide"))
        st.subheader("Colour")
        colour, reverse = _colour_picker(sweep, start, metric)
        st.subheader("Runs included")
        _run_filters()
    return ViewState(
        metric=metric,
        axes=tuple(axes),
        scales=scales,
        flipped=tuple(flipped),
        thresholds=tuple(thresholds),
        colour=colour,
        reversed=reverse,
        best_percent=best_percent,
        hide=hide,
        value=start.value,
        step_key=start.step_key,
    )


def _metric_picker(sweep: Sweep, start: ViewState) -> str:
    metric = context_metric(sweep, start) or sweep.metrics[0]
    return st.selectbox(
        "Metric (the last axis)",
        sweep.metrics,
        index=sweep.metrics.index(metric),
        format_func=lambda m: f"{m} ({sweep.direction(m).value})",
        key=_key("metric"),
    )


def _axis_picker(
    sweep: Sweep, start: ViewState, metric: str, importance_order: Sequence[str] | None
) -> list[str]:
    options = [*sweep.params, *sweep.metrics]
    default = [a for a in start.axes if a in options] or default_axes(sweep, metric, importance_order)
    axes = st.multiselect(
        "Axes, in order",
        options,
        default=default,
        key=_key(f"axes.{metric}"),
        help="Axes appear left to right in the order picked. Remove and add one to move it to the end, "
        "or drag it on the chart. By default: the parameters that matter most for the metric, then the "
        "metric.",
    )
    if len(axes) > AXES_SHOWN_IN_PICKER:  # the picker scrolls past about five: the whole order, in words
        st.caption("Left to right: " + " → ".join(md(a) for a in axes))
    return axes


def _log_picker(sweep: Sweep, start: ViewState, axes: list[str]) -> list[str]:
    numeric = numeric_axes(sweep, axes)
    return st.multiselect(
        "Log-scaled axes",
        numeric,
        default=log_axes(sweep, axes, start.scales),
        key=_key("log"),
        help="Parameters spanning several decades (learning rates, weight decay) start on a log axis.",
    )


def _best_percent(start: ViewState, metric: str) -> float | None:
    percent = st.slider(
        f"Keep the best q% by {md(metric)}",
        min_value=1,
        max_value=100,
        value=int(start.best_percent or 100),
        key=_key("best"),
        help="100 keeps every run. Respects whether the metric is minimized or maximized.",
    )
    return None if percent >= 100 else float(percent)


def _range_slider(sweep: Sweep, column: str, start: ViewState, *, include_missing: bool) -> Threshold | None:
    earlier = threshold_for(start, column)
    log = column in log_axes(sweep, [column], start.scales)
    steps = steps_with_bounds(slider_steps(sweep, column, log=log), earlier)
    if len(steps) < 2:
        return earlier  # nothing to slide over: a filter set on the chart stays as it is
    picked = st.select_slider(
        md(column),
        options=steps,
        value=initial_range(earlier, steps),
        format_func=step_label,
        key=_key(f"f.{column}"),
    )
    threshold = slider_threshold(column, picked, steps, earlier, include_missing)
    if threshold is earlier and earlier is not None and len(earlier.ranges) > 1:
        st.caption(f"{len(earlier.ranges)} ranges on the chart: moving the slider makes them one.")
    return threshold


def _metric_thresholds(sweep: Sweep, start: ViewState, metric: str) -> list[Threshold]:
    started = [t.column for t in start.thresholds if t.column in sweep.metrics]
    chosen = st.multiselect(
        "Metric ranges",
        sweep.metrics,
        default=list(dict.fromkeys([metric, *started])),
        key=_key(f"metric_filters.{metric}"),
    )
    found = [_range_slider(sweep, m, start, include_missing=False) for m in chosen]
    return [t for t in found if t is not None]


def _parameter_thresholds(sweep: Sweep, start: ViewState) -> list[Threshold]:
    candidates = filter_candidates(sweep)
    chosen = st.multiselect(
        "Parameter filters",
        candidates,
        default=[t.column for t in start.thresholds if t.column in candidates],
        key=_key("param_filters"),
    )
    found: list[Threshold | None] = []
    for column in chosen:
        if numeric_axes(sweep, [column]):
            found.append(_range_slider(sweep, column, start, include_missing=True))
        else:
            levels = column_levels(sweep, column)
            earlier = threshold_for(start, column)
            picked = st.multiselect(
                md(column),
                levels,
                default=list(earlier.levels) if earlier else levels,
                key=_key(f"f.{column}"),
            )
            found.append(levels_threshold(column, picked, levels))
    return [t for t in found if t is not None]


def _colour_picker(sweep: Sweep, start: ViewState, metric: str) -> tuple[str | None, bool]:
    options = colour_options(sweep)
    current = start.colour if start.colour in options else metric
    colour = st.selectbox(
        "Colour lines by",
        options,
        index=options.index(current),
        key=_key(f"colour.{metric}"),
        help=f"{RUN_ORDER} shows how the search moved over time.",
    )
    reverse = st.toggle("Reverse colours", value=start.reversed, key=_key("rev"))
    return (None if colour == metric else colour), reverse


def _run_filters() -> None:
    """Sweeps and states, shared with every page (the same choice as on the Load page)."""
    choices = current_choices()
    loaded = loaded_sweep()
    loaded_options = {"sweeps": loaded.sweep_ids, "states": loaded.states}
    picked: dict[str, tuple[str, ...] | None] = {}
    for field, options in loaded_options.items():
        current = getattr(choices, field)
        every = sorted(set(options) | set(current or ()))
        if len(every) < 2:
            picked[field] = current
            continue
        chosen = st.multiselect(
            field.capitalize(),
            every,
            default=list(current or every),
            key=f"parallel.{field}.{load_generation()}",
        )
        picked[field] = None if set(chosen) == set(every) else tuple(chosen)
    updated = dataclasses.replace(choices, sweeps=picked["sweeps"], states=picked["states"])
    if updated != choices:
        set_choices(updated)
        st.rerun()
