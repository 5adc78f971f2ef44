"""The variance-share chart: bars from the report (data step), and the figure that draws them."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from lib.analysis.fanova import fanova_report
from lib.figures.fanova import INTERACTIONS_LABEL, variance_bars, variance_share_figure
from tests.analysis.test_fanova import NUMERIC, uniform_runs


@pytest.fixture(scope="module")
def report():
    runs = uniform_runs()
    runs["y"] = 3 * runs["x1"] + runs["x2"]
    return fanova_report(runs, ["x1", "x2", "x3"], "y", kinds=NUMERIC, n_trees=8)


def test_bars_are_the_parameters_largest_first_then_the_interactions(report) -> None:
    bars = variance_bars(report)
    assert bars.names == ["x1", "x2", "x3", INTERACTIONS_LABEL]
    assert bars.shares[-1] == pytest.approx(report.interaction_share)
    assert bars.shares[:-1] == pytest.approx(report.table["variance_share"].tolist())
    assert all(v >= 0 for v in bars.above + bars.below)
    assert bars.above[-1] == bars.below[-1] == 0.0
    assert len(set(bars.colours[:-1])) == 1 and bars.colours[-1] != bars.colours[0]


def test_figure_has_one_bar_per_parameter_and_one_for_interactions(report) -> None:
    figure = variance_share_figure(report)
    assert isinstance(figure, go.Figure)
    assert list(figure.data[0].y) == ["x1", "x2", "x3", INTERACTIONS_LABEL]
    assert figure.data[0].x[-1] == pytest.approx(report.interaction_share)
    bars = variance_bars(report)
    assert list(figure.data[0].error_x.array) == pytest.approx(bars.above)
    assert figure.layout.height == 80 + 26 * len(bars.names)
