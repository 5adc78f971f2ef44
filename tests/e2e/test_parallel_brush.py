"""Brushing and dragging on the parallel-coordinates chart in a real Chromium: a range drawn with the
mouse on an axis filters the kept runs and shows in the sidebar; an axis dragged by its title comes
back as the axis order; a sidebar widget that leaves the chart alone does not redraw it; plotly.js
goes to the browser once per session (and again to a page that lacks it)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from lib.sources import load_source
from lib.views.parallel_controls import step_label
from tests.e2e.conftest import wait_for_idle

pytestmark = pytest.mark.e2e

AXES = ["optimizer", "learning_rate", "val_loss", "val_accuracy"]
GRAPH = ".sweepscope-parcoords-graph"
BRUSH_AREAS = """() => [...document.querySelectorAll('.sweepscope-parcoords .axis-brush rect.background')]
    .map(r => { const b = r.getBoundingClientRect(); return [b.x, b.y, b.width, b.height]; })"""


def open_chart(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/parallel?src=demo&axes={','.join(AXES)}")
    wait_for_idle(page)
    expect(page.locator(f"{GRAPH} svg .parcoords").first).to_be_attached(timeout=60_000)
    expect(page.locator(f"{GRAPH} text.axis-title")).to_have_count(len(AXES))


def draws(page: Page) -> int:
    return int(page.locator(GRAPH).get_attribute("data-draws") or 0)


def settle(page: Page, draws_before: int | None = None) -> None:
    """The rerun a change started has finished and, when given, the chart has drawn again."""
    page.wait_for_timeout(300)  # the rerun request leaves the browser
    wait_for_idle(page)
    if draws_before is not None:
        page.wait_for_function(
            f"() => Number(document.querySelector('{GRAPH}').dataset.draws) > {draws_before}", timeout=60_000
        )


def kept_runs_heading(page: Page) -> int:
    heading = page.get_by_role("heading", name=re.compile(r"Kept runs, best first")).inner_text()
    return int(re.search(r"\(([\d,]+)\)", heading).group(1).replace(",", ""))


def drag(page: Page, start: tuple[float, float], end: tuple[float, float], steps: int = 12) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    for i in range(1, steps + 1):
        page.mouse.move(
            start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps
        )
    page.mouse.up()


def test_brushing_the_metric_axis_filters_the_kept_runs_and_the_sidebar_shows_it(
    app_url: str, page: Page
) -> None:
    open_chart(page, app_url)
    runs = load_source("demo").runs
    finished = runs[runs["run.state"] == "finished"]
    assert kept_runs_heading(page) == len(finished)
    x, y, width, height = page.evaluate(BRUSH_AREAS)[AXES.index("val_accuracy")]
    before = draws(page)
    drag(page, (x + width / 2, y + 0.08 * height), (x + width / 2, y + 0.45 * height))
    settle(page, before)

    filtered = parse_qs(urlparse(page.url).query)["f.val_accuracy"][0]
    low, high = (float(v) for v in filtered.split("~"))
    expected = int(finished["val_accuracy"].between(low, high).sum())
    assert 0 < expected < len(finished)
    assert kept_runs_heading(page) == expected
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text(f"val_accuracy {step_label(low)} to {step_label(high)}").first).to_be_visible()
    sidebar = page.locator('[data-testid="stSidebar"]')
    slider = sidebar.locator('[data-testid="stSlider"]', has_text="val_accuracy")
    expect(slider.get_by_text(step_label(low), exact=True)).to_be_visible()
    expect(slider.get_by_text(step_label(high), exact=True)).to_be_visible()
    constraint = page.evaluate(
        f"() => document.querySelector('{GRAPH}').data[0].dimensions[3].constraintrange"
    )
    assert constraint[0] == pytest.approx(low, abs=1e-4) and constraint[1] == pytest.approx(high, abs=1e-4)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_dragging_an_axis_title_reorders_the_axes(app_url: str, page: Page) -> None:
    open_chart(page, app_url)
    titles = page.locator(f"{GRAPH} text.axis-title")
    first, second = titles.nth(0).bounding_box(), titles.nth(1).bounding_box()
    assert first is not None and second is not None
    start = (first["x"] + first["width"] / 2, first["y"] + first["height"] / 2)
    before = draws(page)
    drag(page, start, (second["x"] + second["width"] + 40, start[1]), steps=20)
    settle(page, before)

    moved = ["learning_rate", "optimizer", "val_loss", "val_accuracy"]
    assert [titles.nth(i).text_content() for i in range(len(AXES))] == moved
    assert parse_qs(urlparse(page.url).query)["axes"][0] == ",".join(moved)
    axes_widget = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    assert axes_widget.inner_text().split("\n")[2:] == moved  # the label, a blank line, then the axes
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_a_widget_that_leaves_the_chart_alone_does_not_redraw_it(app_url: str, page: Page) -> None:
    open_chart(page, app_url)
    drawn = draws(page)
    hide = page.get_by_text("Hide runs outside the filters")  # no filter yet: every run is drawn anyway
    hide.click()
    settle(page)
    page.wait_for_timeout(500)
    assert draws(page) == drawn
    page.get_by_text("Reverse colours").click()
    settle(page, drawn)
    assert draws(page) == drawn + 1


def test_plotly_js_goes_once_per_session_and_again_to_a_page_without_it(app_url: str, page: Page) -> None:
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))))
    open_chart(page, app_url)
    assert sum(received) > 4e6  # plotly.js itself, inline: nothing comes from the network
    nav = page.locator('[data-testid="stSidebarNav"]')
    for name in ["Parameter importance", "Shape of the response", "Parallel coordinates"]:
        received.clear()
        nav.get_by_role("link", name=name).click()
        settle(page)
    expect(page.locator(f"{GRAPH} svg .parcoords").first).to_be_attached(timeout=60_000)
    assert sum(received) < 1e6  # back on the page: the browser still has plotly.js

    nav.get_by_role("link", name="Parameter importance").click()
    settle(page)
    page.evaluate("() => { delete window.Plotly; }")  # as a page reloaded into the same session
    nav.get_by_role("link", name="Parallel coordinates").click()
    expect(page.locator(f"{GRAPH} svg .parcoords").first).to_be_attached(timeout=60_000)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
