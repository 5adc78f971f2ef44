"""At 1280x720 and 1440x900 the chart is whole on the first screen, and with 13 axes no axis label
or tick text overlaps another (rotated labels compared as the rotated rectangles they are)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import wait_for_idle

pytestmark = pytest.mark.e2e

DEMO_AXES = (
    "learning_rate,batch_size,model.hidden,model.layers,optimizer,momentum,alpha,activation,"
    "early_stopping,epochs,dataloader_workers,seed,val_loss"
)
# Each visible label's corners on the screen (its own box through its transform), then every pair
# tested with the separating axis theorem: two convex quads are apart if some edge's normal splits them.
OVERLAPS = """() => {
  const quads = [];
  for (const t of document.querySelectorAll('.parcoords .axis-title, .parcoords .axis .tick text')) {
    const text = (t.textContent || '').replace(/[\\u200b\\u200c\\u200d\\u2060]/g, '').trim();
    const box = t.getBBox(), m = t.getScreenCTM();
    if (!text || box.width === 0 || getComputedStyle(t).display === 'none') continue;
    const at = (x, y) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f];
    const {x, y, width: w, height: h} = box;
    quads.push({text, corners: [at(x, y), at(x + w, y), at(x + w, y + h), at(x, y + h)]});
  }
  const apart = (p, q) => {
    for (const poly of [p, q]) for (let k = 0; k < 4; k++) {
      const [x1, y1] = poly[k], [x2, y2] = poly[(k + 1) % 4];
      const nx = y2 - y1, ny = x1 - x2, len = Math.hypot(nx, ny) || 1;
      const a = p.map(([x, y]) => (x * nx + y * ny) / len), b = q.map(([x, y]) => (x * nx + y * ny) / len);
      if (Math.max(...a) <= Math.min(...b) + 1 || Math.max(...b) <= Math.min(...a) + 1) return true;
    }
    return false;
  };
  const hits = [];
  for (let i = 0; i < quads.length; i++)
    for (let j = i + 1; j < quads.length; j++)
      if (!apart(quads[i].corners, quads[j].corners)) hits.push(`${quads[i].text} / ${quads[j].text}`);
  const chart = document.querySelector('.sweepscope-parcoords').getBoundingClientRect();
  return {labels: quads.length, hits, bottom: chart.bottom, top: chart.top, window: innerHeight};
}"""


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1440, 900)])
def test_thirteen_axes_fit_the_first_screen_without_collisions(
    app_url: str, browser: Browser, width: int, height: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/parallel?src=demo&axes={DEMO_AXES}")
        wait_for_idle(page)
        chart = page.locator(".sweepscope-parcoords")
        expect(chart.locator("text.axis-title")).to_have_count(13, timeout=60_000)
        page.wait_for_timeout(500)  # the chart's last layout after its fonts
        seen = page.evaluate(OVERLAPS)
        assert seen["labels"] > 40, "the axes' titles and ticks must be drawn"
        assert seen["hits"] == [], f"overlapping labels at {width}x{height}: {seen['hits']}"
        assert seen["top"] < height / 2 and seen["bottom"] <= height, f"the chart runs past the fold: {seen}"
    finally:
        context.close()
