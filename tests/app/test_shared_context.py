"""One analysis context on every page: the metric, the run filters and so the kept runs agree
across pages, the exported sweep names the metric its runs were chosen by, and an Optuna study is
ranked on its finished trials."""

from __future__ import annotations

import pandas as pd
import yaml
from streamlit.testing.v1 import AppTest

from tests.app.conftest import assert_drawn, open_page, page_text
from tests.app.test_parallel_page import figure as parallel_figure

ANALYSIS_PAGES = ["home", "importance", "response", "history", "next_sweep"]
OPTUNA_DB = "tests/fixtures/real/optuna/adlane98__koleo-study__optuna_study.db"


def headline(app: AppTest) -> str:
    """The context line at the top of the page: `metric, direction · k of n runs: filters`."""
    line = next(m.value for m in app.markdown if " · " in m.value and " runs" in m.value)
    return line.split(" · showing")[0].strip("*")  # the parallel page adds how many lines it draws


def visit(app: AppTest, page: str) -> AppTest:
    app.switch_page(f"pages/{page}.py").run()
    assert_drawn(app)
    return app


def parallel_dimensions(app: AppTest) -> list[str]:
    return list(parallel_figure(app)["data"][0]["meta"]["columns"])


def colour_title(app: AppTest) -> str:
    return str(parallel_figure(app)["data"][0]["line"]["colorbar"]["title"]["text"])


def sidebar_slider(app: AppTest, label_start: str):
    return next(s for s in app.sidebar.slider if s.label.startswith(label_start))


def finished(app: AppTest) -> pd.DataFrame:
    runs = app.session_state["sweep.loaded"].runs
    return runs[runs["run.state"] == "finished"]


def test_changing_the_metric_on_one_page_changes_it_on_every_page(app: AppTest) -> None:
    open_page(app, "pages/importance.py")
    assert headline(app).startswith("val_accuracy, maximize")
    app.selectbox(key="importance.metric").set_value("val_loss").run()
    assert_drawn(app)
    assert headline(app).startswith("val_loss, minimize")
    for page in ANALYSIS_PAGES:
        visit(app, page)
        assert headline(app).startswith("val_loss, minimize"), page
        assert app.selectbox(key=f"{page}.metric").value == "val_loss", page
    visit(app, "parallel")
    assert parallel_dimensions(app)[-1] == "val_loss"
    assert colour_title(app).startswith("val_loss")
    assert sidebar_slider(app, "Keep the best q%").label.endswith("val_loss")
    visit(app, "load")
    assert app.selectbox(key="load.primary").value == "val_loss"


def test_the_parallel_metric_picker_moves_the_last_axis_the_colour_and_the_filters(app: AppTest) -> None:
    open_page(app, "pages/parallel.py")
    assert parallel_dimensions(app)[-1] == "val_accuracy"
    sidebar_slider(app, "Keep the best q%").set_value(20).run()
    picker = next(s for s in app.sidebar.selectbox if s.label.startswith("Metric (the last axis)"))
    picker.set_value("val_loss").run()
    assert_drawn(app)
    axes = parallel_dimensions(app)
    assert axes[-1] == "val_loss" and "val_accuracy" not in axes
    assert colour_title(app).startswith("val_loss")
    ranges = next(m for m in app.sidebar.multiselect if m.label == "Metric ranges")
    assert ranges.value == ["val_loss"]
    losses = finished(app)["val_loss"].dropna().sort_values()
    cutoff = losses.iloc[-(-len(losses) * 20 // 100) - 1]
    assert headline(app).split(" · ")[1].startswith(f"{int((losses <= cutoff).sum())} of ")
    assert "best 20% by val_loss" in headline(app)
    kept_table = next(f.value for f in app.dataframe if "val_loss" in f.value.columns)
    assert kept_table["val_loss"].is_monotonic_increasing  # best first, by the metric now shown
    assert "run.state" in kept_table.columns


def test_kept_runs_agree_across_pages_and_the_exported_sweep_names_their_metric(app: AppTest) -> None:
    open_page(app, "pages/parallel.py")
    picker = next(s for s in app.sidebar.selectbox if s.label.startswith("Metric (the last axis)"))
    picker.set_value("val_loss").run()
    sidebar_slider(app, "Keep the best q%").set_value(21).run()
    shown = headline(app)
    n_kept = int(shown.split(" · ")[1].split(" of ")[0])
    assert "best 21% by val_loss" in shown
    for page in ANALYSIS_PAGES:
        visit(app, page)
        assert headline(app) == shown, page
    visit(app, "importance")
    assert f"on {n_kept} runs" in page_text(app)
    visit(app, "next_sweep")
    exported = yaml.safe_load(app.code[0].value)
    assert exported["metric"]["name"] == "val_loss"
    assert exported["metric"]["goal"] == "minimize"
    assert f"{n_kept} kept runs" in app.code[0].value and "best 21% by val_loss" in app.code[0].value


def test_an_optuna_study_is_ranked_on_its_complete_trials(app: AppTest) -> None:
    app.query_params["src"] = f"path:{OPTUNA_DB}"
    app.run()
    assert_drawn(app)
    loaded = app.session_state["sweep.loaded"]
    states = loaded.runs["run.state"].value_counts()
    assert states["pruned"] == 85 and states["finished"] == 15
    assert headline(app).startswith("value, ")
    assert "15 of 100 runs: finished only (85 pruned left out)" in headline(app)
    best = loaded.runs[loaded.runs["run.state"] == "finished"]["value"]
    best_value = best.max() if loaded.direction("value").value == "maximize" else best.min()
    assert f"{best_value:.4g}" in [m.value for m in app.metric]
    visit(app, "parallel")
    kept_table = next(f.value for f in app.dataframe if "value" in f.value.columns)
    assert set(kept_table["run.state"]) == {"finished"} and len(kept_table) == 15
