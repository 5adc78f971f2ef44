"""The Home page's "Download the brief": built only when clicked (Streamlit runs the button's
callable then), from the analyses the pages cached, so it carries the numbers Home shows."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

import lib.ui.brief as brief_button
from lib.views.brief import BriefResults
from tests.views.test_brief import SCRIPT, Page, hostile_sweep

FILE = "sweep_brief.html"


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


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[BriefResults]:
    """Every brief built, as the results it was built from."""
    built: list[BriefResults] = []
    original = brief_button.build_brief

    def counted(results: BriefResults):
        built.append(results)
        return original(results)

    monkeypatch.setattr(brief_button, "build_brief", counted)
    return built


def plain(markdown: str) -> str:
    """Home's Markdown sentence as the words a reader sees: no bold markers, no escapes."""
    return re.sub(r"\\(.)", r"\1", markdown.replace("**", ""))


def test_home_builds_the_brief_only_on_click_with_the_numbers_it_shows(
    app: AppTest, deferred: dict[str, Callable[[], object]], builds: list[BriefResults]
) -> None:
    app.run()
    assert [getattr(b, "label", None) for b in app.get("download_button")] == ["Download the brief"]
    assert FILE in deferred and builds == []  # opening the page computes nothing for the brief
    document = deferred[FILE]()
    assert isinstance(document, str) and len(builds) == 1
    page = Page(document)
    what_matters = next(m.value for m in app.markdown if m.value.startswith("What matters most"))
    assert plain(what_matters) in page.text_of("p")
    states = app.dataframe[0].value
    cells = page.text_of("td")
    for state, n in zip(states["state"], states["runs"], strict=True):
        assert state in cells and f"{n:,}" in cells
    best = app.metric[0]
    assert any(p.startswith(f"{plain(best.label)}: {best.value}, run ") for p in page.text_of("p"))
    links = [
        a.get("href") for tag, a in page.elements if tag == "a" and not (a.get("href") or "").startswith("#")
    ]
    assert links == ["?src=demo"]  # AppTest has no browser address: a link relative to the app


def test_an_uploaded_sweep_gets_a_brief_without_a_link(
    app: AppTest, deferred: dict[str, Callable[[], object]]
) -> None:
    app.session_state["sweep.loaded"] = hostile_sweep()
    app.session_state["sweep.reference"] = "upload:runs.csv"
    app.run()
    page = Page(str(deferred[FILE]()))
    assert not [a for tag, a in page.elements if tag == "a" and not (a.get("href") or "").startswith("#")]
    assert any("uploaded, so no link can reopen it" in p for p in page.text_of("p"))
    assert SCRIPT in page.text_of("td")


def test_a_filtered_view_is_the_brief_s_context_chart_and_link(
    app: AppTest, deferred: dict[str, Callable[[], object]]
) -> None:
    app.query_params["src"] = "demo"
    app.query_params["q"] = "25"  # a shared link keeping the best 25%
    app.run()
    headline = next(m.value for m in app.markdown if "best 25% by" in m.value)
    page = Page(str(deferred[FILE]()))
    assert plain(headline) in page.text_of("p")
    counts = re.search(r"(\d+) of \d+ runs", plain(headline))
    assert counts is not None
    kept = int(counts.group(1))
    assert any(p.startswith(f"Runs: {kept} of ") and f"use {kept} runs" in p for p in page.text_of("p"))
    parcoords = json.loads(next(body for attrs, body in page.scripts if attrs.get("type")))["data"][0]
    ranges = [d["constraintrange"] for d in parcoords["dimensions"] if "constraintrange" in d]
    assert len(ranges) == 1  # the best 25% drawn on the metric's axis
    links = [
        a.get("href") for tag, a in page.elements if tag == "a" and not (a.get("href") or "").startswith("#")
    ]
    assert links == ["?src=demo&q=25.0"]
