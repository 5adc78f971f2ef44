"""A shared parallel-coordinates link opens on a fresh server with the chart drawn as linked."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import wait_for_idle

pytestmark = pytest.mark.e2e


APPLIED_CONSTRAINTS = """() => {
    const charts = [...document.querySelectorAll("div")].filter(e => e._fullData);
    const chart = charts.find(e => e._fullData[0].type === "parcoords");
    return chart._fullData[0].dimensions.map(d => d.constraintrange ?? null);
}"""


def test_a_link_with_a_view_draws_that_chart(app_url: str, page: Page) -> None:
    query = "src=demo&axes=optimizer,learning_rate,val_accuracy&q=10.0&c=learning_rate"
    page.goto(f"{app_url}/parallel?{query}")
    wait_for_idle(page)
    expect(page.get_by_role("heading", name="Parallel coordinates")).to_be_visible()
    chart = page.locator(".sweepscope-parcoords")  # the chart component (issue 14), not st.plotly_chart
    expect(chart.locator("svg .parcoords").first).to_be_attached(timeout=30_000)
    labels = chart.locator("text.axis-title")
    expect(labels).to_have_count(3)
    expect(labels.nth(0)).to_have_text("optimizer")
    expect(labels.nth(2)).to_have_text("val_accuracy")
    expect(chart.locator("canvas").first).to_be_attached()
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("best 10% by val_accuracy").first).to_be_visible()
    assert "q=10.0" in page.url and "axes=optimizer" in page.url
    applied = page.evaluate(APPLIED_CONSTRAINTS)  # what Plotly kept after its own checks
    assert applied[0] is None and applied[1] is None
    assert applied[2] is not None, "the best-10% range on val_accuracy must grey the other runs"
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
