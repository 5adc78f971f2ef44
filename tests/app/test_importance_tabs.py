"""The importance page's tabs on the demo sweep: seed noise, per-configuration means, what separates
the best runs, and the variance decomposition. Expected counts come from the loaded runs."""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import lib.ui.cache
import lib.ui.importance_sections
from lib.analysis.importance import importance_report
from tests.app.conftest import assert_drawn, open_page, open_served, page_text, show_tab


@dataclass(frozen=True)
class Fit:
    metric: str
    n_rows: int


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[Fit]:
    """Records every forest fit the page asks for, with the number of rows it was given."""
    calls: list[Fit] = []

    def counting(*args, **kwargs):
        calls.append(Fit(metric=args[2], n_rows=len(args[0])))
        return importance_report(*args, **kwargs)

    monkeypatch.setattr(lib.ui.cache, "importance_report", counting)
    return calls


def open_importance(app: AppTest) -> AppTest:
    return open_page(app, "pages/importance.py")


def tab(app: AppTest, label: str):
    return next(t for t in app.tabs if t.label == label)


def importance_rows(app: AppTest) -> pd.DataFrame:
    return next(frame.value for frame in app.dataframe if "importance" in frame.value.columns)


def demo_runs(app: AppTest) -> pd.DataFrame:
    """The demo runs the page analyses by default: its finished ones (5 failed runs are left out)."""
    runs = app.session_state["sweep.loaded"].runs
    return runs[runs["run.state"] == "finished"]


def configurations(app: AppTest) -> pd.Series:
    """Runs per configuration (every analysed parameter but the seed), runs without the metric left out."""
    sweep = app.session_state["sweep.loaded"]
    params = [p for p in sweep.analysable_params if p != "seed"]
    runs = demo_runs(app)
    runs = runs[runs["val_accuracy"].notna()]
    return runs.groupby(params, dropna=False).size()


def best_count(runs: pd.DataFrame, percent: int) -> int:
    """The best `percent`% by val_accuracy (maximized), every run tied with the cut-off included."""
    values = runs["val_accuracy"].dropna().sort_values(ascending=False)
    cutoff = values.iloc[math.ceil(len(values) * percent / 100) - 1]
    return int((values >= cutoff).sum())


def fanova_bars(app: AppTest) -> list[str]:
    charts = [c for c in tab(app, "Variance decomposition").get("plotly_chart")]
    assert len(charts) == 1
    (trace,) = json.loads(charts[0].proto.spec)["data"]
    assert trace["type"] == "bar"
    return list(trace["y"])


def test_seed_noise_tab_reports_the_repeated_configurations(app: AppTest, fits: list[Fit]) -> None:
    open_importance(app)
    sizes = configurations(app)
    repeated = sizes[sizes > 1]
    assert len(repeated) >= 2  # the demo's third sweep repeats its best configurations
    noise = tab(show_tab(app, "Seed noise"), "Seed noise")
    message = "\n".join(i.value for i in noise.info)
    assert f"{len(repeated)} configuration(s) were run more than once ({int(repeated.sum())} runs)" in message
    assert "pooled standard deviation" in message
    (listed,) = [e for e in noise.expander if "repeated configurations" in e.label]
    assert listed.label == f"The {len(repeated)} repeated configurations"
    table = next(f.value for f in noise.dataframe if "config" in f.value.columns)
    assert len(table) == len(repeated) and (table["runs"] >= 2).all()
    flags = next(f.value for f in noise.dataframe if "within seed noise" in f.value.columns)
    flags = flags.set_index("parameter")["within seed noise"]
    assert bool(flags["dataloader_workers"]) and not bool(flags["learning_rate"])
    assert len(fits) == 1


def test_the_importance_table_marks_each_parameter_against_the_seed_noise(app: AppTest) -> None:
    open_importance(app)
    marks = importance_rows(app).set_index("parameter")["vs seed noise"]
    assert marks["dataloader_workers"] == "≈ noise"
    assert marks["learning_rate"] == ""  # only effects within the noise are marked
    assert set(marks) == {"≈ noise", ""}


def test_per_configuration_means_refit_on_one_row_per_configuration(app: AppTest, fits: list[Fit]) -> None:
    open_importance(app)
    n_configs = len(configurations(app))
    assert n_configs < len(demo_runs(app))
    assert f"on {int(demo_runs(app)['val_accuracy'].notna().sum())} runs" in page_text(app)
    toggle = app.toggle(key="importance.config_means")
    assert f"fit on {n_configs} configurations" in toggle.label
    toggle.set_value(True).run()
    assert_drawn(app)
    text = page_text(app)
    assert f"on {n_configs} configurations" in text  # the trust line counts what the forest saw
    assert f"on {int(demo_runs(app)['val_accuracy'].notna().sum())} runs" not in text
    assert len(fits) == 2 and fits[1].n_rows < fits[0].n_rows
    table = importance_rows(app)
    assert "seed" not in set(table["parameter"])
    ranks = list(table["parameter"])
    assert ranks.index("dataloader_workers") >= len(ranks) // 2  # still near the bottom
    assert ranks.index("learning_rate") < len(ranks) // 2


def test_best_runs_tab_compares_separation_with_importance(app: AppTest, fits: list[Fit]) -> None:
    open_importance(app)
    forest_rows = importance_rows(app)
    best = tab(show_tab(app, "What separates the best runs"), "What separates the best runs")
    (table,) = [f.value for f in best.dataframe]
    assert {"parameter", "separation"} <= set(table.columns)
    assert table["separation"].is_monotonic_decreasing and (table["separation"] >= 0).all()
    assert set(table["parameter"]) == set(forest_rows["parameter"])
    sentences = [m.value for m in best.markdown if "average run" in m.value or "agree" in m.value]
    assert len(sentences) == 1
    runs = demo_runs(app)
    assert app.slider(key="importance.best_percent").value == 10
    assert f"The best 10% are {best_count(runs, 10)} runs by val_accuracy" in page_text(app)
    app.slider(key="importance.best_percent").set_value(25).run()
    assert_drawn(app)
    assert best_count(runs, 25) > best_count(runs, 10)
    captions = [c.value for c in tab(app, "What separates the best runs").caption]
    assert any(f"The best 25% are {best_count(runs, 25)} runs by val_accuracy" in c for c in captions)
    assert len(fits) == 1  # the best-runs slider does not touch the forest


def test_fanova_tab_draws_every_analysed_parameter_and_can_be_turned_off(
    app: AppTest, fits: list[Fit]
) -> None:
    open_importance(app)
    analysed = app.multiselect(key="importance.params").value
    bars = fanova_bars(show_tab(app, "Variance decomposition"))
    assert sorted(bars) == sorted([*analysed, "(interactions)"])
    assert bars[-1] == "(interactions)"
    app.toggle(key="importance.fanova").set_value(False).run()
    assert_drawn(app)
    assert not app.get("plotly_chart")
    assert len(fits) == 1
    app.toggle(key="importance.fanova").set_value(True).run()
    fewer = ["learning_rate", "optimizer", "dataloader_workers"]
    app.multiselect(key="importance.params").set_value(fewer).run()
    assert_drawn(app)
    assert sorted(fanova_bars(app)) == sorted([*fewer, "(interactions)"])


@pytest.fixture
def analyses(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often each analysis behind a tab ran (the real analyses, counted)."""
    counts = {"importance": 0, "effects": 0, "fanova": 0, "separation": 0}
    targets = {
        "importance": (lib.ui.cache, "importance_report"),
        "effects": (lib.ui.cache, "effect_sizes"),
        "fanova": (lib.ui.cache, "fanova_report"),
        "separation": (lib.ui.importance_sections, "best_runs_separation"),
    }
    for name, (module, attribute) in targets.items():
        real = getattr(module, attribute)

        def counted(*args, _name=name, _real=real, **kwargs):
            counts[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, attribute, counted)
    return counts


def test_only_the_shown_tab_computes(app: AppTest, analyses: dict[str, int]) -> None:
    open_importance(app)
    assert [t.label for t in app.tabs][:1] == ["Forest importance"]
    assert analyses == {"importance": 1, "effects": 1, "fanova": 0, "separation": 0}
    (fit_check,) = app.get("plotly_chart")  # only the model check: the variance tab drew nothing
    assert fit_check.key == "importance.fit_check"
    show_tab(app, "Variance decomposition")
    assert analyses == {"importance": 1, "effects": 1, "fanova": 1, "separation": 0}
    assert fanova_bars(app)
    show_tab(app, "What separates the best runs")
    assert analyses == {"importance": 1, "effects": 1, "fanova": 1, "separation": 1}
    assert not app.get("plotly_chart")
    show_tab(app, "Seed noise")
    show_tab(app, "Forest importance")
    assert analyses == {"importance": 1, "effects": 1, "fanova": 1, "separation": 1}  # all cached
    assert "importance" in importance_rows(app).columns


def test_a_hidden_tab_keeps_its_settings(served_app: AppTest) -> None:
    app = open_served(served_app, "pages/importance.py")
    first = importance_rows(app)["parameter"].iloc[0]
    app.multiselect(key="importance.hidden").set_value([first]).run()
    show_tab(app, "What separates the best runs")
    app.slider(key="importance.best_percent").set_value(25).run()
    show_tab(app, "Variance decomposition")
    app.toggle(key="importance.fanova").set_value(False).run()
    show_tab(app, "Forest importance")
    assert app.multiselect(key="importance.hidden").value == [first]
    assert first not in set(importance_rows(app)["parameter"])
    show_tab(app, "What separates the best runs")
    assert app.slider(key="importance.best_percent").value == 25
    show_tab(app, "Variance decomposition")
    assert app.toggle(key="importance.fanova").value is False
    assert not app.get("plotly_chart")


def test_the_variance_decomposition_says_what_its_interactions_bar_holds(app: AppTest) -> None:
    open_importance(app)
    panel = tab(show_tab(app, "Variance decomposition"), "Variance decomposition")
    (chart,) = panel.get("plotly_chart")
    (trace,) = json.loads(chart.proto.spec)["data"]
    share = trace["x"][trace["y"].index("(interactions)")]
    sentence = next(m.value for m in panel.markdown if "(interactions)" in m.value)
    assert f"{share:.0%}" in sentence and "only in combination" in sentence


def test_the_seed_noise_tab_explains_where_it_disagrees_with_the_forest(app: AppTest) -> None:
    open_importance(app)
    forest = importance_rows(app).set_index("parameter")["importance"]
    noise = tab(show_tab(app, "Seed noise"), "Seed noise")
    flags = next(f.value for f in noise.dataframe if "within seed noise" in f.value.columns)
    beyond_seeds = set(flags.loc[flags["within seed noise"] == False, "parameter"])  # noqa: E712
    low_share = {p for p in beyond_seeds if forest.get(p, 1.0) < 0.02}
    explained = {
        m.value.split(":")[0].lstrip("- ").replace("\\", "")  # names are Markdown-escaped
        for m in noise.markdown
        if "larger than the seed noise" in m.value
    }
    assert low_share <= explained  # every low share with a real effect is explained


def test_the_trust_panel_plots_held_out_runs_observed_vs_predicted(app: AppTest) -> None:
    open_importance(app)
    (chart,) = [c for c in app.get("plotly_chart") if c.key == "importance.fit_check"]
    points = json.loads(chart.proto.spec)["data"][1]
    shown = np.frombuffer(base64.b64decode(points["x"]["bdata"]), dtype=points["x"]["dtype"])
    observed = demo_runs(app)["val_accuracy"].dropna()
    assert len(shown) == len(observed)  # every run is held out once (K-fold)
    assert sorted(shown) == pytest.approx(sorted(observed))
