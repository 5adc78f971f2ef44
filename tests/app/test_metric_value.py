"""Choosing which value of the metric stands for a run changes what every page analyses.

The study is written by Optuna: each trial's loss falls to `b` at step 5, then rises by `a` per
step (overfitting), so its last value is b + 4a and its best is b. The last value is ruled by `a`,
the best by `b` alone: a closed-form truth for what the pages must show under each choice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from lib.sources import load_source
from lib.sweep import Sweep
from tests.app.conftest import assert_drawn, page_text

optuna.logging.set_verbosity(optuna.logging.ERROR)
REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
PAGES = ["home", "importance", "response", "history", "next_sweep", "curves"]


def overfitting(trial: optuna.Trial) -> float:
    a = trial.suggest_float("a", 0.0, 1.0)
    b = trial.suggest_float("b", 0.0, 0.2)
    trial.suggest_float("c", 0.0, 1.0)  # no effect on either value
    loss = 0.0
    for step in range(10):
        loss = b + 0.5 * (5 - step) if step <= 5 else b + a * (step - 5)
        trial.report(loss, step)
    return loss


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    path = tmp_path_factory.mktemp("study") / "overfit.db"
    made = optuna.create_study(storage=f"sqlite:///{path}", sampler=optuna.samplers.RandomSampler(seed=7))
    made.optimize(overfitting, n_trials=60)
    return load_source(f"sqlite:///{path}")


def opened_on(app: AppTest, sweep: Sweep, page: str) -> AppTest:
    app.session_state["sweep.loaded"] = sweep
    app.run()
    app.switch_page(f"pages/{page}.py")
    app.run()
    assert_drawn(app)
    return app


def value_box(app: AppTest):
    return next(s for s in app.selectbox if s.label == "Value")


def headline(app: AppTest) -> str:
    return next(m.value for m in app.markdown if " · " in m.value and " runs" in m.value).strip("*")


def top_parameter(app: AppTest) -> str:
    table = next(f.value for f in app.dataframe if "importance" in f.value.columns)
    return str(table.sort_values("importance", ascending=False)["parameter"].iloc[0])


def test_best_over_training_changes_the_importance_to_what_rules_the_best_value(
    app: AppTest, study: Sweep
) -> None:
    opened_on(app, study, "importance")
    assert top_parameter(app) == "a"  # the last value is b + 4a
    value_box(app).set_value("best").run()
    assert_drawn(app)
    assert "value, best (lowest) over training" in headline(app)
    assert top_parameter(app) == "b"  # the best value is b


def test_the_chosen_value_holds_on_every_page_and_changes_the_kept_runs(app: AppTest, study: Sweep) -> None:
    runs = study.runs
    best = runs["b"]  # the closed-form best of every trial
    opened_on(app, study, "parallel")
    value_box(app).set_value("best").run()
    assert_drawn(app)
    for page in PAGES:
        app.switch_page(f"pages/{page}.py").run()
        assert_drawn(app)
        assert "best (lowest) over training" in headline(app), page
        assert value_box(app).value == "best", page
    app.switch_page("pages/parallel.py").run()
    kept = next(f.value for f in app.dataframe if "value" in f.value.columns)
    assert kept["value"].tolist() == pytest.approx(sorted(best.tolist()))  # best first, by b


def test_at_a_step_uses_the_value_logged_there(app: AppTest, study: Sweep) -> None:
    opened_on(app, study, "importance")
    value_box(app).set_value("at step").run()
    step = next(n for n in app.number_input if n.label.startswith("At trial step"))
    step.set_value(2).run()
    assert_drawn(app)
    assert "value at trial step 2" in headline(app)
    # at step 2 the loss is b + 1.5 for every trial: only b can matter
    assert top_parameter(app) == "b"


def test_a_source_without_history_offers_only_the_summary_and_says_why(app: AppTest) -> None:
    export = REAL / "wandb_runs_csv" / "NevroHelios__DeepWaste-Optimization__notebooks__wandb_export.csv"
    opened_on(app, load_source(str(export)), "importance")
    box = value_box(app)
    assert box.options == ["last (the summary)"] and box.disabled
    assert "no history" in box.help


def test_the_learning_curves_page_draws_every_trial_and_the_rank_stability(
    app: AppTest, study: Sweep
) -> None:
    opened_on(app, study, "curves")
    text = page_text(app)
    assert "showing 60 of 60 runs" in text
    assert "Could the sweep have stopped early?" in text
    assert len(app.get("plotly_chart")) == 2


def test_the_next_sweep_narrows_where_the_best_values_are_and_says_by_which_value(
    app: AppTest, study: Sweep
) -> None:
    opened_on(app, study, "next_sweep")
    wide = yaml.safe_load(app.code[0].value)["parameters"]["b"]
    value_box(app).set_value("best").run()
    assert_drawn(app)
    text = app.code[0].value
    comments = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    assert "best 10% by value, best (lowest) over training" in comments
    narrowed = yaml.safe_load(text)["parameters"]["b"]
    smallest = study.runs["b"].nsmallest(6)  # the best 10% by best value: the smallest b
    assert narrowed["max"] <= smallest.max() * 1.2 + 0.02
    assert "max" not in wide or wide["max"] > narrowed["max"]  # under the last value b is fixed or wide


# ---------------------------------------------------------------- a wandb/ folder the wandb package wrote


@pytest.fixture(scope="module")
def offline_folder(tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    """Sixteen offline runs written by wandb: val_loss falls to `b` at epoch 5, then rises by `a`
    per epoch, so the summary (last logged) is b + 4a and the best over training is b."""
    from tests.sources.offline_runs import OfflineRun, write_offline_runs

    rng = np.random.default_rng(5)
    runs = []
    for i in range(16):
        a, b = float(rng.uniform(0, 1)), float(rng.uniform(0, 0.2))
        curve = [b + 0.5 * (5 - e) if e <= 5 else b + a * (e - 5) for e in range(10)]
        history = [{"epoch": e, "val_loss": v} for e, v in enumerate(curve)]
        runs.append(OfflineRun(f"of{i:03d}", config={"a": a, "b": b}, history=history))
    folder = write_offline_runs(tmp_path_factory.mktemp("offline"), runs)
    return load_source(str(folder))


def test_best_on_a_wandb_folder_keeps_the_runs_whose_best_was_best(
    app: AppTest, offline_folder: Sweep
) -> None:
    sweep = offline_folder
    assert "val_loss" in sweep.metrics
    opened_on(app, sweep, "parallel")
    box = value_box(app)
    assert box.options == ["last (the summary)", "best over training", "at a step", "mean of the last k"]
    box.set_value("best").run()
    assert_drawn(app)
    assert "val_loss, best (lowest) over training" in headline(app)
    kept = next(f.value for f in app.dataframe if "val_loss" in f.value.columns)
    assert kept["val_loss"].tolist() == pytest.approx(sorted(sweep.runs["b"].tolist()))  # the logged minima
    value_box(app).set_value("at step").run()
    assert_drawn(app)
    axis = next(s for s in app.selectbox if s.label == "Step axis")
    assert axis.options[0] == "_step" and "epoch" in axis.options


def test_the_demo_offers_its_learning_curves(app: AppTest) -> None:
    """The demo's runs were written by wandb with their epochs: best, steps and curves are offered."""
    opened_on(app, load_source("demo"), "curves")
    text = page_text(app)
    assert "showing " in text and " runs" in text
    assert len(app.get("plotly_chart")) == 2
