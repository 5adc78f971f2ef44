"""The parallel-coordinates page in a real Chromium: how long until the page has settled.

    python benchmarks/bench_parallel_browser.py [APP_DIR ...] [--repeat N]

Each APP_DIR is a checkout of Sweepscope (default: this one). To compare with the chart as it was
drawn before issue 14 (`st.plotly_chart`), make a second checkout without touching this one:

    git worktree add /tmp/before <commit>
    python benchmarks/bench_parallel_browser.py /tmp/before . && git worktree remove /tmp/before

Per checkout and repeat, a fresh server (as `tests/e2e/conftest.py` starts it, this Python) and a
fresh browser context, the checkouts taking turns; printed is the median over the repeats of:
- server start -> home page drawn (the server's own start included);
- opening /parallel on the demo -> the chart drawn, and the bytes the server sent meanwhile;
- a sidebar widget that leaves the chart as it is (the "hide" toggle with no filter) and one that
  changes it (reverse colours): click -> the rerun finished and the chart's last redraw done, the
  bytes sent, and how many times Plotly redrew the chart (its `plotly_afterplot` events);
- where the chart can do it (after issue 14), a brush on the metric axis -> the filtered page settled;
- back on /parallel after two other pages: the chart drawn, and the bytes sent meanwhile.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

PARALLEL = "/parallel?src=demo&axes=optimizer,learning_rate,val_loss,val_accuracy"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
QUIET_MS = 600  # no rerun and no redraw for this long: the page has settled

# Counts reruns (the app's script state going running -> notRunning) and redraws of the
# parcoords chart, with the page's clock, so a change is timed from its click to its last effect.
INSTRUMENT = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const bench = window.__bench = {running: false, runs: 0, lastIdle: 0, draws: 0, lastDraw: 0};
    new MutationObserver(() => {
        const state = app.getAttribute('data-test-script-state');
        if (state === 'running') bench.running = true;
        if (state === 'notRunning' && bench.running) {
            bench.running = false; bench.runs += 1; bench.lastIdle = performance.now();
        }
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    // st.plotly_chart may draw a changed figure in a new element: watch every parcoords chart.
    const watch = () => {
        for (const div of document.querySelectorAll('.js-plotly-plot')) {
            if (div.__benchWatched || !div.on) continue;
            div.__benchWatched = true;
            div.on('plotly_afterplot', () => { bench.draws += 1; bench.lastDraw = performance.now(); });
        }
    };
    watch();
    setInterval(watch, 20);
}"""
CHART_DRAWN = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .some(d => d._fullData && d._fullData[0] && d._fullData[0].type === 'parcoords'
               && d.querySelector('svg .parcoords') && d.querySelector('canvas'))"""
METRIC_BRUSH_AREA = """() => {
    const areas = [...document.querySelectorAll('.sweepscope-parcoords .axis-brush rect.background')];
    if (!areas.length) return null;
    const b = areas[areas.length - 1].getBoundingClientRect();
    return [b.x, b.y, b.width, b.height];
}"""


class Received:
    """Bytes the browser received on the app's websocket."""

    def __init__(self, page: Page) -> None:
        self.total = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload: Any) -> None:
        self.total += len(payload)


def _settled_after(page: Page, act: Callable[[], None]) -> tuple[float, float, int]:
    """Run `act` (a user action) and wait until the rerun it starts has finished and the chart has
    gone quiet: seconds to the later of the last rerun's end and the last redraw, seconds to the
    last rerun's end, and the number of redraws."""
    start = page.evaluate("() => ({t: performance.now(), runs: __bench.runs, draws: __bench.draws})")
    act()
    page.wait_for_function(f"() => __bench.runs > {start['runs']} && !__bench.running", timeout=120_000)
    while True:
        state = page.evaluate("() => ({t: performance.now(), ...__bench})")
        last = max(state["lastIdle"], state["lastDraw"])
        if state["t"] - last >= QUIET_MS and not state["running"]:
            seconds = (last - start["t"]) / 1000
            return seconds, (state["lastIdle"] - start["t"]) / 1000, state["draws"] - start["draws"]
        page.wait_for_timeout(100)


def _brush_metric_axis(page: Page) -> None:
    x, y, width, height = page.evaluate(METRIC_BRUSH_AREA)
    page.mouse.move(x + width / 2, y + 0.08 * height)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x + width / 2, y + (0.08 + 0.04 * i) * height)
    page.mouse.up()


@contextmanager
def _started(app_dir: Path) -> Iterator[tuple[str, float]]:
    start = time.perf_counter()
    with streamlit_server(app_dir / "streamlit_app.py", cwd=app_dir) as url:
        yield url, start


def measure_once(app_dir: Path, browser: Any) -> dict[str, float]:
    figures: dict[str, float] = {}
    with _started(app_dir) as (url, started):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        received = Received(page)
        page.goto(url)
        page.wait_for_selector(IDLE, timeout=120_000)
        page.get_by_role("heading").first.wait_for(timeout=60_000)
        figures["server start -> home drawn (s)"] = time.perf_counter() - started

        before, t0 = received.total, time.perf_counter()
        page.goto(url + PARALLEL)
        page.wait_for_selector(IDLE, timeout=120_000)
        page.wait_for_function(CHART_DRAWN, timeout=120_000)
        figures["open parallel -> chart drawn (s)"] = time.perf_counter() - t0
        figures["open parallel: MB sent"] = (received.total - before) / 1e6
        page.wait_for_timeout(QUIET_MS)
        page.evaluate(INSTRUMENT)
        figures["open parallel: JS heap MB"] = page.evaluate("() => performance.memory.usedJSHeapSize") / 1e6

        for label, widget in [
            ("chart unchanged", "Hide runs outside the filters"),
            ("chart changed", "Reverse colours"),
        ]:
            before, runs_before = received.total, page.evaluate("() => __bench.runs")
            seconds, rerun, draws = _settled_after(page, lambda w=widget: page.get_by_text(w).click())
            figures[f"widget, {label} -> settled (s)"] = seconds
            figures[f"widget, {label} -> rerun done (s)"] = rerun
            figures[f"widget, {label}: kB sent"] = (received.total - before) / 1e3
            figures[f"widget, {label}: redraws"] = draws
            figures[f"widget, {label}: reruns"] = page.evaluate("() => __bench.runs") - runs_before

        if page.evaluate(METRIC_BRUSH_AREA) is not None:
            before = received.total
            seconds, _, _ = _settled_after(page, lambda: _brush_metric_axis(page))
            figures["brush metric axis -> filtered page settled (s)"] = seconds
            figures["brush metric axis: kB sent"] = (received.total - before) / 1e3

        nav = page.locator('[data-testid="stSidebarNav"]')
        for name in ["Parameter importance", "Shape of the response"]:
            nav.get_by_role("link", name=name).click()
            page.wait_for_timeout(300)
            page.wait_for_selector(IDLE, timeout=120_000)
        before, t0 = received.total, time.perf_counter()
        nav.get_by_role("link", name="Parallel coordinates").click()
        page.wait_for_timeout(300)
        page.wait_for_selector(IDLE, timeout=120_000)
        page.wait_for_function(CHART_DRAWN, timeout=120_000)
        figures["back on parallel -> chart drawn (s)"] = time.perf_counter() - t0
        figures["back on parallel: MB sent"] = (received.total - before) / 1e6
        context.close()
    return figures


def revision(app_dir: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(app_dir), "log", "-1", "--format=%h %s"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()[:60] or str(app_dir)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("app_dirs", nargs="*", type=Path, default=[REPO])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs: dict[Path, list[dict[str, float]]] = {d: [] for d in args.app_dirs}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for _ in range(args.repeat):  # checkouts take turns, so a busy spell of the machine hits each
            for app_dir in args.app_dirs:
                runs[app_dir].append(measure_once(app_dir.resolve(), browser))
        browser.close()
    print(f"median of {args.repeat} (fresh server and browser context each, checkouts taking turns)")
    labels = list(dict.fromkeys(k for measured in runs.values() for run in measured for k in run))
    for app_dir, measured in runs.items():
        print(f"\n{revision(app_dir)}")
        for label in labels:
            values = [run[label] for run in measured if label in run]
            shown = f"{statistics.median(values):8.2f}" if values else "       —"
            print(f"  {label:<48} {shown}")


if __name__ == "__main__":
    main()
