"""Issue 9, items 4 and 5: small uploads that grow the server's memory.

A 1 KB zip whose config.yaml nests YAML aliases stands for 10^9 values once expanded (the server grew
past 3 GB); a 100 KB zip hiding a 100 MB summary string was kept in memory after every upload, in
caches keyed by the temporary folder it was unpacked into. Each zip is built here and loaded in a
child process under an address-space cap (`RLIMIT_AS`), which must finish in time and within it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lib.sources.archive import load_wandb_zip
from lib.sources.run_cache import BoundedCache
from lib.sources.safe_load import MAX_KEYS_PER_RUN, OverBudget, load_json, load_yaml
from lib.sources.wandb import run_files
from lib.sources.wandb import run_log as log_reader
from lib.sources.wandb.run_log import parse_run_log
from tests.sources.hostile_zips import (
    BOMB_RUN,
    alias_bomb_yaml,
    alias_bomb_zip,
    good_run,
    hidden_blob_zip,
    load_in_child,
    zip_bytes,
)
from tests.sources.offline_runs import frame_records
from tests.sources.wandb.test_run_log import run_record, summary_record

# A process that has imported pandas and the readers maps ~1.4 GB of address space; the cap leaves
# it ~600 MB more, far below what the bombs took (they ran into any cap given to them).
CAP_MB = 2000
TIMEOUT_S = 60.0


@pytest.mark.parametrize("as_lists", [False, True], ids=["mapping-aliases", "list-aliases"])
def test_an_alias_bomb_zip_is_skipped_within_the_memory_cap(tmp_path: Path, as_lists: bool) -> None:
    data = alias_bomb_zip(as_lists=as_lists)
    assert len(data) < 3000
    result = load_in_child(data, tmp_path, cap_mb=CAP_MB, timeout=TIMEOUT_S)
    assert result.outcome == "loaded", result.detail
    assert result.runs == 1 and result.seconds < 5
    ((run, reason),) = result.skipped
    assert run == "run-20250101_000001-bomb0001"
    assert "config.yaml expands to more than 200,000 values" in reason


def test_uploads_hiding_a_100_mb_summary_value_do_not_stay_in_memory(tmp_path: Path) -> None:
    data = hidden_blob_zip()
    assert len(data) < 200_000
    result = load_in_child(data, tmp_path, cap_mb=CAP_MB, timeout=TIMEOUT_S, repeats=5)
    assert result.outcome == "loaded", result.detail
    assert result.rss_growth_mb < 30, result
    assert result.runs == 1 and result.seconds < 20
    ((run, reason),) = result.skipped
    assert run == "run-20250101_000001-bomb0001" and "wandb-summary.json is 100 MB, over the 20 MB" in reason


def test_a_summary_value_over_a_megabyte_is_left_out_with_a_note(tmp_path: Path) -> None:
    summary = json.dumps({"acc": 0.5, "_hidden": "x" * 3_000_000, "nested": {"blob": ["y" * 1_100_000]}})
    data = zip_bytes({**good_run(), BOMB_RUN + "wandb-summary.json": summary.encode()})
    sweep = load_wandb_zip(data, name="upload.zip")
    assert sweep.runs.loc["bomb0001", "acc"] == 0.5
    assert not any("_hidden" in str(c) or "nested.blob" in str(c) for c in sweep.runs.columns)
    assert any("values over 1 MB were left out (_hidden, nested.blob)" in note for note in sweep.notes)


def test_a_logged_value_over_a_megabyte_is_left_out_of_the_run_log() -> None:
    log = parse_run_log(
        frame_records(
            [run_record("r1"), summary_record([("acc", "0.5"), ("blob", json.dumps("z" * 2_000_000))])]
        )
    )
    assert log.summary == {"acc": 0.5}
    assert log.problem == "values over 1 MB were left out: blob"


def test_a_run_with_too_many_keys_is_skipped_saying_which_limit() -> None:
    config = "".join(f"k{i}:\n  value: {i}\n" for i in range(MAX_KEYS_PER_RUN + 5))
    data = zip_bytes({**good_run(), BOMB_RUN + "config.yaml": config.encode()})
    sweep = load_wandb_zip(data, name="upload.zip")
    assert list(sweep.runs.index) == ["good0001"]
    ((run, reason),) = sweep.skipped
    assert (
        run == "run-20250101_000001-bomb0001"
        and f"more than {MAX_KEYS_PER_RUN:,} config and summary keys" in reason
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (alias_bomb_yaml(levels=6), "expands to more than"),
        (b"a: &a [*a]\n", "refers to itself"),
        (b"x: [" * 1_000_000, "nested more than 100 levels"),
        (b"x: " + b"7" * 5000 + b"\n", "integer of 5,000 digits"),
    ],
    ids=["aliases", "recursive-alias", "deep", "long-integer"],
)
def test_yaml_over_budget_is_refused_before_it_is_built(text: bytes, message: str) -> None:
    with pytest.raises(OverBudget, match=message):
        load_yaml(text, "files/config.yaml")


def test_json_over_budget_is_refused() -> None:
    with pytest.raises(OverBudget, match="nested more than 100 levels"):
        load_json(b"[" * 50_000 + b"]" * 50_000, "files/wandb-summary.json")
    with pytest.raises(OverBudget, match="values, over the"):
        load_json(b"[" + b"0," * 300_000 + b"0]", "files/wandb-summary.json")
    assert load_yaml(b"lr: {value: 0.1}\nlayers: [1, 2]\n", "c") == {"lr": {"value": 0.1}, "layers": [1, 2]}


def test_an_unpacked_upload_is_read_without_filling_the_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_reader, "RUN_LOG_CACHE", BoundedCache(100))
    monkeypatch.setattr(run_files, "ONLINE_CACHE", BoundedCache(100))
    offline = {
        "wandb/offline-run-20250101_000005-off00001/run-off00001.wandb": frame_records(
            [run_record("off00001")]
        )
    }
    sweep = load_wandb_zip(zip_bytes({**good_run(), **offline}), name="upload.zip")
    assert set(sweep.runs.index) == {"good0001", "off00001"}
    assert len(log_reader.RUN_LOG_CACHE) == 0 and len(run_files.ONLINE_CACHE) == 0


def test_the_cache_is_bounded_by_bytes_and_by_age() -> None:
    now = [0.0]
    cache = BoundedCache(100, max_bytes=1000, ttl_seconds=60, clock=lambda: now[0])
    for key in "abcd":
        cache.put(key, "v", nbytes=240)
    assert cache.bytes_held == 960
    cache.put("e", "v", nbytes=240)  # over 1000 bytes: the least recently used goes
    assert cache.get("a") is None and cache.get("e") == "v" and cache.bytes_held == 960
    cache.put("big", "x" * 400)  # over a quarter of the budget: not kept
    assert cache.get("big") is None
    now[0] = 61.0
    assert cache.get("e") is None and len(cache) == 3
