"""Learning-curve charts: colour groups as NaN-separated traces, the best runs on top, the band."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.analysis.learning_curves import LearningCurves, learning_curves
from lib.columns import Direction, Kind
from lib.figures._common import MISSING_COLOUR
from lib.figures.learning_curves import (
    MAX_HOVER_POINTS,
    N_COLOUR_STEPS,
    draw_learning_curves,
    learning_curves_figure,
    learning_curves_plot,
)
from lib.histories import RUN_ID, STEP, VALUE, MetricHistory
from lib.sweep import Sweep
from lib.values import MISSING_LEVEL

IDS = [f"r{i}" for i in range(8)]
LR = [1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
OPT = ["adam", "sgd", "adam", "sgd", "adam", "sgd", "adam", "sgd"]
WIDTH = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0]


def sweep() -> Sweep:
    runs = pd.DataFrame(
        {"lr": LR, "opt": OPT, "width": WIDTH, "loss": np.arange(8.0)}, index=pd.Index(IDS, name="run_id")
    )
    kinds = {"lr": Kind.LOG, "opt": Kind.CATEGORICAL, "width": Kind.NUMERIC, "loss": Kind.NUMERIC}
    return Sweep(
        runs=runs,
        params=["lr", "opt", "width"],
        metrics=["loss"],
        kinds=kinds,
        directions={"loss": Direction.MINIMIZE},
    )


def history(n_steps: int = 4, extra: bool = True) -> MetricHistory:
    """Run ri logs i + 1/(t+1): its rank is i; run "stranger" is not in the sweep."""
    ids = IDS + (["stranger"] if extra else [])
    rows = [(run, float(t), i + 1 / (t + 1)) for i, run in enumerate(ids) for t in range(n_steps)]
    return MetricHistory("loss", "epoch", pd.DataFrame(rows, columns=[RUN_ID, STEP, VALUE]))


def curves(n_best: int = 2, n_steps: int = 4) -> LearningCurves:
    return learning_curves(
        history(n_steps), run_ids=[*IDS, "stranger"], direction=Direction.MINIMIZE, n_best=n_best
    )


def test_levels_colour_one_group_each_with_missing_for_runs_the_sweep_lacks() -> None:
    plot = learning_curves_plot(curves(), sweep=sweep(), colour="opt")
    assert [g.label for g in plot.groups] == ["adam", "sgd", MISSING_LEVEL]
    adam, sgd, missing = plot.groups
    assert set(adam.run_ids) == {"r2", "r4", "r6"} and set(sgd.run_ids) == {
        "r3",
        "r5",
        "r7",
    }  # r0, r1 are best
    assert missing.run_ids == ["stranger"] and missing.colour == MISSING_COLOUR
    assert adam.colour != sgd.colour and plot.colour_bar is None and plot.legend_title == "opt"
    # one NaN after each curve, four points per curve, each curve's points in step order
    assert int(np.isnan(adam.x).sum()) == 3 and int((~np.isnan(adam.x)).sum()) == 12
    assert list(adam.x[:5]) == pytest.approx([0, 1, 2, 3, np.nan], nan_ok=True)
    assert adam.text is not None and list(adam.text[:4]) == [adam.run_ids[0]] * 4


def test_the_best_runs_are_drawn_last_in_their_groups_colour() -> None:
    plot = learning_curves_plot(curves(), sweep=sweep(), colour="opt")
    assert [g.label for g in plot.best] == ["r1", "r0"]  # the very best last, on top
    colours = {g.label: g.colour for g in plot.groups}
    assert plot.best[1].colour == colours["adam"] and plot.best[0].colour == colours["sgd"]
    assert list(plot.best[1].y[:4]) == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4])
    figure = draw_learning_curves(plot)
    assert figure.data[-1].name == "best: r0" and figure.data[-1].line.width > figure.data[0].line.width


def test_a_log_scaled_parameter_colours_in_equal_steps_of_log10() -> None:
    plot = learning_curves_plot(curves(n_best=0), sweep=sweep(), colour="lr")
    bar = plot.colour_bar
    assert bar is not None and (bar.cmin, bar.cmax) == pytest.approx((-5, -1))
    assert "1e-3" in bar.ticktext
    by_run = {run: g.label for g in plot.groups for run in g.run_ids}
    # log10(lr) from -5 to -1 in 8 steps of 0.5: 1e-5 -> first, 1e-3 -> fifth (-3 .. -2.5), 1e-1 -> last
    labels = [g.label for g in plot.groups]
    assert by_run["r0"] == labels[0] and by_run["r3"].startswith("1e-3") and by_run["r7"] == labels[-2]
    assert by_run["stranger"] == MISSING_LEVEL
    assert len({g.colour for g in plot.groups}) == len(plot.groups)


def test_a_linear_parameter_colours_in_equal_steps_of_its_range() -> None:
    plot = learning_curves_plot(curves(n_best=0), sweep=sweep(), colour="width")
    bar = plot.colour_bar
    assert bar is not None and (bar.cmin, bar.cmax) == (10, 80)
    groups = {run: i for i, g in enumerate(plot.groups) for run in g.run_ids}
    # 8 steps of 8.75 over 10..80: each run falls in its own step
    assert [groups[r] for r in IDS] == list(range(N_COLOUR_STEPS))


def test_without_a_colour_all_curves_are_one_trace() -> None:
    plot = learning_curves_plot(curves(n_best=1))
    assert len(plot.groups) == 1 and len(plot.groups[0].run_ids) == 8 and plot.colour_bar is None
    figure = draw_learning_curves(plot)
    curve_traces = [
        t for t in figure.data if t.mode == "lines" and t.name not in ("median", "25–75% of runs")
    ]
    assert [len(t.x) for t in curve_traces] == [8 * 5, 5]  # one trace of the other eight runs, then the best
    assert {t.type for t in figure.data} == {"scattergl"}


def test_the_figure_draws_the_band_and_says_how_many_are_shown() -> None:
    figure = learning_curves_figure(curves(), sweep=sweep(), colour="opt", log_y=True)
    names = [t.name for t in figure.data]
    assert "median" in names and "25–75% of runs" in names
    upper, lower = (t for t in figure.data if t.name == "25–75% of runs")
    assert lower.fill == "tonexty" and upper.showlegend is False
    assert list(lower.y) == pytest.approx([2 + 1 / (t + 1) for t in range(4)])  # q25 of offsets 0..8 is 2
    assert list(upper.y) == pytest.approx([6 + 1 / (t + 1) for t in range(4)])
    assert names.index("median") < names.index("best: r0")  # the band under the best runs
    assert "showing 9 of 9 runs" in figure.layout.title.text
    assert figure.layout.yaxis.type == "log" and figure.layout.xaxis.title.text == "epoch"
    legend = {t.name for t in figure.data if t.showlegend is not False}
    assert {"adam", "sgd", MISSING_LEVEL, "best: r0", "best: r1"} <= legend


def test_numeric_colour_has_a_colour_bar_and_no_legend_entry_per_step() -> None:
    figure = learning_curves_figure(curves(n_best=0), sweep=sweep(), colour="width")
    bars = [t for t in figure.data if t.marker is not None and t.marker.showscale]
    assert len(bars) == 1 and bars[0].marker.colorbar.title.text == "width"
    step_traces = [
        t
        for t in figure.data
        if t.mode == "lines" and t.name and "–" in t.name and t.name != "25–75% of runs"
    ]
    assert step_traces and all(t.showlegend is False for t in step_traces)


def test_many_points_drop_the_per_point_run_id() -> None:
    n_steps = MAX_HOVER_POINTS // 9 + 10
    plot = learning_curves_plot(
        learning_curves(
            history(n_steps), run_ids=[*IDS, "stranger"], direction=Direction.MINIMIZE, max_points=n_steps
        )
    )
    assert plot.groups[0].text is None and plot.best[0].text is not None
