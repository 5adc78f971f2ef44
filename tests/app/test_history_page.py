"""The search-history page on the demo sweep: convergence in words, the metric over the search, what
each sweep sampled, and the Load page's sweep filter reaching it."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from lib.values import compact_number
from tests.app.conftest import assert_drawn, figures, open_page, page_text


def open_history(app: AppTest) -> AppTest:
    return open_page(app, "pages/history.py")


def history_chart(app: AppTest) -> dict:
    (chart,) = [f for f in figures(app) if any(t.get("name") == "best so far" for t in f["data"])]
    return chart


def sampling_chart(app: AppTest) -> dict | None:
    charts = [f for f in figures(app) if not any(t.get("name") == "best so far" for t in f["data"])]
    assert len(charts) <= 1
    return charts[0] if charts else None


def convergence(app: AppTest) -> str:
    return next(m.value for m in app.markdown if m.value.startswith("The best "))


def expected_best(runs: pd.DataFrame) -> tuple[float, int, str]:
    """The best val_accuracy, the position (1-based, in creation order) of the first run reaching it,
    and that run's sweep."""
    ordered = runs.sort_values("run.created", kind="stable")
    best = ordered["val_accuracy"].max()
    position = int((ordered["val_accuracy"] == best).to_numpy().argmax())
    return float(best), position + 1, str(ordered["run.sweep"].iloc[position])


def run_traces(chart: dict) -> list[str]:
    """The per-run marker traces (one per sweep), by name."""
    return [t["name"] for t in chart["data"] if t.get("mode") == "markers"]


def finished_runs(app: AppTest) -> pd.DataFrame:
    """The runs pages use by default: the demo's failed runs are left out until a user adds them."""
    runs = app.session_state["sweep.loaded"].runs
    return runs[runs["run.state"] == "finished"]


def test_the_convergence_sentence_and_chart_name_the_best_run(app: AppTest) -> None:
    open_history(app)
    runs = finished_runs(app)
    best, position, sweep = expected_best(runs)
    sentence = convergence(app)
    assert f"The best val_accuracy ({compact_number(best, 3)})" in sentence
    assert f"reached at run {position} of {len(runs)} (sweep {sweep})" in sentence
    chart = history_chart(app)
    sweeps = runs["run.sweep"].dropna().astype(str).unique()
    assert sorted(run_traces(chart)) == sorted(f"sweep {s}" for s in sweeps)
    assert [t["name"] for t in chart["data"]].count("best so far") == 1
    assert chart["data"][-1]["name"] == "best so far"  # drawn over the runs
    assert chart["layout"]["xaxis"]["title"]["text"] == "run, in the order created"


def test_the_parameters_picker_sets_the_sampling_rows(app: AppTest) -> None:
    open_history(app)
    picker = app.multiselect(key="history.params")
    assert 1 <= len(picker.value) <= 4
    chart = sampling_chart(app)
    assert chart is not None
    assert [a["text"].split(" (")[0] for a in chart["layout"]["annotations"]] == picker.value
    chosen = ["optimizer", "learning_rate"]
    picker.set_value(chosen).run()
    assert_drawn(app)
    chart = sampling_chart(app)
    assert [a["text"].split(" (")[0] for a in chart["layout"]["annotations"]] == chosen
    assert "yaxis2" in chart["layout"] and "yaxis3" not in chart["layout"]
    sweeps = app.session_state["sweep.loaded"].sweep_ids
    assert len([t for t in chart["data"] if str(t.get("name", "")).startswith("sweep ")]) == 2 * len(sweeps)
    app.multiselect(key="history.params").set_value([]).run()
    assert_drawn(app)
    assert sampling_chart(app) is None
    assert len(figures(app)) == 1  # the metric over the search stays


def test_a_sweep_filter_set_on_the_load_page_changes_the_history(app: AppTest) -> None:
    open_history(app)
    runs = app.session_state["sweep.loaded"].runs
    _, _, best_sweep = expected_best(runs)
    app.switch_page("pages/load.py").run()
    sweeps = app.multiselect(key="load.sweeps.0")
    sweeps.set_value([s for s in sweeps.value if s != best_sweep]).run()
    assert_drawn(app)
    app.switch_page("pages/history.py").run()
    assert_drawn(app)
    remaining = runs[runs["run.sweep"].astype(str) != best_sweep]
    best, position, sweep = expected_best(remaining)
    assert sweep != best_sweep
    sentence = convergence(app)
    assert f"The best val_accuracy ({compact_number(best, 3)})" in sentence
    assert f"reached at run {position} of {len(remaining)} (sweep {sweep})" in sentence
    assert f"sweep {best_sweep}" not in run_traces(history_chart(app))
    assert f"Sweep {best_sweep}" not in page_text(app)
