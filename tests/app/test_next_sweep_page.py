"""The next-sweep page on the demo sweep: the W&B YAML it shows must be a valid, narrowed sweep."""

from __future__ import annotations

import math

import pandas as pd
import yaml
from streamlit.testing.v1 import AppTest

from lib.sweep_config import validate_sweep_config
from tests.app.conftest import assert_drawn, open_page
from tests.sweep_config.test_sweep_config import schema_errors


def open_next_sweep(app: AppTest) -> AppTest:
    return open_page(app, "pages/next_sweep.py")


def shown_yaml(app: AppTest) -> str:
    (block,) = [c for c in app.code if c.language == "yaml"]
    return block.value


def shown_config(app: AppTest) -> dict:
    config = yaml.safe_load(shown_yaml(app))
    assert validate_sweep_config(config) == []
    assert schema_errors(config) == []  # W&B's own schema, checked with jsonschema
    return config


def header(text: str) -> str:
    """The YAML's leading comment lines as one line of text (they are wrapped)."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(lines)


def best_runs(runs: pd.DataFrame, percent: int) -> pd.DataFrame:
    """The best `percent`% by val_accuracy (maximized), every run tied with the cut-off included."""
    values = runs["val_accuracy"].dropna().sort_values(ascending=False)
    cutoff = values.iloc[math.ceil(len(values) * percent / 100) - 1]
    return runs[runs["val_accuracy"] >= cutoff]


def finished_runs(app: AppTest) -> pd.DataFrame:
    """The runs pages use by default: the demo's failed runs are left out until a user adds them."""
    runs = app.session_state["sweep.loaded"].runs
    return runs[runs["run.state"] == "finished"]


def kept_toggle(app: AppTest):
    return next((t for t in app.toggle if t.label.startswith("Use only the")), None)


def test_the_yaml_is_a_valid_bayes_sweep_around_the_best_runs(app: AppTest) -> None:
    open_next_sweep(app)
    assert kept_toggle(app) is None  # no shared filters yet
    runs = finished_runs(app)
    config = shown_config(app)
    assert config["method"] == "bayes"
    assert config["metric"] == {"name": "val_accuracy", "goal": "maximize"}
    lr = config["parameters"]["learning_rate"]
    assert lr["distribution"] == "log_uniform_values"
    assert 0 < lr["min"] < lr["max"]
    percent = app.slider(key="next.percent").value
    kept = best_runs(runs, percent)
    assert lr["min"] <= kept["learning_rate"].min() and kept["learning_rate"].max() <= lr["max"]
    assert lr["max"] / lr["min"] < runs["learning_rate"].max() / runs["learning_rate"].min()  # narrower
    assert f"{len(kept)} of {len(runs)} runs kept (best {percent}% by val_accuracy)" in header(
        shown_yaml(app)
    )
    (snippet,) = [c.value for c in app.code if c.language == "python"]
    compile(snippet, "<snippet>", "exec")
    assert "suggest_float('learning_rate'" in snippet and "log=True" in snippet


def test_fixing_a_parameter_and_switching_the_method_rewrite_the_yaml(app: AppTest) -> None:
    open_next_sweep(app)
    runs = finished_runs(app)
    assert "values" in shown_config(app)["parameters"]["activation"]
    app.multiselect(key="next.fixed").set_value(["activation"]).run()
    assert_drawn(app)
    fixed = shown_config(app)["parameters"]["activation"]
    assert set(fixed) == {"value"}
    best = runs["val_accuracy"].max()
    assert fixed["value"] in set(runs.loc[runs["val_accuracy"] == best, "activation"])  # the best run's
    before = shown_yaml(app)
    app.radio(key="next.method").set_value("random").run()
    assert_drawn(app)
    assert shown_yaml(app) != before
    config = shown_config(app)
    assert config["method"] == "random"
    assert config["parameters"]["activation"] == fixed


def test_the_parallel_page_filters_choose_the_kept_runs(app: AppTest) -> None:
    app.run()
    app.switch_page("pages/parallel.py").run()
    slider = next(s for s in app.sidebar.slider if s.label.startswith("Keep the best q%"))
    slider.set_value(25).run()
    app.switch_page("pages/next_sweep.py").run()
    assert_drawn(app)
    runs = finished_runs(app)
    kept = len(best_runs(runs, 25))
    toggle = kept_toggle(app)
    assert toggle is not None and toggle.value is True
    assert not [s for s in app.slider if s.key == "next.percent"]
    text = header(shown_yaml(app))
    assert f"{kept} of {len(runs)} runs kept (the {kept} kept runs (finished only" in text
    assert "best 25% by val_accuracy" in text
    shown_config(app)
    toggle.set_value(False).run()
    assert_drawn(app)
    percent = app.slider(key="next.percent").value
    assert f"{len(best_runs(runs, percent))} of {len(runs)} runs kept (best {percent}% by" in header(
        shown_yaml(app)
    )
