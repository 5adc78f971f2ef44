"""The app starts, opens on the demo sweep, and a deep link works on a fresh server."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import wait_for_idle

pytestmark = pytest.mark.e2e


def test_home_page_shows_the_demo_sweep(app_url: str, page: Page) -> None:
    page.goto(app_url)
    wait_for_idle(page)
    expect(page.get_by_role("heading", name="Sweepscope")).to_be_visible()
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("Demo", exact=False).first).to_be_visible()
    expect(main.get_by_text("Runs by state")).to_be_visible()
    expect(main.locator('[data-testid="stDataFrame"]').first).to_be_visible()  # drawn on a canvas
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible()
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav.get_by_role("link", name="Home")).to_be_visible()
    expect(nav.get_by_role("link", name="Load a sweep")).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_deep_link_on_a_fresh_server_renders_the_full_page(app_url: str, page: Page) -> None:
    page.goto(f"{app_url}/load")
    wait_for_idle(page)
    expect(page.get_by_role("heading", name="Load a sweep")).to_be_visible()
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("Current sweep")).to_be_visible()
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav.get_by_role("link", name="Home")).to_be_visible()
    expect(nav.get_by_text("streamlit app")).to_have_count(0)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_the_app_asks_nothing_of_the_network(app_url: str, page: Page) -> None:
    """Offline demos: every request the pages make goes to the app's own server (the favicon too)."""
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda r: elsewhere.append(r.url) if not r.url.startswith((app_url, "data:", "blob:")) else None,
    )
    for path in ("", "parallel", "curves"):
        page.goto(f"{app_url}/{path}")
        wait_for_idle(page)
    page.wait_for_timeout(3000)  # the favicon and late assets
    assert elsewhere == []
