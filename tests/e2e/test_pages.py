"""Every page, opened by its address in a real browser, draws its title and no error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import wait_for_idle

pytestmark = pytest.mark.e2e

PAGES = {
    "response": "Shape of the response",
    "history": "Search history",
    "curves": "Learning curves",
    "next_sweep": "Next sweep",
    "importance": "Parameter importance",
    "parallel": "Parallel coordinates",
    "load": "Load a sweep",
    "home": "Sweepscope",
}


def test_every_page_opens_by_its_address(app_url: str, page: Page) -> None:
    """Each page's title is its name in the navigation, so a click lands where it says."""
    for path, title in PAGES.items():  # the first one is a deep link on a fresh server
        page.goto(f"{app_url}/{path}")
        wait_for_idle(page)
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        if path != "home":
            nav = page.locator('[data-testid="stSidebarNav"]')
            expect(nav.get_by_role("link", name=title, exact=True)).to_be_visible()
        main = page.locator('[data-testid="stMain"]')
        expect(main.get_by_text("Something went wrong")).to_have_count(0)
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
        expect(
            page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Next sweep")
        ).to_be_visible()


def test_an_importance_tab_is_drawn_when_it_is_clicked(app_url: str, page: Page) -> None:
    page.goto(f"{app_url}/importance")
    wait_for_idle(page)
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("Can I trust this?")).to_be_visible()
    charts = main.locator('[data-testid="stPlotlyChart"]')
    expect(charts).to_have_count(1)  # the model check only: hidden tabs are not computed
    page.get_by_role("tab", name="Variance decomposition").click()
    wait_for_idle(page)
    expect(main.locator('[data-testid="stPlotlyChart"]')).to_have_count(1)
    page.get_by_role("tab", name="What separates the best runs").click()
    wait_for_idle(page)
    expect(main.get_by_text("Best q% of runs")).to_be_visible()
    expect(main.locator('[data-testid="stPlotlyChart"]')).to_have_count(0)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_the_home_questions_are_whole_at_1280_px(app_url: str, page: Page) -> None:
    """Four cards in a row cut each question short ("Which parameters m…") at this width."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(app_url)
    wait_for_idle(page)
    links = page.locator('[data-testid="stMain"] [data-testid="stPageLink"] p')
    expect(links).to_have_count(4)
    cut = links.evaluate_all("ps => ps.filter(p => p.scrollWidth > p.clientWidth).map(p => p.textContent)")
    assert cut == []
