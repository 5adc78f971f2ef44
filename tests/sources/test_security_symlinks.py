"""Issue 9, item 3: a symlink below an allowed folder must not lead the readers to data outside it.

Every link here is made by the test and points into a folder beside the allowed one that holds a
secret value; with `allowed_roots` nothing of it may be read, the rest loads, and the skipped
entries say why without naming where the link leads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from wandb.proto.wandb_internal_pb2 import Record as WandbRecord

from lib.sources import SourceError, load_source
from lib.sources.reading import LINK_OUTSIDE
from lib.sources.wandb.local import load_wandb_folder
from lib.sweep import RUN_SWEEP, Sweep
from tests.sources.offline_runs import frame_records

SECRET = 0.123456789


def online_run(folder: Path, config: dict[str, object], summary: dict[str, object]) -> Path:
    files = folder / "files"
    files.mkdir(parents=True)
    (files / "config.yaml").write_text("".join(f"{k}:\n  value: {v}\n" for k, v in config.items()))
    (files / "wandb-summary.json").write_text(json.dumps(summary))
    return folder


def run_log_bytes(run_id: str, config: dict[str, object]) -> bytes:
    record = WandbRecord()
    record.run.run_id = run_id
    for key, value in config.items():
        record.run.config.update.add(key=key, value_json=json.dumps(value))
    return frame_records([record.SerializeToString()])


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """root/project/wandb/ holds one plain run and four that are, or hold, links into outside/."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    wandb_dir = root / "project" / "wandb"
    wandb_dir.mkdir(parents=True)
    online_run(wandb_dir / "run-20250101_000000-good0001", {"lr": 0.1}, {"acc": 0.9})

    secret_run = online_run(outside / "run-20250101_000009-secret01", {"lr": SECRET}, {"acc": SECRET})
    (wandb_dir / "run-20250101_000001-linkdir1").symlink_to(secret_run, target_is_directory=True)

    config_link = online_run(wandb_dir / "run-20250101_000002-linkcfg1", {"lr": 0.2}, {"acc": 0.8})
    (config_link / "files" / "config.yaml").unlink()
    (outside / "config.yaml").write_text(f"lr:\n  value: {SECRET}\n")
    (config_link / "files" / "config.yaml").symlink_to(outside / "config.yaml")

    offline = wandb_dir / "offline-run-20250101_000003-linklog1"
    offline.mkdir()
    (outside / "run-linklog1.wandb").write_bytes(run_log_bytes("linklog1", {"lr": SECRET}))
    (offline / "run-linklog1.wandb").symlink_to(outside / "run-linklog1.wandb")

    (outside / "sweep-abc").mkdir()
    (outside / "sweep-abc" / "config-good0001.yaml").write_text("lr: 1\n")
    (wandb_dir / "sweep-abc").symlink_to(outside / "sweep-abc", target_is_directory=True)
    return {"root": root, "outside": outside, "wandb": wandb_dir}


def assert_nothing_from(sweep: Sweep, outside: Path) -> None:
    assert list(sweep.runs.index) == ["good0001"]
    assert not (sweep.runs == SECRET).any().any()
    assert SECRET not in sweep.runs.to_numpy().ravel().tolist()
    assert RUN_SWEEP not in sweep.runs or sweep.runs[RUN_SWEEP].isna().all()  # sweep-abc was not listed
    for _what, why in sweep.skipped:
        assert str(outside) not in why and "secret01" not in why


def test_linked_run_folders_files_and_logs_are_skipped_and_the_rest_loads(layout: dict[str, Path]) -> None:
    sweep = load_source(layout["root"] / "project", allowed_roots=[layout["root"]])
    assert_nothing_from(sweep, layout["outside"])
    reasons = dict(sweep.skipped)
    assert reasons["run-20250101_000001-linkdir1"] == f"the folder is {LINK_OUTSIDE}"
    assert reasons["run-20250101_000002-linkcfg1"] == f"files/config.yaml is {LINK_OUTSIDE}"
    assert reasons["offline-run-20250101_000003-linklog1"] == f"run-linklog1.wandb is {LINK_OUTSIDE}"
    assert reasons["sweep-abc"] == f"the folder is {LINK_OUTSIDE}"


def test_the_wandb_folder_checks_the_same_with_allowed_roots(layout: dict[str, Path]) -> None:
    sweep = load_wandb_folder(layout["wandb"], allowed_roots=[layout["root"]])
    assert_nothing_from(sweep, layout["outside"])
    assert len(sweep.skipped) == 4


def test_a_linked_wandb_folder_loads_nothing(layout: dict[str, Path]) -> None:
    project = layout["root"] / "elsewhere"
    project.mkdir()
    (project / "wandb").symlink_to(layout["wandb"].parent.parent.parent / "outside", target_is_directory=True)
    with pytest.raises(SourceError, match=LINK_OUTSIDE) as raised:
        load_source(project, allowed_roots=[layout["root"]])
    assert str(layout["outside"]) not in str(raised.value)


def test_a_linked_runs_table_or_zip_is_refused_whether_or_not_its_target_exists(
    layout: dict[str, Path],
) -> None:
    root, outside = layout["root"], layout["outside"]
    (outside / "runs.csv").write_text(f"run_id,lr\nr1,{SECRET}\n")
    (root / "runs.csv").symlink_to(outside / "runs.csv")
    (root / "gone.csv").symlink_to(outside / "missing.csv")
    answers = set()
    for name in ("runs.csv", "gone.csv"):
        with pytest.raises(SourceError, match="outside the folders Sweepscope may read") as raised:
            load_source(root / name, allowed_roots=[root])
        answers.add(str(raised.value).replace(name, "NAME"))
    assert len(answers) == 1 and str(outside) not in answers.pop()


def test_without_allowed_roots_a_headless_call_still_follows_links(layout: dict[str, Path]) -> None:
    sweep = load_source(layout["root"] / "project")
    assert {"good0001", "linkdir1", "linkcfg1", "linklog1"} <= set(sweep.runs.index)


def test_a_link_among_files_that_are_never_read_keeps_the_run_from_its_log(layout: dict[str, Path]) -> None:
    """files/ is read only when the run log cannot tell the run: a link there is then never
    followed, and the run loads from its log alone. A pipe in its place would block any read."""
    run = layout["wandb"] / "offline-run-20250101_000004-logrun01"
    (run / "files").mkdir(parents=True)
    (run / "run-logrun01.wandb").write_bytes(run_log_bytes("logrun01", {"lr": 0.4}))
    (run / "files" / "config.yaml").symlink_to(layout["outside"] / "config.yaml")
    os.mkfifo(layout["outside"] / "pipe")
    (run / "files" / "wandb-summary.json").symlink_to(layout["outside"] / "pipe")
    sweep = load_source(layout["root"] / "project", allowed_roots=[layout["root"]])
    assert sweep.runs.loc["logrun01", "lr"] == 0.4
    assert "offline-run-20250101_000004-logrun01" not in dict(sweep.skipped)
    assert SECRET not in sweep.runs.to_numpy().ravel().tolist()
