"""The Optuna entry points: list a storage's studies, load one study as a Sweep, from a URL or an upload."""

from __future__ import annotations

from lib.sources.errors import SourceError
from lib.sources.optuna.build import study_sweep
from lib.sources.optuna.schema import Schema, check_schema
from lib.sources.optuna.storage import Storage, open_storage, reading, split_study_spec, uploaded_storage
from lib.sources.optuna.studies import StudyInfo, choose_study, read_studies, study_infos
from lib.sources.optuna.trials import attach_trial_data, read_trials
from lib.sweep import Sweep


def list_studies(url: str) -> list[StudyInfo]:
    """Every study in the storage at `url` (a `#study` suffix is ignored), oldest first."""
    return _list_from(open_storage(split_study_spec(url)[0]))


def load_optuna_study(url: str, study_name: str | None = None) -> Sweep:
    """The trials of one study as a sweep.

    `study_name` may be None when the storage holds one study, or when `url` ends in `#study_name`;
    with several studies and no name, `SourceError` lists them.
    """
    if study_name is None:
        url, study_name = split_study_spec(url)
    return _load_from(open_storage(url), study_name)


def list_studies_in_bytes(data: bytes, name: str) -> list[StudyInfo]:
    """Every study in an uploaded SQLite storage."""
    with uploaded_storage(data, name) as storage:
        return _list_from(storage)


def load_optuna_bytes(data: bytes, name: str, study_name: str | None = None) -> Sweep:
    """One study of an uploaded SQLite storage, read from a private temporary copy deleted after."""
    with uploaded_storage(data, name) as storage:
        return _load_from(storage, study_name)


def _list_from(storage: Storage) -> list[StudyInfo]:
    with reading(storage) as connection:
        schema = check_schema(connection, storage.label)
        return study_infos(connection, read_studies(connection, schema))


def _load_from(storage: Storage, study_name: str | None) -> Sweep:
    with reading(storage) as connection:
        schema = check_schema(connection, storage.label)
        study = choose_study(read_studies(connection, schema), study_name, storage.label)
        trials = read_trials(connection, study.study_id, schema)
        if not trials:
            raise SourceError(
                f"Study {study.name!r} in {storage.label!r} has no trials yet. "
                "Run some trials, or pick another study."
            )
        params = attach_trial_data(connection, study.study_id, trials, schema)
    sweep = study_sweep(study, list(trials.values()), params, storage.label)
    if schema.before_2_4:
        sweep = sweep.replace(notes=[*sweep.notes, _old_schema_note(storage.label, schema)])
    return sweep


def _old_schema_note(label: str, schema: Schema) -> str:
    written_by = f"Optuna {schema.library_version}" if schema.library_version else "an Optuna older than 2.4"
    return (
        f"{label} was written by {written_by}, in the schema before Optuna 2.4: read as it is "
        "(nothing upgraded or written)."
    )
