"""Make Sweepscope's built-in demo: a real two-stage random search plus seed repeats, logged offline.

What it does, from one seed:
1. A broad random search (150 runs) trains scikit-learn's `MLPClassifier` on `load_digits`
   epoch by epoch with `partial_fit`, logging `val_loss` and `val_accuracy` per epoch and
   `fit_time` at the end. Runs whose loss blows up stop with `wandb.finish(exit_code=1)`.
   Every run logs the training `seed` (weight init and batch order) in its config.
2. A follow-up search (50 runs) samples only the ranges that the 10 best broad runs span, and
   the choices that at least a quarter of them made (`dataloader_workers` keeps all four).
3. Seed repeats (24 runs): the 8 best configurations of both searches, trained again with seeds
   0, 1 and 2, to measure how much the metric moves between seeds. Their sweep id and run ids
   come from a random stream of their own (`REPEAT_STREAM`), so steps 1 and 2 draw exactly what
   they drew before the repeats existed.
4. All are logged with the `wandb` package in offline mode, each under its own sweep id, with
   every machine-describing feature of wandb switched off (`PRIVATE_SETTINGS`).
5. Only `offline-run-*/run-<id>.wandb` is kept. Each file is rewritten record by record keeping
   only what describes the experiment (`KEPT_RECORD_TYPES`, `KEPT_RUN_FIELDS`), re-framed with
   valid CRCs, decoded again and checked for machine details (`find_machine_details`).

Usage (about 40 s on one core):
    OMP_NUM_THREADS=1 python scripts/make_demo_sweep.py [--out data/demo] [--seed 7]
"""

from __future__ import annotations

import argparse
import getpass
import json
import math
import os
import platform
import re
import shutil
import socket
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
PROJECT = "digits-mlp"
METRIC = {"name": "val_accuracy", "goal": "maximize"}
BROAD_RUNS = 150
REFINE_RUNS = 50
TOP_RUNS_FOR_REFINE = 10
MIN_SHARE_FOR_REFINE = 0.25  # a choice stays in the follow-up if a quarter of the best runs made it
REPEAT_CONFIGS = 8
REPEAT_SEEDS = (0, 1, 2)
REPEAT_STREAM = 1  # the repeats draw from default_rng([seed, REPEAT_STREAM]), not the searches' stream
DIVERGED_LOSS = 10.0  # chance level is ln(10) = 2.3; far above it the run has blown up
EARLY_STOPPING_PATIENCE = 3
ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

# The broad search, as a W&B sweep configuration. `dataloader_workers` is logged but never read
# by `train`, like the knobs real configs carry that do not touch the model: no effect by construction.
BROAD_SPACE: dict[str, Any] = {
    "learning_rate": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1.0},
    "batch_size": {"values": [16, 32, 64, 128, 256]},
    "model": {
        "parameters": {
            "hidden": {"distribution": "int_uniform", "min": 8, "max": 128},
            "layers": {"distribution": "int_uniform", "min": 1, "max": 3},
        }
    },
    "optimizer": {"values": ["adam", "sgd"]},
    "momentum": {"distribution": "uniform", "min": 0.5, "max": 0.99},
    "alpha": {"distribution": "log_uniform_values", "min": 1e-6, "max": 1e-1},
    "activation": {"values": ["relu", "tanh", "logistic"]},
    "early_stopping": {"values": [True, False]},
    "epochs": {"distribution": "int_uniform", "min": 4, "max": 20},
    "dataloader_workers": {"values": [0, 2, 4, 8]},
}

# Knobs the user knows do not touch the model, so the follow-up keeps their full range.
NOT_NARROWED = frozenset({"dataloader_workers"})

# Every wandb feature that records something about the machine, switched off.
PRIVATE_SETTINGS: dict[str, Any] = {
    "x_disable_meta": True,  # no wandb-metadata.json / environment record (host, os, python, paths)
    "x_disable_stats": True,  # no system metrics (cpu, memory, disk paths)
    "x_disable_machine_info": True,  # no hardware/cloud probing
    "x_save_requirements": False,  # no pip freeze (files/requirements.txt)
    "disable_git": True,  # no git remote / commit
    "disable_code": True,  # no program path, no code saving
    "save_code": False,
    "disable_job_creation": True,
    "console": "off",  # no output.log with tracebacks and paths
    "host": "",  # the run record's host field (wandb fills it from socket.gethostname() otherwise)
}

# What stays in the committed files: the records that describe the experiment.
KEPT_RECORD_TYPES = frozenset(
    {"header", "run", "config", "summary", "history", "metric", "exit", "final", "footer"}
)
KEPT_RUN_FIELDS = (
    "run_id",
    "project",
    "config",
    "run_group",
    "job_type",
    "display_name",
    "tags",
    "sweep_id",
    "start_time",
    "starting_step",
    "runtime",
)

WANDB_FILE_MAGIC = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
BLOCK_SIZE = 32 * 1024
CHUNK_HEADER = struct.Struct("<IHB")
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


# ---------------------------------------------------------------- search spaces


def sample_config(space: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """One draw from a W&B sweep `parameters` block, nested blocks included."""
    return {name: _sample_value(spec, rng) for name, spec in space.items()}


def _sample_value(spec: Mapping[str, Any], rng: np.random.Generator) -> Any:
    if "parameters" in spec:
        return sample_config(spec["parameters"], rng)
    if "values" in spec:
        return spec["values"][int(rng.integers(len(spec["values"])))]
    low, high = spec["min"], spec["max"]
    match spec["distribution"]:
        case "log_uniform_values":
            return float(math.exp(rng.uniform(math.log(low), math.log(high))))
        case "uniform":
            return float(rng.uniform(low, high))
        case "int_uniform":
            return int(rng.integers(low, high + 1))
    raise ValueError(f"unknown distribution in {spec}")


def drop_inactive(config: dict[str, Any]) -> dict[str, Any]:
    """The training script logs `momentum` only when the optimizer uses it."""
    if config["optimizer"] != "sgd":
        return {k: v for k, v in config.items() if k != "momentum"}
    return config


def narrowed_space(space: Mapping[str, Any], top: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The ranges and choices that the best runs span, for a follow-up search."""
    narrowed: dict[str, Any] = {}
    for name, spec in space.items():
        if name in NOT_NARROWED:
            narrowed[name] = spec
            continue
        seen = [config[name] for config in top if name in config]
        if not seen:
            continue  # e.g. momentum when no top run used sgd
        if "parameters" in spec:
            narrowed[name] = {"parameters": narrowed_space(spec["parameters"], seen)}
        elif "values" in spec:
            common = [v for v in spec["values"] if seen.count(v) >= MIN_SHARE_FOR_REFINE * len(seen)]
            narrowed[name] = {"values": common or [max(seen, key=seen.count)]}
        else:
            narrowed[name] = {"distribution": spec["distribution"], "min": min(seen), "max": max(seen)}
    return narrowed


def sweep_definition(space: Mapping[str, Any], *, name: str, run_cap: int) -> dict[str, Any]:
    return {
        "name": name,
        "method": "random",
        "metric": dict(METRIC),
        "run_cap": run_cap,
        "parameters": _plain(space),
    }


def _plain(value: Any) -> Any:
    """Floats rounded for a readable YAML file."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.6g}")
    return value


def random_id(rng: np.random.Generator, length: int = 8) -> str:
    return "".join(ID_ALPHABET[i] for i in rng.integers(len(ID_ALPHABET), size=length))


# ---------------------------------------------------------------- training


class Diverged(RuntimeError):
    """The loss blew up: the run stops and is logged as failed."""


@dataclass(frozen=True)
class Digits:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    classes: np.ndarray


@dataclass
class Outcome:
    epochs_run: int = 0
    fit_time: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)


def load_data() -> Digits:
    digits = load_digits()
    x = digits.data / 16.0
    x_train, x_val, y_train, y_val = train_test_split(
        x, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    return Digits(x_train, y_train, x_val, y_val, np.unique(digits.target))


def build_model(config: Mapping[str, Any], seed: int) -> MLPClassifier:
    model = config["model"]
    return MLPClassifier(
        hidden_layer_sizes=(model["hidden"],) * model["layers"],
        activation=config["activation"],
        solver=config["optimizer"],
        alpha=config["alpha"],
        batch_size=config["batch_size"],
        learning_rate_init=config["learning_rate"],
        momentum=config.get("momentum", 0.9),
        random_state=seed,
    )


def validation_scores(model: MLPClassifier, data: Digits) -> dict[str, float]:
    with np.errstate(all="ignore"):
        proba = model.predict_proba(data.x_val)
    if not np.isfinite(proba).all():
        raise Diverged("predicted probabilities became NaN")
    picked = proba[np.arange(len(data.y_val)), np.searchsorted(data.classes, data.y_val)]
    val_loss = float(-np.mean(np.log(np.clip(picked, 1e-15, 1.0))))
    if val_loss > DIVERGED_LOSS:
        raise Diverged(f"val_loss reached {val_loss:.1f}")
    accuracy = float(np.mean(data.classes[proba.argmax(axis=1)] == data.y_val))
    return {"val_loss": val_loss, "val_accuracy": accuracy}


def train(
    config: Mapping[str, Any], data: Digits, seed: int, log: Callable[[dict[str, float], int], None]
) -> Outcome:
    """Train epoch by epoch, logging validation scores; raises `Diverged` when the loss blows up."""
    model = build_model(config, seed)
    outcome = Outcome()
    best_loss, since_best = math.inf, 0
    for epoch in range(1, config["epochs"] + 1):
        started = time.perf_counter()
        with np.errstate(all="ignore"):
            model.partial_fit(data.x_train, data.y_train, classes=data.classes)
        outcome.fit_time += time.perf_counter() - started
        scores = validation_scores(model, data)
        log(scores, epoch)
        outcome.history.append(scores)
        outcome.epochs_run = epoch
        if scores["val_loss"] < best_loss:
            best_loss, since_best = scores["val_loss"], 0
        else:
            since_best += 1
        if config["early_stopping"] and since_best >= EARLY_STOPPING_PATIENCE:
            break
    return outcome


# ---------------------------------------------------------------- logging with wandb


@dataclass(frozen=True)
class PlannedRun:
    run_id: str
    sweep_id: str
    group: str
    tags: tuple[str, ...]
    config: dict[str, Any]
    seed: int

    @property
    def logged_config(self) -> dict[str, Any]:
        """What the training script logs: the hyperparameters and the seed it trained with."""
        return {**self.config, "seed": self.seed}

    @property
    def name(self) -> str:
        c = self.config
        shape = f"{c['model']['layers']}x{c['model']['hidden']}"
        return f"{c['optimizer']}-{c['activation']}-{shape}-lr{c['learning_rate']:.0e}"


@dataclass(frozen=True)
class RunResult:
    planned: PlannedRun
    failed: bool
    final: dict[str, float]


def plan_sweep(
    space: Mapping[str, Any],
    rng: np.random.Generator,
    *,
    count: int,
    sweep_id: str,
    group: str,
    tags: tuple[str, ...],
) -> list[PlannedRun]:
    return [
        PlannedRun(
            run_id=random_id(rng),
            sweep_id=sweep_id,
            group=group,
            tags=tags,
            config=drop_inactive(sample_config(space, rng)),
            seed=int(rng.integers(2**31)),
        )
        for _ in range(count)
    ]


def isolate_wandb(scratch: Path) -> None:
    """Offline, silent, and every wandb folder inside `scratch` (no ~/.config, ~/.cache)."""
    os.environ.update(
        WANDB_MODE="offline",
        WANDB_SILENT="true",
        WANDB_PROJECT=PROJECT,
        WANDB_DIR=str(scratch),
        WANDB_CACHE_DIR=str(scratch / "cache"),
        WANDB_CONFIG_DIR=str(scratch / "config"),
        WANDB_DATA_DIR=str(scratch / "data"),
    )
    os.environ.pop("WANDB_SWEEP_ID", None)


def log_run(planned: PlannedRun, data: Digits, scratch: Path) -> RunResult:
    import wandb

    settings = wandb.Settings(sweep_id=planned.sweep_id, **PRIVATE_SETTINGS)
    run = wandb.init(
        project=PROJECT,
        id=planned.run_id,
        name=planned.name,
        group=planned.group,
        job_type="train",
        tags=list(planned.tags),
        config=planned.logged_config,
        dir=str(scratch),
        settings=settings,
    )
    try:
        outcome = train(planned.config, data, planned.seed, lambda scores, epoch: run.log(scores, step=epoch))
    except Diverged as error:
        print(f"  {planned.run_id} {planned.name}: failed, {error}", file=sys.stderr)
        run.finish(exit_code=1)
        return RunResult(planned, failed=True, final={})
    run.summary["fit_time"] = outcome.fit_time
    run.finish()
    return RunResult(planned, failed=False, final={**outcome.history[-1], "fit_time": outcome.fit_time})


def best_configs(results: Iterable[RunResult], count: int) -> list[dict[str, Any]]:
    finished = [r for r in results if not r.failed]
    ranked = sorted(finished, key=lambda r: r.final[METRIC["name"]], reverse=METRIC["goal"] == "maximize")
    return [r.planned.config for r in ranked[:count]]


def plan_repeats(
    configs: list[dict[str, Any]],
    seeds: Iterable[int],
    rng: np.random.Generator,
    *,
    sweep_id: str,
    group: str,
    tags: tuple[str, ...],
) -> list[PlannedRun]:
    """Each configuration trained once per seed: what a user runs to see how noisy the metric is."""
    return [
        PlannedRun(run_id=random_id(rng), sweep_id=sweep_id, group=group, tags=tags, config=config, seed=seed)
        for config in configs
        for seed in seeds
    ]


def repeats_definition(configs: list[dict[str, Any]], seeds: Iterable[int], *, name: str) -> dict[str, Any]:
    """The repeats as a sweep entry: a grid over `seed` for each listed configuration.

    W&B's format cannot say "these 8 configurations": they are listed under `configurations`
    (not a W&B key) and `parameters` holds only the grid over the seed."""
    seeds = list(seeds)
    return {
        "name": name,
        "method": "grid",
        "metric": dict(METRIC),
        "run_cap": len(configs) * len(seeds),
        "description": (
            f"The {len(configs)} best configurations of the two searches, each trained again "
            f"with seeds {', '.join(map(str, seeds))}."
        ),
        "parameters": {"seed": {"values": seeds}},
        "configurations": _plain(configs),
    }


# ---------------------------------------------------------------- the .wandb files


def read_chunks(data: bytes) -> Iterator[bytes]:
    """Record payloads of a `.wandb` file (LevelDB log framing after a 7-byte header), CRC-checked."""
    if data[:7] != WANDB_FILE_MAGIC:
        raise ValueError("not a .wandb file")
    pos, pending = len(WANDB_FILE_MAGIC), b""
    while pos + CHUNK_HEADER.size <= len(data):
        left_in_block = BLOCK_SIZE - pos % BLOCK_SIZE
        if left_in_block < CHUNK_HEADER.size:
            pos += left_in_block
            continue
        crc, length, kind = CHUNK_HEADER.unpack_from(data, pos)
        if (crc, length, kind) == (0, 0, 0):
            pos += left_in_block  # zero padding
            continue
        payload = data[pos + CHUNK_HEADER.size : pos + CHUNK_HEADER.size + length]
        if len(payload) != length or zlib.crc32(payload, zlib.crc32(bytes([kind]))) != crc:
            raise ValueError(f"bad chunk at byte {pos}")
        pos += CHUNK_HEADER.size + length
        if kind == FULL:
            yield payload
        elif kind == FIRST:
            pending = payload
        elif kind == MIDDLE:
            pending += payload
        elif kind == LAST:
            yield pending + payload
            pending = b""


def frame_records(payloads: Iterable[bytes]) -> bytes:
    """The inverse of `read_chunks`: what LevelDB's log writer (and wandb) produce."""
    out = bytearray(WANDB_FILE_MAGIC)
    for payload in payloads:
        start = 0
        while True:
            left_in_block = BLOCK_SIZE - len(out) % BLOCK_SIZE
            if left_in_block < CHUNK_HEADER.size:
                out += bytes(left_in_block)
                continue
            piece = payload[start : start + left_in_block - CHUNK_HEADER.size]
            end = start + len(piece)
            kind = _chunk_kind(first=start == 0, last=end == len(payload))
            out += CHUNK_HEADER.pack(zlib.crc32(piece, zlib.crc32(bytes([kind]))), len(piece), kind)
            out += piece
            start = end
            if end == len(payload):
                break
    return bytes(out)


def _chunk_kind(*, first: bool, last: bool) -> int:
    if first:
        return FULL if last else FIRST
    return LAST if last else MIDDLE


def scrub_records(payloads: Iterable[bytes]) -> tuple[list[bytes], list[str]]:
    """Keep the records about the experiment, stripped of machine details; name what was dropped."""
    from wandb.proto.wandb_internal_pb2 import Record

    kept, dropped = [], []
    for payload in payloads:
        record = Record.FromString(payload)
        kind = record.WhichOneof("record_type")
        if kind not in KEPT_RECORD_TYPES:
            dropped.append(kind or "unknown")
            continue
        record.ClearField("control")  # per-process IPC routing, not data
        record.ClearField("uuid")
        if kind == "run":
            for descriptor, _ in record.run.ListFields():
                if descriptor.name not in KEPT_RUN_FIELDS:
                    record.run.ClearField(descriptor.name)
        kept.append(record.SerializeToString(deterministic=True))
    return kept, dropped


def machine_markers(scratch: Path) -> list[str]:
    """Strings that would identify the generating machine if they turned up in a record."""
    markers = {
        socket.gethostname(),
        platform.node(),
        getpass.getuser(),
        str(Path.home()),
        os.getcwd(),
        str(REPO),
        str(scratch),
        sys.executable,
        sys.prefix,
        tempfile.gettempdir(),
        platform.platform(),
    }
    return sorted(m for m in markers if len(m) >= 3)


# Content that is never legitimate in the demo: paths, e-mail addresses, pip freeze lines, and the
# field names wandb uses for machine details.
SUSPICIOUS = re.compile(
    r"/home/|/root|/tmp|/work|/usr/|[A-Za-z]:\\|\\Users\\|[\w.+-]+@[\w-]+\.[\w.]+|^[\w.-]+==\d|"
    r"python_version|executable|hostname|username|platform|requirements|codePath|git_remote",
    re.MULTILINE,
)


def find_machine_details(payloads: Iterable[bytes], markers: Iterable[str]) -> list[str]:
    """What, in these decoded records, says something about the machine (empty when clean)."""
    from google.protobuf import text_format
    from wandb.proto.wandb_internal_pb2 import Record

    problems = []
    for payload in payloads:
        record = Record.FromString(payload)
        text = text_format.MessageToString(record, as_utf8=True)
        kind = record.WhichOneof("record_type")
        if kind not in KEPT_RECORD_TYPES:
            problems.append(f"a {kind} record")
        if kind == "run" and (
            record.run.host or record.run.HasField("telemetry") or record.run.HasField("git")
        ):
            problems.append("host, telemetry or git in the run record")
        problems += [f"{kind} record mentions {m!r}" for m in markers if m in text]
        problems += [f"{kind} record has {m.group()!r}" for m in SUSPICIOUS.finditer(text)]
    return problems


def keep_scrubbed_run_files(scratch_wandb: Path, out_wandb: Path, markers: list[str]) -> dict[str, int]:
    """Copy each run's `.wandb` file, scrubbed and verified, to `out_wandb/<run folder>/`."""
    dropped_counts: dict[str, int] = {}
    for source in sorted(scratch_wandb.glob("offline-run-*/run-*.wandb")):
        kept, dropped = scrub_records(read_chunks(source.read_bytes()))
        for kind in dropped:
            dropped_counts[kind] = dropped_counts.get(kind, 0) + 1
        framed = frame_records(kept)
        if list(read_chunks(framed)) != kept:
            raise RuntimeError(f"re-framing {source.name} does not read back")
        problems = find_machine_details(kept, markers) + [
            f"raw bytes mention {m!r}" for m in markers if m.encode() in framed
        ]
        if problems:
            raise RuntimeError(f"{source.name} still carries machine details: {sorted(set(problems))}")
        target = out_wandb / source.parent.name / source.name
        target.parent.mkdir(parents=True)
        target.write_bytes(framed)
    return dropped_counts


# ---------------------------------------------------------------- main


def run_sweep(planned: list[PlannedRun], data: Digits, scratch: Path, label: str) -> list[RunResult]:
    started = time.perf_counter()
    results = []
    for index, run in enumerate(planned, start=1):
        results.append(log_run(run, data, scratch))
        if index % 25 == 0:
            print(f"{label}: {index}/{len(planned)} runs, {time.perf_counter() - started:.0f} s")
    return results


def write_sweep_configs(path: Path, sweeps: Mapping[str, dict[str, Any]]) -> None:
    header = "# The three sweeps of the demo, as W&B sweep configurations (written by make_demo_sweep.py).\n"
    path.write_text(header + yaml.safe_dump(dict(sweeps), sort_keys=False))


def summarize(results: list[RunResult], label: str) -> None:
    failed = sum(r.failed for r in results)
    finished = [r.final["val_accuracy"] for r in results if not r.failed]
    print(f"{label}: {len(results)} runs, {failed} failed, best val_accuracy {max(finished):.4f}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "data" / "demo", help="folder for wandb/ and sweeps.yaml"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--broad-runs", type=int, default=BROAD_RUNS)
    parser.add_argument("--refine-runs", type=int, default=REFINE_RUNS)
    parser.add_argument("--repeat-configs", type=int, default=REPEAT_CONFIGS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    broad_id, refine_id = random_id(rng), random_id(rng)
    data = load_data()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="demo-sweep-") as tmp, threadpool_limits(limits=1):
        scratch = Path(tmp)
        isolate_wandb(scratch)
        broad_plan = plan_sweep(
            BROAD_SPACE,
            rng,
            count=args.broad_runs,
            sweep_id=broad_id,
            group="broad-search",
            tags=("digits", "mlp", "broad"),
        )
        broad = run_sweep(broad_plan, data, scratch, "broad")
        refine_space = narrowed_space(BROAD_SPACE, best_configs(broad, TOP_RUNS_FOR_REFINE))
        refine_plan = plan_sweep(
            refine_space,
            rng,
            count=args.refine_runs,
            sweep_id=refine_id,
            group="refine",
            tags=("digits", "mlp", "refine"),
        )
        refine = run_sweep(refine_plan, data, scratch, "refine")
        repeat_rng = np.random.default_rng([args.seed, REPEAT_STREAM])
        repeat_id = random_id(repeat_rng)
        repeat_configs = best_configs(broad + refine, args.repeat_configs)
        repeat_plan = plan_repeats(
            repeat_configs,
            REPEAT_SEEDS,
            repeat_rng,
            sweep_id=repeat_id,
            group="seed-repeats",
            tags=("digits", "mlp", "seeds"),
        )
        repeats = run_sweep(repeat_plan, data, scratch, "seed repeats")
        training_seconds = time.perf_counter() - started

        out_wandb = args.out / "wandb"
        if out_wandb.exists():
            shutil.rmtree(out_wandb)
        dropped = keep_scrubbed_run_files(scratch / "wandb", out_wandb, machine_markers(scratch))
    write_sweep_configs(
        args.out / "sweeps.yaml",
        {
            broad_id: sweep_definition(BROAD_SPACE, name="broad-search", run_cap=args.broad_runs),
            refine_id: sweep_definition(refine_space, name="refine", run_cap=args.refine_runs),
            repeat_id: repeats_definition(repeat_configs, REPEAT_SEEDS, name="seed-repeats"),
        },
    )
    summarize(broad, f"sweep {broad_id} (broad)")
    summarize(refine, f"sweep {refine_id} (refine)")
    summarize(repeats, f"sweep {repeat_id} (seed repeats)")
    files = list(out_wandb.rglob("*.wandb"))
    size = sum(f.stat().st_size for f in files)
    print(f"dropped records: {json.dumps(dropped, sort_keys=True)}")
    print(f"{len(files)} run files, {size / 1e6:.2f} MB in {out_wandb}")
    print(f"training and logging {training_seconds:.0f} s, total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
