"""Every page draws without an error on every real sweep in the fixtures, not only on the demo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib.sources import load_source
from lib.sweep import Sweep, empty_sweep, finish_sweep
from tests.app.conftest import APP_DIR, assert_drawn, each_importance_tab

REAL = APP_DIR / "tests" / "fixtures" / "real"
SOURCES = [
    *sorted((REAL / "wandb_runs_csv").glob("*.csv")),
    *sorted((REAL / "wandb_api_csv").glob("*.csv")),
    *sorted((REAL / "wandb_dirs").glob("*/wandb")),
    *sorted((REAL / "optuna").glob("*.db")),
]
PAGES = ["pages/load.py", "pages/parallel.py", "pages/importance.py", "pages/response.py"]
PAGES += ["pages/history.py", "pages/next_sweep.py"]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.parent.name if p.name == "wandb" else p.stem[:40])
def test_every_page_draws_on_a_real_sweep(app: AppTest, source: Path) -> None:
    sweep = load_source(source)
    app.session_state["sweep.loaded"] = sweep
    app.run()
    assert_drawn(app)
    for page in PAGES:
        app.switch_page(page)
        app.run()
        assert_drawn(app)
        assert app.title[0].value, page
        if page == "pages/importance.py":
            for label in each_importance_tab(app):  # a tab computes only when shown: open each
                assert app.title[0].value, label


def tiny_sweeps() -> dict[str, Sweep]:
    """Edge cases a user can reach: three runs, one parameter, a metric nobody logged, no metric."""
    runs = pd.DataFrame(
        {"lr": [1e-3, 1e-2, 1e-1], "loss": [0.5, 0.3, 0.9], "empty": [np.nan] * 3},
        index=pd.Index(["a", "b", "c"], name="run_id"),
    )
    finish = {"source": "tiny", "skipped": [], "sweep_configs": {}}
    return {
        "three runs": finish_sweep(runs[["lr", "loss"]], params=["lr"], metrics=["loss"], **finish),
        "no metric values": finish_sweep(runs[["lr", "empty"]], params=["lr"], metrics=["empty"], **finish),
        "no metric": finish_sweep(runs[["lr"]], params=["lr"], metrics=[], **finish),
        "no runs": empty_sweep(),
    }


@pytest.mark.parametrize("case", list(tiny_sweeps()))
def test_every_page_says_what_is_missing_on_a_sweep_too_small_to_analyse(app: AppTest, case: str) -> None:
    app.session_state["sweep.loaded"] = tiny_sweeps()[case]
    app.run()
    for page in PAGES:
        app.switch_page(page)
        app.run()
        assert_drawn(app)
        if page == "pages/importance.py":
            for _ in each_importance_tab(app):  # show_tab asserts each one drew
                assert_drawn(app)
