"""`bash scripts/run.sh PATH` from the user's own folder opens the app on that folder's runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import APP_DIR, _free_port, _wait_healthy, wait_for_idle

pytestmark = pytest.mark.e2e
REAL_FOLDER = APP_DIR / "tests" / "fixtures" / "real" / "wandb_dirs" / "Yogesh0arya__da6401_assignment1"


def test_run_sh_opens_a_wandb_folder_named_from_another_directory(tmp_path: Path, page: Page) -> None:
    project = tmp_path / "my_training_code"
    shutil.copytree(REAL_FOLDER, project)  # holds wandb/, as a user's training folder does
    port = _free_port()
    command = [
        "bash", str(APP_DIR / "scripts" / "run.sh"), "wandb",
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, timeout=240)  # the script first checks the installed packages
        page.goto(url)
        wait_for_idle(page)
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar.get_by_text("wandb folder my_training_code/wandb (5 runs)")).to_be_visible()
        expect(sidebar.get_by_text("Demo", exact=False)).to_have_count(0)
        main = page.locator('[data-testid="stMain"]')
        expect(main.get_by_text("Opened on val_accuracy", exact=False)).to_be_visible()
        expect(page.get_by_text("Sweepscope was started on")).to_have_count(0)
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    finally:
        process.terminate()
        process.wait(timeout=20)
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        assert "Traceback" not in stderr, stderr
