from __future__ import annotations

from streamlit.testing.v1 import AppTest

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
    other = next(m for m in picker.options if m != picker.value)
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
