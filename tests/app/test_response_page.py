"""The shape-of-the-response page on the demo sweep, asserting on the figures Plotly receives."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import lib.ui.cache
from lib.analysis.importance import ImportanceReport, importance_report
from lib.columns import Kind
from tests.app.conftest import assert_drawn, figures, open_page


@pytest.fixture
def reports(monkeypatch: pytest.MonkeyPatch) -> list[ImportanceReport]:
    """Every importance fit the page asks for (it orders the parameters by importance)."""
    made: list[ImportanceReport] = []

    def recording(*args, **kwargs):
        made.append(importance_report(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(lib.ui.cache, "importance_report", recording)
    return made


def open_response(app: AppTest) -> AppTest:
    return open_page(app, "pages/response.py")


def values(array: dict | list) -> list[float]:
    """A trace's numbers, whether Plotly wrote them as a list or as base64 `bdata`."""
    if isinstance(array, list):
        return array
    return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"])).tolist()


def curves(app: AppTest) -> dict[str, dict]:
    """The one-parameter charts by the parameter on their x axis (the heatmap is not one of them)."""
    found = {}
    for spec in figures(app):
        if any(trace["type"] == "heatmap" for trace in spec["data"]):
            continue
        found[spec["layout"]["xaxis"]["title"]["text"]] = spec
    return found


def test_one_chart_per_shown_parameter_most_important_first(
    app: AppTest, reports: list[ImportanceReport]
) -> None:
    open_response(app)
    sweep = app.session_state["sweep.loaded"]
    assert len(reports) == 1
    ranked = list(reports[0].table["parameter"])
    top = app.slider(key="response.top")
    assert len(curves(app)) == top.value
    assert set(curves(app)) == set(ranked[: top.value])

    categorical = next(p for p in ("optimizer", "activation") if sweep.kind(p) is Kind.CATEGORICAL)
    needed = max(ranked.index("learning_rate"), ranked.index(categorical)) + 1
    shown = min(max(needed, top.value + 1), top.max)
    assert shown != top.value
    top.set_value(shown).run()
    assert_drawn(app)
    charts = curves(app)
    assert len(charts) == shown and set(charts) == set(ranked[:shown])
    assert len(reports) == 1  # the order comes from the cached fit

    lr = charts["learning_rate"]
    assert sweep.kind("learning_rate") is Kind.LOG
    assert lr["layout"]["xaxis"]["type"] == "log"
    assert lr["layout"]["xaxis"]["ticktext"]  # real-unit labels
    assert all(trace["type"] != "bar" for trace in lr["data"])

    if categorical in charts:
        bars = [t for t in charts[categorical]["data"] if t["type"] == "bar"]
        assert len(bars) == 1
        levels = set(sweep.runs[categorical].dropna().astype(str))
        assert set(charts[categorical]["layout"]["xaxis"]["ticktext"]) <= levels
        assert charts[categorical]["layout"]["xaxis"].get("type") != "log"

    heatmaps = [s for s in figures(app) if any(t["type"] == "heatmap" for t in s["data"])]
    assert len(heatmaps) == 1
    assert "The pair that interacts most" in [s.value for s in app.subheader]


def test_the_metric_picker_switches_every_chart_to_val_loss(app: AppTest) -> None:
    open_response(app)
    picker = app.selectbox(key="response.metric")
    assert picker.value == "val_accuracy"
    picker.set_value("val_loss").run()
    assert_drawn(app)
    charts = curves(app)
    assert len(charts) == app.slider(key="response.top").value
    assert all(spec["layout"]["yaxis"]["title"]["text"] == "val_loss" for spec in charts.values())
    assert "predicted val_loss" in "\n".join(c.value for c in app.caption).lower()
    numeric = [spec for spec in charts.values() if all(t["type"] != "bar" for t in spec["data"])]
    assert numeric
    for spec in numeric:  # val_loss is minimized: the star sits at the lowest point of the line
        line = next(t for t in spec["data"] if t.get("name") == "partial dependence")
        star = next(t for t in spec["data"] if str(t.get("name", "")).startswith("best"))
        assert star["y"][0] == pytest.approx(min(values(line["y"])))
