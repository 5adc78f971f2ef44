"""Optuna's storage tables, as much of them as is read, and the check that this Optuna can read a storage."""

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
STUDIES = sa.table("studies", _c("study_id"), _c("study_name"))
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
TRIAL_USER_ATTRS = sa.table("trial_user_attributes", _c("trial_id"), _c("key"), _c("value_json"))
VERSION_INFO = sa.table("version_info", _c("schema_version"), _c("library_version"))
ALEMBIC_VERSION = sa.table("alembic_version", _c("version_num"))
OPTUNA_TABLES = frozenset({"studies", "trials", "trial_params", "version_info"})  # in every schema
REQUIRED_TABLES = ("study_directions", "trial_values")  # added by Optuna 2.4


@dataclass(frozen=True)
class Schema:
    tables: frozenset[str]
    typed_values: bool  # values carry a FINITE/INF_POS/... type column (Optuna >= 3.0)


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
    _check_not_newer(connection, tables, label)
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        raise SourceError(
            f"{label!r} was written by an old Optuna (no {', '.join(missing)} table). Upgrade a copy with "
            "`optuna storage upgrade --storage sqlite:///copy.db` and load the copy."
        )
    typed = "value_type" in {c["name"] for c in inspector.get_columns("trial_values")}
    return Schema(tables=tables, typed_values=typed)


@functools.cache
def _known_schema() -> tuple[int, frozenset[str]]:
    """The schema version and alembic revisions the installed Optuna knows."""
    from alembic.script import ScriptDirectory
    from optuna.storages._rdb import models  # Optuna states its schema version nowhere public

    script = ScriptDirectory(str(Path(models.__file__).with_name("alembic")))
    return models.SCHEMA_VERSION, frozenset(r.revision for r in script.walk_revisions())


def _check_not_newer(connection: Connection, tables: frozenset[str], label: str) -> None:
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


def _schema_number(version: Any) -> int:
    try:
        return int(version)
    except (TypeError, ValueError):
        return -1
