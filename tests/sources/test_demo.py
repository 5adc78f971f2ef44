"""The built-in demo: what its committed files hold (and never hold), and what `load_demo()` gives.

The files are decoded here with a reader of their own (framing, CRCs, protobuf records), so the
privacy checks do not depend on the loader under test.
"""

from __future__ import annotations

import contextlib
import getpass
import importlib.util
import json
import os
import re
import socket
import struct
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from google.protobuf import text_format
from google.protobuf.message import Message
from wandb.proto.wandb_internal_pb2 import Record

import lib.sources.demo as demo_module
from lib.columns import Direction, Kind
from lib.sources import SourceError, load_source
from lib.sources.demo import DEMO_DIR, load_demo
from lib.sweep import FAILED, FINISHED, RUN_GROUP, RUN_NAME, RUN_STATE, RUN_SWEEP, RUN_TAGS, Sweep

REPO = Path(__file__).resolve().parents[2]
WANDB_DIR = DEMO_DIR / "wandb"
RUN_FILE = re.compile(r"offline-run-\d{8}_\d{6}-(?P<id>[a-z0-9]{8})/run-(?P=id)\.wandb")
HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
BLOCK = 32 * 1024

ALLOWED_RECORD_TYPES = {"header", "run", "config", "summary", "history", "metric", "exit", "final", "footer"}
ALLOWED_RUN_FIELDS = {
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
}
# Never legitimate in the demo: absolute paths, e-mail addresses, pip-freeze lines.
PERSONAL_CONTENT = re.compile(
    r"/home/|/root\b|/tmp/|/work/|/usr/|/Users/|/var/|[A-Za-z]:\\|\\Users\\|"
    r"[\w.+-]+@[\w-]+\.[a-z]{2,}|^[A-Za-z][\w.-]*==\d",
    re.MULTILINE,
)
# Field names wandb uses for machine details; they show in a record's text form if present.
MACHINE_FIELDS = re.compile(
    r"\b(host|hostname|username|email|python_version|platform|executable|program|code_path|"
    r"git|remote|root|cpu_count|gpu|memory|disk|docker|requirements)\b\s*[:{]"
)

EXPECTED_PARAMS = {
    "learning_rate",
    "batch_size",
    "model.hidden",
    "model.layers",
    "optimizer",
    "momentum",
    "alpha",
    "activation",
    "early_stopping",
    "epochs",
    "dataloader_workers",
    "seed",
}
EXPECTED_METRICS = {"val_loss", "val_accuracy", "fit_time"}


# ---------------------------------------------------------------- an independent reader


def record_payloads(data: bytes) -> list[bytes]:
    """Payloads of a `.wandb` file; fails the test on a bad header, CRC or framing."""
    assert data[: len(HEADER)] == HEADER
    payloads, pending, pos = [], None, len(HEADER)
    while pos < len(data):
        if BLOCK - pos % BLOCK < 7:
            assert set(data[pos : pos - pos % BLOCK + BLOCK]) <= {0}
            pos += BLOCK - pos % BLOCK
            continue
        crc, length, kind = struct.unpack_from("<IHB", data, pos)
        payload = data[pos + 7 : pos + 7 + length]
        assert len(payload) == length, f"chunk at {pos} runs past the end"
        assert zlib.crc32(payload, zlib.crc32(bytes([kind]))) == crc, f"bad CRC at {pos}"
        pos += 7 + length
        if kind == 1:
            assert pending is None
            payloads.append(payload)
        elif kind == 2:
            pending = payload
        elif kind == 3:
            pending += payload
        else:
            assert kind == 4 and pending is not None, f"chunk type {kind} at {pos}"
            payloads.append(pending + payload)
            pending = None
    assert pending is None, "file ends inside a record"
    return payloads


def strings_in(message: Message) -> Iterator[str]:
    """Every string (and bytes) value anywhere in a protobuf message."""
    for descriptor, value in message.ListFields():
        if hasattr(value, "items"):  # a map field
            value = list(value.values())
        values = value if isinstance(value, list) or _is_repeated(descriptor) else [value]
        for item in values:
            if isinstance(item, Message):
                yield from strings_in(item)
            elif isinstance(item, str):
                yield item
            elif isinstance(item, bytes):
                yield item.decode("latin-1")


def _is_repeated(descriptor) -> bool:
    repeated = getattr(descriptor, "is_repeated", None)  # protobuf >= 6; `label` before
    return bool(repeated) if repeated is not None else descriptor.label == descriptor.LABEL_REPEATED


def machine_markers() -> list[str]:
    """Names of the machine running the tests: none may appear in the demo."""
    markers = {socket.gethostname(), str(Path.home()), os.getcwd(), sys.executable, sys.prefix}
    with contextlib.suppress(KeyError, OSError):
        markers.add(getpass.getuser())
    return sorted(m for m in markers if len(m) >= 2 and m != "/")


def contains_marker(text: str, marker: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(marker)}(?![A-Za-z0-9])", text) is not None


def machine_details(record: Record, markers: list[str]) -> list[str]:
    """Everything in one decoded record that describes a machine (empty when it is clean)."""
    kind = record.WhichOneof("record_type")
    found = [] if kind in ALLOWED_RECORD_TYPES else [f"a {kind} record"]
    if kind == "run":
        found += [f"run.{d.name}" for d, _ in record.run.ListFields() if d.name not in ALLOWED_RUN_FIELDS]
    text = text_format.MessageToString(record, as_utf8=True)
    found += [f"field {m.group(1)}" for m in MACHINE_FIELDS.finditer(text)]
    for value in strings_in(record):
        found += [f"{m!r} in {value[:60]!r}" for m in markers if contains_marker(value, m)]
        found += [f"{m.group()!r} in {value[:60]!r}" for m in PERSONAL_CONTENT.finditer(value)]
    return found


@pytest.fixture(scope="module")
def run_files() -> dict[Path, list[Record]]:
    files = sorted(WANDB_DIR.glob("*/*.wandb"))
    return {path: [Record.FromString(p) for p in record_payloads(path.read_bytes())] for path in files}


@pytest.fixture(scope="module")
def demo() -> Sweep:
    return load_demo()


def records_of(records: list[Record], kind: str) -> list[Record]:
    return [r for r in records if r.WhichOneof("record_type") == kind]


# ---------------------------------------------------------------- the committed files


def test_the_demo_folder_holds_only_run_logs_and_its_description() -> None:
    files = sorted(p for p in DEMO_DIR.rglob("*") if not p.is_dir())
    assert not [p for p in DEMO_DIR.rglob("*") if p.is_symlink()]
    extra = [p.relative_to(DEMO_DIR).as_posix() for p in files if p.parent.parent != WANDB_DIR]
    assert sorted(extra) == ["README.md", "sweeps.yaml"]
    run_paths = [p.relative_to(WANDB_DIR).as_posix() for p in files if p.parent.parent == WANDB_DIR]
    assert [p for p in run_paths if not RUN_FILE.fullmatch(p)] == []
    assert 215 <= len(run_paths) <= 235
    assert sum(p.stat().st_size for p in files) < 1_500_000


def test_every_file_decodes_to_one_run_from_header_to_end(run_files: dict[Path, list[Record]]) -> None:
    for path, records in run_files.items():
        assert records[0].WhichOneof("record_type") == "header", path
        (run,) = records_of(records, "run")
        assert path.name == f"run-{run.run.run_id}.wandb"
        assert run.run.sweep_id and run.run.display_name and run.run.run_group and run.run.tags
        assert len(records_of(records, "exit")) == 1, f"{path.name} has no exit record"


def test_each_finished_run_has_a_history_row_per_epoch(run_files: dict[Path, list[Record]]) -> None:
    for path, records in run_files.items():
        config = {u.key: json.loads(u.value_json) for u in records_of(records, "run")[0].run.config.update}
        (exit_record,) = records_of(records, "exit")
        steps = [int(r.history.step.num) for r in records_of(records, "history")]
        assert steps == list(range(1, len(steps) + 1)), path.name
        if exit_record.exit.exit_code == 0 and not config["early_stopping"]:
            assert len(steps) == config["epochs"], path.name
        assert len(steps) <= config["epochs"], path.name


def test_no_record_carries_machine_details(run_files: dict[Path, list[Record]]) -> None:
    markers = machine_markers()
    problems = {
        f"{path.parent.name}: {detail}"
        for path, records in run_files.items()
        for record in records
        for detail in machine_details(record, markers)
    }
    assert sorted(problems) == []


def test_no_committed_byte_names_this_machine_or_a_path() -> None:
    markers = [m for m in machine_markers() if len(m) >= 4]  # shorter ones collide with random ids
    for path in (p for p in DEMO_DIR.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        assert [m for m in markers if m.encode() in raw] == [], path
        text = raw.decode("latin-1")
        assert [m.group() for m in PERSONAL_CONTENT.finditer(text)] == [], path


def test_the_privacy_check_catches_what_wandb_writes_by_default() -> None:
    run = Record()
    run.run.run_id = "abc12345"
    run.run.host = socket.gethostname()
    run.run.telemetry.python_version = "3.11.7"
    environment = Record()
    environment.environment.os = "Linux"
    environment.environment.program = "/home/someone/train.py"
    config = Record()
    config.config.update.add(key="data_dir", value_json='"/work/data"')
    markers = machine_markers()
    assert any("run.host" in d for d in machine_details(run, markers))
    assert any("telemetry" in d for d in machine_details(run, markers))
    assert any("environment record" in d for d in machine_details(environment, markers))
    assert any("/home/" in d for d in machine_details(environment, markers))
    assert any("/work/" in d for d in machine_details(config, markers))


# ---------------------------------------------------------------- load_demo()


def sweep_ids_by_name(demo: Sweep) -> dict[str, str]:
    return {config["name"]: sweep_id for sweep_id, config in demo.sweep_configs.items()}


def test_the_demo_holds_three_sweeps_of_about_224_runs(demo: Sweep) -> None:
    assert 215 <= len(demo.runs) <= 235
    assert demo.runs.index.is_unique
    per_sweep = demo.runs[RUN_SWEEP].value_counts()
    assert len(per_sweep) == 3 == len(demo.sweep_ids)
    assert sorted(per_sweep.tolist()) == [24, 50, 150]
    assert set(sweep_ids_by_name(demo)) == {"broad-search", "refine", "seed-repeats"}
    assert set(demo.sweep_configs) == set(demo.sweep_ids)
    assert demo.source.startswith("Demo")
    assert demo.skipped == []


def test_the_demo_has_the_advertised_parameters_and_metrics(demo: Sweep) -> None:
    assert set(demo.params) == EXPECTED_PARAMS
    assert set(demo.metrics) >= EXPECTED_METRICS
    assert demo.primary_metric == "val_accuracy"
    assert demo.direction("val_accuracy") is Direction.MAXIMIZE
    assert demo.direction("val_loss") is Direction.MINIMIZE
    assert demo.kind("early_stopping") is Kind.BOOLEAN
    assert demo.kind("optimizer") is Kind.CATEGORICAL and demo.kind("activation") is Kind.CATEGORICAL
    assert demo.kind("learning_rate") is Kind.LOG and demo.kind("alpha") is Kind.LOG
    assert demo.kind("model.hidden") is Kind.INTEGER
    assert demo.kind("seed") is Kind.IDENTIFIER and "seed" not in demo.analysable_params


def test_momentum_exists_only_for_sgd_runs(demo: Sweep) -> None:
    runs = demo.runs
    is_sgd = runs["optimizer"] == "sgd"
    assert runs["momentum"].notna().equals(is_sgd)
    assert 0 < is_sgd.sum() < len(runs)


def test_a_few_runs_failed_with_partial_or_no_metrics(demo: Sweep) -> None:
    runs = demo.runs
    assert set(runs[RUN_STATE]) == {FINISHED, FAILED}
    failed = runs[runs[RUN_STATE] == FAILED]
    assert 2 <= len(failed) <= 10
    assert failed["fit_time"].isna().all()
    assert failed["val_accuracy"].isna().any()
    finished = runs[runs[RUN_STATE] == FINISHED]
    assert finished[sorted(EXPECTED_METRICS)].notna().all().all()
    assert finished["val_accuracy"].between(0, 1).all() and finished["val_accuracy"].max() > 0.95


def test_runs_are_named_grouped_and_tagged_like_a_user_would(demo: Sweep) -> None:
    runs = demo.runs
    assert runs[RUN_NAME].notna().all()
    assert runs[RUN_NAME].str.fullmatch(r"(adam|sgd)-\w+-\dx\d+-lr\de[-+]\d\d").all()
    assert set(runs[RUN_GROUP]) == {"broad-search", "refine", "seed-repeats"}
    assert runs[RUN_TAGS].str.contains("digits").all()


def test_the_follow_up_sweep_stays_inside_its_narrower_space(demo: Sweep) -> None:
    runs = demo.runs
    ids = sweep_ids_by_name(demo)
    broad_id, refine_id = ids["broad-search"], ids["refine"]
    broad = demo.sweep_configs[broad_id]["parameters"]
    refine = demo.sweep_configs[refine_id]["parameters"]
    refined = runs[runs[RUN_SWEEP] == refine_id]
    for name in ("learning_rate", "epochs"):
        low, high = refine[name]["min"], refine[name]["max"]
        assert (low, high) != (broad[name]["min"], broad[name]["max"])
        assert refined[name].between(low * 0.999, high * 1.001).all(), name
    assert set(refined["activation"]) <= set(refine["activation"]["values"])
    assert len(refine["activation"]["values"]) < len(broad["activation"]["values"])
    assert refined["val_accuracy"].median() > runs.loc[runs[RUN_SWEEP] == broad_id, "val_accuracy"].median()


def as_key(runs: pd.DataFrame) -> pd.Series:
    """Every hyperparameter but the seed, as one text per run."""
    return runs[sorted(EXPECTED_PARAMS - {"seed"})].map(str).agg("|".join, axis=1)


def test_the_seed_repeats_train_the_best_configurations_again_with_three_seeds(demo: Sweep) -> None:
    runs = demo.runs
    repeats_id = sweep_ids_by_name(demo)["seed-repeats"]
    definition = demo.sweep_configs[repeats_id]
    seeds = definition["parameters"]["seed"]["values"]
    repeats = runs[runs[RUN_SWEEP] == repeats_id]
    searches = runs[runs[RUN_SWEEP] != repeats_id]
    assert runs["seed"].notna().all()
    assert not searches["seed"].isin(seeds).any()  # the searches drew their own seeds
    configurations = repeats.groupby(as_key(repeats))["seed"].agg(sorted)
    assert len(configurations) == len(definition["configurations"]) == 8
    assert all(list(s) == seeds for s in configurations)
    originals = searches[as_key(searches).isin(configurations.index)]
    assert len(originals) == 8  # each configuration was first run in one of the searches
    best = searches["val_accuracy"].nlargest(8)
    assert originals["val_accuracy"].min() >= best.min()
    assert repeats["val_accuracy"].notna().all()


def test_load_source_demo_is_the_demo(demo: Sweep) -> None:
    again = load_source("demo")
    pd.testing.assert_frame_equal(again.runs, demo.runs)
    assert again.source == demo.source


def test_a_missing_demo_says_how_to_get_it_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(demo_module, "DEMO_DIR", tmp_path / "demo")
    with pytest.raises(SourceError, match="make_demo_sweep"):
        demo_module.load_demo()


def test_the_generator_frames_records_as_the_reader_expects_across_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = importlib.util.spec_from_file_location("make_demo_sweep", REPO / "scripts" / "make_demo_sweep.py")
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, script)  # dataclasses look their module up there
    spec.loader.exec_module(script)
    sizes = [0, 1, BLOCK - 7 - 7, 5, BLOCK, 3 * BLOCK + 11, 2, BLOCK - 20]
    payloads = [bytes([i % 251]) * size for i, size in enumerate(sizes)]
    framed = script.frame_records(payloads)
    assert record_payloads(framed) == payloads
    assert list(script.read_chunks(framed)) == payloads
