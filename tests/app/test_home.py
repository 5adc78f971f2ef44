from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from lib.analysis.importance import importance_report
from lib.views.home import what_matters
from tests.app.conftest import page_text


def test_home_opens_on_the_demo_sweep(app: AppTest) -> None:
    app.run()
    assert not app.exception
    text = page_text(app)
    assert "Sweepscope" in text
    assert "Demo" in text
    assert "Runs by state" in text
    states = app.dataframe[0].value
    assert {"finished", "failed"} <= set(states["state"])
    assert int(states["runs"].sum()) >= 150


def test_best_run_follows_the_chosen_metric(app: AppTest) -> None:
    app.run()
    picker = app.selectbox(key="home.metric")
    first_label = app.metric[0].label
    metrics = [option.split(" (")[0] for option in picker.options]  # options read "name (direction)"
    other = next(m for m in metrics if m != picker.value)
    picker.set_value(other).run()
    assert not app.exception
    assert other in app.metric[0].label
    assert app.metric[0].label != first_label
    params = app.dataframe[1].value
    assert list(params.columns) == ["parameter", "value"]
    assert len(params) >= 5


def test_sidebar_names_the_current_sweep(app: AppTest) -> None:
    app.run()
    sidebar_text = " ".join(str(m.value) for m in app.sidebar.markdown)
    assert "Demo" in sidebar_text
    assert any("runs" in str(c.value) for c in app.sidebar.caption)


def test_home_says_what_matters_most_and_how_far_to_trust_it(app: AppTest) -> None:
    app.run()
    line = next(m.value for m in app.markdown if m.value.startswith("What matters most"))
    assert "**learning_rate**" in line and "R²" in line
    assert "dataloader_workers" not in line  # the parameter with no effect is never among the top


def test_what_matters_says_when_there_is_too_little_to_rank() -> None:
    runs = pd.DataFrame({"lr": [0.1, 0.2], "loss": [1.0, 2.0]})
    assert what_matters(importance_report(runs, ["lr"], "loss")).startswith("Too few runs")
