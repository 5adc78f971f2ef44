"""The budgets' pieces on their own: settings from the environment, the JSON depth scan, regular
files only, stale scratch folders, a zip's declared entry count, a snapshot's shape."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from lib.sources import limits
from lib.sources.archive import _declared_entries
from lib.sources.errors import SourceError
from lib.sources.reading import NotARegularFile, open_regular, regular_file_refusal
from lib.sources.safe_load import MAX_DOCUMENT_BYTES, OverBudget, _deepest, load_json, read_document
from lib.sources.scratch import STALE_AFTER_SECONDS, remove_stale_folders
from lib.sources.snapshot import decode_json_cell, well_shaped_meta, with_text_run_ids

# ---------------------------------------------------------------- settings


def test_a_setting_is_raised_by_its_variable_in_its_unit() -> None:
    assert limits.FILE_MB.value({}) == 20 * 2**20
    assert limits.FILE_MB.value({"SWEEPSCOPE_MAX_FILE_MB": "64"}) == 64 * 2**20
    assert limits.VALUES.value({"SWEEPSCOPE_MAX_VALUES": "1_000_000"}) == 1_000_000


@pytest.mark.parametrize("text", ["0", "-5", "lots", "1.5"])
def test_a_setting_that_is_not_a_positive_whole_number_keeps_its_default(text: str) -> None:
    with pytest.warns(UserWarning, match="not a positive whole number"):
        assert limits.DEPTH.value({"SWEEPSCOPE_MAX_DEPTH": text}) == 100


def test_every_setting_has_its_own_variable() -> None:
    names = [limit.env_var for limit in limits.ALL_LIMITS]
    assert len(names) == len(set(names)) and all(name.startswith("SWEEPSCOPE_MAX_") for name in names)


# ---------------------------------------------------------------- JSON depth


def test_json_nested_exactly_to_the_limit_loads_and_one_more_is_refused() -> None:
    assert load_json(b"[" * 100 + b"]" * 100, "f") is not None
    assert load_json(b'{"a":' * 100 + b"1" + b"}" * 100, "f") is not None
    with pytest.raises(OverBudget, match="nested more than 100 levels"):
        load_json(b"[" * 101 + b"]" * 101, "f")


def test_brackets_inside_strings_do_not_count_even_after_escaped_quotes() -> None:
    text = b'["\\"' + b"[" * 500 + b'", "' + b"{" * 500 + b'"]'
    assert load_json(text, "f") == ['"' + "[" * 500, "{" * 500]


def test_the_deepest_point_is_found_across_scan_chunks() -> None:
    padding = b"[]" * (2**20)  # two chunks of depth 1
    deep = b"[" * 150 + b"]" * 150
    assert _deepest(padding + deep + padding) == 150
    assert _deepest(b"[" * 3 + padding + b"]" * 3) == 4


def test_long_integers_are_refused_and_long_floats_read() -> None:
    with pytest.raises(OverBudget, match="integer of 101 digits"):
        load_json(b"[" + b"9" * 101 + b"]", "f")
    assert load_json(b"[" + b"9" * 100 + b"]", "f") == [int("9" * 100)]
    assert load_json(b"[1." + b"5" * 5000 + b"]", "f") == [1.5555555555555556]


# ---------------------------------------------------------------- regular files only


def test_pipes_folders_devices_and_loops_are_refused_with_what_they_are(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "zero").symlink_to("/dev/zero")
    refusals = {name: regular_file_refusal(tmp_path / name, name) for name in ("pipe", "loop", "zero")}
    assert refusals == {
        "pipe": "pipe is a named pipe (FIFO), not a regular file: reading it could wait forever",
        "loop": "loop is a symbolic link that leads back to itself (a loop), so there is nothing to read",
        "zero": "zero is a device, not a regular file",
    }
    assert regular_file_refusal(tmp_path, "here") == "here is a folder, not a file"
    assert regular_file_refusal(tmp_path / "missing", "m") is None  # the caller says it is missing
    with pytest.raises(NotARegularFile, match="named pipe"):
        read_document(tmp_path / "pipe", "pipe")


def test_a_regular_file_and_a_link_to_one_are_read(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"{}")
    (tmp_path / "b.json").symlink_to(tmp_path / "a.json")
    assert read_document(tmp_path / "b.json", "b") == b"{}"
    with open_regular(tmp_path / "a.json", "a") as handle:
        assert handle.read() == b"{}"


def test_a_file_over_the_budget_is_refused_from_its_size(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(MAX_DOCUMENT_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(OverBudget, match="over the 20 MB Sweepscope reads per file"):
        read_document(big, "big.json")


# ---------------------------------------------------------------- stale scratch folders


def test_only_this_users_stale_sweepscope_folders_are_removed(tmp_path: Path) -> None:
    mine_now = tmp_path / f"sweepscope-zip-{os.getpid()}-aaaa"
    mine_old = tmp_path / f"sweepscope-zip-{os.getpid()}-bbbb"
    dead = tmp_path / "sweepscope-zip-999999999-cccc"  # no such process
    unnamed_young = tmp_path / "sweepscope-snapshot-dddd"
    for folder in (mine_now, mine_old, dead, unnamed_young):
        (folder / "inner").mkdir(parents=True)
        (folder / "inner" / "file").write_bytes(b"x")
    hour_ago = time.time() - STALE_AFTER_SECONDS - 60
    os.utime(mine_old, (hour_ago, hour_ago))
    target = tmp_path / "kept"
    target.mkdir()
    (tmp_path / "sweepscope-zip-999999998-link").symlink_to(target)
    (tmp_path / "sweepscope-zip-999999997-file").write_bytes(b"x")
    removed = remove_stale_folders(parent=tmp_path)
    assert sorted(p.name for p in removed) == sorted([mine_old.name, dead.name])
    assert mine_now.exists() and unnamed_young.exists() and target.exists()
    assert (tmp_path / "sweepscope-zip-999999998-link").is_symlink()


# ---------------------------------------------------------------- zip entries


def zip_with_entries(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(count):
            archive.writestr(f"d{index}/", b"")
    return buffer.getvalue()


def test_the_declared_entry_count_is_read_from_the_end_record() -> None:
    assert _declared_entries(zip_with_entries(7)) == 7
    assert _declared_entries(zip_with_entries(70_000)) == 70_000  # past 65,535: the zip64 record
    assert _declared_entries(b"not a zip") is None


# ---------------------------------------------------------------- snapshots


def test_metadata_of_the_wrong_shape_reads_as_absent() -> None:
    shaped = well_shaped_meta(
        {"version": 1, "params": 5, "metrics": ["acc", 3], "kinds": [1], "skipped": [1, ["a", "b"], ["c"]],
         "notes": {"x": 1}, "reasons": {"acc": "why", "x": 2}, "primary_metric": ["acc"], "spec": "s",
         "sweep_configs": {"s1": {"method": "grid"}, "s2": "text"}}
    )  # fmt: skip
    assert shaped == {
        "version": 1,
        "params": [],
        "metrics": ["acc"],
        "notes": [],
        "json_columns": [],
        "kinds": {},
        "directions": {},
        "reasons": {"acc": "why"},
        "source": None,
        "primary_metric": None,
        "primary_reason": None,
        "fetched_at": None,
        "skipped": [("a", "b")],
        "sweep_configs": {"s1": {"method": "grid"}},
        "spec": None,
    }


def test_run_ids_become_text_and_repeats_are_refused() -> None:
    frame = pd.DataFrame({"acc": [0.1, 0.2, 0.3]}, index=[7, 3.0, "x"])
    assert list(with_text_run_ids(frame).index) == ["7", "3", "x"]
    assert with_text_run_ids(frame).index.name == "run_id"
    with pytest.raises(SourceError, match="1 runs whose ids repeat"):
        with_text_run_ids(pd.DataFrame({"acc": [0.1, 0.2]}, index=[1, "1"]))


def test_json_cells_are_decoded_on_the_budget() -> None:
    assert decode_json_cell("[1, 2]") == [1, 2]
    assert decode_json_cell("[" * 5000 + "]" * 5000) is None
    assert decode_json_cell("{bad") is None and decode_json_cell(3) is None
