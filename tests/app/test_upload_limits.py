"""Uploads cannot make the Load page send huge tables to the browser (issue 9, item 10)."""

from __future__ import annotations

import tomllib

import pandas as pd
from streamlit.testing.v1 import AppTest

from lib.views.display_limits import MAX_CELL_CHARS, MAX_ROWS
from tests.app.conftest import APP_DIR, assert_drawn

BIG_CELL = 5_000_000


def upload(app: AppTest, name: str, data: bytes) -> AppTest:
    app.run()
    app.switch_page("pages/load.py").run()
    app.segmented_control(key="load.source").set_value("Upload a runs table").run()
    app.file_uploader(key="load.table").set_value((name, data, "text/csv")).run()
    app.button[0].click().run()
    assert_drawn(app)
    assert not app.error, [e.value for e in app.error]
    return app


def runs_table(app: AppTest) -> pd.DataFrame:
    """The frame sent for the Load page's runs table, the last table on the page."""
    return app.dataframe[-1].value


def longest_text(frame: pd.DataFrame) -> int:
    texts = [*frame.columns, *frame.index, *frame.to_numpy().ravel()]
    return max(len(t) for t in texts if isinstance(t, str))


def test_a_5_mb_text_cell_loads_and_reaches_the_browser_cut(app: AppTest) -> None:
    rows = ["lr,notes,loss", *(f"{0.1 / (i + 1)},run {i},{0.5 - i / 100}" for i in range(12))]
    rows[3] = f"0.05,{'x' * BIG_CELL},0.4"
    upload(app, "big_cell.csv", "\n".join(rows).encode())
    assert len(app.session_state["sweep.loaded"].runs) == 12
    table = runs_table(app)
    assert len(table) == 12
    assert longest_text(table) <= MAX_CELL_CHARS
    assert any(f"cut to {MAX_CELL_CHARS} characters" in c.value for c in app.caption)


def test_a_table_of_many_runs_sends_only_the_first_ones(app: AppTest) -> None:
    n = MAX_ROWS + 500
    rows = ["lr,loss", *(f"{0.1 / (i + 1)},{1 / (i + 2)}" for i in range(n))]
    upload(app, "many.csv", "\n".join(rows).encode())
    assert len(runs_table(app)) == MAX_ROWS
    assert any(f"Showing the first {MAX_ROWS:,} of {n:,} runs" in c.value for c in app.caption)


def test_the_upload_limit_fits_community_cloud() -> None:
    config = tomllib.loads((APP_DIR / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] <= 200
