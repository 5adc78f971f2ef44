"""Snapshots another program wrote, or a person edited: integer run ids and metadata of the wrong
shape load (what can be read is read), and the home page can still name the best run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from lib.columns import Direction
from lib.sources import SourceError, load_source
from lib.sources.wandb.snapshot import SNAPSHOT_KEY, save_snapshot
from lib.sweep import Sweep
from lib.views.home import best_run_summary


def integer_id_sweep() -> Sweep:
    runs = pd.DataFrame({"lr": [0.1, 0.01, 0.001], "acc": [0.5, 0.9, 0.7]}, index=pd.Index([7, 8, 9]))
    return Sweep(runs=runs, params=["lr"], metrics=["acc"], directions={"acc": Direction.MAXIMIZE})


def test_a_snapshot_with_integer_run_ids_names_its_best_run(tmp_path: Path) -> None:
    path = save_snapshot(integer_id_sweep(), tmp_path / "runs.parquet")
    sweep = load_source(str(path))
    assert list(sweep.runs.index) == ["7", "8", "9"]
    best = best_run_summary(sweep, "acc")
    assert best is not None and best.run_id == "8"


def _rewrite_meta(path: Path, change: dict[str, object]) -> None:
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[SNAPSHOT_KEY])
    meta.update(change)
    schema_meta = {**table.schema.metadata, SNAPSHOT_KEY: json.dumps(meta).encode()}
    pq.write_table(table.replace_schema_metadata(schema_meta), path)


@pytest.mark.parametrize(
    "change", [{"params": 5}, {"kinds": [1]}, {"skipped": [1, 2]}, {"metrics": {"a": 1}}, {"notes": 3}]
)
def test_metadata_of_the_wrong_shape_reads_as_absent(tmp_path: Path, change: dict[str, object]) -> None:
    path = save_snapshot(integer_id_sweep(), tmp_path / "runs.parquet")
    _rewrite_meta(path, change)
    sweep = load_source(str(path))
    assert len(sweep.runs) == 3
    assert sweep.runs["acc"].max() == 0.9


def test_metadata_nested_past_the_budget_is_damaged_not_a_crash(tmp_path: Path) -> None:
    path = save_snapshot(integer_id_sweep(), tmp_path / "runs.parquet")
    table = pq.read_table(path)
    deep = '{"version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    pq.write_table(table.replace_schema_metadata({SNAPSHOT_KEY: deep.encode()}), path)
    try:
        sweep = load_source(str(path))
    except SourceError as error:  # a clear message, never a RecursionError
        assert "damaged" in str(error) or "snapshot" in str(error)
    else:  # or the rows are read as a plain runs table
        assert sorted(sweep.runs["acc"]) == [0.5, 0.7, 0.9]
