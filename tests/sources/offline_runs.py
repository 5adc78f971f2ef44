"""Real offline W&B runs, written by the wandb package itself, for tests and the benchmark.

`write_offline_runs` runs `wandb.init` / `run.log` / `run.finish` in subprocesses with
`WANDB_MODE=offline` (nothing reaches the network: the base URL points at a closed local port).
Runs that end normally or raise share one process, in order; each killed run gets its own process
that dies with `os._exit` while W&B still holds unflushed records.

`frame_records` is an independent writer of the `.wandb` framing (header, 32 KiB blocks, CRCs),
and `clone_run_log` re-encodes a real file under another run id: the benchmark copies a handful
of real runs into thousands this way.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
BLOCK_SIZE = 32 * 1024
CHUNK_HEADER_SIZE = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
PROJECT = "sweepscope-tests"

# How a run ends. Killed runs die by `os._exit(1)`: early, before W&B's 15 s flush (a header-only
# file), or after `flush_wait` seconds with W&B flushing every second (records, no exit record).
FINISH, RAISE, KILL_EARLY, KILL_AFTER_FLUSH = "finish", "raise", "kill_early", "kill_after_flush"


@dataclass(frozen=True)
class OfflineRun:
    """One run to write. `history` rows are logged in order; `resume=True` continues `run_id`."""

    run_id: str
    config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    name: str | None = None
    group: str | None = None
    tags: list[str] = field(default_factory=list)
    sweep_id: str | None = None
    ending: str = FINISH
    resume: bool = False
    max_of: list[str] = field(default_factory=list)  # define_metric(summary="max") for these keys
    config_updates: dict[str, Any] = field(default_factory=dict)  # run.config.update after logging
    summary_updates: dict[str, Any] = field(default_factory=dict)  # run.summary[key] = value
    summary_removes: list[str] = field(default_factory=list)  # del run.summary[key]
    flush_wait: float = 2.5


_SCRIPT = r"""
import json, os, sys, time
import wandb

spec = json.loads(sys.stdin.read())
quiet = dict(x_disable_stats=True, x_disable_meta=True, disable_git=True, x_save_requirements=False,
             console="off")
for run_spec in spec:
    if run_spec["resume"]:
        time.sleep(1.05 - time.time() % 1.0)  # run folders are named by the second a run starts
    extra = {"sweep_id": run_spec["sweep_id"]} if run_spec["sweep_id"] else {}
    try:
        with wandb.init(
            id=run_spec["run_id"], name=run_spec["name"], group=run_spec["group"],
            tags=run_spec["tags"] or None, config=run_spec["config"],
            resume="allow" if run_spec["resume"] else None,
            settings=wandb.Settings(**quiet, **extra),
        ) as run:
            for key in run_spec["max_of"]:
                run.define_metric(key, summary="max")
            for row in run_spec["history"]:
                run.log(row)
            if run_spec["config_updates"]:
                run.config.update(run_spec["config_updates"], allow_val_change=True)
            for key, value in run_spec["summary_updates"].items():
                run.summary[key] = value
            for key in run_spec["summary_removes"]:
                del run.summary[key]
            if run_spec["ending"] == "raise":
                raise RuntimeError("training diverged")
            if run_spec["ending"] == "kill_after_flush":
                time.sleep(run_spec["flush_wait"])
            if run_spec["ending"] in ("kill_early", "kill_after_flush"):
                os._exit(1)
    except RuntimeError:
        pass
"""


def write_offline_runs(root: Path, runs: Sequence[OfflineRun], *, project: str = PROJECT) -> Path:
    """Write `runs` with the wandb package into `root/wandb/`; returns that folder.

    Killed runs run concurrently with the others; the call returns once every process has ended.
    """
    root.mkdir(parents=True, exist_ok=True)
    in_order = [r for r in runs if r.ending in (FINISH, RAISE)]
    killed = [r for r in runs if r.ending in (KILL_EARLY, KILL_AFTER_FLUSH)]
    batches = ([in_order] if in_order else []) + [[r] for r in killed]
    logs = [root / f".writer-{i}.log" for i in range(len(batches))]
    processes = [_start(root, batch, project, log) for batch, log in zip(batches, logs, strict=True)]
    failures = []
    for process, batch, log in zip(processes, batches, logs, strict=True):
        process.wait(timeout=300)
        if process.returncode != 0 and batch[0].ending not in (KILL_EARLY, KILL_AFTER_FLUSH):
            failures.append(log.read_text(errors="replace")[-2000:])
    if failures:
        raise RuntimeError("writing offline runs failed:\n" + "\n".join(failures))
    return root / "wandb"


def _start(root: Path, batch: Sequence[OfflineRun], project: str, log: Path) -> subprocess.Popen[bytes]:
    env = _offline_env(root, project, flush_every_second=any(r.ending == KILL_AFTER_FLUSH for r in batch))
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", _SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
            cwd=root,
        )
    assert process.stdin is not None
    process.stdin.write(json.dumps([asdict(r) for r in batch]).encode())
    process.stdin.close()
    return process


def _offline_env(root: Path, project: str, *, flush_every_second: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    home = root / ".wandb-home"  # W&B's own settings, cache and data: kept out of the user's home
    env.update(
        WANDB_MODE="offline",
        WANDB_DIR=str(root),
        WANDB_CONFIG_DIR=str(home / "config"),
        WANDB_CACHE_DIR=str(home / "cache"),
        WANDB_DATA_DIR=str(home / "data"),
        WANDB_PROJECT=project,
        WANDB_SILENT="true",
        WANDB_BASE_URL="http://127.0.0.1:9",  # a closed port: any network use fails at once
        OMP_NUM_THREADS="1",
    )
    if flush_every_second:
        env["WANDB_X_TRANSACTION_LOG_FLUSH_INTERVAL"] = "1"
    return env


def run_folders(wandb_dir: Path, run_id: str) -> list[Path]:
    """The folders of one run id, oldest first (a resumed run has several)."""
    return sorted(p for p in wandb_dir.glob(f"*run-*-{run_id}") if p.is_dir() and not p.is_symlink())


def run_log(wandb_dir: Path, run_id: str) -> Path:
    """The `.wandb` file of a run's first folder."""
    return run_folders(wandb_dir, run_id)[0] / f"run-{run_id}.wandb"


# ---------------------------------------------------------------- the framing, written independently


def frame_records(payloads: Sequence[bytes]) -> bytes:
    """A `.wandb` file holding `payloads`, framed as W&B's LevelDB-style writer frames them."""
    out = bytearray(HEADER)
    for payload in payloads:
        _append_record(out, payload)
    return bytes(out)


def _append_record(out: bytearray, payload: bytes) -> None:
    first = True
    while True:
        left = BLOCK_SIZE - len(out) % BLOCK_SIZE
        if left < CHUNK_HEADER_SIZE:
            out += b"\0" * left
            left = BLOCK_SIZE
        room = left - CHUNK_HEADER_SIZE
        piece, payload = payload[:room], payload[room:]
        kind = (FULL if not payload else FIRST) if first else (LAST if not payload else MIDDLE)
        crc = zlib.crc32(piece, zlib.crc32(bytes((kind,))))
        out += struct.pack("<IHB", crc, len(piece), kind) + piece
        first = False
        if not payload:
            return


def split_records(data: bytes) -> list[bytes]:
    """The payloads of a well-formed file (no checks: for files this module wrote or wandb wrote)."""
    payloads, pending, pos = [], b"", len(HEADER)
    while pos < len(data):
        if BLOCK_SIZE - pos % BLOCK_SIZE < CHUNK_HEADER_SIZE:
            pos += BLOCK_SIZE - pos % BLOCK_SIZE
            continue
        _, length, kind = struct.unpack_from("<IHB", data, pos)
        piece = data[pos + CHUNK_HEADER_SIZE : pos + CHUNK_HEADER_SIZE + length]
        pos += CHUNK_HEADER_SIZE + length
        pending += piece
        if kind in (FULL, LAST):
            payloads.append(pending)
            pending = b""
    return payloads


# ---------------------------------------------------------------- copies under new run ids


def clone_run_log(
    data: bytes, run_id: str, *, config: Mapping[str, Any] | None = None, start_offset: float = 0.0
) -> bytes:
    """A real run's `.wandb` bytes re-encoded as run `run_id`.

    Every record's stream id and the run record's id are rewritten; `config` replaces the values
    of those keys in the run record; `start_offset` seconds are added to its start time.
    """
    from wandb.proto.wandb_internal_pb2 import Record

    payloads = []
    for payload in split_records(data):
        record = Record.FromString(payload)
        if record.HasField("_info"):
            record._info.stream_id = run_id
        if record.WhichOneof("record_type") == "run":
            _rewrite_run(record.run, run_id, config or {}, start_offset)
        payloads.append(record.SerializeToString())
    return frame_records(payloads)


def _rewrite_run(run: Any, run_id: str, config: Mapping[str, Any], start_offset: float) -> None:
    run.run_id = run_id
    for item in run.config.update:
        if item.key in config:
            item.value_json = json.dumps(config[item.key])
    if start_offset:
        seconds = run.start_time.seconds + run.start_time.nanos / 1e9 + start_offset
        run.start_time.seconds = int(seconds)
        run.start_time.nanos = int((seconds % 1) * 1e9)


def write_clone(wandb_dir: Path, source: bytes, run_id: str, started: float, **clone_args: Any) -> Path:
    """A new offline run folder holding a clone of `source` (only the `.wandb` file)."""
    stamp = datetime.fromtimestamp(started).strftime("%Y%m%d_%H%M%S")
    folder = wandb_dir / f"offline-run-{stamp}-{run_id}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-{run_id}.wandb"
    path.write_bytes(clone_run_log(source, run_id, **clone_args))
    return path


def copy_tree(source: Path, target: Path) -> Path:
    """A writable copy of a folder of runs, symlinks kept as symlinks (`latest-run`, debug logs)."""
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    for path in [target, *target.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return target


# ---------------------------------------------------------------- the runs the tests share

SWEEP_A, SWEEP_B = "swpaaaa1", "swpbbbb2"
INF = float("inf")

STANDARD_RUNS = (
    OfflineRun(
        "sweepa01",
        config={"lr": 0.01, "model": {"hidden": 32, "layers": 2}, "optimizer": "adam"},
        history=[{"loss": 0.9, "acc": 0.5}, {"loss": 0.5, "acc": 0.8}, {"loss": 0.6, "acc": 0.7}],
        name="adam-32",
        group="search",
        tags=["mlp", "first"],
        sweep_id=SWEEP_A,
        max_of=["acc"],
        config_updates={"epochs_run": 3},
        summary_updates={"best_epoch": 1},
    ),
    OfflineRun(
        "sweepa02",
        config={"lr": 0.1, "model": {"hidden": 64, "layers": 1}, "optimizer": "sgd"},
        history=[{"loss": 2.0, "acc": 0.2, "scratch": 7, "grad_norm": INF}],
        group="search",
        tags=["mlp"],
        sweep_id=SWEEP_A,
        summary_removes=["scratch"],
    ),
    OfflineRun(
        "sweepb01",
        config={"lr": 0.05, "model": {"hidden": 16, "layers": 3}, "optimizer": "adam"},
        history=[{"loss": 0.4, "acc": 0.9}],
        group="refine",
        sweep_id=SWEEP_B,
    ),
    OfflineRun(
        "raised01",
        config={"lr": 3.0, "model": {"hidden": 8, "layers": 1}, "optimizer": "sgd"},
        history=[{"loss": 9.0}],
        ending=RAISE,
    ),
    OfflineRun("resume01", config={"lr": 0.02, "epochs": 2}, history=[{"loss": 1.0}], ending=RAISE),
    OfflineRun("resume01", config={"epochs": 4}, history=[{"loss": 0.3}], resume=True),
    OfflineRun(
        "killmid1",
        config={"lr": 0.2, "model": {"hidden": 8, "layers": 2}, "optimizer": "adam"},
        history=[{"loss": 1.5}, {"loss": 1.2}],
        ending=KILL_AFTER_FLUSH,
    ),
    OfflineRun(
        "killearl",
        config={"lr": 0.3, "model": {"hidden": 8, "layers": 1}, "optimizer": "sgd"},
        history=[{"loss": 5.0}],
        ending=KILL_EARLY,
    ),
)
STANDARD_RUN_IDS = sorted({r.run_id for r in STANDARD_RUNS})


def standard_runs(base: Path) -> Path:
    """`STANDARD_RUNS` written once under `base` (a session's temp folder); returns their wandb/."""
    done = base / "written"
    if not done.exists():
        write_offline_runs(base, STANDARD_RUNS)
        done.touch()
    return base / "wandb"
