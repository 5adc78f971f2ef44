"""Issue 9, item 7 (snapshots): what an uploaded snapshot says about itself is data, not trusted.

A crafted snapshot names another host, a link, and a forged age; none of it may become a link or a
trusted fact on the page.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lib.sources import load_upload
from lib.sources.snapshot import CLAIM_NOTE, describe_claimed_age, is_from_snapshot
from lib.sources.wandb.snapshot import (
    SNAPSHOT_KEY,
    fetched_at,
    save_snapshot,
    snapshot_info,
    stamp_fetched_at,
)
from lib.sources.wandb.spec import WandbSpec
from lib.sweep import RunRecord, sweep_from_records

EVIL = "https://evil.example/login"
NOW = datetime.now(UTC)


def crafted_snapshot(tmp_path: Path, *, spec: object, source: str, when: datetime) -> bytes:
    """A real snapshot whose metadata was then rewritten by someone else."""
    records = [RunRecord(f"r{i}", config={"lr": 0.1 * i}, summary={"loss": 1.0 / (i + 1)}) for i in range(3)]
    sweep = stamp_fetched_at(sweep_from_records(records, source="W&B alice/p"), NOW)
    path = save_snapshot(sweep, tmp_path / "honest.parquet", WandbSpec("alice", "p"))
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[SNAPSHOT_KEY])
    meta.update(spec=spec, source=source, fetched_at=when.isoformat(), notes=["a note"])
    forged = tmp_path / "forged.parquet"
    pq.write_table(
        table.replace_schema_metadata({**table.schema.metadata, SNAPSHOT_KEY: json.dumps(meta)}), forged
    )
    return forged.read_bytes()


def spec_dict(**changes: str | None) -> dict[str, str | None]:
    fields = {"entity": "alice", "project": "p", "sweep_id": None, "run_id": None, "group": None}
    return {**fields, "base_url": "https://api.wandb.ai", **changes}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (spec_dict(base_url="https://evil.example"), "W&B alice/p (snapshot)"),
        (spec_dict(base_url=EVIL, sweep_id="s1"), "W&B alice/p sweep s1 (snapshot)"),
        (
            spec_dict(entity=f"[Re-enter your W&B key]({EVIL})"),
            "A W&B project whose names are not plain text (snapshot)",
        ),
        (
            spec_dict(group="![pixel](//evil.example/p.png)"),
            "A W&B project whose names are not plain text (snapshot)",
        ),
        ({**spec_dict(), "extra": "x"}, "A sweep saved by Sweepscope (snapshot)"),
        ("not a dict", "A sweep saved by Sweepscope (snapshot)"),
        (None, "A sweep saved by Sweepscope (snapshot)"),
    ],
)
def test_a_snapshots_label_carries_no_host_or_link_it_names(
    tmp_path: Path, spec: object, expected: str
) -> None:
    data = crafted_snapshot(tmp_path, spec=spec, source=f"Re-enter your W&B key at {EVIL}", when=NOW)
    sweep = load_upload(data, "sweep.parquet")
    assert sweep.source == expected
    assert "evil" not in sweep.source and "evil" not in " ".join(sweep.notes[:1])
    assert sweep.notes[0] == CLAIM_NOTE and is_from_snapshot(sweep.runs.attrs)


def test_the_configured_server_is_named_in_a_snapshots_label(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_BASE_URL", "https://wandb.acme.internal")
    spec = spec_dict(base_url="https://wandb.acme.internal/[x](y)")
    data = crafted_snapshot(tmp_path, spec=spec, source="whatever", when=NOW)
    assert load_upload(data, "s.parquet").source == "W&B alice/p on wandb.acme.internal (snapshot)"


def test_a_snapshots_age_is_said_as_its_claim(tmp_path: Path) -> None:
    data = crafted_snapshot(tmp_path, spec=spec_dict(), source="x", when=NOW - timedelta(days=1066))
    sweep = load_upload(data, "s.parquet")
    assert describe_claimed_age(fetched_at(sweep)).startswith(
        "the snapshot says it was fetched 1066 days ago"
    )
    assert "in the future" in describe_claimed_age(NOW + timedelta(days=3))


def test_snapshot_info_reads_a_malformed_spec_as_none(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    path.write_bytes(crafted_snapshot(tmp_path, spec={**spec_dict(), "extra": 1}, source="x", when=NOW))
    info = snapshot_info(path)
    assert info.spec is None and info.source == "A sweep saved by Sweepscope (snapshot)"
