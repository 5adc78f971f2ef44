"""The parallel-coordinates page driven through its chart component's state, as the browser sets it
after a brush or an axis drag (AppTest can set a component's state through `session_state`)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib.ui.parcoords_component import CHART_KEY
from lib.ui.session import GENERATION_KEY
from tests.app.conftest import APP_DIR, assert_drawn, page_text
from tests.app.test_parallel_page import PARCOORDS_COMPONENT, kept_count, sidebar_widget

AXES = "optimizer,learning_rate,val_loss,val_accuracy"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.chdir(APP_DIR)
    at = AppTest.from_file(str(APP_DIR / "streamlit_app.py"), default_timeout=60)
    at.query_params["src"] = "demo"
    at.query_params["axes"] = AXES
    at.run()
    at.switch_page("pages/parallel.py")
    at.run()
    assert_drawn(at)
    yield at
    assert_drawn(at)


def sent(app: AppTest) -> dict:
    (chart,) = [c for c in app.get("bidi_component") if c.proto.component_name == PARCOORDS_COMPONENT]
    return json.loads(chart.proto.json)


def chart_key(app: AppTest) -> str:
    generation = app.session_state.get(GENERATION_KEY, 0)
    return f"{CHART_KEY}.{generation}"


def brush(app: AppTest, ranges: dict, order: list[str] | None = None, report: str = "1") -> AppTest:
    """What the chart sets after a brush: the ranges changed since the figure was drawn (encoded)."""
    data = sent(app)
    columns = data["figure"]["data"][0]["meta"]["columns"]
    payload = {"id": report, "revision": data["revision"], "ranges": ranges, "order": order or columns}
    app.session_state[chart_key(app)] = {"brush": payload}
    app.run()
    assert_drawn(app)
    return app


def finished(app: AppTest) -> pd.DataFrame:
    runs = app.session_state["sweep.loaded"].runs
    return runs[runs["run.state"] == "finished"]


def dimension(app: AppTest, column: str) -> dict:
    trace = sent(app)["figure"]["data"][0]
    return dict(zip(trace["meta"]["columns"], trace["dimensions"], strict=True))[column]


def test_brushing_the_metric_filters_the_kept_runs_and_shows_in_the_sidebar(app: AppTest) -> None:
    brush(app, {"val_accuracy": [[0.9, 0.97]]})
    runs = finished(app)
    expected = int(runs["val_accuracy"].between(0.9, 0.97).sum())
    assert 0 < expected < len(runs)
    assert kept_count(app)[0] == expected
    assert app.query_params["f.val_accuracy"] == "0.9~0.97"
    slider = sidebar_widget(app, "select_slider", "val_accuracy")
    assert tuple(slider.value) == (0.9, 0.97)  # the brushed range exactly, not snapped to a step
    assert "constraintrange" in dimension(app, "val_accuracy")  # drawn again, so the brush stays
    kept_table = next(f.value for f in app.dataframe if "val_accuracy" in f.value.columns)
    assert len(kept_table) == expected


def test_several_ranges_on_one_axis_stay_several_until_the_slider_moves(app: AppTest) -> None:
    brush(app, {"val_accuracy": [[0.2, 0.4], [0.9, 0.97]]})
    values = finished(app)["val_accuracy"]
    assert kept_count(app)[0] == int((values.between(0.2, 0.4) | values.between(0.9, 0.97)).sum())
    assert tuple(sidebar_widget(app, "select_slider", "val_accuracy").value) == (0.2, 0.97)
    assert any(c.value.startswith("2 ranges on the chart") for c in app.sidebar.caption)
    app.run()  # another run leaves both ranges as they are
    assert app.query_params["f.val_accuracy"] == "0.2~0.4,0.9~0.97"
    sidebar_widget(app, "select_slider", "val_accuracy").set_range(0.2, values.max()).run()  # moved
    assert kept_count(app)[0] == int((values >= 0.2).sum())
    assert not any(c.value.startswith("2 ranges") for c in app.sidebar.caption)


def test_a_log_axis_brush_filters_in_real_units_and_a_level_brush_by_name(app: AppTest) -> None:
    brush(app, {"learning_rate": [[-3, -2]]})
    axis = dimension(app, "optimizer")
    level = dict(zip(axis["tickvals"], axis["ticktext"], strict=True))[1.0]  # the level drawn at code 1
    brush(app, {"optimizer": [[0.8, 1.2]]}, report="2")
    runs = finished(app)
    expected = runs["learning_rate"].between(1e-3, 1e-2) & (runs["optimizer"] == level)
    assert kept_count(app)[0] == int(expected.sum()) > 0
    assert sidebar_widget(app, "multiselect", "optimizer").value == [level]
    low, high = sidebar_widget(app, "select_slider", "learning_rate").value
    np.testing.assert_allclose([low, high], [1e-3, 1e-2], rtol=1e-12)
    assert "Kept runs, best first" in page_text(app)


def test_each_report_is_applied_once(app: AppTest) -> None:
    brush(app, {"val_accuracy": [[0.9, 0.97]]})
    sidebar_widget(app, "select_slider", "val_accuracy").set_range(
        0.9, finished(app)["val_accuracy"].max()
    ).run()
    after_slider = kept_count(app)
    assert after_slider[0] == int((finished(app)["val_accuracy"] >= 0.9).sum())
    app.run()  # the chart's state still holds the same report: it is not applied again
    assert kept_count(app) == after_slider


def test_clearing_an_axis_removes_its_filter(app: AppTest) -> None:
    brush(app, {"val_accuracy": [[0.9, 0.97]]})
    brush(app, {"val_accuracy": None}, report="2")
    assert kept_count(app)[0] == len(finished(app))
    assert "f.val_accuracy" not in app.query_params


def test_a_dragged_axis_order_becomes_the_axes(app: AppTest) -> None:
    order = ["learning_rate", "optimizer", "val_loss", "val_accuracy"]
    brush(app, {}, order=order)
    assert sent(app)["figure"]["data"][0]["meta"]["columns"] == order
    assert sidebar_widget(app, "multiselect", "Axes, in order").value == order
    assert app.query_params["axes"] == ",".join(order)


def test_a_report_about_a_chart_not_drawn_is_ignored(app: AppTest) -> None:
    before = kept_count(app)
    app.session_state[chart_key(app)] = {
        "brush": {"id": "x", "revision": "not-drawn", "ranges": {"val_accuracy": [[0.9, 1]]}, "order": []}
    }
    app.run()
    assert kept_count(app) == before
