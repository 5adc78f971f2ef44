from __future__ import annotations

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
def app(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The whole app, started from its entry point like `streamlit run` does."""
    monkeypatch.chdir(APP_DIR)
    return AppTest.from_file(str(APP_DIR / "streamlit_app.py"), default_timeout=60)


def page_text(at: AppTest) -> str:
    """Everything the page shows as text, to assert on what a user reads."""
    parts = [m.value for m in at.markdown] + [t.value for t in at.title] + [h.value for h in at.header]
    parts += [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)
