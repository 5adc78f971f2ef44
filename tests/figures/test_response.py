"""Response charts: the data step (coordinates, ticks, text) and the figures drawn from it."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import pytest

from lib.analysis.response import ResponseCurve, response_curves, response_shape, strongest_interaction
from lib.analysis.response_model import fit_response_model
from lib.columns import Direction
from lib.figures.response import curve_plot, interaction_figure, response_figure, surface_plot
from tests.analysis.test_response import PARAMS, designed_runs, kinds_of


@pytest.fixture(scope="module")
def runs():
    return designed_runs()


@pytest.fixture(scope="module")
def model(runs):
    return fit_response_model(runs, PARAMS, "score", kinds=kinds_of(runs))


@pytest.fixture(scope="module")
def curves(model) -> dict[str, ResponseCurve]:
    return {c.parameter: c for c in response_curves(model, PARAMS)}


# --- the data step ------------------------------------------------------------------------------


def test_numeric_curve_plot_has_log_ticks_in_real_units_and_every_run_with_the_metric(runs, curves) -> None:
    plot = curve_plot(curves["lr"], runs, "score", Direction.MAXIMIZE)
    assert plot.log and not plot.is_levels
    assert (
        plot.y_range is not None
        and plot.y_range[0] <= runs["score"].min() <= runs["score"].max() <= plot.y_range[1]
    )
    assert "off the scale" not in plot.title  # no outlier in these runs: every run is in view
    assert plot.x_ticks is not None and "1e-3" in plot.x_ticks.ticktext
    assert 10 ** min(plot.x_ticks.tickvals) <= curves["lr"].x[0]
    for value, text in zip(plot.x_ticks.tickvals, plot.x_ticks.ticktext, strict=True):
        assert value == pytest.approx(math.log10(float(text)))
    assert len(plot.runs.x) == int(runs["score"].notna().sum())
    assert plot.best == curves["lr"].best_index(Direction.MAXIMIZE)


def test_one_diverged_run_does_not_flatten_the_curve_and_is_named(runs, curves) -> None:
    diverged = runs.copy()
    worst = diverged["score"].idxmin()
    spread = runs["score"].max() - runs["score"].min()
    diverged.loc[worst, "score"] = runs["score"].min() - 50 * spread  # a run that blew up
    plot = curve_plot(curves["lr"], diverged, "score", Direction.MAXIMIZE)
    assert plot.y_range is not None
    assert plot.y_range[0] > diverged.loc[worst, "score"]  # the outlier is off the scale
    shown = plot.y_range[1] - plot.y_range[0]
    assert shown < 2 * spread  # the bulk of the runs fills the chart
    assert "1 run off the scale" in plot.title


def test_an_integer_parameter_gets_whole_number_ticks() -> None:
    from lib.columns import Kind

    runs_frame = designed_runs()
    runs_frame["layers"] = np.random.default_rng(1).integers(1, 4, len(runs_frame)).astype(float)
    model = fit_response_model(
        runs_frame, ["layers", "lr"], "score", kinds={"layers": Kind.INTEGER, "lr": Kind.LOG}
    )
    (curve,) = [c for c in response_curves(model, ["layers"]) if c.parameter == "layers"]
    plot = curve_plot(curve, runs_frame, "score", Direction.MAXIMIZE)
    assert plot.x_ticks is not None and plot.x_ticks.tickvals == [1.0, 2.0, 3.0]
    figure = response_figure(curve, runs_frame, "score", Direction.MAXIMIZE)
    assert list(figure.layout.xaxis.tickvals) == [1.0, 2.0, 3.0]


def test_levels_curve_plot_places_levels_and_only_runs_with_a_value(runs, curves) -> None:
    plot = curve_plot(curves["optimizer"], runs, "score", Direction.MAXIMIZE)
    assert plot.is_levels and list(plot.x) == [0.0, 1.0, 2.0]
    assert plot.x_ticks is not None and plot.x_ticks.ticktext == ["adam", "rmsprop", "sgd"]
    assert plot.y_range is not None
    assert plot.y_range[0] < min(plot.ice_low.min(), plot.runs.y.min())
    assert plot.y_range[1] > max(plot.ice_high.max(), plot.runs.y.max())
    assert np.all(np.abs(plot.runs.x - np.round(plot.runs.x)) <= 0.22)  # jittered around the level
    momentum = curve_plot(curves["momentum"], runs, "score", Direction.MAXIMIZE)
    assert len(momentum.runs.x) == curves["momentum"].n_runs
    assert "without it" in momentum.title


def test_surface_plot_is_the_pair_transposed_with_runs(runs, model) -> None:
    pair = strongest_interaction(model, ["lr", "optimizer", "momentum"])
    assert pair is not None
    plot = surface_plot(pair, "score", Direction.MINIMIZE, runs)
    assert plot.reversescale and plot.z.shape == (pair.values.shape[1], pair.values.shape[0])
    assert plot.labels.shape[:2] == plot.z.shape
    assert plot.runs is not None and 0 < len(plot.runs.x) <= int(runs["score"].notna().sum())
    assert surface_plot(pair, "score", Direction.MAXIMIZE).runs is None


# --- the drawing step ---------------------------------------------------------------------------


def test_numeric_figure_uses_a_log_axis_in_real_units(runs, curves) -> None:
    figure = response_figure(curves["lr"], runs, "score", Direction.MAXIMIZE)
    assert isinstance(figure, go.Figure)
    assert figure.layout.xaxis.type == "log"
    assert min(figure.layout.xaxis.tickvals) <= curves["lr"].x[0]
    assert "1e-3" in figure.layout.xaxis.ticktext
    drawn_runs = figure.data[0]
    assert len(drawn_runs.x) == int(runs["score"].notna().sum())


def test_levels_figure_has_one_bar_per_level_and_only_runs_with_a_value(runs, curves) -> None:
    figure = response_figure(curves["optimizer"], runs, "score", Direction.MAXIMIZE)
    bars = [t for t in figure.data if t.type == "bar"]
    assert len(bars) == 1 and len(bars[0].x) == 3
    assert list(figure.layout.xaxis.ticktext) == ["adam", "rmsprop", "sgd"]
    momentum_figure = response_figure(curves["momentum"], runs, "score", Direction.MAXIMIZE)
    assert len(momentum_figure.data[0].x) == curves["momentum"].n_runs
    assert "without it" in momentum_figure.layout.title.text


def test_interaction_figure_draws_the_surface_and_runs(runs, model) -> None:
    pair = strongest_interaction(model, ["lr", "optimizer", "momentum"])
    assert pair is not None
    figure = interaction_figure(pair, "score", Direction.MINIMIZE, runs=runs)
    heatmap = figure.data[0]
    assert heatmap.type == "heatmap" and heatmap.reversescale
    assert np.asarray(heatmap.z).shape == (pair.values.shape[1], pair.values.shape[0])
    assert len(figure.data) == 2


def test_figures_carry_the_data_steps_ticks_and_points(runs, curves) -> None:
    plot = curve_plot(curves["lr"], runs, "score", Direction.MAXIMIZE)
    figure = response_figure(curves["lr"], runs, "score", Direction.MAXIMIZE)
    assert plot.x_ticks is not None
    assert list(figure.layout.xaxis.tickvals) == pytest.approx([10**t for t in plot.x_ticks.tickvals])
    assert list(figure.layout.xaxis.ticktext) == plot.x_ticks.ticktext
    np.testing.assert_array_equal(np.asarray(figure.data[0].y), plot.runs.y)
    assert figure.data[-1].name == f"best: {plot.best_label}"
    levels = curve_plot(curves["optimizer"], runs, "score", Direction.MAXIMIZE)
    level_figure = response_figure(curves["optimizer"], runs, "score", Direction.MAXIMIZE)
    assert list(level_figure.layout.yaxis.range) == pytest.approx(list(levels.y_range))


def test_every_demo_curve_draws() -> None:
    from lib.sources.demo import load_demo

    sweep = load_demo()
    top = ["learning_rate", "optimizer", "momentum", "dataloader_workers", "alpha"]
    shape = response_shape(sweep.runs, sweep.analysable_params, "val_accuracy", top=top, kinds=sweep.kinds)
    for curve in shape.curves:
        assert isinstance(response_figure(curve, sweep.runs, "val_accuracy", Direction.MAXIMIZE), go.Figure)
