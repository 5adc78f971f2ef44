"""Parallel coordinates on designed sweeps: axes, filters drawn, lines, colour.

Most facts are read from the data step (`view.info`, what `parcoords_info` decides); the drawing
tests at the end check that the figure carries what the data says, and the snapping test reads the
figure itself, since it is about what Plotly does with it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lib.columns import Direction
from lib.figures._axis import MAX_LABEL_CHARS, axis_labels, label_chars, short_label
from lib.figures._common import SEQUENTIAL
from lib.figures.parcoords import LABEL_CHAR_PX, label_angle, parcoords_figure
from lib.figures.parcoords_data import ParcoordsSpec, lines_to_draw, parcoords_info
from lib.filters import Threshold
from lib.sweep import RUN_CREATED, finish_sweep
from lib.values import AxisScale
from lib.views.parallel_chart import default_axes, parallel_chart
from lib.views.parallel_state import RUN_ORDER, ViewState

N = 120


def designed_sweep(n: int = N, seed: int = 0):
    """lr log-uniform over 1e-5..1e-1; momentum only for sgd; loss is lowest near lr = 1e-3."""
    rng = np.random.default_rng(seed)
    ids = [f"r{i:04d}" for i in range(n)]
    optimizer = rng.choice(["adam", "sgd", "rmsprop"], n)
    lr = 10 ** rng.uniform(-5, -1, n)
    frame = pd.DataFrame(
        {
            "lr": lr,
            "optimizer": optimizer,
            "momentum": np.where(optimizer == "sgd", rng.uniform(0.5, 0.99, n), np.nan),
            "layers": rng.choice([1, 2, 3, 4], n),
            "use_bn": rng.choice([True, False], n),
            "seed": rng.integers(0, 10**6, n),
            "const": np.full(n, 7),
            "loss": (np.log10(lr) + 3) ** 2 + rng.uniform(0, 0.5, n),
            "acc": rng.uniform(0.5, 0.99, n),
        },
        index=pd.Index(ids, name="run_id"),
    )
    frame.loc[ids[:4], "loss"] = np.nan  # crashed runs report nothing
    return finish_sweep(
        frame,
        params=["lr", "optimizer", "momentum", "layers", "use_bn", "seed", "const"],
        metrics=["loss", "acc"],
        source="designed",
        directions={"loss": Direction.MINIMIZE, "acc": Direction.MAXIMIZE},
    )


@pytest.fixture(scope="module")
def sweep():
    return designed_sweep()


def dimension(view, column: str):
    """The axis of `column` as the data step describes it."""
    return next(d for d in view.info.dimensions if d.column == column)


def figure_dimension(view, column: str):
    """The axis of `column` as the figure draws it (found by its label, as Plotly shows it)."""
    label = next(label for label, full in view.labels.items() if full == column)
    return next(d for d in view.figure.data[0].dimensions if d.label == label)


def drawn_values(view, column: str) -> pd.Series:
    return pd.Series(np.asarray(dimension(view, column).values, dtype=float), index=view.drawn_ids)


def intervals(constraint) -> list[tuple[float, float]]:
    if isinstance(constraint[0], (list, tuple)):
        return [tuple(c) for c in constraint]
    return [tuple(constraint)]


def inside(values: np.ndarray, constraint) -> np.ndarray:
    passed = np.zeros(values.shape, dtype=bool)
    for low, high in intervals(constraint):
        passed |= (values >= low) & (values <= high)
    return passed


# plotly.js (parcoords/axisbrush.js, `cleanRanges`) treats an axis with `tickvals` as ordinal and
# snaps each constraint range to its ticks, dropping a range that collapses; its constants:
SNAP_RATIO, SNAP_CLOSE = 0.25, 0.01  # `bar.snapRatio`, `bar.snapClose` in plotly.js 3


def _snapped_bound(is_high: bool, ticks: list[float], value: float) -> float:
    step = -1 if is_high else 1
    first, last = (len(ticks) - 1, 0) if is_high else (0, len(ticks) - 1)
    here = previous = ticks[first]
    i = first
    while step * i < step * last:
        following = ticks[i + step]
        if step * value < step * (here * (1 - SNAP_CLOSE) + following * SNAP_CLOSE):
            return here * (1 - SNAP_RATIO) + previous * SNAP_RATIO
        if step * value < step * following or i + step == last:
            return following * (1 - SNAP_RATIO) + here * SNAP_RATIO
        previous, here, i = here, following, i + step
    return here


def as_plotly_keeps_it(dim) -> list[tuple[float, float]]:
    """The constraint ranges Plotly applies after snapping them to the axis's ticks."""
    ticks = sorted(dim.tickvals)
    snapped = [
        (_snapped_bound(False, ticks, low), _snapped_bound(True, ticks, high))
        for low, high in intervals(dim.constraintrange)
    ]
    return [(low, high) for low, high in snapped if high > low]


# --- axes ------------------------------------------------------------------------------------


def test_log_axis_plots_log10_with_ticks_in_real_units(sweep) -> None:
    view = parallel_chart(sweep, ViewState(metric="loss", axes=("lr", "loss")))
    dim = dimension(view, "lr")
    lr = sweep.runs["lr"].loc[view.drawn_ids].to_numpy()
    np.testing.assert_allclose(np.asarray(dim.values, dtype=float), np.log10(lr), rtol=1e-6, atol=1e-6)
    texts = list(dim.ticktext)
    assert {"1e-4", "1e-3", "1e-2"} <= set(texts)
    for value, text in zip(dim.tickvals, texts, strict=True):
        assert value == pytest.approx(math.log10(float(text)))
    # the axis runs from the decade below the smallest value to the decade above the largest
    assert list(dim.range) == pytest.approx(
        [math.floor(math.log10(lr.min())), math.ceil(math.log10(lr.max()))]
    )
    assert dim.range[0] == dim.tickvals[0] and dim.range[1] == dim.tickvals[-1]


def test_every_axis_range_ends_on_ticks(sweep) -> None:
    """Plotly draws an axis line only between its first and last tick."""
    axes = ("lr", "momentum", "layers", "optimizer", "use_bn", "acc", "loss")
    view = parallel_chart(sweep, ViewState(metric="loss", axes=axes, scales={"lr": AxisScale.LINEAR}))
    for dim in view.info.dimensions:
        assert (min(dim.range), max(dim.range)) == (min(dim.tickvals), max(dim.tickvals)), dim.label
        values = np.asarray(dim.values, dtype=float)
        assert min(dim.range) <= values.min() and values.max() <= max(dim.range) + 1e-6, dim.label


def test_a_sparse_decade_gets_3x_ticks() -> None:
    frame = pd.DataFrame({"wd": [1e-4, 2e-4, 5e-4, 1e-3, 3e-3], "loss": [1.0, 2, 3, 4, 5]})
    small = finish_sweep(frame, params=["wd"], metrics=["loss"], source="t")
    view = parallel_chart(small, ViewState(metric="loss", axes=("wd", "loss"), scales={"wd": AxisScale.LOG}))
    dim = dimension(view, "wd")
    assert list(dim.ticktext) == ["1e-4", "3e-4", "1e-3", "3e-3"]
    np.testing.assert_allclose(dim.tickvals, np.log10([1e-4, 3e-4, 1e-3, 3e-3]))


def test_scale_override_puts_a_log_column_on_a_linear_axis(sweep) -> None:
    view = parallel_chart(
        sweep, ViewState(metric="loss", axes=("lr", "loss"), scales={"lr": AxisScale.LINEAR})
    )
    dim = dimension(view, "lr")
    lr = sweep.runs["lr"].loc[view.drawn_ids].to_numpy()
    np.testing.assert_allclose(np.asarray(dim.values, dtype=float), lr, rtol=1e-6)
    for value, text in zip(dim.tickvals, dim.ticktext, strict=True):
        assert value == pytest.approx(float(text))


def test_log_is_refused_for_values_at_or_below_zero() -> None:
    frame = pd.DataFrame({"x": [-1.0, 0.0, 10.0, 100.0], "loss": [1.0, 2, 3, 4]})
    signed = finish_sweep(frame, params=["x"], metrics=["loss"], source="t")
    view = parallel_chart(signed, ViewState(metric="loss", axes=("x", "loss"), scales={"x": AxisScale.LOG}))
    np.testing.assert_allclose(drawn_values(view, "x").sort_index(), [-1.0, 0.0, 10.0, 100.0])
    assert any("linear axis" in note for note in view.notes)


def test_categorical_axis_codes_match_their_labels(sweep) -> None:
    view = parallel_chart(sweep, ViewState(metric="loss", axes=("optimizer", "use_bn", "loss")))
    dim = dimension(view, "optimizer")
    assert list(dim.ticktext) == ["adam", "rmsprop", "sgd"]
    codes = drawn_values(view, "optimizer")
    expected = sweep.runs["optimizer"].loc[view.drawn_ids].map({"adam": 0, "rmsprop": 1, "sgd": 2})
    np.testing.assert_array_equal(codes.to_numpy(), expected.to_numpy(dtype=float))
    flags = dimension(view, "use_bn")
    assert list(flags.ticktext) == ["false", "true"]
    np.testing.assert_array_equal(
        drawn_values(view, "use_bn").to_numpy(),
        sweep.runs["use_bn"].loc[view.drawn_ids].to_numpy(dtype=float),
    )


def many_levels_sweep():
    """20 levels: level k is used by 21 - k runs, so l01 is the commonest."""
    levels = [f"l{k:02d}" for k in range(1, 21) for _ in range(21 - k)]
    frame = pd.DataFrame({"arch": levels, "loss": np.arange(len(levels), dtype=float)})
    return finish_sweep(frame, params=["arch"], metrics=["loss"], source="t")


def test_many_levels_keep_the_commonest_and_pool_the_rest() -> None:
    levels_sweep = many_levels_sweep()
    view = parallel_chart(levels_sweep, ViewState(metric="loss", axes=("arch", "loss")))
    dim = dimension(view, "arch")
    named = [f"l{k:02d}" for k in range(1, 12)]  # the 11 commonest
    assert list(dim.ticktext) == [*named, "(other)"]
    other_code = list(dim.ticktext).index("(other)")
    on_other = (drawn_values(view, "arch") == other_code).sum()
    assert on_other == sum(21 - k for k in range(12, 21))


def test_a_rare_level_chosen_in_a_filter_keeps_its_own_tick() -> None:
    levels_sweep = many_levels_sweep()
    state = ViewState(metric="loss", axes=("arch", "loss"), thresholds=(Threshold("arch", levels=("l19",)),))
    view = parallel_chart(levels_sweep, state)
    dim = dimension(view, "arch")
    assert "l19" in list(dim.ticktext)
    code = dim.tickvals[list(dim.ticktext).index("l19")]
    assert intervals(dim.constraintrange) == [pytest.approx((code - 0.25, code + 0.25), abs=1e-4)]


def test_missing_values_sit_on_their_own_tick_below_the_range(sweep) -> None:
    """A parameter's "(missing)" is set apart below its lowest value, never above its top."""
    view = parallel_chart(sweep, ViewState(metric="loss", axes=("momentum", "loss")))
    dim = dimension(view, "momentum")
    texts = list(dim.ticktext)
    assert texts[0] == "(missing)" and texts.count("(missing)") == 1
    missing_at = dim.tickvals[0]
    present = sweep.runs["momentum"].dropna()
    assert missing_at < present.min()
    assert dim.range[0] <= missing_at
    values = drawn_values(view, "momentum")
    assert (values == np.float32(missing_at)).sum() == sweep.runs["momentum"].isna().sum()
    assert len(view.drawn_ids) == N  # no run dropped


def test_missing_metric_runs_sit_beyond_the_worst_end_of_the_metric(sweep) -> None:
    """A minimized metric's worst end is its top, a maximized one's its bottom: "(missing)" goes
    beyond that end, so it never reads as better than the best run."""
    view = parallel_chart(sweep, ViewState(metric="loss", axes=("lr", "loss")))
    dim = dimension(view, "loss")
    assert dim.ticktext[-1] == "(missing)" and dim.tickvals[-1] > sweep.runs["loss"].max()
    assert (drawn_values(view, "loss") == np.float32(dim.tickvals[-1])).sum() == 4
    maximized = sweep.replace(directions={**sweep.directions, "loss": Direction.MAXIMIZE})
    dim = dimension(parallel_chart(maximized, ViewState(metric="loss", axes=("lr", "loss"))), "loss")
    assert dim.ticktext[0] == "(missing)" and dim.tickvals[0] < sweep.runs["loss"].min()


def test_flipping_reverses_the_range(sweep) -> None:
    plain = dimension(parallel_chart(sweep, ViewState(metric="loss", axes=("lr", "loss"))), "lr")
    flipped = dimension(
        parallel_chart(sweep, ViewState(metric="loss", axes=("lr", "loss"), flipped=("lr",))), "lr"
    )
    assert list(flipped.range) == list(plain.range)[::-1]
    assert plain.range[0] < plain.range[1]


# --- filters drawn on the axes ------------------------------------------------------------------


def test_log_threshold_is_drawn_in_log10_units(sweep) -> None:
    state = ViewState(
        metric="loss", axes=("lr", "loss"), thresholds=(Threshold("lr", ranges=((1e-4, 1e-3),)),)
    )
    dim = dimension(parallel_chart(sweep, state), "lr")
    assert intervals(dim.constraintrange) == [pytest.approx((-4.0, -3.0), abs=1e-5)]


def test_several_ranges_become_several_constraint_ranges(sweep) -> None:
    ranges = ((1e-5, 1e-4), (1e-2, 1e-1))
    state = ViewState(metric="loss", axes=("lr", "loss"), thresholds=(Threshold("lr", ranges=ranges),))
    dim = dimension(parallel_chart(sweep, state), "lr")
    lr = sweep.runs["lr"]
    low, high = math.log10(lr.min()), math.log10(lr.max())
    expected = [(low, -4.0), (-2.0, high)]  # clipped to the values
    assert intervals(dim.constraintrange) == [pytest.approx(e, abs=1e-5) for e in expected]


def test_constraint_ranges_grey_exactly_the_runs_left_out(sweep) -> None:
    """A drawn line inside every constraint range is a kept run, and every kept run is inside."""
    state = ViewState(
        metric="loss",
        axes=("lr", "optimizer", "momentum", "loss"),
        thresholds=(
            Threshold("lr", ranges=((1e-4, 3e-3), (2e-2, 1e-1))),
            Threshold("optimizer", levels=("adam", "sgd")),
        ),
        best_percent=60,
    )
    view = parallel_chart(sweep, state)
    inside_all = np.ones(len(view.drawn_ids), dtype=bool)
    for dim in view.info.dimensions:
        if dim.constraintrange is not None:
            inside_all &= inside(np.asarray(dim.values, dtype=float), dim.constraintrange)
    kept = view.kept.loc[view.drawn_ids].to_numpy()
    lr = sweep.runs["lr"].loc[view.drawn_ids]
    opt = sweep.runs["optimizer"].loc[view.drawn_ids]
    loss = sweep.runs["loss"]
    cutoff = np.sort(loss.dropna())[math.ceil(0.6 * loss.notna().sum()) - 1]
    expected = (
        (lr.between(1e-4, 3e-3) | lr.between(2e-2, 1e-1))
        & opt.isin(["adam", "sgd"])
        & (loss.loc[view.drawn_ids] <= cutoff)
    )
    np.testing.assert_array_equal(kept, expected.to_numpy())
    np.testing.assert_array_equal(inside_all, kept)
    assert 0 < kept.sum() < len(kept)


@pytest.mark.parametrize(
    "thresholds",
    [
        (Threshold("loss", ranges=((0.41, 0.43),)),),  # narrower than the gap between labelled ticks
        (Threshold("lr", ranges=((1.3e-3, 1.7e-3), (2e-2, 1e-1))), Threshold("optimizer", levels=("sgd",))),
        (Threshold("momentum", ranges=((0.6, 0.7),), include_missing=True),),
    ],
)
def test_plotly_keeps_the_constraint_ranges_after_snapping_them_to_ticks(sweep, thresholds) -> None:
    view = parallel_chart(
        sweep, ViewState(metric="loss", axes=("lr", "optimizer", "momentum", "loss"), thresholds=thresholds)
    )
    inside_all = np.ones(len(view.drawn_ids), dtype=bool)
    for dim in view.figure.data[0].dimensions:
        if dim.constraintrange is not None:
            kept_ranges = as_plotly_keeps_it(dim)
            assert len(kept_ranges) == len(intervals(dim.constraintrange)), dim.label
            inside_all &= inside(np.asarray(dim.values, dtype=float), kept_ranges)
    np.testing.assert_array_equal(inside_all, view.kept.loc[view.drawn_ids].to_numpy())


def test_missing_level_threshold_covers_the_missing_tick(sweep) -> None:
    state = ViewState(
        metric="loss",
        axes=("momentum", "loss"),
        thresholds=(Threshold("momentum", ranges=((0.9, 1.0),), include_missing=True),),
    )
    view = parallel_chart(sweep, state)
    dim = dimension(view, "momentum")
    values = np.asarray(dim.values, dtype=float)
    momentum = sweep.runs["momentum"].loc[view.drawn_ids]
    np.testing.assert_array_equal(
        inside(values, dim.constraintrange), (momentum.isna() | (momentum >= 0.9)).to_numpy()
    )


def test_a_filter_on_a_column_not_shown_adds_its_axis(sweep) -> None:
    state = ViewState(
        metric="loss", axes=("lr",), thresholds=(Threshold("use_bn", levels=("true",)),), best_percent=10
    )
    view = parallel_chart(sweep, state)
    assert view.axes == ["lr", "use_bn", "loss"]
    assert dimension(view, "loss").constraintrange is not None


def test_a_filter_nothing_passes_greys_every_line(sweep) -> None:
    state = ViewState(metric="loss", axes=("lr", "loss"), thresholds=(Threshold("lr", ranges=((5.0, 9.0),)),))
    view = parallel_chart(sweep, state)
    assert view.n_kept == 0
    dim = dimension(view, "lr")
    assert not inside(np.asarray(dim.values, dtype=float), dim.constraintrange).any()
    assert min(dim.range) <= min(min(i) for i in intervals(dim.constraintrange))


# --- drawn lines --------------------------------------------------------------------------------


def test_lines_to_draw_keeps_kept_and_best_under_the_cap() -> None:
    n = 1000
    best_first = np.arange(n)  # row i is the i-th best
    kept = np.zeros(n, dtype=bool)
    kept[[5, 500, 900]] = True
    drawn = lines_to_draw(best_first, kept, max_lines=100, hide=False)
    assert drawn.size == 100 == np.unique(drawn).size
    assert {5, 500, 900} <= set(drawn)
    assert {0, 1, 2} <= set(drawn)  # the best runs the filter leaves out
    assert list(drawn[-3:]) == [900, 500, 5]  # kept last, the best kept on top
    ranks_of_rest = np.sort(drawn[~np.isin(drawn, [5, 500, 900])])
    assert ranks_of_rest.max() > 900  # the sample reaches the worst runs too


def test_when_kept_runs_exceed_the_cap_the_best_of_them_are_drawn() -> None:
    best_first = np.array([3, 1, 4, 0, 2, 5, 6, 7])
    kept = np.array([True, True, False, True, False, False, True, True])
    drawn = lines_to_draw(best_first, kept, max_lines=3, hide=False)
    assert list(drawn) == [0, 1, 3]  # the three best kept (3, 1, 0), best last


def test_hide_draws_only_kept_runs() -> None:
    best_first = np.arange(6)
    kept = np.array([False, True, False, True, True, False])
    assert list(lines_to_draw(best_first, kept, max_lines=10, hide=True)) == [4, 3, 1]


def test_large_sweep_is_capped_and_keeps_the_best() -> None:
    big = designed_sweep(n=2000, seed=1)
    state = ViewState(metric="loss", thresholds=(Threshold("lr", ranges=((1e-3, 3e-3),)),))
    view = parallel_chart(big, state, max_lines=500)
    assert view.n_drawn == 500 and view.drawn_text == "showing 500 of 2,000 runs"
    loss = big.runs["loss"]
    assert loss.idxmin() in view.drawn_ids
    kept_ids = set(view.kept.index[view.kept])
    assert 100 < len(kept_ids) < 500
    assert kept_ids <= set(view.drawn_ids)
    assert view.drawn_ids[-1] == loss[view.kept].idxmin()


def test_best_runs_are_drawn_last(sweep) -> None:
    view = parallel_chart(sweep, ViewState(metric="acc", axes=("lr", "acc")))
    acc = sweep.runs["acc"].loc[view.drawn_ids].to_numpy()
    assert np.all(np.diff(acc) >= 0)  # maximized: worst first, best on top


# --- colour ------------------------------------------------------------------------------------


def created_sweep():
    created = pd.to_datetime(["2024-01-03", "2024-01-01", "2024-01-04", "2024-01-02", None], utc=True)
    frame = pd.DataFrame(
        {RUN_CREATED: created, "lr": [1e-3, 1e-2, 1e-4, 1e-1, 1e-5], "loss": [0.1, 0.2, 0.3, 0.4, 0.5]},
        index=pd.Index(list("abcde"), name="run_id"),
    )
    return finish_sweep(frame, params=["lr"], metrics=["loss"], source="t")


def test_colour_by_created_time_follows_creation_not_row_order() -> None:
    created = created_sweep()
    view = parallel_chart(created, ViewState(metric="loss", axes=("lr", "loss"), colour=RUN_CREATED))
    line = view.info.colour
    colour = pd.Series(np.asarray(line.values, dtype=float), index=view.drawn_ids)
    by_time = ["b", "d", "a", "c"]
    assert list(colour.loc[by_time].sort_values().index) == by_time
    assert colour["e"] < colour.loc[by_time].min()  # no creation time: the "(missing)" band, below
    assert "(missing)" in list(line.ticktext)
    assert any(text.startswith("2024-01-0") for text in line.ticktext)


def test_colour_by_run_order_uses_creation_order() -> None:
    created = created_sweep()
    view = parallel_chart(created, ViewState(metric="loss", axes=("lr", "loss"), colour=RUN_ORDER))
    colour = pd.Series(np.asarray(view.info.colour.values, dtype=float), index=view.drawn_ids)
    assert colour.to_dict() == {"b": 1.0, "d": 2.0, "a": 3.0, "c": 4.0, "e": 5.0}


def test_colour_by_a_log_parameter_uses_log10_with_real_unit_ticks(sweep) -> None:
    view = parallel_chart(sweep, ViewState(metric="loss", axes=("lr", "loss"), colour="lr"))
    line = view.info.colour
    lr = sweep.runs["lr"].loc[view.drawn_ids].to_numpy()
    np.testing.assert_allclose(np.asarray(line.values, dtype=float), np.log10(lr), rtol=1e-6, atol=1e-6)
    for value, text in zip(line.tickvals, line.ticktext, strict=True):
        assert value == pytest.approx(math.log10(float(text)))


def test_colour_by_a_categorical_names_its_levels(sweep) -> None:
    view = parallel_chart(sweep, ViewState(metric="loss", axes=("lr", "loss"), colour="optimizer"))
    line = view.info.colour
    assert list(line.ticktext) == ["adam", "rmsprop", "sgd"]
    codes = pd.Series(np.asarray(line.values, dtype=float), index=view.drawn_ids)
    assert (codes[sweep.runs["optimizer"].loc[view.drawn_ids] == "sgd"] == 2).all()


def first_colour(view) -> str:
    return view.info.colour.colorscale[0][1]


def test_colour_scale_puts_the_best_runs_at_the_bright_end_and_can_be_reversed(sweep) -> None:
    dark, bright = SEQUENTIAL[0], SEQUENTIAL[-1]
    minimized = parallel_chart(sweep, ViewState(metric="loss", axes=("lr", "loss")))
    maximized = parallel_chart(sweep, ViewState(metric="acc", axes=("lr", "acc")))
    assert first_colour(minimized) == bright  # low loss is good
    assert first_colour(maximized) == dark
    reversed_view = parallel_chart(sweep, ViewState(metric="acc", axes=("lr", "acc"), reversed=True))
    assert first_colour(reversed_view) == bright


# --- axis choice and labels --------------------------------------------------------------------


def test_default_axes_leave_out_constants_and_identifiers_and_end_with_the_metric(sweep) -> None:
    axes = default_axes(sweep, "loss")
    assert axes[-1] == "loss"
    assert "seed" not in axes and "const" not in axes
    assert set(axes[:-1]) == {"lr", "optimizer", "momentum", "layers", "use_bn"}
    assert axes[0] == "lr"  # log-uniform: spreads lines over its whole axis


def test_default_axes_follow_importance_and_are_capped(sweep) -> None:
    axes = default_axes(sweep, "acc", importance_order=["use_bn", "seed", "layers"], max_axes=4)
    assert axes == ["use_bn", "layers", "lr", "acc"]


def test_long_names_are_shortened_readably_and_stay_unique() -> None:
    assert short_label("model.encoder.attention.dropout") == "model…dropout"
    assert short_label("lr") == "lr"
    names = [
        "a.very.long.prefix.learning_rate_schedule_warmup",
        "b.other.learning_rate_schedule_warmup",
        "lr",
    ]
    labels = axis_labels(names)
    assert len(set(labels.values())) == 3
    assert all(len(label) <= MAX_LABEL_CHARS for label in labels.values())


def test_view_maps_short_labels_back_to_full_names() -> None:
    frame = pd.DataFrame({"optimizer.schedule.warmup_steps_total": [1.0, 2.0, 3.0], "loss": [0.3, 0.2, 0.1]})
    long = finish_sweep(frame, params=["optimizer.schedule.warmup_steps_total"], metrics=["loss"], source="t")
    view = parallel_chart(long, ViewState(metric="loss"))
    assert view.abbreviated == {"warmup_steps_total": "optimizer.schedule.warmup_steps_total"}
    assert view.info.columns == [long.params[0], "loss"]
    assert view.figure.data[0].meta["columns"] == [long.params[0], "loss"]


def test_ticks_added_for_a_filter_leave_every_label_on_its_own_tick(sweep) -> None:
    plain = dimension(parallel_chart(sweep, ViewState(metric="loss", axes=("lr", "loss"))), "loss")
    state = ViewState(
        metric="loss", axes=("lr", "loss"), thresholds=(Threshold("loss", ranges=((0.41, 0.43),)),)
    )
    filtered = dimension(parallel_chart(sweep, state), "loss")
    assert list(filtered.tickvals) == sorted(filtered.tickvals)
    labels = {v: t for v, t in zip(filtered.tickvals, filtered.ticktext, strict=True) if t.strip("\u200b")}
    assert labels == dict(zip(plain.tickvals, plain.ticktext, strict=True))
    assert len(set(filtered.ticktext)) == len(filtered.ticktext)  # Plotly keys ticks on their text


# --- the drawing step carries what the data step says ------------------------------------------


FILTERED = ViewState(
    metric="loss",
    axes=("lr", "optimizer", "momentum", "loss"),
    flipped=("momentum",),
    thresholds=(
        Threshold("lr", ranges=((1e-4, 3e-3), (2e-2, 1e-1))),
        Threshold("optimizer", levels=("adam", "sgd")),
    ),
    best_percent=60,
    colour="lr",
)


def test_figure_dimensions_are_the_data_steps_axes(sweep) -> None:
    view = parallel_chart(sweep, FILTERED)
    drawn = view.figure.data[0].dimensions
    assert [d.label for d in drawn] == [d.label for d in view.info.dimensions]
    for info in view.info.dimensions:
        dim = figure_dimension(view, info.column)
        np.testing.assert_array_equal(np.asarray(dim.values, dtype=np.float32), info.values)
        assert list(dim.range) == list(info.range)
        assert list(dim.tickvals) == info.tickvals and list(dim.ticktext) == info.ticktext
        if info.constraintrange is None:
            assert dim.constraintrange is None
        else:
            assert intervals(dim.constraintrange) == info.constraintrange
    assert len(intervals(figure_dimension(view, "lr").constraintrange)) == 2  # several ranges: a list


def test_figure_line_is_the_data_steps_colour_or_plain(sweep) -> None:
    view = parallel_chart(sweep, FILTERED)
    line, colour = view.figure.data[0].line, view.info.colour
    np.testing.assert_array_equal(np.asarray(line.color, dtype=np.float32), colour.values)
    assert (line.cmin, line.cmax) == (colour.cmin, colour.cmax)
    assert [list(step) for step in line.colorscale] == [list(step) for step in colour.colorscale]
    assert list(line.colorbar.ticktext) == colour.ticktext and line.colorbar.title.text == "lr"
    assert view.figure.layout.margin.r == 130  # room for the colour bar
    plain = parallel_chart(
        finish_sweep(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), params=["x"], metrics=[], source="t"), ViewState()
    )
    assert plain.info.colour is None and plain.figure.data[0].line.color == "#3b6fb6"
    assert plain.figure.layout.margin.r == 80


def test_many_axes_tilt_their_labels(sweep) -> None:
    axes = ("lr", "optimizer", "momentum", "layers", "use_bn", "seed", "const", "acc", "loss")
    tilted = parallel_chart(sweep, ViewState(metric="loss", axes=axes)).figure
    upright = parallel_chart(sweep, ViewState(metric="loss", axes=("lr", "loss"))).figure
    assert tilted.data[0].labelangle == -25 and upright.data[0].labelangle == 0
    # tilted labels rise by their length x sin(angle): the top margin makes room for the longest
    longest = max(len(label) for label in parallel_chart(sweep, ViewState(metric="loss", axes=axes)).labels)
    rise = LABEL_CHAR_PX * longest * math.sin(math.radians(25))
    assert tilted.layout.margin.t >= rise + 40 and upright.layout.margin.t == 80
    assert tilted.layout.height - tilted.layout.margin.t == upright.layout.height - upright.layout.margin.t


def test_crowded_axes_get_shorter_labels_at_a_steeper_angle() -> None:
    """Neighbouring tilted labels stay apart by spacing x sin(angle): at 13 axes over ~620 px
    (1280x720 with the sidebar open, ~50 px apart) that must clear a 13 px label (~16 px high)."""
    assert [label_chars(n) for n in (2, 8, 9, 13, 60)] == [18, 18, 14, 14, 14]
    assert [label_angle(n) for n in (2, 7, 8, 10, 11, 13)] == [0, 0, -25, -25, -40, -40]
    assert 50 * math.sin(math.radians(abs(label_angle(13)))) > 16
    columns = ["learning_rate", "dataloader_workers", "model.encoder.dropout"]
    assert list(axis_labels(columns, label_chars(13)).values()) == [
        "learning_rate",
        "datalo…workers",
        "model…dropout",
    ]


def test_the_data_step_takes_a_plain_spec_without_page_state(sweep) -> None:
    kept = sweep.runs["optimizer"] == "adam"
    spec = ParcoordsSpec(
        axes=("optimizer", "lr", "loss"),
        kept=kept,
        metric="loss",
        thresholds=(Threshold("optimizer", levels=("adam",)),),
        colour=RUN_ORDER,
        hide=True,
    )
    info = parcoords_info(sweep, spec)
    assert info.columns == ["optimizer", "lr", "loss"]
    assert set(info.drawn_ids) == set(kept.index[kept])
    optimizer = next(d for d in info.dimensions if d.column == "optimizer")
    assert (
        optimizer.constraintrange is not None
        and optimizer.constraintrange[0][0] < 0 < optimizer.constraintrange[0][1]
    )
    assert info.colour is not None and info.colour.title == "run order"
    figure = parcoords_figure(info)
    assert figure.data[0].meta["columns"] == info.columns


def test_the_colour_bar_has_one_missing_swatch_at_the_end_its_runs_sit(sweep) -> None:
    view = parallel_chart(sweep, ViewState(metric="loss", axes=("momentum", "loss"), colour="momentum"))
    line = view.info.colour
    assert list(line.ticktext).count("(missing)") == 1
    missing_at = line.tickvals[list(line.ticktext).index("(missing)")]
    assert missing_at == line.cmin  # below the values, as on the axis
    grey = [position for position, colour in line.colorscale if colour == "#b8b8b8"]
    assert grey[0] == 0.0 and max(grey) < 0.2  # one band at the bottom, nothing above
    values = pd.Series(np.asarray(line.values, dtype=float), index=view.drawn_ids)
    n_missing = sweep.runs["momentum"].isna().sum()
    assert (values == np.float32(missing_at)).sum() == n_missing


def test_a_constant_colour_column_says_so_instead_of_a_range() -> None:
    frame = pd.DataFrame(
        {"iters": [5000.0] * 4, "lr": [0.1, 0.2, 0.3, 0.4], "loss": [0.4, 0.3, 0.2, 0.1]},
        index=pd.Index(list("abcd"), name="run_id"),
    )
    constant = finish_sweep(frame, params=["lr", "iters"], metrics=["loss"], source="t")
    line = parallel_chart(constant, ViewState(metric="loss", axes=("lr", "loss"), colour="iters")).info.colour
    assert line.title == "iters (every run 5000)"
    assert list(line.ticktext) == ["5000"]


def test_the_best_runs_get_the_darkest_colour() -> None:
    """The best end of the scale is dark and saturated: readable on white, unlike viridis' yellow."""
    from plotly.colors import hex_to_rgb

    def luminance(colour: str) -> float:
        r, g, b = hex_to_rgb(colour)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    frame = pd.DataFrame(
        {"lr": [0.1, 0.2, 0.3, 0.4], "loss": [0.4, 0.3, 0.2, 0.1], "acc": [0.1, 0.2, 0.3, 0.4]},
        index=pd.Index(list("abcd"), name="run_id"),
    )
    two = finish_sweep(frame, params=["lr"], metrics=["loss", "acc"], source="t")
    two = two.replace(directions={"loss": Direction.MINIMIZE, "acc": Direction.MAXIMIZE})
    for metric in ("loss", "acc"):
        line = parallel_chart(two, ViewState(metric=metric, axes=("lr", metric), colour=metric)).info.colour
        best_value = two.runs[metric].min() if metric == "loss" else two.runs[metric].max()
        position = (best_value - line.cmin) / (line.cmax - line.cmin)
        best_colour = min(line.colorscale, key=lambda stop: abs(stop[0] - position))[1]
        worst_colour = max(line.colorscale, key=lambda stop: abs(stop[0] - position))[1]
        assert luminance(best_colour) < 60 < luminance(worst_colour), metric
