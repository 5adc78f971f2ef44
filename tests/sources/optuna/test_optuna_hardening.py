"""Optuna storages that are odd but real: WAL-mode files, cells that hold no number, pipes."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import optuna
import pytest

from lib.sources import SourceError, load_source

optuna.logging.set_verbosity(optuna.logging.ERROR)


def written_study(path: Path, n_trials: int = 4) -> optuna.Study:
    study = optuna.create_study(
        study_name="s", storage=f"sqlite:///{path}", sampler=optuna.samplers.RandomSampler(0)
    )
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1) ** 2, n_trials=n_trials)
    return study


def test_a_wal_mode_storage_is_read_without_leaving_side_files(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    written_study(path)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wal.db"]  # the last close checkpointed
    before = path.read_bytes()
    sweep = load_source(f"sqlite:///{path}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wal.db"]  # no -shm, no -wal beside it
    assert path.read_bytes() == before
    assert len(sweep.runs) == 4 and sweep.runs["value"].notna().all()


def test_a_wal_storage_being_written_is_read_with_its_wal(tmp_path: Path) -> None:
    """Trials still in the -wal file (a study running now) are read, not silently missed."""
    path = tmp_path / "live.db"
    written_study(path, n_trials=2)
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE trial_values SET value = 0.123456 WHERE trial_id = 1")
    writer.commit()  # the change lives in live.db-wal until a checkpoint
    try:
        assert Path(f"{path}-wal").exists()
        sweep = load_source(f"sqlite:///{path}")
        assert 0.123456 in sweep.runs["value"].round(6).tolist()
    finally:
        writer.close()


def test_one_trial_value_stored_as_text_is_listed_and_the_rest_load(tmp_path: Path) -> None:
    path = tmp_path / "text.db"
    study = written_study(path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE trial_values SET value = 'not a number' WHERE trial_id = 2")
    sweep = load_source(f"sqlite:///{path}")
    assert len(sweep.runs) == 4
    values = sweep.runs["value"]
    expected = {f"trial-{t.number}": t.value for t in study.trials}
    assert values.isna().sum() == 1
    for run_id, value in values.dropna().items():
        assert value == pytest.approx(expected[str(run_id)])
    assert any("objective value in 1 trial" in item and "not a number" in why for item, why in sweep.skipped)


def test_a_storage_that_is_a_named_pipe_is_refused_unopened(tmp_path: Path) -> None:
    fifo = tmp_path / "study.db"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match="named pipe"):
        load_source(f"sqlite:///{fifo}")
