from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """The whole app, started from its entry point like `streamlit run` does. After the test, the
    last page drawn must not show the frame's catch-all error (a page exception it swallowed)."""
    monkeypatch.chdir(APP_DIR)
    at = AppTest.from_file(str(APP_DIR / "streamlit_app.py"), default_timeout=60)
    yield at
    assert_drawn(at)


@pytest.fixture
def served_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AppTest]:
    """The app as a warm server runs it, every page inside `st.navigation`. With `pages/` next to
    the entry point AppTest runs a page file bare, as a fresh server does a deep link; the page
    frame's `st.stop()` then also skips Streamlit's clean-up of the widgets a run did not draw."""
    monkeypatch.chdir(APP_DIR)
    entry = tmp_path / "entry.py"
    entry.write_text("from lib.ui.frame import run_app\n\nrun_app()\n", encoding="utf-8")
    at = AppTest.from_file(str(entry), default_timeout=60)
    yield at
    assert_drawn(at)


def open_served(at: AppTest, page: str) -> AppTest:
    """Start the served app on `page` ("pages/x.py"); its Home page links are relative to the
    real entry point, so it is not drawn first."""
    at.switch_page(str(APP_DIR / page))
    at.run()
    assert_drawn(at)
    return at


def page_text(at: AppTest) -> str:
    """Everything the page shows as text, to assert on what a user reads."""
    parts = [m.value for m in at.markdown] + [t.value for t in at.title] + [h.value for h in at.header]
    parts += [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


def assert_drawn(at: AppTest) -> None:
    """No exception, and not the page frame's catch-all error either (it turns exceptions into one)."""
    assert not at.exception
    assert not [e.value for e in at.error if "Something went wrong" in e.value]


def open_page(at: AppTest, page: str) -> AppTest:
    """Start the app on Home, then switch to `page` ("pages/x.py") as a user clicking it would."""
    at.run()
    at.switch_page(page)
    at.run()
    assert_drawn(at)
    return at


def show_tab(at: AppTest, label: str, *, key: str = "importance.tab") -> AppTest:
    """Open the tab `label` of the lazy tabs `key` (only the open tab runs) as a click on it would."""
    assert label in [t.label for t in at.tabs], label
    at.session_state[key] = label
    at.run()
    assert_drawn(at)
    return at


def each_importance_tab(at: AppTest) -> Iterator[str]:
    """On the importance page, open each of its tabs in turn (yielding its label): only the open one
    is drawn. Nothing when the page stopped before its tabs."""
    for label in [t.label for t in at.tabs]:
        show_tab(at, label)
        yield label


def figures(at: AppTest) -> list[dict]:
    """The plotly figure specs the page sent, in page order."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def open_source(app: AppTest, label: str) -> AppTest:
    """The Load page with the source panel `label` open."""
    app.run()
    app.switch_page("pages/load.py")
    app.run()
    app.segmented_control(key="load.source").set_value(label)
    return app.run()


def fetch(app: AppTest, spec: str, key: str | None = None) -> AppTest:
    """Type a W&B reference (and a key, unless None) on the W&B panel and press Fetch."""
    app.text_input(key="load.wandb.spec").input(spec)
    if key is not None:
        app.text_input(key="load.wandb.key").input(key)
    app.run()
    next(b for b in app.button if b.label == "Fetch from W&B").click()
    return app.run()
