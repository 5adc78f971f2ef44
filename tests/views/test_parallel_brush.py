"""Brushed ranges on the chart read back as filters: encoded units (log10, level codes, the
"(missing)" tick) turned into real-unit thresholds, checked against closed-form values and against
the runs the chart itself keeps."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from lib.columns import Direction
from lib.figures.parcoords import brush_stops, brushable
from lib.filters import Threshold, threshold_mask
from lib.sweep import finish_sweep
from lib.values import MISSING_LEVEL, OTHER_LEVEL
from lib.views.parallel_brush import (
    Brush,
    brushed_threshold,
    brushed_view,
    drawn_chart,
    parse_brush,
)
from lib.views.parallel_chart import parallel_chart
from lib.views.parallel_controls import initial_range, slider_threshold, steps_with_bounds
from lib.views.parallel_state import ViewState
from tests.figures.test_parcoords import _snapped_bound

N = 200
AXES = ("lr", "optimizer", "momentum", "batch", "block", "loss")


@pytest.fixture(scope="module")
def sweep():
    """lr log-uniform over 1e-5..1e-1; momentum only for sgd (missing otherwise); 20 block types
    (more than an axis names); batch sizes from a short list; loss lowest near lr = 1e-3."""
    rng = np.random.default_rng(7)
    optimizer = rng.choice(["adam", "sgd", "rmsprop"], N)
    lr = 10 ** rng.uniform(-5, -1, N)
    frame = pd.DataFrame(
        {
            "lr": lr,
            "optimizer": optimizer,
            "momentum": np.where(optimizer == "sgd", rng.uniform(0.5, 0.99, N), np.nan),
            "batch": rng.choice([16, 32, 64, 128], N),
            "block": [f"b{i:02d}" for i in rng.integers(0, 20, N)],
            "loss": (np.log10(lr) + 3) ** 2 + rng.uniform(0, 0.5, N),
        },
        index=pd.Index([f"r{i:03d}" for i in range(N)], name="run_id"),
    )
    frame.loc[frame.index[:5], "block"] = np.nan
    return finish_sweep(
        frame,
        params=["lr", "optimizer", "momentum", "batch", "block"],
        metrics=["loss"],
        source="designed",
        directions={"loss": Direction.MINIMIZE},
    )


def drawn(sweep, state: ViewState | None = None):
    view = parallel_chart(sweep, state or ViewState(metric="loss", axes=AXES))
    return view, drawn_chart(sweep, view.spec, view.axes, "rev")


def figure_ticks(view, column: str) -> dict[float, str]:
    dim = next(d for d in view.info.dimensions if d.column == column)
    return dict(zip(dim.tickvals, dim.ticktext, strict=True))


# --- numeric axes -------------------------------------------------------------------------------


def test_a_log_axis_range_is_ten_to_the_brushed_bounds(sweep) -> None:
    _, chart = drawn(sweep)
    threshold = brushed_threshold(chart.axes["lr"], [(-3.0, -2.0)])
    assert threshold is not None and not threshold.include_missing
    ((low, high),) = threshold.ranges
    assert math.isclose(low, 1e-3, rel_tol=1e-12) and math.isclose(high, 1e-2, rel_tol=1e-12)
    lr = sweep.runs["lr"]
    np.testing.assert_array_equal(threshold_mask(sweep, threshold), (lr >= 1e-3) & (lr <= 1e-2))


def test_a_range_reaching_past_the_values_ends_on_the_real_extremes(sweep) -> None:
    _, chart = drawn(sweep)
    lr = sweep.runs["lr"]
    threshold = brushed_threshold(chart.axes["lr"], [(-9.0, math.log10(lr.median()))])
    assert threshold is not None
    assert threshold.ranges[0][0] == lr.min()  # exact, where 10**log10(x) need not give x back
    assert threshold_mask(sweep, threshold).sum() == (lr <= lr.median() * (1 + 1e-12)).sum()


def test_a_linear_axis_range_is_read_as_it_is(sweep) -> None:
    _, chart = drawn(sweep)
    threshold = brushed_threshold(chart.axes["loss"], [(3.0, 3.5), (0.5, 1.25)])
    assert threshold == Threshold("loss", ranges=((0.5, 1.25), (3.0, 3.5)))


def test_the_missing_tick_alone_keeps_only_the_runs_without_a_value(sweep) -> None:
    view, chart = drawn(sweep)
    key = chart.axes["momentum"]
    missing_at = next(v for v, t in figure_ticks(view, "momentum").items() if t == MISSING_LEVEL)
    assert key.missing_at == missing_at
    threshold = brushed_threshold(key, [(missing_at - 0.01, missing_at + 0.01)])
    assert threshold == Threshold("momentum", include_missing=True)
    np.testing.assert_array_equal(threshold_mask(sweep, threshold), sweep.runs["momentum"].isna())


def test_a_range_from_the_missing_tick_into_the_values_keeps_both(sweep) -> None:
    _, chart = drawn(sweep)
    key = chart.axes["momentum"]
    assert key.missing_at is not None
    threshold = brushed_threshold(key, [(key.missing_at - 0.01, 0.7)])
    momentum = sweep.runs["momentum"]
    assert threshold == Threshold("momentum", ranges=((momentum.min(), 0.7),), include_missing=True)
    np.testing.assert_array_equal(threshold_mask(sweep, threshold), momentum.isna() | (momentum <= 0.7))


def test_a_range_over_no_value_keeps_no_run(sweep) -> None:
    _, chart = drawn(sweep)
    threshold = brushed_threshold(chart.axes["loss"], [(100.0, 101.0)])
    assert threshold is not None and threshold_mask(sweep, threshold).sum() == 0


# --- level axes ---------------------------------------------------------------------------------


def test_level_codes_read_back_as_the_levels_named_on_their_ticks(sweep) -> None:
    view, chart = drawn(sweep)
    ticks = figure_ticks(view, "optimizer")  # code -> the level the chart writes there
    threshold = brushed_threshold(chart.axes["optimizer"], [(0.75, 2.25)])
    assert threshold == Threshold("optimizer", levels=(ticks[1.0], ticks[2.0]))
    expected = sweep.runs["optimizer"].isin([ticks[1.0], ticks[2.0]])
    np.testing.assert_array_equal(threshold_mask(sweep, threshold), expected)


def test_the_other_tick_stands_for_every_level_it_pools_and_missing_is_a_level(sweep) -> None:
    view, chart = drawn(sweep)
    ticks = figure_ticks(view, "block")
    other = next(v for v, t in ticks.items() if t == OTHER_LEVEL)
    named = {t for t in ticks.values() if t not in (OTHER_LEVEL, MISSING_LEVEL)}
    threshold = brushed_threshold(chart.axes["block"], [(other - 0.2, other + 0.2)])
    assert threshold is not None
    blocks = sweep.runs["block"]
    assert set(threshold.levels) == set(blocks.dropna()) - named
    np.testing.assert_array_equal(threshold_mask(sweep, threshold), blocks.notna() & ~blocks.isin(named))
    missing = next(v for v, t in ticks.items() if t == MISSING_LEVEL)
    only_missing = brushed_threshold(chart.axes["block"], [(missing - 0.2, missing + 0.2)])
    assert only_missing == Threshold("block", levels=(MISSING_LEVEL,))
    np.testing.assert_array_equal(threshold_mask(sweep, only_missing), blocks.isna())


def test_no_range_is_no_filter(sweep) -> None:
    _, chart = drawn(sweep)
    assert brushed_threshold(chart.axes["lr"], None) is None
    assert brushed_threshold(chart.axes["optimizer"], []) is None


# --- the constraint ranges the chart draws read back as the filters that drew them ----------------


FILTERS = (
    Threshold("lr", ranges=((1e-4, 3e-3), (2e-2, 1e-1))),
    Threshold("optimizer", levels=("adam", "sgd")),
    Threshold("momentum", ranges=((0.6, 0.8),), include_missing=True),
    Threshold("block", levels=("b03", "b17", MISSING_LEVEL)),
    Threshold("loss", ranges=((0.2, 1.5),)),
)


@pytest.mark.parametrize("threshold", FILTERS, ids=lambda t: t.column)
def test_a_drawn_filter_read_back_keeps_the_same_runs(sweep, threshold) -> None:
    view, chart = drawn(sweep, ViewState(metric="loss", axes=AXES, thresholds=(threshold,)))
    dim = next(d for d in view.info.dimensions if d.column == threshold.column)
    assert dim.constraintrange is not None
    read_back = brushed_threshold(chart.axes[threshold.column], dim.constraintrange)
    assert read_back is not None
    np.testing.assert_array_equal(threshold_mask(sweep, read_back), threshold_mask(sweep, threshold))


# --- brushing snaps to the stops the figure adds ------------------------------------------------


def test_stops_are_the_distinct_values_or_an_even_spread() -> None:
    assert brush_stops(np.array([3.0, 1.0, 3.0, 2.0, -7.0]), missing_at=-7.0) == [1.0, 2.0, 3.0]
    spread = brush_stops(np.linspace(0.0, 1.0, 1_000), missing_at=None, n=11)
    np.testing.assert_allclose(spread, np.linspace(0.0, 1.0, 11))


def snapped_keeps(dim, low: float, high: float) -> np.ndarray:
    """The drawn runs a brush from `low` to `high` keeps once Plotly has snapped it to the ticks."""
    ticks = sorted(dim.tickvals)
    snapped = (_snapped_bound(False, ticks, low), _snapped_bound(True, ticks, high))
    values = np.asarray(dim.values, dtype=float)
    return (values >= snapped[0]) & (values <= snapped[1])


def test_a_brush_snapped_to_the_stops_keeps_the_runs_it_was_drawn_over(sweep) -> None:
    view = parallel_chart(sweep, ViewState(metric="loss", axes=AXES))
    plain = next(d for d in view.figure.data[0].dimensions if d.label == "momentum")
    plain_ticks = dict(zip(plain.tickvals, plain.ticktext, strict=True))
    figure = brushable(go.Figure(view.figure))  # a copy: `brushable` changes a figure in place
    dim = next(d for d in figure.data[0].dimensions if d.label == "momentum")
    values = np.asarray(dim.values, dtype=float)
    distinct = np.unique(values[~np.isnan(sweep.runs["momentum"].loc[view.drawn_ids].to_numpy())])
    moved_by_labels = 0
    for first, last in [(5, 20), (0, 3), (30, 31), (10, len(distinct) - 1)]:
        low = (distinct[first - 1] + distinct[first]) / 2 if first else distinct[0] - 1e-3
        high = (distinct[last] + distinct[last + 1]) / 2 if last + 1 < len(distinct) else distinct[-1] + 1e-3
        drawn_over = (values >= distinct[first]) & (values <= distinct[last])
        np.testing.assert_array_equal(snapped_keeps(dim, low, high), drawn_over)
        moved_by_labels += not np.array_equal(snapped_keeps(plain, low, high), drawn_over)
    assert moved_by_labels > 0  # with only the labelled ticks, a brush jumps to the labels
    texts = list(dim.ticktext)
    assert len(set(texts)) == len(texts)  # Plotly keys ticks on their text
    assert {t for t in texts if t.strip("\u200b\u200c")} == {
        t for t in plain_ticks.values() if t.strip("\u200b")
    }


# --- the browser's report -----------------------------------------------------------------------


def report(**changes: object) -> dict:
    base = {"id": "r:1", "revision": "rev", "ranges": {"lr": [[-3, -2]]}, "order": list(AXES)}
    return {**base, **changes}


def test_a_report_is_read_with_its_ranges_and_order() -> None:
    brush = parse_brush(report(ranges={"lr": [-3, -2], "loss": [[0.1, 0.2], [0.5, 0.4]], "batch": None}))
    assert brush == Brush(
        "r:1", "rev", {"lr": ((-3.0, -2.0),), "loss": ((0.1, 0.2), (0.4, 0.5)), "batch": None}, AXES
    )


@pytest.mark.parametrize(
    "payload",
    [None, "text", report(id=""), report(revision=3), report(ranges=[]), report(order="lr"), {}],
)
def test_a_malformed_report_is_ignored(payload) -> None:
    assert parse_brush(payload) is None


def test_malformed_ranges_are_left_out() -> None:
    brush = parse_brush(report(ranges={"lr": [[0, float("nan")]], "loss": [["a", 1]], "batch": [[1, 2]]}))
    assert brush is not None and dict(brush.ranges) == {"batch": ((1.0, 2.0),)}


# --- the view ------------------------------------------------------------------------------------


def test_a_brush_replaces_that_axis_filter_and_keeps_the_others(sweep) -> None:
    start = ViewState(
        metric="loss", axes=AXES, thresholds=(FILTERS[1], Threshold("lr", ranges=((1e-5, 1e-4),)))
    )
    _, chart = drawn(sweep, start)
    brushed = brushed_view(start, Brush("1", "rev", {"lr": ((-3.0, -2.0),)}, AXES), chart)
    assert brushed.thresholds[0] == FILTERS[1]
    (lr,) = [t for t in brushed.thresholds if t.column == "lr"]
    assert math.isclose(lr.ranges[0][0], 1e-3) and math.isclose(lr.ranges[0][1], 1e-2)
    cleared = brushed_view(brushed, Brush("2", "rev", {"optimizer": None}, AXES), chart)
    assert [t.column for t in cleared.thresholds] == ["lr"]


def test_brushing_the_metric_replaces_its_best_percent_band(sweep) -> None:
    start = ViewState(metric="loss", axes=AXES, best_percent=20)
    view, chart = drawn(sweep, start)
    band = next(d for d in view.info.dimensions if d.column == "loss").constraintrange
    assert chart.banded == "loss" and band is not None
    brushed = brushed_view(start, Brush("1", "rev", {"loss": (*band, (5.0, 6.0))}, AXES), chart)
    assert brushed.best_percent is None
    loss = sweep.runs["loss"]
    best = loss <= np.sort(loss)[math.ceil(0.2 * N) - 1]
    np.testing.assert_array_equal(threshold_mask(sweep, brushed.thresholds[0]), best | loss.between(5.0, 6.0))
    other_axis = brushed_view(start, Brush("2", "rev", {"lr": ((-3.0, -2.0),)}, AXES), chart)
    assert other_axis.best_percent == 20


def test_a_dragged_order_becomes_the_axes_and_unknown_columns_are_ignored(sweep) -> None:
    start = ViewState(metric="loss")
    _, chart = drawn(sweep, ViewState(metric="loss", axes=AXES))
    moved = ("optimizer", "lr", *AXES[2:])
    assert brushed_view(start, Brush("1", "rev", {}, moved), chart).axes == moved
    assert brushed_view(start, Brush("2", "rev", {}, AXES), chart).axes == ()  # not moved: default kept
    assert brushed_view(start, Brush("3", "rev", {"nope": ((0, 1),)}, ("lr",)), chart) == start


# --- the sidebar shows a brushed range -----------------------------------------------------------


def test_a_slider_shows_a_brushed_range_exactly_and_keeps_it_when_left_alone() -> None:
    steps = [0.0, 0.25, 0.5, 0.75, 1.0]
    brushed = Threshold("x", ranges=((0.1, 0.3), (0.6, 0.66)), include_missing=False)
    shown = steps_with_bounds(steps, brushed)
    assert initial_range(brushed, shown) == (0.1, 0.66)
    assert slider_threshold("x", (0.1, 0.66), shown, brushed, include_missing=True) is brushed
    moved = slider_threshold("x", (0.25, 0.66), shown, brushed, include_missing=True)
    assert moved == Threshold("x", ranges=((0.25, 0.66),), include_missing=False)
    assert slider_threshold("x", (0.0, 1.0), steps, None, include_missing=True) is None
