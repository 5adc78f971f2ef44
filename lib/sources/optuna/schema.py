"""Optuna's storage tables, as much of them as is read, and the check that this Optuna can read a storage.

Two layouts are read (checked against Optuna's alembic revisions and the `models.py` of 1.2 to 2.3):
- Optuna >= 2.4: directions in `study_directions`, objective values in `trial_values(objective, value)`,
  reports in `trial_intermediate_values(step, intermediate_value)`.
- Optuna < 2.4 (revisions v0.9.0.a, v1.2.0.a, v1.3.0.a): the direction on `studies.direction`, the one
  objective value on `trials.value`, reports in `trial_values(step, value)`; before 1.3 (v1.3.0.a) no
  `trials.number`, the number is the trial system attribute `_number`.
Old storages are read as they are: `optuna storage upgrade` would rewrite the user's file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.sources.errors import SourceError

# Tables of Optuna's schema (optuna/storages/_rdb/models.py).
_c = sa.column
STUDIES = sa.table("studies", _c("study_id"), _c("study_name"), _c("direction"))  # direction: < 2.4
STUDY_DIRECTIONS = sa.table("study_directions", _c("study_id"), _c("objective"), _c("direction"))
STUDY_USER_ATTRS = sa.table("study_user_attributes", _c("study_id"), _c("key"), _c("value_json"))
STUDY_SYSTEM_ATTRS = sa.table("study_system_attributes", _c("study_id"), _c("key"), _c("value_json"))
TRIALS = sa.table(
    "trials",
    _c("trial_id"),
    _c("number"),
    _c("study_id"),
    _c("state"),
    _c("datetime_start"),
    _c("datetime_complete"),
    _c("value"),  # the objective value before Optuna 2.4
)
TRIAL_PARAMS = sa.table(
    "trial_params",
    _c("param_id"),
    _c("trial_id"),
    _c("param_name"),
    _c("param_value"),
    _c("distribution_json"),
)
TRIAL_VALUES = sa.table("trial_values", _c("trial_id"), _c("objective"), _c("value"), _c("value_type"))
TRIAL_INTERMEDIATE = sa.table(
    "trial_intermediate_values",
    _c("trial_id"),
    _c("step"),
    _c("intermediate_value"),
    _c("intermediate_value_type"),
)
TRIAL_REPORTS_BEFORE_2_4 = sa.table("trial_values", _c("trial_id"), _c("step"), _c("value"))
TRIAL_USER_ATTRS = sa.table("trial_user_attributes", _c("trial_id"), _c("key"), _c("value_json"))
TRIAL_SYSTEM_ATTRS = sa.table("trial_system_attributes", _c("trial_id"), _c("key"), _c("value_json"))
VERSION_INFO = sa.table("version_info", _c("schema_version"), _c("library_version"))
ALEMBIC_VERSION = sa.table("alembic_version", _c("version_num"))
OPTUNA_TABLES = frozenset({"studies", "trials", "trial_params", "version_info"})  # in every schema
REQUIRED_TABLES = ("study_directions", "trial_values")  # of the layout of Optuna >= 2.4
NEW_IN_2_4 = ("study_directions", "trial_intermediate_values")


@dataclass(frozen=True)
class Schema:
    tables: frozenset[str]
    typed_values: bool  # values carry a FINITE/INF_POS/... type column (Optuna >= 3.0)
    before_2_4: bool = False  # the layout before Optuna 2.4 (see the module's docstring)
    numbered_trials: bool = True  # `trials.number` exists (Optuna >= 1.3)
    library_version: str | None = None  # the Optuna that last stamped the storage, as it says


def check_schema(connection: Connection, label: str) -> Schema:
    """Raise unless the database holds an Optuna schema this Optuna can read."""
    inspector = sa.inspect(connection)
    tables = frozenset(inspector.get_table_names())
    if not OPTUNA_TABLES.issubset(tables):
        found = ", ".join(sorted(tables)[:8]) or "no tables"
        raise SourceError(
            f"{label!r} is a database but not an Optuna storage (it has {found}). "
            "Give the storage URL the study was created with."
        )
    library = _check_not_newer(connection, tables, label)
    columns: dict[str, set[str]] = {
        t: _column_names(inspector, t) for t in ("studies", "trials", "trial_values") if t in tables
    }
    trial_numbers = "number" in columns["trials"]
    if "study_directions" in tables and "objective" in columns.get("trial_values", set()):
        typed = "value_type" in columns["trial_values"]
        return Schema(tables, typed_values=typed, numbered_trials=trial_numbers, library_version=library)
    if _is_before_2_4(connection, tables, columns):
        return Schema(
            tables,
            typed_values=False,
            before_2_4=True,
            numbered_trials=trial_numbers,
            library_version=library,
        )
    missing = [t for t in REQUIRED_TABLES if t not in tables] or ["trial_values.objective"]
    raise SourceError(
        f"{label!r} holds an incomplete Optuna schema (no {', '.join(missing)}): neither an old Optuna's "
        "layout nor a complete new one, as an interrupted `optuna storage upgrade` can leave it. "
        "Load a copy of the file from before the upgrade was tried."
    )


def _column_names(inspector: Any, table: str) -> set[str]:
    return {str(c["name"]) for c in inspector.get_columns(table)}


def _is_before_2_4(connection: Connection, tables: frozenset[str], columns: dict[str, set[str]]) -> bool:
    """The whole pre-2.4 layout is there: `studies.direction`, `trials.value`, `trial_values.step`.

    The tables Optuna 2.4 added may sit beside it, empty: a newer Optuna's `optuna storage upgrade`
    creates them before the data migration and leaves them so when that migration fails (Optuna 5.0
    on a 2.3 file: its current `intermediate_value_type NOT NULL` column refuses the copied reports).
    """
    old_columns = (
        "direction" in columns["studies"]
        and "value" in columns["trials"]
        and {"step", "value"} <= columns.get("trial_values", set())
        and "objective" not in columns.get("trial_values", set())
    )
    return old_columns and all(_is_empty(connection, t) for t in NEW_IN_2_4 if t in tables)


def _is_empty(connection: Connection, table: str) -> bool:
    return connection.execute(sa.select(sa.literal(1)).select_from(sa.table(table)).limit(1)).first() is None


@functools.cache
def _known_schema() -> tuple[int, frozenset[str]]:
    """The schema version and alembic revisions the installed Optuna knows."""
    from alembic.script import ScriptDirectory
    from optuna.storages._rdb import models  # Optuna states its schema version nowhere public

    script = ScriptDirectory(str(Path(models.__file__).with_name("alembic")))
    return models.SCHEMA_VERSION, frozenset(r.revision for r in script.walk_revisions())


def _check_not_newer(connection: Connection, tables: frozenset[str], label: str) -> str | None:
    """The Optuna library version the storage names; raise when its schema is newer than ours."""
    import optuna

    known_version, known_revisions = _known_schema()
    row = connection.execute(sa.select(VERSION_INFO.c.schema_version, VERSION_INFO.c.library_version))
    version, library = row.first() or (None, None)
    revisions: list[str] = []
    if "alembic_version" in tables:
        revisions = [str(r) for r in connection.execute(sa.select(ALEMBIC_VERSION.c.version_num)).scalars()]
    unknown = [r for r in revisions if r not in known_revisions]
    if _schema_number(version) > known_version or unknown:
        raise SourceError(
            f"{label!r} was written by a newer Optuna (library {library or 'unknown'}, schema "
            f"{version}{', revision ' + ', '.join(unknown) if unknown else ''}) than the Optuna "
            f"{optuna.__version__} Sweepscope uses. Upgrade Optuna where Sweepscope runs "
            "(pip install -U optuna) and load it again."
        )
    return str(library) if library else None


def _schema_number(version: Any) -> int:
    try:
        return int(version)
    except (TypeError, ValueError):
        return -1
