"""Search-history charts: the data step (points, best-so-far lines, panels) and the figures drawn from it."""

from __future__ import annotations

import numpy as np
import pytest

from lib.analysis.history import NO_SWEEP, search_history
from lib.columns import Direction
from lib.figures.history import history_figure, history_plot, sampling_figure, sampling_plot
from tests.analysis.test_history import designed_sweep


def test_history_plot_has_points_per_sweep_without_failed_runs_and_the_best_line() -> None:
    history = search_history(designed_sweep(), "score")
    plot = history_plot(history, "score", Direction.MAXIMIZE)
    assert [p.sweep for p in plot.points] == ["s1", "s2", NO_SWEEP]
    assert sum(len(p.x) for p in plot.points) == 8  # the two failed runs are not drawn
    assert list(plot.points[0].x) == [1, 2, 4, 5]
    assert list(plot.best.y) == pytest.approx(history["best_so_far"].tolist())
    assert [line.sweep for line in plot.sweep_best] == ["s1", "s2", NO_SWEEP]  # several sweeps
    assert "2 runs without it" in plot.title
    assert plot.x_title == "run, in the order created" and plot.y_title == "score (higher is better)"


def test_sampling_plot_has_a_panel_per_parameter_in_log_and_level_coordinates() -> None:
    plot = sampling_plot(designed_sweep(), ["lr", "opt", "not_a_column"], metric="score", best_percent=20)
    lr, opt = plot.panels
    assert (lr.parameter, opt.parameter) == ("lr", "opt")
    assert "1e-3" in lr.ticktext and opt.ticktext == ["adam", "rmsprop", "sgd"]
    assert sum(len(p.x) for p in lr.points) == 10
    s1 = next(p for p in lr.points if p.sweep == "s1")
    assert list(s1.x) == [1, 2, 3, 4, 5] and s1.y[0] == pytest.approx(-4)
    assert lr.ringed is not None and sorted(lr.ringed[0]) == [8, 10]
    assert plot.best_label == "best 20% by score"
    codes = np.concatenate([p.y for p in opt.points])
    assert np.all(np.abs(codes - np.round(codes)) <= 0.15)  # level codes, jittered a little
    assert sampling_plot(designed_sweep(), ["lr"]).panels[0].ringed is None


# --- the drawing step ---------------------------------------------------------------------------


def test_history_figure_draws_points_per_sweep_and_the_best_line() -> None:
    history = search_history(designed_sweep(), "score")
    figure = history_figure(history, "score", Direction.MAXIMIZE)
    names = [t.name for t in figure.data]
    assert {"sweep s1", "sweep s2", NO_SWEEP, "best so far"} <= set(names)
    points = sum(len(t.x) for t in figure.data if t.mode == "markers")
    assert points == 8  # the two failed runs are not drawn
    best = next(t for t in figure.data if t.name == "best so far")
    assert list(best.y) == pytest.approx(history["best_so_far"].tolist())
    assert "2 runs without it" in figure.layout.title.text
    assert figure.layout.xaxis.title.text == "run, in the order created"


def test_sampling_figure_has_one_panel_per_parameter_with_log_and_level_axes() -> None:
    figure = sampling_figure(designed_sweep(), ["lr", "opt"], metric="score", best_percent=20)
    assert figure.layout.yaxis.ticktext is not None and "1e-3" in figure.layout.yaxis.ticktext
    assert list(figure.layout.yaxis2.ticktext) == ["adam", "rmsprop", "sgd"]
    lr_points = [t for t in figure.data if t.xaxis == "x" and t.legendgroup != "best"]
    assert sum(len(t.x) for t in lr_points) == 10
    ringed = [t for t in figure.data if t.legendgroup == "best" and t.xaxis == "x"]
    assert sorted(ringed[0].x) == [8, 10]  # the best 20%: runs 8 (0.95) and 10 (0.94)
    s1 = next(t for t in lr_points if t.name == "sweep s1")
    assert list(s1.x) == [1, 2, 3, 4, 5]
    assert s1.y[0] == pytest.approx(-4)  # log10 coordinates, labelled in real units


def test_demo_sampling_figure_counts_runs_without_a_parameter() -> None:
    from lib.sources.demo import load_demo

    demo = load_demo()
    figure = sampling_figure(demo, ["learning_rate", "optimizer", "momentum"], metric="val_accuracy")
    assert "momentum (" in figure.layout.annotations[2].text  # runs without momentum are counted
    plot = sampling_plot(demo, ["learning_rate", "optimizer", "momentum"], metric="val_accuracy")
    assert [a.text for a in figure.layout.annotations] == [p.title for p in plot.panels]
