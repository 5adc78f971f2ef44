"""Screenshots of the app on the demo sweep for the README, taken with Debian's Chromium.

.venv/bin/python scripts/take_screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

APP_DIR = Path(__file__).resolve().parents[1]
PAGES = {
    "home": "",
    "parallel": "parallel?q=10.0",
    "importance": "importance",
    "response": "response",
    "history": "history",
    "next-sweep": "next_sweep",
}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
CHROMIUM_ARGS += ["--disable-component-update", "--disable-sync", "--enable-unsafe-swiftshader"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true"]
    command += [
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
    process = subprocess.Popen(
        command, cwd=APP_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                if answer.read() == b"ok":
                    return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("the app did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=APP_DIR / "docs")
    parser.add_argument("--only", nargs="*", default=list(PAGES))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = start_app(port)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            for name in args.only:
                page.goto(f"http://127.0.0.1:{port}/{PAGES[name]}")
                page.wait_for_selector(
                    '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=90_000
                )
                page.wait_for_timeout(2500)  # charts finish drawing after the run
                page.screenshot(path=args.out / f"screenshot-{name}.png", full_page=False)
                print(f"wrote {args.out / f'screenshot-{name}.png'}")
            browser.close()
    finally:
        process.terminate()


if __name__ == "__main__":
    main()
