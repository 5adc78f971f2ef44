from __future__ import annotations

import math

import pytest
from streamlit.testing.v1 import AppTest

import lib.ui.cache
from lib.analysis.importance import importance_report
from tests.app.conftest import page_text


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every forest fit the page asks for."""
    calls: list[str] = []

    def counting(*args, **kwargs):
        calls.append(args[2])
        return importance_report(*args, **kwargs)

    monkeypatch.setattr(lib.ui.cache, "importance_report", counting)
    return calls


def open_importance(app: AppTest) -> AppTest:
    app.run()
    app.switch_page("pages/importance.py")
    return app.run()


def importance_rows(app: AppTest):
    """The importance table (AppTest does not expose a dataframe's key: find it by its columns)."""
    return next(frame.value for frame in app.dataframe if "importance" in frame.value.columns)


def test_page_ranks_the_demo_parameters_and_says_how_far_to_trust_them(app: AppTest, fits) -> None:
    open_importance(app)
    assert not app.exception
    table = importance_rows(app)
    assert len(table) >= 6
    assert table["importance"].is_monotonic_decreasing
    assert table["importance"].sum() == pytest.approx(1.0, abs=1e-6)
    text = page_text(app)
    assert "R²" in text and "Can I trust this?" in text
    assert len(fits) == 1


def test_hiding_a_row_does_not_refit(app: AppTest, fits) -> None:
    open_importance(app)
    first = importance_rows(app)["parameter"].iloc[0]
    app.multiselect(key="importance.hidden").set_value([first]).run()
    assert not app.exception
    assert first not in set(importance_rows(app)["parameter"])
    assert len(fits) == 1


def test_changing_the_metric_or_seed_refits_once_each(app: AppTest, fits) -> None:
    open_importance(app)
    picker = app.selectbox(key="importance.metric")
    metrics = [option.split(" (")[0] for option in picker.options]  # options read "name (direction)"
    other = next(m for m in metrics if m != picker.value)
    picker.set_value(other).run()
    assert not app.exception
    app.number_input(key="importance.seed").set_value(3).run()
    assert len(fits) == 3
    app.number_input(key="importance.seed").set_value(0).run()
    assert len(fits) == 3  # back to a cached result


def test_mdi_is_offered_and_named(app: AppTest) -> None:
    open_importance(app)
    method = app.selectbox(key="importance.method")
    assert any("MDI" in str(option) for option in method.options)
    method.select_index(1).run()
    assert not app.exception
    assert "impurity" in page_text(app).lower()


def test_importance_uses_the_runs_the_shared_filters_keep_unless_told_otherwise(app: AppTest, fits) -> None:
    open_importance(app)
    assert not any(t.label.startswith("Use only the") for t in app.toggle)  # no filters set yet
    app.switch_page("pages/parallel.py").run()
    next(s for s in app.sidebar.slider if s.label.startswith("Keep the best q%")).set_value(50).run()
    app.switch_page("pages/importance.py").run()
    toggle = next(t for t in app.toggle if t.label.startswith("Use only the"))
    assert toggle.value  # the kept runs by default, as on every page
    kept = int(toggle.label.split("Use only the ")[1].split(" kept")[0])
    runs = app.session_state["sweep.loaded"].runs
    finished = runs[runs["run.state"] == "finished"]
    with_metric = int(finished["val_accuracy"].notna().sum())
    assert math.ceil(with_metric / 2) <= kept <= math.ceil(with_metric / 2) + 3  # ties at the cut-off
    assert f"on {kept} runs" in page_text(app)  # the trust line names the runs used
    assert "best 50% by val_accuracy" in page_text(app)
    toggle.set_value(False).run()
    assert not app.exception
    assert f"on {len(finished)} runs" in page_text(app)
    assert len(fits) == 2
