"""Many visitors at once: N real Chromium sessions against one Streamlit server.

    python benchmarks/bench_load_test.py [--sessions 20] [--runs 60] [--deadline 600]

One server (started as `tests/e2e/conftest.py` starts it), one browser, one context per session.
Every session, all at once:
- deep-links to /load (the first page a visitor opens), picks "Upload a runs table", uploads ITS OWN
  runs table (run names `run-sNN-…`, a parameter `width_sNN`, file `runs_sNN.csv`) and loads it;
- visits every page of the sidebar's navigation in order.
A step's "rerun" time runs from the click (or the file's change event, or the navigation's start) to
the end of the page's last rerun, on the page's own clock; its "drawn" time to the browser's last
change of the page (charts, tables), and the next step waits for that (at most DRAW_CAP_MS).
After each step it records any `stException`, "Something went wrong" or error alert, and reads all the
page's text (shadow roots and iframes too): another session's names there is a crossing, a sidebar
that does not name the session's own table is a lost sweep. The server's RSS and CPU are sampled
every 0.5 s (/proc), and the server times each of its script runs itself (`lib/ui/run_times.py`): on
one small machine running every browser, most of a step's time is the browsers' drawing, which real
visitors do on their own machines. Printed: sessions, errors, crossings, p50/p95/max per step and
overall (the browser's view), the same per page for the server's script runs, peak and final RSS,
the CPU the server, this script and the rest of the machine (the browser) used.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from playwright.async_api import Browser, Page, async_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
QUIET_MS = 400
# Home's heading is the app's name; every other page's heading is its title in the navigation.
NAV = [
    ("Home", "Sweepscope"),
    ("Load a sweep", "Load a sweep"),
    ("Parallel coordinates", "Parallel coordinates"),
    ("Parameter importance", "Parameter importance"),
    ("Shape of the response", "Shape of the response"),
    ("Learning curves", "Learning curves"),
    ("Search history", "Search history"),
    ("Next sweep", "Next sweep"),
]
SCREENSHOTS: Path | None = None  # --screenshots: where a failed step's page is saved
MARKER = re.compile(r"(?:run-s|width_s|runs_s)(\d{2})")

# Counts reruns on the page's clock and keeps when the last click or file choice happened, so a step is
# timed from the user's action to the end of its last rerun.
INSTRUMENT = """
(() => {
    const bench = window.__bench = {busy: false, runs: 0, lastIdle: 0, lastAction: 0, lastChange: 0};
    // React renders only the last of the states that arrive together, so a quick rerun can show
    // 'rerunRequested' -> 'notRunning' without 'running': a run ended when the state returned to
    // 'notRunning' from anything else. The state is read once per batch of records.
    new MutationObserver((records) => {
        for (const r of records) {
            const now = r.target.getAttribute('data-test-script-state');
            if (r.oldValue !== 'notRunning' && now === 'notRunning') bench.runs += 1;
        }
        const app = document.querySelector('[data-testid="stApp"]');
        bench.busy = !app || app.getAttribute('data-test-script-state') !== 'notRunning';
        if (!bench.busy) bench.lastIdle = performance.now();
    }).observe(document, {
        attributes: true, subtree: true, attributeOldValue: true,
        attributeFilter: ['data-test-script-state'],
    });
    // Elements added or removed: the fallback end of a rerun whose states were all rendered at once.
    new MutationObserver(() => { bench.lastChange = performance.now(); })
        .observe(document, {childList: true, subtree: true});
    document.addEventListener('click', () => { bench.lastAction = performance.now(); }, true);
    document.addEventListener('change', () => { bench.lastAction = performance.now(); }, true);
})();
"""
# Settled: the step's result is on the page (an element matching `selector` whose text holds `text`),
# nothing runs, nothing changed for `quiet` ms, and a rerun ended after the action or (no state change
# was rendered at all) the page changed after it and has been quiet for `fallback` ms.
SETTLED = f"""([runs, quiet, fallback, selector, text]) => {{
    const b = window.__bench, now = performance.now();
    if (b.busy || document.querySelector('{IDLE}') === null) return false;
    if (![...document.querySelectorAll(selector)].some((e) => (e.textContent || '').includes(text)))
        return false;
    if (b.runs > runs) return now - b.lastIdle > quiet;
    return b.lastChange > b.lastAction && now - b.lastChange > quiet && now - b.lastAction > fallback;
}}"""
FALLBACK_MS = 5_000
# Drawn: nothing added to or removed from the page for `quiet` ms (charts, tables, components).
DRAWN = """([quiet]) => performance.now() - window.__bench.lastChange > quiet"""
DRAW_CAP_MS = 60_000
ALL_TEXT = """() => {
    const parts = [];
    const walk = (root) => {
        parts.push(root.textContent || '');
        for (const el of root.querySelectorAll('*')) {
            if (el.shadowRoot) walk(el.shadowRoot);
            if (el.tagName === 'IFRAME') { try { walk(el.contentDocument); } catch (e) {} }
        }
    };
    walk(document);
    return parts.join(' ');
}"""


@dataclass
class Session:
    number: int
    times: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    crossings: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    drawn: dict[str, float] = field(default_factory=dict)
    still_drawing: list[str] = field(default_factory=list)

    def record_drawn(self, step: str, seconds: float | None) -> None:
        if seconds is None:
            self.still_drawing.append(step)
        else:
            self.drawn[step] = seconds

    @property
    def tag(self) -> str:
        return f"{self.number:02d}"


def runs_table(tag: str, n_runs: int, seed: int) -> bytes:
    """A small runs table whose run names, one parameter and the metric's shape are this session's."""
    rng = np.random.default_rng(seed)
    lr = 10 ** rng.uniform(-4, -1, n_runs)
    width = rng.integers(16, 256, n_runs)
    table = pd.DataFrame(
        {
            "Name": [f"run-s{tag}-{k:03d}" for k in range(n_runs)],
            "State": "finished",
            "learning_rate": lr,
            f"width_s{tag}": width,
            "optimizer": rng.choice(["adam", "sgd"], n_runs),
            "val_loss": (np.log10(lr) + 2.5) ** 2 / 10 + width / 1000 + rng.normal(0, 0.05, n_runs),
        }
    )
    return table.to_csv(index=False).encode()


# ------------------------------------------------------------------------------------ the server


class Server:
    """`streamlit run streamlit_app.py` on a free port, its RSS and CPU sampled every 0.5 s."""

    def __init__(self, app_dir: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.run_times = Path(tempfile.mkdtemp()) / "run_times.tsv"  # lib/ui/run_times.py writes it
        env = {
            **os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "OMP_NUM_THREADS": "1",
            "SWEEPSCOPE_RUN_TIMES": str(self.run_times),
        }  # fmt: skip
        command = [
            sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
            "--server.headless", "true", "--server.port", str(self.port),
            "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=app_dir, env=env, stdout=subprocess.DEVNULL, stderr=self.stderr
        )
        self.rss_mb: list[float] = []
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited early with code {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        self._sampler.start()
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError("streamlit did not become healthy in time")

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            try:
                status = Path(f"/proc/{self.process.pid}/status").read_text()
            except OSError:
                return
            kb = re.search(r"VmRSS:\s+(\d+)", status)
            if kb:
                self.rss_mb.append(int(kb.group(1)) / 1024)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def script_runs(self) -> dict[str, list[float]]:
        """Seconds of each of the server's script runs, by page (the server's own clock)."""
        runs: dict[str, list[float]] = {}
        text = self.run_times.read_text() if self.run_times.exists() else ""
        for line in text.splitlines():
            page, _, seconds = line.rpartition("\t")
            runs.setdefault(page, []).append(float(seconds))
        return runs

    def stop(self) -> str:
        self._stop.set()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


# ------------------------------------------------------------------------------------ a session


async def settle(page: Page, runs_before: int, ready: tuple[str, str], timeout_ms: float) -> float:
    """Wait for the reruns an action started to end with `ready` (selector, text) on the page; the
    action-to-last-rerun time in seconds."""
    args = [runs_before, QUIET_MS, FALLBACK_MS, *ready]
    await page.wait_for_function(SETTLED, arg=args, timeout=timeout_ms, polling=100)
    bench = await page.evaluate("window.__bench")
    end = bench["lastIdle"] if bench["runs"] > runs_before else bench["lastChange"]
    return float(end - bench["lastAction"]) / 1000


async def drawn(page: Page, since_page_start: bool = False) -> float | None:
    """Wait (at most DRAW_CAP_MS) until the browser stops changing the page; the action-to-last-change
    time in seconds, None if it was still drawing. The next action waits for this, so one page's
    drawing is not billed to the next."""
    try:
        await page.wait_for_function(DRAWN, arg=[QUIET_MS], timeout=DRAW_CAP_MS, polling=100)
    except Exception:
        return None
    bench = await page.evaluate("window.__bench")
    start = 0.0 if since_page_start else bench["lastAction"]
    return float(bench["lastChange"] - start) / 1000


async def check_page(page: Page, session: Session, step: str, others: set[str], own: bool) -> None:
    main = page.locator('[data-testid="stMain"]')
    if n := await page.locator('[data-testid="stException"]').count():
        session.errors.append(f"{step}: {n} stException")
    if await main.get_by_text("Something went wrong").count():
        session.errors.append(f"{step}: Something went wrong")
    for alert in await page.locator('[data-testid="stAlertContentError"]').all_inner_texts():
        session.errors.append(f"{step}: error alert {alert[:80]!r}")
    text = await page.evaluate(ALL_TEXT)
    foreign = sorted({m for m in MARKER.findall(text) if m in others})
    if foreign:
        session.crossings.append(f"{step}: names of sessions {', '.join(foreign)}")
    if own:
        sidebar = await page.locator('[data-testid="stSidebar"]').inner_text()
        if f"runs_s{session.tag}.csv" not in sidebar:
            session.lost.append(f"{step}: the sidebar does not name runs_s{session.tag}.csv")


async def act(
    page: Page,
    session: Session,
    step: str,
    action: Awaitable[None],
    ready: tuple[str, str],
    timeout_ms: float,
) -> None:
    runs = int(await page.evaluate("window.__bench.runs"))
    await action
    session.times[step] = await settle(page, runs, ready, timeout_ms)
    session.record_drawn(step, await drawn(page))


async def run_session(
    browser: Browser, url: str, session: Session, table: Path, others: set[str], timeout_ms: float
) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.add_init_script(INSTRUMENT)
    page = await context.new_page()
    page.set_default_timeout(timeout_ms)
    main = page.locator('[data-testid="stMain"]')
    step = "open /load"
    try:
        await page.goto(f"{url}/load")
        args = [0, QUIET_MS, FALLBACK_MS, "h1", "Load a sweep"]
        await page.wait_for_function(SETTLED, arg=args, timeout=timeout_ms, polling=100)
        session.times[step] = float(await page.evaluate("window.__bench.lastIdle")) / 1000
        session.record_drawn(step, await drawn(page, since_page_start=True))
        await check_page(page, session, step, others, own=False)

        step = "pick upload"
        tab = main.get_by_role("button", name="Upload a runs table").or_(
            main.get_by_role("radio", name="Upload a runs table")
        )
        uploader = ('[data-testid="stFileUploader"]', "Runs table")
        await act(page, session, step, tab.first.click(), uploader, timeout_ms)
        step = "upload file"
        chooser = page.locator('[data-testid="stFileUploader"] input[type=file]')
        load_button = ("button", "Load table")
        await act(page, session, step, chooser.set_input_files(str(table)), load_button, timeout_ms)
        step = "load table"
        loaded = ('[data-testid="stSidebar"]', f"runs_s{session.tag}.csv")
        click = main.get_by_role("button", name="Load table").click()
        await act(page, session, step, click, loaded, timeout_ms)
        await check_page(page, session, step, others, own=True)

        nav = page.locator('[data-testid="stSidebarNav"]')
        for title, heading in NAV:
            step = title
            link = nav.get_by_role("link", name=title, exact=True)
            await act(page, session, step, link.click(), ("h1", heading), timeout_ms)
            if not await main.get_by_role("heading", name=heading, exact=True).count():
                session.errors.append(f"{step}: no heading {heading!r}")
            await check_page(page, session, step, others, own=True)
    except Exception as error:  # a timeout or a missing widget ends this session's visit
        state = await page.evaluate("JSON.stringify(window.__bench)")
        if SCREENSHOTS is not None:
            await page.screenshot(path=SCREENSHOTS / f"s{session.tag}-{step.replace(' ', '_')}.png")
        session.errors.append(f"{step}: {type(error).__name__}: {str(error).splitlines()[0][:100]} {state}")
    finally:
        await context.close()


async def drive(
    url: str, sessions: list[Session], tables: dict[str, Path], timeout_ms: float, deadline: float
) -> None:
    """Every session at once."""
    tags = {s.tag for s in sessions}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        jobs = [run_session(browser, url, s, tables[s.tag], tags - {s.tag}, timeout_ms) for s in sessions]
        try:
            await asyncio.wait_for(asyncio.gather(*jobs), timeout=deadline)
        except TimeoutError:
            for s in sessions:
                s.errors.append("global deadline reached")
        await browser.close()


@dataclass
class Usage:
    wall: float
    server_cpu: float
    script_cpu: float
    machine_busy: float

    def text(self) -> str:
        cores = lambda seconds: f"{seconds:.0f} s ({seconds / self.wall:.2f} cores)"  # noqa: E731
        others = self.machine_busy - self.server_cpu - self.script_cpu
        return (
            f"CPU of {os.cpu_count()} cores over {self.wall:.0f} s: server {cores(self.server_cpu)}, "
            f"this script {cores(self.script_cpu)}, the browser, its driver and anything else on the "
            f"machine {cores(max(others, 0.0))}"
        )


# ------------------------------------------------------------------------------------ report


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def figures(values: list[float]) -> str:
    if not values:
        return f"{'-':>7} {'-':>7} {'-':>7}"
    return f"{percentile(values, 50):7.2f} {percentile(values, 95):7.2f} {max(values):7.2f}"


def report(sessions: list[Session], server: Server, stderr: str, usage: Usage) -> None:
    errors = [e for s in sessions for e in s.errors]
    crossings = [f"s{s.tag} {c}" for s in sessions for c in s.crossings]
    lost = [f"s{s.tag} {c}" for s in sessions for c in s.lost]
    complete = sum(1 for s in sessions if len(s.times) == 4 + len(NAV))
    print(f"sessions {len(sessions)}, complete {complete}, wall {usage.wall:.0f} s")
    print(f"errors {len(errors)}, crossings {len(crossings)}, lost sweeps {len(lost)}")
    for line in [*errors, *crossings, *lost][:30]:
        print(f"  {line}")
    if "Traceback" in stderr:
        print("server stderr has a traceback:\n" + stderr[-3000:])
    still = sum(len(s.still_drawing) for s in sessions)
    print(
        "rerun: action -> last rerun done; drawn: -> the page stopped changing "
        f"({still} steps still drawing after {DRAW_CAP_MS // 1000} s)"
    )
    head = f"{'rerun p50':>9} {'p95':>7} {'max':>7}   {'drawn p50':>9} {'p95':>7} {'max':>7}"
    print(f"  {'step':<24} {'n':>3} {head}")
    every: list[float] = []
    every_drawn: list[float] = []
    for step in list(dict.fromkeys(k for s in sessions for k in s.times)):
        values = [s.times[step] for s in sessions if step in s.times]
        drawn_values = [s.drawn[step] for s in sessions if step in s.drawn]
        every += values
        every_drawn += drawn_values
        print(f"  {step:<24} {len(values):>3}   {figures(values)}     {figures(drawn_values)}")
    print(f"  {'overall':<24} {len(every):>3}   {figures(every)}     {figures(every_drawn)}")
    report_script_runs(server.script_runs())
    rss = server.rss_mb or [float("nan")]
    print(f"server RSS peak {max(rss):.0f} MB, final {rss[-1]:.0f} MB")
    print(usage.text())


def report_script_runs(runs: dict[str, list[float]]) -> None:
    """The server's share: each script run from its start to its end, as the server timed it."""
    print("server: each script run, start to end on the server's clock (s)")
    print(f"  {'page':<24} {'runs':>4}     {'p50':>5} {'p95':>7} {'max':>7}")
    every = [seconds for values in runs.values() for seconds in values]
    for page, values in [*sorted(runs.items()), ("overall", every)]:
        print(f"  {page:<24} {len(values):>4}   {figures(values)}")


def start_profiler(pid: int, out: Path | None) -> subprocess.Popen[bytes] | None:
    """`py-spy record` of the server while the sessions run (raw stacks, --idle left out)."""
    if out is None:
        return None
    return subprocess.Popen(
        ["py-spy", "record", "-p", str(pid), "-o", str(out), "--format", "raw", "-r", "50", "--gil"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=60, help="runs in each session's table")
    parser.add_argument("--deadline", type=float, default=600, help="seconds for the whole load test")
    parser.add_argument("--step-timeout", type=float, default=120, help="seconds one step may take")
    parser.add_argument("--app-dir", type=Path, default=REPO)
    parser.add_argument("--profile", type=Path, help="write py-spy's stacks (GIL holder) of the server here")
    parser.add_argument("--screenshots", type=Path, help="save a screenshot of each failed step here")
    args = parser.parse_args()
    global SCREENSHOTS
    SCREENSHOTS = args.screenshots

    sessions = [Session(i) for i in range(args.sessions)]
    with tempfile.TemporaryDirectory() as folder:
        tables = {}
        for s in sessions:
            tables[s.tag] = Path(folder) / f"runs_s{s.tag}.csv"
            tables[s.tag].write_bytes(runs_table(s.tag, args.runs, seed=s.number))
        server = Server(args.app_dir)
        try:
            server.wait_healthy()
            profiler = start_profiler(server.process.pid, args.profile)
            cpu0, (busy0, _) = server.cpu_seconds(), machine_busy_seconds()
            start = time.monotonic()
            script_cpu0 = sum(os.times()[:2])
            asyncio.run(drive(server.url, sessions, tables, args.step_timeout * 1000, args.deadline))
            usage = Usage(
                wall=time.monotonic() - start,
                server_cpu=server.cpu_seconds() - cpu0,
                script_cpu=sum(os.times()[:2]) - script_cpu0,
                machine_busy=machine_busy_seconds()[0] - busy0,
            )
            if profiler is not None:
                profiler.send_signal(2)  # SIGINT: py-spy writes its file and exits
                profiler.wait(timeout=30)
        finally:
            stderr = server.stop()
    report(sessions, server, stderr, usage)


if __name__ == "__main__":
    main()
