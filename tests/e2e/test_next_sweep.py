"""The journey from "which parameters matter" to a downloaded, valid next sweep, in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from lib.sweep_config import validate_sweep_config
from tests.e2e.conftest import wait_for_idle
from tests.sweep_config.test_sweep_config import schema_errors

pytestmark = pytest.mark.e2e


def expect_no_error(page: Page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.get_by_text("Something went wrong")).to_have_count(0)  # the page frame's catch-all


def test_from_parameter_importance_to_a_downloaded_next_sweep(
    app_url: str, page: Page, tmp_path: Path
) -> None:
    page.goto(f"{app_url}/importance")
    wait_for_idle(page)
    main = page.locator('[data-testid="stMain"]')
    expect(page.get_by_role("heading", name="Parameter importance")).to_be_visible()
    forest = main.get_by_role("tabpanel", name="Forest importance")
    expect(forest.locator('[data-testid="stDataFrame"]').first).to_be_visible()  # drawn on a canvas
    expect(forest.get_by_role("heading", name="Can I trust this?")).to_be_visible()
    expect(forest.get_by_text("R² =").first).to_be_visible()
    expect_no_error(page)

    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Next sweep").click()
    wait_for_idle(page)
    expect(page.get_by_role("heading", name="Next sweep")).to_be_visible()
    path, _, query = page.url.partition("?")
    assert path.endswith("/next_sweep") and "src=demo" in query  # every page's link names its sweep
    button = main.get_by_role("button", name="Download next_sweep.yaml")
    expect(button).to_be_visible()
    expect_no_error(page)
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename == "next_sweep.yaml"
    saved = tmp_path / "next_sweep.yaml"
    download.save_as(saved)
    config = yaml.safe_load(saved.read_text())
    assert validate_sweep_config(config) == []
    assert schema_errors(config) == []  # W&B's own schema, checked with jsonschema
    assert config["metric"] == {"name": "val_accuracy", "goal": "maximize"}
    assert config["method"] == "bayes" and "learning_rate" in config["parameters"]
