"""Issue 9, item 7, on the Load page: a crafted snapshot's metadata is shown as its claim, never as a link."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from streamlit.testing.v1 import AppTest

from lib.safe_text import WORD_JOINER
from lib.sources.wandb.snapshot import SNAPSHOT_KEY, save_snapshot, stamp_fetched_at
from lib.sources.wandb.spec import WandbSpec
from lib.sweep import RunRecord, sweep_from_records
from tests.app.conftest import page_text

EVIL = "https://evil.example/login"


def forged_snapshot(tmp_path: Path, **meta: object) -> bytes:
    """A real snapshot whose metadata someone rewrote (only APIs that predate the fix: it must fail there)."""
    records = [RunRecord(f"r{i}", config={"lr": 0.1 * i}, summary={"loss": 1.0 / (i + 1)}) for i in range(3)]
    sweep = stamp_fetched_at(sweep_from_records(records, source="W&B alice/p"), datetime.now(UTC))
    table = pq.read_table(save_snapshot(sweep, tmp_path / "honest.parquet", WandbSpec("alice", "p")))
    stored = {**json.loads(table.schema.metadata[SNAPSHOT_KEY]), **meta}
    pq.write_table(
        table.replace_schema_metadata({SNAPSHOT_KEY: json.dumps(stored)}), tmp_path / "forged.parquet"
    )
    return (tmp_path / "forged.parquet").read_bytes()


def literal(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).replace(WORD_JOINER, "")


def test_a_crafted_snapshot_shows_no_foreign_host_and_its_age_as_a_claim(
    app: AppTest, tmp_path: Path
) -> None:
    spec = {"entity": "alice", "project": "p", "sweep_id": None, "run_id": None, "group": None}
    data = forged_snapshot(
        tmp_path,
        spec={**spec, "base_url": "https://evil.example"},
        source=f"[Re-enter your W&B key]({EVIL})",
        fetched_at=(datetime.now(UTC) - timedelta(days=1066, minutes=1)).isoformat(),
    )
    app.run()
    app.switch_page("pages/load.py")
    app.run()
    app.segmented_control(key="load.source").set_value("Upload a runs table")
    app.run()
    app.file_uploader(key="load.table").set_value(("sweep.parquet", data, "application/octet-stream"))
    app.run()
    next(b for b in app.button if b.label == "Load table").click()
    app.run()
    assert not app.exception and not app.error
    shown = literal(page_text(app) + "\n" + "\n".join(m.value for m in app.sidebar.markdown))
    assert "evil.example" not in shown and "Re-enter" not in shown
    assert "W&B alice/p (snapshot)" in shown
    assert "the snapshot says it was fetched 1066 days ago" in shown
    assert not any(b.label.startswith("Save a snapshot") for b in app.get("download_button"))
