"""The `run-<id>.wandb` reader: framing and CRCs, record replay, the Record class, and the cache.

Hand-built files are framed by `offline_runs.frame_records`, a writer independent of the reader;
real files come from the wandb package itself (`offline_runs.standard_runs`).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import text_format
from wandb.proto.wandb_internal_pb2 import Record as WandbRecord

from lib.sources.errors import SourceError
from lib.sources.run_cache import BoundedCache
from lib.sources.wandb import run_log as log_reader
from lib.sources.wandb import run_log_proto
from lib.sources.wandb.run_log import read_run_log, read_run_logs
from lib.sources.wandb.run_log_frames import BLOCK_SIZE, HEADER, read_payloads
from lib.sources.wandb.run_log_proto import record_class
from lib.sources.wandb.run_log_replay import RunLog, parse_run_log
from tests.sources.offline_runs import (
    SWEEP_A,
    frame_records,
    run_log,
    split_records,
    standard_runs,
)

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def offline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return standard_runs(tmp_path_factory.getbasetemp() / "offline-runs")


# ---------------------------------------------------------------- building records by hand


def run_record(run_id: str = "abc123", config: dict[str, Any] | None = None, **fields: Any) -> bytes:
    record = WandbRecord()
    record.run.run_id = run_id
    for key, value in (config or {}).items():
        record.run.config.update.add(key=key, value_json=json.dumps(value))
    for name, value in fields.items():
        if name == "tags":
            record.run.tags.extend(value)
        elif name == "start_time":
            record.run.start_time.seconds = value
        else:
            setattr(record.run, name, value)
    return record.SerializeToString()


def config_record(**values: Any) -> bytes:
    record = WandbRecord()
    for key, value in values.items():
        record.config.update.add(key=key, value_json=json.dumps(value))
    return record.SerializeToString()


def summary_record(
    updates: list[tuple[str | tuple[str, ...], str]] = (), removes: list[str | tuple[str, ...]] = ()
) -> bytes:
    """`updates` as (key or path, value JSON text); a str key goes in `key`, a path in `nested_key`."""
    record = WandbRecord()
    record.summary.SetInParent()
    for key, value_json in updates:
        item = record.summary.update.add(value_json=value_json)
        _name(item, key)
    for key in removes:
        _name(record.summary.remove.add(), key)
    return record.SerializeToString()


def _name(item: Any, key: str | tuple[str, ...]) -> None:
    if isinstance(key, tuple):
        item.nested_key.extend(key)
    else:
        item.key = key


def history_record(**values: Any) -> bytes:
    record = WandbRecord()
    for key, value in values.items():
        record.history.item.add(nested_key=[key], value_json=json.dumps(value))
    return record.SerializeToString()


def exit_record(code: int | None = None, runtime: int = 0) -> bytes:
    record = WandbRecord()
    record.exit.SetInParent()
    if code is not None:
        record.exit.exit_code = code
    record.exit.runtime = runtime
    return record.SerializeToString()


def parse(*payloads: bytes) -> RunLog:
    return parse_run_log(frame_records(payloads))


# ---------------------------------------------------------------- framing


def test_payloads_of_every_size_come_back_in_order_across_blocks() -> None:
    sizes = [0, 1, BLOCK_SIZE - 2 * 7 - 7, 3, BLOCK_SIZE, 3 * BLOCK_SIZE + 11, 2, BLOCK_SIZE - 20, 5]
    payloads = [bytes([i % 251 + 1]) * size for i, size in enumerate(sizes)]
    data = frame_records(payloads)
    assert len(data) > 6 * BLOCK_SIZE  # several blocks, records split into FIRST/MIDDLE/LAST chunks
    assert read_payloads(data) == (payloads, None)


def test_a_block_tail_shorter_than_a_chunk_header_is_padding() -> None:
    payloads = [b"a" * (BLOCK_SIZE - 7 - 7 - 3), b"next"]  # leaves 3 bytes in the first block
    data = frame_records(payloads)
    assert data[BLOCK_SIZE - 3 : BLOCK_SIZE] == b"\0\0\0"
    assert read_payloads(data) == (payloads, None)


def test_a_bad_checksum_stops_reading_there_and_keeps_what_came_before() -> None:
    payloads = [b"first record", b"second record", b"third record"]
    data = bytearray(frame_records(payloads))
    second_at = len(HEADER) + 7 + len(payloads[0])
    data[second_at + 7 + 2] ^= 0xFF  # a byte inside the second payload
    kept, problem = read_payloads(bytes(data))
    assert kept == payloads[:1]
    assert problem is not None and "checksum" in problem and str(second_at) in problem


@pytest.mark.parametrize("cut", [3, 7 + 4, 200, BLOCK_SIZE + 100])
def test_a_file_cut_while_being_written_keeps_the_whole_records_before_the_cut(cut: int) -> None:
    payloads = [b"x" * 50, b"y" * (2 * BLOCK_SIZE), b"z" * 10]  # the second spans three blocks
    data = frame_records(payloads)
    first_end = len(HEADER) + 7 + 50
    kept, problem = read_payloads(data[: first_end + cut])
    assert kept == payloads[:1]
    assert problem is not None and ("ends inside" in problem or "never finished" in problem)


def test_a_file_that_ends_in_zero_bytes_says_so() -> None:
    payloads = [b"one", b"two"]
    kept, problem = read_payloads(frame_records(payloads) + b"\0" * 100)
    assert kept == payloads
    assert problem is not None and "zero bytes" in problem


def test_an_impossible_chunk_stops_reading_as_damaged() -> None:
    data = (
        frame_records([b"good"]) + b"\x01\x02\x03\x04" + (60000).to_bytes(2, "little") + b"\x01" + b"?" * 30
    )
    kept, problem = read_payloads(data)
    assert kept == [b"good"]
    assert problem is not None and "damaged framing" in problem


@pytest.mark.parametrize("data", [b"", HEADER[:3], HEADER])
def test_an_empty_or_header_only_file_has_no_records_and_no_problem(data: bytes) -> None:
    assert read_payloads(data) == ([], None)
    log = parse_run_log(data)
    assert (log.record_count, log.problem, log.has_run_record) == (0, None, False)


@pytest.mark.parametrize(
    "data", [b"hello, this is not a run log", b"PK\x03\x04" + b"\0" * 40, HEADER[:5] + b"!!"]
)
def test_bytes_that_are_not_a_run_log_raise_a_source_error(data: bytes) -> None:
    with pytest.raises(SourceError, match="not a W&B run log"):
        parse_run_log(data)


# ---------------------------------------------------------------- replaying records


def test_config_is_the_run_record_then_later_records_replacing_top_level_keys() -> None:
    log = parse(
        run_record(config={"_wandb": {"t": 1}, "lr": 0.1, "model": {"hidden": 3, "layers": 2}}),
        config_record(model={"hidden": 4}),
        config_record(extra="yes"),
    )
    assert log.config == {"lr": 0.1, "model": {"hidden": 4}, "extra": "yes"}


def test_summary_replays_updates_nested_keys_and_removes_in_order() -> None:
    log = parse(
        run_record(),
        summary_record([(("loss",), "1.0"), ("acc", "0.5"), (("_wandb", "runtime"), "3")]),
        summary_record([(("best", "val"), "0.9"), ("opt", '{"a": 1, "b": 2}')]),
        summary_record([(("loss",), "0.5"), (("best", "epoch"), "2"), (("opt", "a"), "5")]),
        summary_record(removes=["acc", ("opt", "b")]),
    )
    assert log.summary == {
        "loss": 0.5,
        "_wandb": {"runtime": 3},
        "best": {"val": 0.9, "epoch": 2},
        "opt": {"a": 5},
    }


def test_history_rows_never_reach_the_summary() -> None:
    log = parse(
        run_record(),
        summary_record([(("loss",), "0.5")]),
        history_record(loss=0.1, only_in_history=7),
    )
    assert log.summary == {"loss": 0.5}


def test_nan_and_infinities_in_values_are_read() -> None:
    log = parse(run_record(), summary_record([("a", "NaN"), ("b", "Infinity"), ("c", "-Infinity")]))
    assert math.isnan(log.summary["a"]) and log.summary["b"] == math.inf and log.summary["c"] == -math.inf


def test_a_value_that_is_not_json_is_left_out_and_named() -> None:
    log = parse(run_record(), summary_record([("good", "1"), ("broken", "{oops")]))
    assert log.summary == {"good": 1}
    assert log.problem is not None and "broken" in log.problem


@pytest.mark.parametrize(
    ("ending", "code", "runtime"),
    [((), None, None), ((exit_record(),), 0, None), ((exit_record(255, runtime=42),), 255, 42.0)],
)
def test_the_exit_record_gives_the_exit_code_and_an_absent_one_gives_none(
    ending: tuple[bytes, ...], code: int | None, runtime: float | None
) -> None:
    log = parse(run_record(), *ending)
    assert (log.exit_code, log.exit_runtime) == (code, runtime)


def test_run_fields_come_from_the_run_record_and_later_ones_update_them() -> None:
    log = parse(
        run_record(
            "r1",
            display_name="first",
            run_group="g",
            tags=["a"],
            sweep_id="sw1",
            project="p",
            job_type="train",
            start_time=1_700_000_000,
        ),
        run_record("r1", display_name="renamed", tags=["b", "c"], start_time=1_800_000_000),
    )
    assert (log.run_id, log.name, log.group, log.tags, log.sweep_id) == (
        "r1",
        "renamed",
        "g",
        ("b", "c"),
        "sw1",
    )
    assert (log.project, log.job_type, log.start_time) == ("p", "train", 1_700_000_000)


def test_a_record_that_does_not_parse_stops_the_replay_there() -> None:
    log = parse(run_record(config={"lr": 1}), b"\xff\xff\xff\xff", summary_record([("loss", "1")]))
    assert log.config == {"lr": 1} and log.summary == {}
    assert log.problem is not None and "record 2 cannot be decoded" in log.problem


def test_a_damaged_summary_record_is_named_and_the_summaries_before_it_still_apply() -> None:
    damaged = summary_record([("loss", "2")])[:-3] + b"\xff\xff\xff"  # a summary that no longer parses
    log = parse(
        run_record(config={"lr": 1}),
        summary_record([("loss", "1"), ("acc", "0.5")]),
        history_record(loss=0.3),
        damaged,
        config_record(epochs=3),
    )
    assert log.summary == {"loss": 1, "acc": 0.5}
    assert log.problem is not None and "record 4 cannot be decoded" in log.problem


def test_summaries_between_other_records_replay_in_order_with_removes() -> None:
    log = parse(
        run_record(),
        summary_record([("loss", "1"), (("best", "acc"), "0.5")]),
        history_record(loss=0.9),
        summary_record([("loss", "0.5")], removes=[("best", "acc")]),
        exit_record(0),
        summary_record([("acc", "0.7")]),
    )
    assert log.summary == {"loss": 0.5, "best": {}, "acc": 0.7}  # the remove applied after the first update
    assert log.problem is None


# ---------------------------------------------------------------- real files from the wandb package


def test_a_real_offline_run_reads_back_what_was_logged(offline_dir: Path) -> None:
    log = read_run_log(run_log(offline_dir, "sweepa01"))
    assert (log.run_id, log.name, log.group, log.tags) == ("sweepa01", "adam-32", "search", ("mlp", "first"))
    assert (log.sweep_id, log.project, log.exit_code, log.problem) == (SWEEP_A, "sweepscope-tests", 0, None)
    assert log.config == {
        "lr": 0.01,
        "model": {"hidden": 32, "layers": 2},
        "optimizer": "adam",
        "epochs_run": 3,
    }
    assert log.summary["loss"] == 0.6  # the last logged value, not the lowest
    assert log.summary["acc"] == {"max": 0.8}  # define_metric(summary="max")
    assert log.summary["best_epoch"] == 1
    assert (
        log.start_time is not None
        and abs(log.start_time - run_log(offline_dir, "sweepa01").stat().st_mtime) < 600
    )


def test_real_runs_that_raised_were_killed_or_removed_a_key(offline_dir: Path) -> None:
    raised = read_run_log(run_log(offline_dir, "raised01"))
    assert raised.exit_code not in (None, 0)
    killed = read_run_log(run_log(offline_dir, "killmid1"))
    assert (killed.exit_code, killed.problem, killed.summary["loss"]) == (None, None, 1.2)
    assert killed.config["model"] == {"hidden": 8, "layers": 2}
    early = run_log(offline_dir, "killearl")
    assert early.read_bytes() == HEADER  # wandb had flushed nothing: only the header
    assert read_run_log(early).record_count == 0
    removed = read_run_log(run_log(offline_dir, "sweepa02"))
    assert "scratch" not in removed.summary and removed.summary["grad_norm"] == math.inf


def test_a_real_file_cut_mid_record_keeps_the_records_before_the_cut(offline_dir: Path) -> None:
    data = run_log(offline_dir, "sweepa01").read_bytes()
    whole = parse_run_log(data)
    cut = parse_run_log(data[: len(data) - 20])
    assert cut.record_count < whole.record_count
    assert cut.exit_code is None and cut.problem is not None and "ends inside" in cut.problem
    assert cut.config["model"] == whole.config["model"] and cut.run_id == whole.run_id


# ---------------------------------------------------------------- the Record class


def test_the_private_record_class_decodes_exactly_as_wandbs_own(offline_dir: Path) -> None:
    ours = record_class()
    assert ours is not WandbRecord
    for path in sorted(offline_dir.glob("offline-run-*/run-*.wandb")):
        for payload in split_records(path.read_bytes()):
            mine = text_format.MessageToString(ours.FromString(payload))
            theirs = text_format.MessageToString(WandbRecord.FromString(payload))
            assert mine == theirs


def test_reading_a_run_log_does_not_import_the_wandb_package(offline_dir: Path) -> None:
    probe = (
        "import sys; from pathlib import Path; from lib.sources.wandb.run_log import read_run_log; "
        f"log = read_run_log(Path({str(run_log(offline_dir, 'sweepa01'))!r})); "
        "print(log.run_id, 'wandb' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.split() == ["sweepa01", "False"]


def test_wandbs_own_record_class_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> type:
        raise ImportError("layout changed")

    monkeypatch.setattr(run_log_proto, "_RECORD_CLASS", None)
    monkeypatch.setattr(run_log_proto, "_record_class_from_descriptors", broken)
    assert record_class() is WandbRecord


# ---------------------------------------------------------------- cache and workers


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = log_reader.parse_run_log

    def counting(data: bytes) -> RunLog:
        calls[0] += 1
        return real(data)

    monkeypatch.setattr(log_reader, "parse_run_log", counting)
    return calls


def test_an_unchanged_file_is_parsed_once_and_a_changed_one_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(log_reader, "RUN_LOG_CACHE", BoundedCache(100))
    calls = count_parses(monkeypatch)
    paths = [tmp_path / f"run-{i}.wandb" for i in range(3)]
    for i, path in enumerate(paths):
        path.write_bytes(frame_records([run_record(f"id{i}")]))
    first = read_run_logs(paths)
    again = read_run_logs(paths)
    assert calls[0] == 3 and [log.run_id for log in again] == ["id0", "id1", "id2"]
    assert all(a is b for a, b in zip(first, again, strict=True))
    paths[1].write_bytes(frame_records([run_record("id1", config={"lr": 2})]))
    os.utime(paths[1], ns=(1, 10**18))  # a new mtime even on a coarse clock
    changed = read_run_logs(paths)
    assert calls[0] == 4 and changed[1].config == {"lr": 2}


def test_a_missing_file_is_none_and_an_unreadable_one_an_error(tmp_path: Path) -> None:
    garbage = tmp_path / "run-bad.wandb"
    garbage.write_bytes(b"garbage bytes here")
    missing, bad = read_run_logs([tmp_path / "run-none.wandb", garbage])
    assert missing is None
    assert isinstance(bad, SourceError) and "not a W&B run log" in str(bad)
    with pytest.raises(SourceError, match="does not exist"):
        read_run_log(tmp_path / "run-none.wandb")


def test_the_cache_forgets_the_least_recently_used_entries() -> None:
    cache = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now b is the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (1, None, 3, 2)


def test_forked_workers_give_the_same_logs_in_the_same_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(log_reader, "RUN_LOG_CACHE", BoundedCache(100))
    monkeypatch.setattr(log_reader, "_fork_workers", lambda n_files: 2)
    paths = []
    for i in range(7):
        path = tmp_path / f"run-{i}.wandb"
        path.write_bytes(frame_records([run_record(f"id{i}", config={"i": i})]) if i != 3 else b"junk")
        paths.append(path)
    logs = read_run_logs(paths)
    assert [log.run_id if isinstance(log, RunLog) else "error" for log in logs] == [
        "id0",
        "id1",
        "id2",
        "error",
        "id4",
        "id5",
        "id6",
    ]
    assert [log.config["i"] for log in logs if isinstance(log, RunLog)] == [0, 1, 2, 4, 5, 6]


def test_workers_are_forked_only_for_many_files_from_a_single_threaded_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(log_reader.threading, "active_count", lambda: 1)
    monkeypatch.setattr(log_reader.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(log_reader.sys, "platform", "linux")
    many = log_reader.PARALLEL_MIN_FILES
    assert log_reader._fork_workers(many - 1) == 1
    assert log_reader._fork_workers(many) == 2
    monkeypatch.setattr(log_reader.threading, "active_count", lambda: 3)  # e.g. the app server
    assert log_reader._fork_workers(many) == 1
    monkeypatch.setattr(log_reader.threading, "active_count", lambda: 1)
    monkeypatch.setattr(log_reader.sys, "platform", "darwin")
    assert log_reader._fork_workers(many) == 1
