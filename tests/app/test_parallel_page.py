"""The parallel-coordinates page, driven like a user, asserting on the figure Plotly receives."""

from __future__ import annotations

import json
import math

import pandas as pd
from streamlit.testing.v1 import AppTest

from lib.safe_text import md
from tests.app.conftest import page_text


def open_parallel(app: AppTest) -> AppTest:
    app.run()
    app.switch_page("pages/parallel.py")
    return app.run()


PARCOORDS_COMPONENT = "sweepscope.parcoords"


def figure(app: AppTest) -> dict:
    """The figure the parallel-coordinates component was sent to draw."""
    charts = [c for c in app.get("bidi_component") if c.proto.component_name == PARCOORDS_COMPONENT]
    assert len(charts) == 1
    return json.loads(charts[0].proto.json)["figure"]


def dimensions(app: AppTest) -> dict[str, dict]:
    trace = figure(app)["data"][0]
    return {column: dim for column, dim in zip(trace["meta"]["columns"], trace["dimensions"], strict=True)}


def sidebar_widget(app: AppTest, kind: str, label_start: str):
    return next(w for w in app.sidebar.get(kind) if w.label.startswith(label_start))


def n_runs(app: AppTest) -> int:
    return len(app.session_state["sweep.loaded"].runs)


def finished_runs(app: AppTest) -> pd.DataFrame:
    """The runs included by default: the demo's failed runs are left out until a user adds them."""
    runs = app.session_state["sweep.loaded"].runs
    return runs[runs["run.state"] == "finished"]


def kept_count(app: AppTest) -> tuple[int, int]:
    """(kept, loaded) from the context line `metric, direction · 47 of 224 runs: ...`."""
    line = next(m.value for m in app.markdown if " runs" in m.value and " · " in m.value)
    kept, total = line.strip("*").split(" · ")[1].split(" runs")[0].split(" of ")
    return int(kept.replace(",", "")), int(total.replace(",", ""))


def test_default_view_orders_axes_by_importance_with_the_metric_last(app: AppTest) -> None:
    open_parallel(app)
    assert not app.exception
    axes = list(dimensions(app))
    assert axes[-1] == "val_accuracy"
    assert "dataloader_workers" not in axes[:3]  # the parameter with no effect is not up front
    assert {"learning_rate", "optimizer"} <= set(axes)
    lr = dimensions(app)["learning_rate"]
    assert any(t in lr["ticktext"] for t in ("1e-4", "1e-3", "0.001", "0.01"))  # real units on a log axis
    assert kept_count(app) == (len(finished_runs(app)), n_runs(app))
    assert app.query_params["axes"].split(",")[-1] == "val_accuracy"


def test_best_percent_keeps_the_best_runs_and_draws_the_range_on_the_metric_axis(app: AppTest) -> None:
    open_parallel(app)
    sidebar_widget(app, "slider", "Keep the best q%").set_value(10).run()
    assert not app.exception
    kept, total = kept_count(app)
    values = finished_runs(app)["val_accuracy"].dropna().sort_values(ascending=False)
    cutoff = values.iloc[math.ceil(len(values) / 10) - 1]
    assert total == n_runs(app)
    assert kept == int((values >= cutoff).sum())  # the best 10%, and every run tied with the cut-off
    assert "constraintrange" in dimensions(app)["val_accuracy"]
    assert app.query_params["q"] == "10.0"
    text = page_text(app)
    assert "Promising region" in text and "learning_rate: kept runs use" in text
    kept_table = next(f.value for f in app.dataframe if "val_accuracy" in f.value.columns)
    assert len(kept_table) == kept
    assert kept_table["val_accuracy"].is_monotonic_decreasing  # best first for a maximized metric


def test_hiding_filtered_runs_draws_only_the_kept_ones(app: AppTest) -> None:
    open_parallel(app)
    sidebar_widget(app, "slider", "Keep the best q%").set_value(25).run()
    sidebar_widget(app, "toggle", "Hide runs outside").set_value(True).run()
    kept, _ = kept_count(app)
    assert len(dimensions(app)["val_accuracy"]["values"]["bdata"]) > 0
    assert f"showing {kept:,} of {len(finished_runs(app)):,} runs" in page_text(app)


def test_a_shared_link_reopens_the_same_view(app: AppTest) -> None:
    app.query_params["src"] = "demo"  # every link the app writes names its sweep
    app.query_params["axes"] = "optimizer,learning_rate,val_loss,val_accuracy"
    app.query_params["flip"] = "val_loss"
    app.query_params["c"] = "val_loss"
    app.query_params["f.optimizer"] = "adam"
    app.query_params["f.val_accuracy"] = "0.9~1.0"
    open_parallel(app)
    assert not app.exception
    dims = dimensions(app)
    assert list(dims) == ["optimizer", "learning_rate", "val_loss", "val_accuracy"]
    assert dims["val_loss"]["range"][0] > dims["val_loss"]["range"][1]  # flipped
    assert "constraintrange" in dims["optimizer"] and "constraintrange" in dims["val_accuracy"]
    assert figure(app)["data"][0]["line"]["colorbar"]["title"]["text"].startswith("val_loss")
    runs = finished_runs(app)
    expected = int(((runs["optimizer"] == "adam") & (runs["val_accuracy"] >= 0.9)).sum())
    assert kept_count(app) == (expected, n_runs(app))


def test_the_view_survives_switching_pages(app: AppTest) -> None:
    open_parallel(app)
    sidebar_widget(app, "slider", "Keep the best q%").set_value(10).run()
    before = kept_count(app)
    app.switch_page("pages/load.py").run()
    app.switch_page("pages/parallel.py").run()
    assert not app.exception
    assert kept_count(app) == before
    assert app.query_params["q"] == "10.0"


def test_a_categorical_filter_keeps_only_its_levels(app: AppTest) -> None:
    open_parallel(app)
    sidebar_widget(app, "multiselect", "Parameter filters").set_value(["optimizer"]).run()
    sidebar_widget(app, "multiselect", "optimizer").set_value(["sgd"]).run()
    assert not app.exception
    runs = finished_runs(app)
    assert kept_count(app) == (int((runs["optimizer"] == "sgd").sum()), n_runs(app))
    assert app.query_params["f.optimizer"] == "sgd"


def test_the_run_state_filter_is_shared_with_every_page(app: AppTest) -> None:
    open_parallel(app)
    states = sidebar_widget(app, "multiselect", "States")
    assert states.value == ["finished"]  # rankings use finished runs by default
    states.set_value(["failed", "finished"]).run()
    assert not app.exception
    assert kept_count(app) == (n_runs(app), n_runs(app))
    app.switch_page("pages/importance.py").run()
    banner = next(c.value for c in app.sidebar.caption if " runs · " in c.value)
    assert banner.startswith(f"{n_runs(app)} runs")


def test_kept_runs_show_the_run_columns_under_plain_headers(app: AppTest) -> None:
    open_parallel(app)
    kept = app.dataframe[0]
    headers = {column: config.get("label") for column, config in json.loads(kept.proto.columns).items()}
    assert headers["run.name"] == "run" and headers["run.state"] == "state" and headers["_index"] == "run id"
    assert "learning_rate" in kept.value.columns and "learning_rate" not in headers  # a user's names stay


def test_more_axes_than_the_picker_shows_are_listed_in_order(app: AppTest) -> None:
    open_parallel(app)
    picker = sidebar_widget(app, "multiselect", "Axes, in order")
    captions = lambda: [c.value for c in app.sidebar.caption if c.value.startswith("Left to right")]  # noqa: E731
    assert len(picker.value) <= 5 or captions()  # the default view's own count decides
    wanted = list(app.session_state["sweep.loaded"].params)[:9]
    picker.set_value(wanted).run()
    (listed,) = captions()
    assert listed.removeprefix("Left to right: ").split(" → ") == [md(a) for a in picker.value]
    assert [md(a) for a in picker.value] == [md(a) for a in wanted]
