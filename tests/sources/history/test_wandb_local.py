"""A metric's history read from local `wandb/` folders: offline runs the wandb package writes here
(improving then overfitting, of different lengths, killed mid-way, resumed, on a custom step key,
never logging the metric), an online-style folder with `wandb-history.jsonl`, and damaged files.

The oracle is what each test logged: W&B numbers successive `run.log` calls 0, 1, 2, ... as
`_step`, and W&B's own `Record` class (imported from the wandb package) says what a file holds
where the test cannot know it (the steps of a resumed offline run).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lib.analysis.metric_value import chosen_values
from lib.columns import Direction
from lib.histories import (
    RUN_ID,
    STEP,
    VALUE,
    LocalRuns,
    MetricHistory,
    MetricValue,
    NoHistory,
    RunLogFiles,
    ValueChoice,
)
from lib.sources import load_source
from lib.sources.history import wandb_local, wandb_local_files
from lib.sources.history.errors import HistoryUnavailable
from lib.sources.history.read import history_choices, why_summary_only
from lib.sources.history.wandb_local import read_local_history
from lib.sources.wandb.local import HISTORY_JSONL
from lib.sweep import CRASHED, RUN_STATE
from tests.sources.offline_runs import (
    KILL_AFTER_FLUSH,
    RAISE,
    OfflineRun,
    copy_tree,
    run_folders,
    split_records,
    write_offline_runs,
)

NAN = float("nan")
OVERFIT = [1.0, 0.62, 0.41, 0.35, 0.47, 0.66]  # best 0.35 at step 3, last 0.66
RUNS = (
    OfflineRun(
        "overfit1",
        config={"lr": 0.1},
        history=[
            {"val/loss": v, "acc": 0.5 + i / 20, "eval": {"loss": v * 2}} for i, v in enumerate(OVERFIT)
        ],
    ),
    OfflineRun("short001", config={"lr": 0.2}, history=[{"val/loss": v} for v in (0.9, 0.7, 0.8)]),
    OfflineRun("long0001", config={"lr": 0.3}, history=[{"val/loss": 1 / (1 + i)} for i in range(14)]),
    OfflineRun(
        "epochs01",
        config={"lr": 0.4},
        history=[
            {"val/loss": 0.8, "epoch": 1},
            {"val/loss": 0.6, "epoch": 2},
            {"val/loss": 0.5},  # no epoch: left out on the epoch axis
            {"val/loss": NAN, "epoch": 3},  # not finite: left out
            {"val/loss": 0.55, "epoch": 4},
        ],
    ),
    OfflineRun("nometric", config={"lr": 0.5}, history=[{"acc": 0.1}, {"acc": 0.2}]),
    OfflineRun(
        "resumed1",
        config={"lr": 0.6},
        history=[{"val/loss": v, "epoch": e} for e, v in enumerate((1.2, 0.9, 0.8))],
        ending=RAISE,
    ),
    OfflineRun(
        "resumed1",
        config={"lr": 0.6},
        history=[{"val/loss": v, "epoch": e} for e, v in zip((2, 3, 4), (0.7, 0.65, 0.6), strict=True)],
        resume=True,
    ),
    OfflineRun(
        "killed01",
        config={"lr": 0.7},
        history=[{"val/loss": v} for v in (2.0, 1.5, 1.1)],
        ending=KILL_AFTER_FLUSH,
    ),
)
LOGGED = {run.run_id: run.history for run in RUNS if not run.resume}
ONLINE_ROWS: list[dict[str, Any]] = [
    {"loss": 0.9, "_step": 0, "_runtime": 1.5, "_timestamp": 1.7e9, "eval": {"acc": 0.5}},
    {"loss": 0.4, "_step": 1, "_runtime": 3.0, "_timestamp": 1.7e9 + 1.5, "eval": {"acc": 0.7}},
    {"sample": {"_type": "image-file", "path": "media/images/a.png", "width": 8}, "_step": 2},
    {"loss": 0.6, "_step": 3, "_runtime": 6.0, "note": "text", "flag": True},
    {"loss": 0.5, "_runtime": 7.0},  # no _step: left out
]


@pytest.fixture(scope="module")
def wandb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_offline_runs(tmp_path_factory.mktemp("history-runs"), RUNS)


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    wandb_local.HISTORY_CACHE.clear()


def rows_of(history: MetricHistory, run_id: str) -> list[tuple[float, float]]:
    frame = history.frame[history.frame[RUN_ID] == run_id]
    return list(zip(frame[STEP].tolist(), frame[VALUE].tolist(), strict=True))


def logged(run_id: str, metric: str = "val/loss", step_key: str | None = None) -> list[tuple[float, float]]:
    """What the test logged: (step, value) for rows with a finite value (and the step key)."""
    rows = []
    for i, row in enumerate(LOGGED[run_id]):
        value = row.get(metric)
        step = i if step_key is None else row.get(step_key)
        if value is not None and math.isfinite(value) and step is not None:
            rows.append((float(step), float(value)))
    return rows


def local_runs(wandb_dir: Path, *run_ids: str) -> LocalRuns:
    """The files of `run_ids` as the test finds them (not as the loader does)."""
    return LocalRuns(
        tuple(
            RunLogFiles(run_id, tuple(str(f / f"run-{run_id}.wandb") for f in run_folders(wandb_dir, run_id)))
            for run_id in run_ids
        )
    )


def wandb_history_rows(path: Path) -> list[dict[str, Any]]:
    """A `.wandb` file's history rows as W&B's own `Record` class decodes them."""
    from wandb.proto.wandb_internal_pb2 import Record  # type: ignore[attr-defined]

    rows = []
    for payload in split_records(path.read_bytes()):
        record = Record.FromString(payload)
        if record.WhichOneof("record_type") == "history":
            rows.append(
                {".".join(i.nested_key) or i.key: json.loads(i.value_json) for i in record.history.item}
            )
    return rows


# ---------------------------------------------------------------- the loader names the files


def test_load_source_names_every_runs_files_oldest_first(wandb_dir: Path) -> None:
    sweep = load_source(str(wandb_dir))
    assert isinstance(sweep.history, LocalRuns)
    found = {files.run_id: files for files in sweep.history.runs}
    assert set(found) == set(sweep.runs.index) == set(LOGGED)
    for run_id, files in found.items():
        expected = tuple(str(f / f"run-{run_id}.wandb") for f in run_folders(wandb_dir, run_id))
        assert files.logs == expected and files.jsonl == ()
    assert len(found["resumed1"].logs) == 2


def test_values_and_best_are_what_was_logged_and_best_is_not_last(wandb_dir: Path) -> None:
    sweep = load_source(str(wandb_dir))
    assert isinstance(sweep.history, LocalRuns)
    history = read_local_history(sweep.history, "val/loss")
    for run_id in ("overfit1", "short001", "long0001", "killed01"):
        assert rows_of(history, run_id) == logged(run_id)
    assert history.frame.equals(history.frame.sort_values([RUN_ID, STEP]).reset_index(drop=True))
    best = chosen_values(
        history, MetricValue(ValueChoice.BEST), direction=Direction.MINIMIZE, run_ids=["overfit1", "short001"]
    )
    assert best["overfit1"] == min(OVERFIT) != OVERFIT[-1] == sweep.runs.loc["overfit1", "val/loss"]
    assert best["short001"] == min(v for _, v in logged("short001"))


def test_a_run_killed_mid_way_has_its_rows_up_to_the_kill_and_no_exit(wandb_dir: Path) -> None:
    sweep = load_source(str(wandb_dir))
    assert sweep.runs.loc["killed01", RUN_STATE] == CRASHED
    history = read_local_history(local_runs(wandb_dir, "killed01"), "val/loss")
    assert rows_of(history, "killed01") == logged("killed01")


def test_runs_that_never_log_the_metric_are_without_history(wandb_dir: Path) -> None:
    history = read_local_history(local_runs(wandb_dir, "nometric", "short001"), "val/loss")
    assert history.without_history == ["nometric"] and history.run_ids == ["short001"]
    acc = read_local_history(local_runs(wandb_dir, "nometric"), "acc")
    assert rows_of(acc, "nometric") == [(0.0, 0.1), (1.0, 0.2)]


def test_a_logged_dict_is_read_under_the_dotted_key_the_summary_column_has(wandb_dir: Path) -> None:
    sweep = load_source(str(wandb_dir))
    assert "eval.loss" in sweep.runs.columns
    history = read_local_history(local_runs(wandb_dir, "overfit1"), "eval.loss")
    assert rows_of(history, "overfit1") == [(float(i), v * 2) for i, v in enumerate(OVERFIT)]


# ---------------------------------------------------------------- step keys


def test_a_custom_step_key_leaves_out_rows_without_it_and_says_so(wandb_dir: Path) -> None:
    history = read_local_history(local_runs(wandb_dir, "epochs01", "short001"), "val/loss", step_key="epoch")
    assert (
        rows_of(history, "epochs01")
        == logged("epochs01", step_key="epoch")
        == [(1, 0.8), (2, 0.6), (4, 0.55)]
    )
    assert history.without_history == ["short001"]  # it never logs epoch
    notes = " ".join(history.notes)
    assert "4 logged values of val/loss in 2 runs left out" in notes and "without epoch" in notes
    assert "1 value of val/loss in 1 run left out: NaN" in notes
    wandb_steps = read_local_history(local_runs(wandb_dir, "epochs01"), "val/loss")
    assert rows_of(wandb_steps, "epochs01") == logged("epochs01")  # on _step, the epoch-less row counts


def test_a_resumed_run_continues_and_its_later_file_wins_a_repeated_step(wandb_dir: Path) -> None:
    first, second = (f / "run-resumed1.wandb" for f in run_folders(wandb_dir, "resumed1"))
    parts = [wandb_history_rows(first), wandb_history_rows(second)]
    by_epoch = read_local_history(local_runs(wandb_dir, "resumed1"), "val/loss", step_key="epoch")
    # epoch 2 is logged by both parts: the resumed part's 0.7 wins over the first part's 0.8
    assert rows_of(by_epoch, "resumed1") == [(0, 1.2), (1, 0.9), (2, 0.7), (3, 0.65), (4, 0.6)]
    # W&B's own decode of both files: an offline resume counts _step again from 0, so on W&B's own
    # step axis the resumed rows are placed after the first file's last step (the run continues)
    first_steps = [float(r["_step"]) for r in parts[0]]
    assert float(parts[1][0]["_step"]) == 0.0
    offset = max(first_steps) + 1
    expected = [(float(r["_step"]), float(r["val/loss"])) for r in parts[0]]
    expected += [(float(r["_step"]) + offset, float(r["val/loss"])) for r in parts[1]]
    by_step = read_local_history(local_runs(wandb_dir, "resumed1"), "val/loss")
    assert rows_of(by_step, "resumed1") == expected
    assert any("counted _step again from 0" in note for note in by_step.notes)


# ---------------------------------------------------------------- online runs: wandb-history.jsonl


def test_a_real_folder_committed_with_files_only_has_no_history_to_offer() -> None:
    real = Path(__file__).resolve().parents[2] / "fixtures" / "real" / "wandb_dirs"
    for folder in ("Yogesh0arya__da6401_assignment1", "nicetea17__CIFAR10-Classifier-AlexNet-and-Resnet18"):
        assert not list((real / folder).rglob("*.wandb")) and not list((real / folder).rglob("*.jsonl"))
        sweep = load_source(str(real / folder / "wandb"))
        assert len(sweep.runs) > 0 and isinstance(sweep.history, NoHistory)
        metric = sweep.default_metric
        assert metric is not None and history_choices(sweep, metric) == (ValueChoice.LAST,)
        why = why_summary_only(sweep, metric) or ""
        assert "no run-<id>.wandb or files/wandb-history.jsonl" in why  # not "load the wandb/ folder"
        assert "load the" not in why


def online_folder(root: Path, rows: list[dict[str, Any]], lines: list[str] | None = None) -> Path:
    """A `wandb/` folder of one online run: config, summary and a `wandb-history.jsonl`."""
    files = root / "wandb" / "run-20250101_120000-online01" / "files"
    files.mkdir(parents=True)
    (files / "config.yaml").write_text("wandb_version: 1\nlr:\n  desc: null\n  value: 0.01\n")
    (files / "wandb-summary.json").write_text(json.dumps({"loss": 0.5, "_step": 3}))
    text = [json.dumps(row) for row in rows] + (lines or [])
    (files / "wandb-history.jsonl").write_text("\n".join(text) + "\n")
    return root / "wandb"


def test_an_online_runs_jsonl_is_read_and_named_by_the_loader(tmp_path: Path) -> None:
    wandb_dir = online_folder(tmp_path, ONLINE_ROWS, lines=['{"loss": 0.1, "_st'])  # a line cut short
    sweep = load_source(str(wandb_dir))
    assert isinstance(sweep.history, LocalRuns)
    (files,) = sweep.history.runs
    assert files == RunLogFiles(
        "online01", (), (str(wandb_dir / "run-20250101_120000-online01" / HISTORY_JSONL),)
    )
    history = read_local_history(sweep.history, "loss")
    with_step = [(float(r["_step"]), r["loss"]) for r in ONLINE_ROWS if "loss" in r and "_step" in r]
    assert rows_of(history, "online01") == with_step
    notes = " ".join(history.notes)
    assert "1 logged value of loss in 1 run left out" in notes
    assert "1 line that is not a JSON object was left out" in notes
    nested = read_local_history(sweep.history, "eval.acc", step_key="_runtime")
    assert rows_of(nested, "online01") == [(1.5, 0.5), (3.0, 0.7)]
    for not_a_number in ("note", "flag", "sample.width"):  # text, a boolean, a media dict
        assert read_local_history(sweep.history, not_a_number).without_history == ["online01"]


def test_a_wandb_file_is_preferred_to_the_jsonl_beside_it(wandb_dir: Path, tmp_path: Path) -> None:
    copy = copy_tree(wandb_dir, tmp_path / "wandb")
    (folder,) = run_folders(copy, "short001")
    (folder / "files").mkdir(exist_ok=True)
    jsonl = folder / HISTORY_JSONL
    jsonl.write_text(json.dumps({"val/loss": 99.0, "_step": 0}) + "\n")
    sweep = load_source(str(copy))
    assert isinstance(sweep.history, LocalRuns)
    files = next(f for f in sweep.history.runs if f.run_id == "short001")
    assert files == RunLogFiles("short001", (str(folder / "run-short001.wandb"),), ())  # read from it
    both = LocalRuns((RunLogFiles("short001", files.logs, (str(jsonl),)),))
    assert rows_of(read_local_history(both, "val/loss"), "short001") == logged("short001")
    (folder / "run-short001.wandb").write_bytes((folder / "run-short001.wandb").read_bytes()[:7])
    only_jsonl = read_local_history(both, "val/loss")  # the .wandb holds no rows now
    assert rows_of(only_jsonl, "short001") == [(0.0, 99.0)]


# ---------------------------------------------------------------- damaged, missing, refused files


def test_a_damaged_file_keeps_the_rows_before_the_damage_with_a_note(wandb_dir: Path, tmp_path: Path) -> None:
    from wandb.proto.wandb_internal_pb2 import Record  # type: ignore[attr-defined]

    copy = copy_tree(wandb_dir, tmp_path / "wandb")
    path = run_folders(copy, "long0001")[0] / "run-long0001.wandb"
    data = bytearray(path.read_bytes())
    history_records = [
        p for p in split_records(bytes(data)) if Record.FromString(p).WhichOneof("record_type") == "history"
    ]
    eighth = history_records[7]
    data[data.find(eighth) + len(eighth) // 2] ^= 0xFF  # its chunk's checksum fails: reading stops there
    path.write_bytes(bytes(data))
    history = read_local_history(local_runs(copy, "long0001"), "val/loss")
    assert rows_of(history, "long0001") == logged("long0001")[:7]
    assert any(
        "run-long0001.wandb: checksum mismatch" in n and "read up to there" in n for n in history.notes
    )


def test_unreadable_files_are_noted_and_nothing_readable_is_refused(wandb_dir: Path, tmp_path: Path) -> None:
    copy = copy_tree(wandb_dir, tmp_path / "wandb")
    pipe = run_folders(copy, "short001")[0] / "run-short001.wandb"
    pipe.unlink()
    os.mkfifo(pipe)  # reading it would block forever: refused unopened
    gone = run_folders(copy, "long0001")[0]
    runs = local_runs(copy, "short001", "long0001", "overfit1")
    shutil.rmtree(gone)
    history = read_local_history(runs, "val/loss")
    assert history.run_ids == ["overfit1"] and history.without_history == ["long0001", "short001"]
    notes = " ".join(history.notes)
    assert "named pipe" in notes and "no longer there" in notes
    shutil.rmtree(run_folders(copy, "overfit1")[0])
    pipe.unlink()
    with pytest.raises(HistoryUnavailable, match="None of the 3 run files"):
        read_local_history(runs, "val/loss")


def test_the_values_budget_cuts_a_file_with_a_note(wandb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wandb_local_files, "MAX_VALUES", 20)  # a few rows of val/loss, _step, _runtime...
    history = read_local_history(local_runs(wandb_dir, "long0001"), "val/loss")
    rows = rows_of(history, "long0001")
    assert 0 < len(rows) <= 20 // 3 and rows == logged("long0001")[: len(rows)]
    assert any(
        "only the first 20 logged numbers" in n and "SWEEPSCOPE_MAX_HISTORY_VALUES" in n
        for n in history.notes
    )


# ---------------------------------------------------------------- the cache and the workers


def test_another_metric_or_step_key_reads_no_file_again_until_one_changes(
    wandb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = copy_tree(wandb_dir, tmp_path / "wandb")
    runs = local_runs(copy, *LOGGED)
    reads: list[str] = []
    real = wandb_local.read_file_history

    def counted(path: Path, **kwargs: Any) -> Any:
        reads.append(path.name)
        return real(path, **kwargs)

    monkeypatch.setattr(wandb_local, "read_file_history", counted)
    first = read_local_history(runs, "val/loss")
    assert len(reads) == len([p for f in runs.runs for p in f.logs]) == 8
    reads.clear()
    again = read_local_history(runs, "val/loss")
    other = read_local_history(runs, "acc", step_key="epoch")
    assert reads == [] and again.frame.equals(first.frame) and other.metric == "acc"
    path = Path(next(f for f in runs.runs if f.run_id == "short001").logs[0])
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    read_local_history(runs, "val/loss")
    assert reads == ["run-short001.wandb"]


def test_forked_workers_read_what_one_process_reads(wandb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = local_runs(wandb_dir, *LOGGED)
    in_process = read_local_history(runs, "val/loss", step_key="epoch")
    wandb_local.HISTORY_CACHE.clear()
    monkeypatch.setattr(wandb_local, "PARALLEL_MIN_FILES", 1)
    forked = read_local_history(runs, "val/loss", step_key="epoch")
    pd.testing.assert_frame_equal(forked.frame, in_process.frame)
    assert forked.notes == in_process.notes and forked.without_history == in_process.without_history
    assert np.isfinite(forked.frame[VALUE]).all()


def test_without_the_batch_view_each_record_is_decoded_with_wandbs_record(
    wandb_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wandb_local_files, "_views", lambda: None)  # an unexpected wandb layout
    history = read_local_history(local_runs(wandb_dir, "overfit1", "epochs01"), "val/loss", step_key="epoch")
    assert rows_of(history, "epochs01") == logged("epochs01", step_key="epoch")
    nested = read_local_history(local_runs(wandb_dir, "overfit1"), "eval.loss")
    assert rows_of(nested, "overfit1") == [(float(i), v * 2) for i, v in enumerate(OVERFIT)]


def test_a_jsonl_line_over_the_budget_is_skipped_without_holding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wandb_local_files, "MAX_DOCUMENT_BYTES", 200)
    rows = [
        {"loss": 0.9, "_step": 0},
        {"loss": 0.1, "_step": 1, "text": "x" * 5000},
        {"loss": 0.4, "_step": 2},
    ]
    wandb_dir = online_folder(tmp_path, rows)
    sweep = load_source(str(wandb_dir))
    assert isinstance(sweep.history, LocalRuns)
    history = read_local_history(sweep.history, "loss")
    assert rows_of(history, "online01") == [(0.0, 0.9), (2.0, 0.4)]
    assert "1 line that is not a JSON object was left out" in " ".join(history.notes)
