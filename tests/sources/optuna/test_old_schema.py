"""Storages written by an old Optuna (1.2.0 and 2.3.0, the schema before 2.4), read without writing.

The oracle is the old Optuna itself: tests/fixtures/optuna_old/make_old_study.py wrote each .db with
that Optuna and, beside it, the .json of what it read back (`study.trials`). The twin of each study
is written by the installed Optuna into a new storage, so the two Sweeps must be the same.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import sqlite3
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest
import sqlalchemy as sa

from lib.columns import Direction, Kind
from lib.histories import InMemory
from lib.sources.errors import SourceError
from lib.sources.optuna import (
    LAST_INTERMEDIATE_STEP,
    LAST_INTERMEDIATE_VALUE,
    list_studies,
    load_optuna_bytes,
    load_optuna_study,
)
from lib.sources.optuna.build import OPTUNA_STEP_KEY
from lib.sweep import FAILED, FINISHED, PRUNED, RUN_CREATED, RUN_RUNTIME, RUN_STATE, RUNNING, Sweep

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "optuna_old"
VERSIONS = ("1.2.0", "2.3.0")
STUDY, SECOND_STUDY = "old-schema", "old-schema-minimize"
STATES = {"COMPLETE": FINISHED, "PRUNED": PRUNED, "FAIL": FAILED, "RUNNING": RUNNING, "WAITING": RUNNING}
DIRECTIONS = {"MAXIMIZE": Direction.MAXIMIZE, "MINIMIZE": Direction.MINIMIZE}

optuna.logging.set_verbosity(optuna.logging.ERROR)
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")


def file_state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def url_of(path: Path, study: str | None = None) -> str:
    return f"sqlite:///{path}" + (f"#{study}" if study else "")


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def oracle(version: str) -> dict[str, Any]:
    """What the old Optuna read back from the file it wrote, by study name."""
    recorded = json.loads((FIXTURES / f"optuna_{version}.json").read_text())
    assert recorded["optuna_version"] == version
    return {s["name"]: s for s in recorded["studies"]}


@pytest.fixture
def old_db(version: str, tmp_path: Path) -> Path:
    """A copy of the old storage (bytes and mtime kept) alone in its folder."""
    folder = tmp_path / "old"
    folder.mkdir()
    copy = folder / f"optuna_{version}.db"
    shutil.copy2(FIXTURES / copy.name, copy)
    return copy


def schema_of(path: Path) -> tuple[set[str], set[str], str]:
    """The tables, the trials' columns and the alembic revision, read straight from the file."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        columns = {r[1] for r in connection.execute("PRAGMA table_info(trials)")}
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return tables, columns, revision


def test_the_fixtures_are_the_old_schemas(version: str) -> None:
    tables, trial_columns, revision = schema_of(FIXTURES / f"optuna_{version}.db")
    assert "study_directions" not in tables and "trial_intermediate_values" not in tables
    assert "value" in trial_columns
    assert revision == {"1.2.0": "v1.2.0.a", "2.3.0": "v1.3.0.a"}[version]
    assert ("number" in trial_columns) == (version != "1.2.0")  # 1.2 kept it as the `_number` attribute


def test_lists_the_studies_old_optuna_wrote(old_db: Path, oracle: dict[str, Any]) -> None:
    infos = {info.name: info for info in list_studies(url_of(old_db))}
    assert set(infos) == set(oracle)
    for name, study in oracle.items():
        info = infos[name]
        assert info.n_trials == len(study["trials"])
        assert info.directions == (DIRECTIONS[study["direction"]],)
        assert info.objectives == ("value",)
        expected_states: dict[str, int] = {}
        for trial in study["trials"]:
            expected_states[STATES[trial["state"]]] = expected_states.get(STATES[trial["state"]], 0) + 1
        assert dict(info.state_counts) == expected_states
        starts = [datetime.fromisoformat(t["datetime_start"]) for t in study["trials"]]
        assert (info.first_trial_at, info.last_trial_at) == (min(starts), max(starts))


@pytest.mark.parametrize("study_name", [STUDY, SECOND_STUDY])
def test_trials_are_what_old_optuna_read(old_db: Path, oracle: dict[str, Any], study_name: str) -> None:
    sweep = load_optuna_study(url_of(old_db, study_name))
    trials = oracle[study_name]["trials"]
    runs = sweep.runs
    assert list(runs.index) == [f"trial-{t['number']}" for t in trials]
    for trial in trials:
        row = runs.loc[f"trial-{trial['number']}"].to_dict()
        assert row[RUN_STATE] == STATES[trial["state"]]
        if trial["value"] is None:
            assert math.isnan(row["value"])
        else:
            assert row["value"] == trial["value"]
        for name, value in trial["params"].items():
            assert row[name] == value, name
        for key, value in trial["user_attrs"].items():
            assert row[f"user_attrs.{key}"] == value
        start, complete = (datetime.fromisoformat(trial[k]) for k in ("datetime_start", "datetime_complete"))
        assert row[RUN_CREATED] == pd.Timestamp(start)
        assert row[RUN_RUNTIME] == pytest.approx((complete - start).total_seconds())


def test_reports_are_the_last_value_and_the_history(old_db: Path, oracle: dict[str, Any]) -> None:
    sweep = load_optuna_study(url_of(old_db, STUDY))
    trials = oracle[STUDY]["trials"]
    expected_rows = []
    for trial in trials:
        reports = {int(step): v for step, v in trial["intermediate_values"].items()}
        row = sweep.runs.loc[f"trial-{trial['number']}"]
        last = max(reports)
        assert (row[LAST_INTERMEDIATE_STEP], row[LAST_INTERMEDIATE_VALUE]) == (last, reports[last])
        expected_rows += [(f"trial-{trial['number']}", float(s), v) for s, v in sorted(reports.items())]
    assert any(t["state"] == "PRUNED" and len(t["intermediate_values"]) < 5 for t in trials)
    assert isinstance(sweep.history, InMemory)
    assert sweep.history.step_key == OPTUNA_STEP_KEY
    expected = pd.DataFrame(expected_rows, columns=["run_id", "step", "value"])
    for metric in ("value", LAST_INTERMEDIATE_VALUE):
        pd.testing.assert_frame_equal(sweep.history.frames[metric], expected, check_dtype=False)


def test_directions_search_space_and_kinds(old_db: Path, oracle: dict[str, Any]) -> None:
    sweep = load_optuna_study(url_of(old_db, STUDY))
    assert sweep.metrics == ["value", LAST_INTERMEDIATE_VALUE]
    assert sweep.default_metric == "value"
    assert sweep.directions == {"value": Direction.MAXIMIZE, LAST_INTERMEDIATE_VALUE: Direction.MAXIMIZE}
    assert sweep.kinds["lr"] == Kind.LOG
    assert sweep.kinds["layers"] == Kind.INTEGER
    assert sweep.kinds["optimizer"] == Kind.CATEGORICAL
    config = sweep.sweep_configs[STUDY]
    distributions = oracle[STUDY]["trials"][-1]["distributions"]
    assert set(config["parameters"]) == set(sweep.params) == set(distributions)
    for name, stored in distributions.items():
        assert config["parameters"][name]["optuna"] == json.loads(stored)
    assert config["parameters"]["optimizer"]["values"] == ["adam", "sgd", "rmsprop"]
    assert config["user_attrs"] == oracle[STUDY]["user_attrs"]
    assert any("written by Optuna" in note and "nothing upgraded" in note for note in sweep.notes)
    second = load_optuna_study(url_of(old_db, SECOND_STUDY))
    assert second.directions == {"value": Direction.MINIMIZE}
    assert second.history is None  # it reported nothing


def test_loading_never_writes(old_db: Path, version: str) -> None:
    committed = FIXTURES / old_db.name
    before, committed_before = file_state(old_db), file_state(committed)
    list_studies(url_of(old_db))
    for study in (STUDY, SECOND_STUDY):
        load_optuna_study(url_of(old_db, study))
        load_optuna_study(url_of(committed, study))
    assert file_state(old_db) == before
    assert file_state(committed) == committed_before
    assert [p.name for p in old_db.parent.iterdir()] == [old_db.name]  # no -journal, -wal or -shm


def twin_in_new_schema(study: dict[str, Any], path: Path) -> None:
    """The trials old Optuna read, written by the installed Optuna into a storage of today's schema."""
    new = optuna.create_study(
        study_name=study["name"], storage=url_of(path), direction=study["direction"].lower()
    )
    for key, value in study["user_attrs"].items():
        new.set_user_attr(key, value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the old distribution classes are deprecated
        for trial in study["trials"]:
            new.add_trial(
                optuna.trial.FrozenTrial(
                    number=trial["number"],
                    state=optuna.trial.TrialState[trial["state"]],
                    value=trial["value"],
                    datetime_start=datetime.fromisoformat(trial["datetime_start"]),
                    datetime_complete=datetime.fromisoformat(trial["datetime_complete"]),
                    params=trial["params"],
                    distributions={
                        n: optuna.distributions.json_to_distribution(d)
                        for n, d in trial["distributions"].items()
                    },
                    user_attrs=trial["user_attrs"],
                    system_attrs={},
                    intermediate_values={int(s): v for s, v in trial["intermediate_values"].items()},
                    trial_id=0,
                )
            )


def without_stored_json(configs: dict[str, Any]) -> dict[str, Any]:
    """The configs without each parameter's distribution JSON as stored (Optuna 1.2 wrote ints without
    a step, today's Optuna writes `step: 1`; the stored one is checked against the oracle above)."""
    return {
        name: {
            **config,
            "parameters": {
                p: {k: v for k, v in spec.items() if k != "optuna"}
                for p, spec in config["parameters"].items()
            },
        }
        for name, config in configs.items()
    }


def assert_same_sweep(old: Sweep, new: Sweep) -> None:
    """Equal but for the order of the parameters (the twin's come in the JSON's sorted order)."""
    assert set(old.runs.columns) == set(new.runs.columns)
    pd.testing.assert_frame_equal(old.runs, new.runs[old.runs.columns])
    assert sorted(old.params) == sorted(new.params)
    assert (old.metrics, old.default_metric) == (new.metrics, new.default_metric)
    assert (old.kinds, old.directions, old.skipped) == (new.kinds, new.directions, new.skipped)
    assert without_stored_json(old.sweep_configs) == without_stored_json(new.sweep_configs)
    assert type(old.history) is type(new.history)
    if isinstance(old.history, InMemory) and isinstance(new.history, InMemory):
        assert old.history.step_key == new.history.step_key
        assert old.history.frames.keys() == new.history.frames.keys()
        for metric, frame in old.history.frames.items():
            pd.testing.assert_frame_equal(frame, new.history.frames[metric])


@pytest.mark.parametrize("study_name", [STUDY, SECOND_STUDY])
def test_same_sweep_as_todays_schema(
    old_db: Path, oracle: dict[str, Any], study_name: str, tmp_path: Path
) -> None:
    twin = tmp_path / "twin.db"
    twin_in_new_schema(oracle[study_name], twin)
    assert "study_directions" in schema_of(twin)[0]
    old, new = load_optuna_study(url_of(old_db, study_name)), load_optuna_study(url_of(twin))
    assert_same_sweep(old, new)
    old_only = [n for n in old.notes if n not in new.notes]
    assert len(old_only) == 1 and "before Optuna 2.4" in old_only[0]


def test_an_upload_reads_the_same(old_db: Path) -> None:
    uploaded = load_optuna_bytes(old_db.read_bytes(), old_db.name, STUDY)
    pd.testing.assert_frame_equal(uploaded.runs, load_optuna_study(url_of(old_db, STUDY)).runs)


def try_todays_upgrade(path: Path) -> None:
    """`optuna storage upgrade` of the installed Optuna; it may fail half-way on these files."""
    with contextlib.suppress(sa.exc.SQLAlchemyError):  # Optuna 5.0's 2.4 migration trips over its own tables
        optuna.storages.RDBStorage(url_of(path), skip_compatibility_check=True).upgrade()


def test_a_copy_after_todays_upgrade_reads_the_same(old_db: Path, tmp_path: Path) -> None:
    upgraded = tmp_path / "upgraded.db"
    shutil.copy2(old_db, upgraded)
    try_todays_upgrade(upgraded)
    assert "study_directions" in schema_of(upgraded)[0]
    assert_same_sweep(load_optuna_study(url_of(old_db, STUDY)), load_optuna_study(url_of(upgraded, STUDY)))


def test_a_half_migrated_copy_is_refused(old_db: Path) -> None:
    with sqlite3.connect(
        old_db
    ) as connection:  # as if Optuna 2.4's migration had stopped after the directions
        connection.execute(
            "CREATE TABLE study_directions (study_direction_id INTEGER PRIMARY KEY, direction VARCHAR(8), "
            "study_id INTEGER, objective INTEGER)"
        )
        connection.execute(
            "INSERT INTO study_directions (direction, study_id, objective) VALUES ('MAXIMIZE', 1, 0)"
        )
    with pytest.raises(SourceError, match=r"incomplete Optuna schema.*from before the upgrade"):
        load_optuna_study(url_of(old_db, STUDY))


def test_an_old_file_stamped_by_a_newer_optuna_is_still_refused(old_db: Path) -> None:
    with sqlite3.connect(old_db) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'v9.0.0.a'")
    with pytest.raises(SourceError, match=r"newer Optuna.*v9.0.0.a.*pip install -U optuna"):
        list_studies(url_of(old_db))


def test_numbers_before_optuna_1_3_come_from_the_number_attribute(tmp_path: Path) -> None:
    path = tmp_path / "renumbered.db"
    shutil.copy2(FIXTURES / "optuna_1.2.0.db", path)
    with sqlite3.connect(path) as connection:  # swap the numbers of the first study's first two trials
        connection.execute(
            "UPDATE trial_system_attributes SET value_json = CASE value_json WHEN '0' THEN '1' ELSE '0' END "
            "WHERE key = '_number' AND trial_id IN (1, 2)"
        )
    before = load_optuna_study(url_of(FIXTURES / "optuna_1.2.0.db", STUDY)).runs
    after = load_optuna_study(url_of(path, STUDY)).runs
    assert list(after.index)[:2] == ["trial-0", "trial-1"]
    assert after["value"].tolist()[:2] == before["value"].tolist()[1::-1]
    pd.testing.assert_series_equal(after["value"].iloc[2:], before["value"].iloc[2:])
