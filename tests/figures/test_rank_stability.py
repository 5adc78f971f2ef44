"""The rank-stability chart: Spearman and the kept share by step, the threshold, the agreeing step."""

from __future__ import annotations

import pytest

from lib.analysis.rank_stability import rank_stability
from lib.columns import Direction
from lib.figures.rank_stability import rank_stability_figure
from tests.analysis.test_rank_stability import history_of, settles_at_step_2


def test_the_chart_draws_spearman_the_kept_share_and_where_it_agrees() -> None:
    result = rank_stability(history_of(settles_at_step_2), direction=Direction.MINIMIZE, threshold=0.8)
    figure = rank_stability_figure(result)
    spearman, kept = figure.data
    assert list(spearman.x) == [0, 1, 2, 3, 4, 5]
    assert list(spearman.y) == pytest.approx([-1, -1, 1, 1, 1, 1])
    assert list(spearman.customdata) == [10] * 6  # runs reporting, shown on hover
    assert list(kept.y) == pytest.approx([0, 0, 1, 1, 1, 1]) and "top 25%" in kept.name
    lines = {(shape.type, shape.y0, shape.x0) for shape in figure.layout.shapes}
    assert ("line", 0.8, 0) in lines  # the threshold across the chart
    assert any(shape.x0 == 2 and shape.x1 == 2 for shape in figure.layout.shapes)  # agrees from step 2
    texts = [a.text for a in figure.layout.annotations]
    assert "agreement 0.8" in texts and "agrees from step 2" in texts
    assert figure.layout.xaxis.title.text == "step" and "loss" in figure.layout.title.text


def test_without_an_agreeing_step_there_is_no_vertical_mark() -> None:
    result = rank_stability(
        history_of(lambda i, t: -i if t < 5 else i), direction=Direction.MINIMIZE, threshold=1.5
    )
    figure = rank_stability_figure(result)
    assert result.stable_from is None
    assert len(figure.layout.shapes) == 1  # the threshold line only


def test_too_few_runs_draw_an_empty_chart_that_says_so() -> None:
    result = rank_stability(history_of(settles_at_step_2, n_runs=3), direction=Direction.MINIMIZE)
    figure = rank_stability_figure(result)
    assert len(figure.data) == 0
    assert [a.text for a in figure.layout.annotations] == [result.sentence]
    assert result.sentence.startswith("Too few runs to tell")
