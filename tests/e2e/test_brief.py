"""The brief from the Home page, downloaded in a real Chromium, then opened as a file in a fresh
browser context with the network off: every chart draws, nothing is fetched, nothing errs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect

from tests.e2e.conftest import wait_for_idle

pytestmark = pytest.mark.e2e

# Every chart is drawn when each one holds Plotly's SVG layer, and as many as the file carries.
ALL_DRAWN = """() => {
  const charts = [...document.querySelectorAll('.chart')];
  const data = document.querySelectorAll('script.figure-data').length;
  return charts.length > 0 && charts.length === data
    && charts.every(c => c.querySelector('.plot-container .main-svg') !== null);
}"""


def download_brief(page: Page, url: str, tmp_path: Path) -> tuple[Path, str]:
    """The brief saved from the Home page at `url`, and the page's own "what matters" sentence."""
    page.goto(url)
    wait_for_idle(page)
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("Runs by state")).to_be_visible()
    what_matters = main.get_by_text("What matters most", exact=False).first.inner_text()
    button = main.get_by_role("button", name="Download the brief")
    expect(button).to_be_visible()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "sweep_brief.html"
    saved = tmp_path / "sweep_brief.html"
    download.save_as(saved)
    expect(main.get_by_text("Something went wrong")).to_have_count(0)
    return saved, " ".join(what_matters.split())


def test_the_downloaded_brief_draws_every_chart_with_the_network_off(
    app_url: str, page: Page, browser: Browser, tmp_path: Path
) -> None:
    saved, what_matters = download_brief(page, app_url, tmp_path)

    context = browser.new_context(viewport={"width": 900, "height": 1200})
    context.set_offline(True)
    fetched: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            fetched.append(url)
            route.abort()

    context.route("**/*", only_local)
    errors: list[str] = []
    offline = context.new_page()
    offline.on("console", lambda m: errors.append(m.text) if _is_error(m) else None)
    offline.on("pageerror", lambda error: errors.append(str(error)))
    offline.on("request", lambda r: None if r.url.startswith(("file://", "data:")) else fetched.append(r.url))
    try:
        offline.goto(saved.as_uri())
        offline.wait_for_function(ALL_DRAWN, timeout=20_000)
        n_charts = offline.locator(".chart").count()
        assert n_charts >= 3  # the parallel coordinates and at least two response curves
        assert offline.locator(".chart.failed").count() == 0
        expect(offline.get_by_role("heading", name="The analysis context")).to_be_visible()
        assert what_matters in offline.locator("#glance").inner_text()  # the numbers Home shows
        live = offline.get_by_role("link", name=f"{app_url}/parallel", exact=False)
        href = live.get_attribute("href") or ""
        parts = urlsplit(href)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{app_url}/parallel"
        assert parse_qs(parts.query) == {"src": ["demo"]}  # the view Home wrote into the address bar
    finally:
        context.close()
    assert fetched == []
    assert errors == []


def _is_error(message: ConsoleMessage) -> bool:
    return message.type == "error"
