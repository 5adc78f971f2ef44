"""Optuna studies as sweeps, read from the storage's tables with SELECT statements only.

A spec is any SQLAlchemy URL Optuna accepts (`sqlite:///relative/study.db`, `sqlite:////abs/study.db`,
`postgresql://user:pass@host/db`, `mysql+pymysql://...`), optionally followed by `#study_name` to
choose one of the storage's studies (percent-encode a `#` or `%` in the name or a password). An uploaded
SQLite file goes through `load_optuna_bytes`.

Optuna's own `RDBStorage` creates missing tables and stamps version rows when it opens a storage,
so it is not used: SQLite files are opened read-only (`mode=ro`, never created), server databases
only see SELECTs, and parameter values are decoded with Optuna's JSON distributions.

Mapping: one run per trial, id `trial-<number>`; COMPLETE -> finished, PRUNED -> pruned, FAIL ->
failed, RUNNING and WAITING (enqueued, not started) -> running. Objectives are metrics named by
`study.metric_names`, else `value` (one objective) or `value_0`, `value_1`, ...; the last value a
trial reported with `trial.report` is the metric `last_intermediate_value`, so pruned trials have an
outcome (Optuna itself stores a pruned trial's last report as its value, and that is kept). A
categorical's `None` choice is the text "None", unlike a parameter the trial never sampled. Trial
user attributes are extra columns `user_attrs.<key>`; system attributes are left out.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from lib.columns import NUMERIC_KINDS, Direction, Kind, flatten
from lib.sources.errors import SourceError
from lib.sources.optuna.sqlite_url import is_sqlite, parse_storage_url, sqlite_file
from lib.sweep import (
    FAILED,
    FINISHED,
    PRUNED,
    RUN_CREATED,
    RUN_NAME,
    RUN_RUNTIME,
    RUN_STATE,
    RUN_SWEEP,
    RUNNING,
    UNKNOWN,
    Sweep,
    finish_sweep,
)
from lib.sweep_config import metric_entry

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution

__all__ = [
    "LAST_INTERMEDIATE_STEP",
    "LAST_INTERMEDIATE_VALUE",
    "STORAGE_URL_SCHEMES",
    "StudyInfo",
    "is_storage_url",
    "list_studies",
    "list_studies_in_bytes",
    "load_optuna_bytes",
    "load_optuna_study",
    "split_study_spec",
]

STORAGE_URL_SCHEMES = frozenset({"sqlite", "postgresql", "mysql", "mariadb", "oracle", "mssql"})
LAST_INTERMEDIATE_VALUE = "last_intermediate_value"
LAST_INTERMEDIATE_STEP = "last_intermediate_step"
USER_ATTRS_PREFIX = "user_attrs."
CONNECT_TIMEOUT_SECONDS = 10
SQLITE_BUSY_TIMEOUT_SECONDS = 5.0
SQLITE_HEADER = b"SQLite format 3\x00"
METRIC_NAMES_ATTR = "study:metric_names"  # where `study.set_metric_names` keeps the names

STATES = {"COMPLETE": FINISHED, "PRUNED": PRUNED, "FAIL": FAILED, "RUNNING": RUNNING, "WAITING": RUNNING}
DIRECTIONS = {"MINIMIZE": Direction.MINIMIZE, "MAXIMIZE": Direction.MAXIMIZE}
INFINITIES = {"INF_POS": float("inf"), "INF_NEG": float("-inf"), "NAN": float("nan")}

# Tables of Optuna's schema (optuna/storages/_rdb/models.py), as much of them as is read.
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
class StudyInfo:
    """One study of a storage, as the load page lists it."""

    name: str
    n_trials: int
    directions: tuple[Direction | None, ...]  # per objective; None when the study never set it
    metric_names: tuple[str, ...] | None  # from `study.set_metric_names`, else None
    objectives: tuple[str, ...]  # the metric columns the objectives load as
    state_counts: Mapping[str, int]  # normalised run state -> number of trials
    first_trial_at: datetime | None
    last_trial_at: datetime | None

    @property
    def is_multi_objective(self) -> bool:
        return len(self.directions) > 1

    @property
    def label(self) -> str:
        states = ", ".join(f"{n} {state}" for state, n in sorted(self.state_counts.items()))
        goals = ", ".join(
            f"{name} ({d.value if d else 'direction not set'})"
            for name, d in zip(self.objectives, self.directions, strict=False)
        )
        return f"{self.name}: {self.n_trials} trials ({states or 'none'}); {goals}"


@dataclass(frozen=True)
class _Storage:
    engine: Engine
    label: str  # how messages name the storage: a file name or a URL without its password


@dataclass(frozen=True)
class _Study:
    study_id: int
    name: str
    directions: tuple[Direction | None, ...]
    metric_names: tuple[str, ...] | None
    user_attrs: dict[str, Any]

    @property
    def objectives(self) -> tuple[str, ...]:
        return objective_names(len(self.directions), self.metric_names)


@dataclass
class _Trial:
    number: int
    state: str
    start: datetime | None
    complete: datetime | None
    params: dict[str, Any] = field(default_factory=dict)
    values: dict[int, float] = field(default_factory=dict)
    last_step: int | None = None
    last_intermediate: float | None = None
    user_attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Schema:
    tables: frozenset[str]
    typed_values: bool  # values carry a FINITE/INF_POS/... type column (Optuna >= 3.0)


@dataclass
class _Params:
    """What decoding the parameter rows learned besides the values."""

    latest: dict[str, str] = field(default_factory=dict)  # distribution JSON of the latest trial, per name
    log_scaled: set[str] = field(default_factory=set)
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)  # (param, reason) -> trials


# ---------------------------------------------------------------- public API


def is_storage_url(text: str) -> bool:
    """True for a SQLAlchemy database URL (`sqlite:///...`, `postgresql+psycopg2://...`)."""
    scheme, sep, _ = text.strip().partition("://")
    return bool(sep) and scheme.split("+")[0].lower() in STORAGE_URL_SCHEMES


def split_study_spec(spec: str) -> tuple[str, str | None]:
    """`sqlite:///s.db#my%20study` -> (`sqlite:///s.db`, `my study`); no `#` -> (spec, None)."""
    url, sep, name = spec.strip().partition("#")
    return (url, unquote(name) or None) if sep else (url, None)


def list_studies(url: str) -> list[StudyInfo]:
    """Every study in the storage at `url` (a `#study` suffix is ignored), oldest first."""
    return _list_from(_open_storage(split_study_spec(url)[0]))


def load_optuna_study(url: str, study_name: str | None = None) -> Sweep:
    """The trials of one study as a sweep.

    `study_name` may be None when the storage holds one study, or when `url` ends in `#study_name`;
    with several studies and no name, `SourceError` lists them.
    """
    if study_name is None:
        url, study_name = split_study_spec(url)
    return _load_from(_open_storage(url), study_name)


def list_studies_in_bytes(data: bytes, name: str) -> list[StudyInfo]:
    """Every study in an uploaded SQLite storage."""
    with _uploaded_storage(data, name) as storage:
        return _list_from(storage)


def load_optuna_bytes(data: bytes, name: str, study_name: str | None = None) -> Sweep:
    """One study of an uploaded SQLite storage, read from a private temporary copy deleted after."""
    with _uploaded_storage(data, name) as storage:
        return _load_from(storage, study_name)


def objective_names(n_objectives: int, metric_names: Sequence[str] | None) -> tuple[str, ...]:
    if metric_names is not None and len(metric_names) == n_objectives:
        return tuple(metric_names)
    if n_objectives == 1:
        return ("value",)
    return tuple(f"value_{i}" for i in range(n_objectives))


# ---------------------------------------------------------------- opening a storage, read-only


def _open_storage(url_text: str) -> _Storage:
    url = parse_storage_url(url_text)
    if is_sqlite(url):
        path = sqlite_file(url)
        _check_sqlite_file(path)
        return _sqlite_storage(path, label=str(path))
    label = url.render_as_string(hide_password=True)
    try:
        engine = sa.create_engine(url, connect_args=_timeout_args(url), poolclass=NullPool)
    except ImportError as error:
        raise SourceError(
            f"Reading {label} needs the Python driver for {url.drivername!r}, which is not installed "
            f"({error}). Install it where Sweepscope runs, or export the study to SQLite."
        ) from error
    except (sa_exc.NoSuchModuleError, sa_exc.ArgumentError) as error:
        raise SourceError(f"{label!r} is not a database URL Sweepscope can open: {error}") from error
    return _Storage(engine, label)


def _check_sqlite_file(path: Path) -> None:
    """The file exists and starts like a SQLite database; checked before SQLite sees it."""
    if not path.exists():
        raise SourceError(
            f"No file at {str(path)!r} (nothing was created). Check the path: sqlite:///name.db is "
            "relative to the folder Sweepscope runs in, sqlite:////abs/name.db is absolute."
        )
    if path.is_dir():
        raise SourceError(f"{str(path)!r} is a folder. Give the SQLite file Optuna wrote the study to.")
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError as error:
        raise SourceError(
            f"Cannot read {str(path)!r}: {error.strerror or error}. "
            "Check that the user running Sweepscope may read the file."
        ) from error
    _check_sqlite_header(head, path.name)


def _check_sqlite_header(head: bytes, name: str) -> None:
    if not head:
        raise SourceError(f"{name!r} is empty. Give the SQLite file Optuna wrote the study to.")
    if not head.startswith(SQLITE_HEADER):
        raise SourceError(
            f"{name!r} is not a SQLite database. Give the .db file of an Optuna storage "
            "(the file in storage='sqlite:///...')."
        )


def _sqlite_storage(path: Path, label: str) -> _Storage:
    uri = f"{path.resolve().as_uri()}?mode=ro"  # read-only, and never creates a file

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)

    return _Storage(sa.create_engine("sqlite://", creator=connect, poolclass=NullPool), label)


def _timeout_args(url: URL) -> dict[str, Any]:
    """Bound the time spent connecting to a server that does not answer."""
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "postgresql" and driver == "pg8000":
        return {"timeout": CONNECT_TIMEOUT_SECONDS}
    if backend in {"postgresql", "mysql", "mariadb"}:
        return {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    if backend == "mssql":
        return {"timeout": CONNECT_TIMEOUT_SECONDS}
    return {}


@contextmanager
def _uploaded_storage(data: bytes, name: str) -> Iterator[_Storage]:
    _check_sqlite_header(data[: len(SQLITE_HEADER)], name)
    with tempfile.TemporaryDirectory(prefix="sweepscope-optuna-") as tmp:
        path = Path(tmp) / "study.db"
        path.write_bytes(data)
        path.chmod(0o600)
        yield _sqlite_storage(path, label=name)


@contextmanager
def _reading(storage: _Storage) -> Iterator[Connection]:
    """A connection whose database errors become `SourceError`s naming the storage."""
    try:
        with storage.engine.connect() as connection:
            yield connection
    except sa_exc.DBAPIError as error:
        raise SourceError(_database_error_message(storage.label, error)) from error
    except sa_exc.SQLAlchemyError as error:
        raise SourceError(f"Could not read {storage.label!r}: {error}") from error
    finally:
        storage.engine.dispose()


def _database_error_message(label: str, error: sa_exc.DBAPIError) -> str:
    reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)
    if "not a database" in reason or "malformed" in reason:
        return f"{label!r} is damaged or not a SQLite database ({reason}). Give an intact copy of the file."
    if "unable to open" in reason:
        return f"Cannot open {label!r} ({reason}). Check that the user running Sweepscope may read it."
    if error.connection_invalidated or isinstance(error, sa_exc.OperationalError):
        return (
            f"Could not read {label!r}: {reason}. Check the host, port, database name, user and password, "
            "and that the server accepts connections from this machine."
        )
    return f"Could not read {label!r}: {reason}"


# ---------------------------------------------------------------- schema checks


@functools.cache
def _known_schema() -> tuple[int, frozenset[str]]:
    """The schema version and alembic revisions the installed Optuna knows."""
    from alembic.script import ScriptDirectory
    from optuna.storages._rdb import models  # Optuna states its schema version nowhere public

    script = ScriptDirectory(str(Path(models.__file__).with_name("alembic")))
    return models.SCHEMA_VERSION, frozenset(r.revision for r in script.walk_revisions())


def _check_schema(connection: Connection, label: str) -> _Schema:
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
    return _Schema(tables=tables, typed_values=typed)


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


# ---------------------------------------------------------------- reading studies


def _list_from(storage: _Storage) -> list[StudyInfo]:
    with _reading(storage) as connection:
        schema = _check_schema(connection, storage.label)
        studies = _read_studies(connection, schema)
        counts = _trial_counts(connection)
        spans = _trial_spans(connection)
    return [_study_info(s, counts.get(s.study_id, {}), spans.get(s.study_id, (None, None))) for s in studies]


def _study_info(
    study: _Study, counts: Mapping[str, int], span: tuple[datetime | None, datetime | None]
) -> StudyInfo:
    return StudyInfo(
        name=study.name,
        n_trials=sum(counts.values()),
        directions=study.directions,
        metric_names=study.metric_names,
        objectives=study.objectives,
        state_counts=dict(counts),
        first_trial_at=span[0],
        last_trial_at=span[1],
    )


def _load_from(storage: _Storage, study_name: str | None) -> Sweep:
    with _reading(storage) as connection:
        schema = _check_schema(connection, storage.label)
        study = _choose_study(_read_studies(connection, schema), study_name, storage.label)
        trials = _read_trials(connection, study.study_id)
        if not trials:
            raise SourceError(
                f"Study {study.name!r} in {storage.label!r} has no trials yet. "
                "Run some trials, or pick another study."
            )
        params = _attach_params(connection, study.study_id, trials)
        _attach_values(connection, study.study_id, trials, schema)
        _attach_intermediate_values(connection, study.study_id, trials, schema)
        _attach_user_attrs(connection, study.study_id, trials, schema)
    return _study_sweep(study, list(trials.values()), params, storage.label)


def _choose_study(studies: list[_Study], name: str | None, label: str) -> _Study:
    if not studies:
        raise SourceError(f"{label!r} is an Optuna storage with no studies in it. Check the URL.")
    names = ", ".join(repr(s.name) for s in studies)
    if name is None:
        if len(studies) == 1:
            return studies[0]
        raise SourceError(
            f"{label!r} holds {len(studies)} studies: {names}. Choose one, "
            "e.g. by adding #study_name to the URL."
        )
    for study in studies:
        if study.name == name:
            return study
    raise SourceError(f"No study named {name!r} in {label!r}; it holds {names}.")


def _read_studies(connection: Connection, schema: _Schema) -> list[_Study]:
    rows = connection.execute(
        sa.select(STUDIES.c.study_id, STUDIES.c.study_name).order_by(STUDIES.c.study_id)
    )
    studies = {int(study_id): str(name) for study_id, name in rows}
    directions: dict[int, dict[int, Direction | None]] = {i: {} for i in studies}
    for study_id, objective, direction in connection.execute(sa.select(STUDY_DIRECTIONS)):
        if study_id in directions:
            directions[study_id][int(objective)] = DIRECTIONS.get(str(direction).upper())
    system = _study_attrs(connection, schema, STUDY_SYSTEM_ATTRS, key=METRIC_NAMES_ATTR)
    user = _study_attrs(connection, schema, STUDY_USER_ATTRS)
    return [
        _Study(
            study_id=study_id,
            name=name,
            directions=tuple(d for _, d in sorted(directions[study_id].items())) or (None,),
            metric_names=_metric_names(system.get(study_id, {}).get(METRIC_NAMES_ATTR)),
            user_attrs=user.get(study_id, {}),
        )
        for study_id, name in studies.items()
    ]


def _study_attrs(
    connection: Connection, schema: _Schema, attrs: sa.TableClause, key: str | None = None
) -> dict[int, dict[str, Any]]:
    if attrs.name not in schema.tables:
        return {}
    query = sa.select(attrs.c.study_id, attrs.c.key, attrs.c.value_json)
    if key is not None:
        query = query.where(attrs.c.key == key)
    found: dict[int, dict[str, Any]] = {}
    for study_id, name, value_json in connection.execute(query):
        found.setdefault(int(study_id), {})[str(name)] = _json_value(value_json)
    return found


def _metric_names(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _trial_counts(connection: Connection) -> dict[int, dict[str, int]]:
    query = sa.select(TRIALS.c.study_id, TRIALS.c.state, sa.func.count()).group_by(
        TRIALS.c.study_id, TRIALS.c.state
    )
    counts: dict[int, Counter[str]] = {}
    for study_id, state, n in connection.execute(query):
        counts.setdefault(int(study_id), Counter())[_run_state(state)] += int(n)
    return {k: dict(v) for k, v in counts.items()}


def _trial_spans(connection: Connection) -> dict[int, tuple[datetime | None, datetime | None]]:
    start = TRIALS.c.datetime_start
    query = sa.select(TRIALS.c.study_id, sa.func.min(start), sa.func.max(start)).group_by(TRIALS.c.study_id)
    return {int(s): (_as_datetime(first), _as_datetime(last)) for s, first, last in connection.execute(query)}


def _read_trials(connection: Connection, study_id: int) -> dict[int, _Trial]:
    query = (
        sa.select(
            TRIALS.c.trial_id,
            TRIALS.c.number,
            TRIALS.c.state,
            TRIALS.c.datetime_start,
            TRIALS.c.datetime_complete,
        )
        .where(TRIALS.c.study_id == study_id)
        .order_by(TRIALS.c.number, TRIALS.c.trial_id)
    )
    trials: dict[int, _Trial] = {}
    for position, (trial_id, number, state, start, complete) in enumerate(connection.execute(query)):
        trials[int(trial_id)] = _Trial(
            number=int(number) if number is not None else position,
            state=str(state).upper(),
            start=_as_datetime(start),
            complete=_as_datetime(complete),
        )
    return trials


def _rows_of_study(
    connection: Connection, table: sa.TableClause, study_id: int, *columns: str, order_by: str = "trial_id"
) -> Any:
    """Rows of a per-trial table for one study's trials: (trial_id, *columns)."""
    of_study = sa.select(TRIALS.c.trial_id).where(TRIALS.c.study_id == study_id)
    query = sa.select(table.c.trial_id, *(table.c[c] for c in columns)).where(table.c.trial_id.in_(of_study))
    return connection.execute(query.order_by(table.c[order_by]))


def _attach_params(connection: Connection, study_id: int, trials: dict[int, _Trial]) -> _Params:
    found = _Params()
    columns = ("param_name", "param_value", "distribution_json")
    rows = _rows_of_study(connection, TRIAL_PARAMS, study_id, *columns, order_by="param_id")  # sampling order
    for trial_id, name, internal, distribution_json in rows:
        trial = trials.get(trial_id)
        if trial is None:
            continue
        try:
            distribution = _distribution(distribution_json)
            value = _external_value(distribution, internal)
        except (ValueError, TypeError, KeyError, IndexError) as error:
            found.failures[(str(name), _reason(error))] += 1
            continue
        trial.params[str(name)] = value
        found.latest[str(name)] = distribution_json
        if getattr(distribution, "log", False):
            found.log_scaled.add(str(name))
    return found


def _attach_values(connection: Connection, study_id: int, trials: dict[int, _Trial], schema: _Schema) -> None:
    columns = ("objective", "value", "value_type") if schema.typed_values else ("objective", "value")
    for trial_id, objective, value, *value_type in _rows_of_study(
        connection, TRIAL_VALUES, study_id, *columns
    ):
        if trial_id in trials:
            trials[trial_id].values[int(objective)] = _stored_float(value, value_type)


def _attach_intermediate_values(
    connection: Connection, study_id: int, trials: dict[int, _Trial], schema: _Schema
) -> None:
    if TRIAL_INTERMEDIATE.name not in schema.tables:
        return
    columns = ("step", "intermediate_value")
    if schema.typed_values:
        columns = (*columns, "intermediate_value_type")
    for trial_id, step, value, *value_type in _rows_of_study(
        connection, TRIAL_INTERMEDIATE, study_id, *columns
    ):
        trial = trials.get(trial_id)
        if trial is not None and (trial.last_step is None or int(step) > trial.last_step):
            trial.last_step, trial.last_intermediate = int(step), _stored_float(value, value_type)


def _attach_user_attrs(
    connection: Connection, study_id: int, trials: dict[int, _Trial], schema: _Schema
) -> None:
    if TRIAL_USER_ATTRS.name not in schema.tables:
        return
    for trial_id, key, value_json in _rows_of_study(
        connection, TRIAL_USER_ATTRS, study_id, "key", "value_json"
    ):
        if trial_id in trials:
            trials[trial_id].user_attrs[str(key)] = _json_value(value_json)


# ---------------------------------------------------------------- decoding values


@functools.lru_cache(maxsize=4096)
def _distribution(distribution_json: str) -> BaseDistribution:
    from optuna.distributions import json_to_distribution

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # old distribution classes warn that they are deprecated
        return json_to_distribution(distribution_json)


def _external_value(distribution: BaseDistribution, internal: Any) -> Any:
    """The value the objective saw: a categorical's choice (None as the text "None"), an int for ints."""
    if internal is None:
        raise ValueError("no stored value")
    value = distribution.to_external_repr(float(internal))
    return "None" if value is None else value


def _search_space(params: _Params) -> dict[str, dict[str, Any]]:
    return {name: _parameter_spec(distribution_json) for name, distribution_json in params.latest.items()}


def _parameter_spec(distribution_json: str) -> dict[str, Any]:
    """A W&B-sweep-like description of the distribution, with Optuna's own under `optuna`."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    distribution = _distribution(distribution_json)
    spec: dict[str, Any]
    if isinstance(distribution, CategoricalDistribution):
        spec = {"values": list(distribution.choices)}
    elif isinstance(distribution, FloatDistribution | IntDistribution):
        spec = {"distribution": _wandb_distribution_name(distribution)}
        spec |= {"min": distribution.low, "max": distribution.high}
        if distribution.step is not None and distribution.step != 1:
            spec["q"] = distribution.step
    else:
        spec = {}
    spec["optuna"] = json.loads(distribution_json)
    return spec


def _wandb_distribution_name(distribution: Any) -> str:
    from optuna.distributions import IntDistribution

    if isinstance(distribution, IntDistribution):
        return "q_log_uniform_values" if distribution.log else "int_uniform"
    if distribution.log:
        return "log_uniform_values"
    return "q_uniform" if distribution.step is not None else "uniform"


def _stored_float(value: Any, value_type: Sequence[Any]) -> float:
    """A stored objective or intermediate value; infinities are kept as a type with a NULL value."""
    kind = str(value_type[0]).upper() if value_type and value_type[0] is not None else "FINITE"
    if kind in INFINITIES:
        return INFINITIES[kind]
    return float(value) if value is not None else float("nan")


def _json_value(value_json: Any) -> Any:
    try:
        return json.loads(value_json)
    except (TypeError, ValueError):
        return value_json


def _as_datetime(value: Any) -> datetime | None:
    """SQLite hands back timestamps as text, server databases as datetimes."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _run_state(state: Any) -> str:
    return STATES.get(str(state).upper(), UNKNOWN)


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


# ---------------------------------------------------------------- the sweep


def _study_sweep(study: _Study, trials: list[_Trial], params: _Params, label: str) -> Sweep:
    param_names = list(params.latest)
    objectives = _unique_names(study.objectives, taken={*param_names})
    has_intermediate = any(t.last_step is not None for t in trials)
    metrics = [*objectives, *([LAST_INTERMEDIATE_VALUE] if has_intermediate else [])]
    frame = _trials_frame(study, trials, param_names, objectives, has_intermediate)
    kept_metrics = [m for m in metrics if frame[m].notna().any()]
    directions = _metric_directions(study, objectives, has_intermediate)
    sweep = finish_sweep(
        frame,
        params=[p for p in param_names if frame[p].notna().any()],
        metrics=kept_metrics,
        source=f"Optuna study {study.name!r} ({label})",
        skipped=_skipped(params),
        sweep_configs={study.name: _sweep_config(study, objectives, directions, params)},
        primary_metric=objectives[0] if objectives[0] in kept_metrics else None,
        directions={m: d for m, d in directions.items() if m in kept_metrics},
    )
    kinds = {p: Kind.LOG for p in params.log_scaled if sweep.kinds.get(p) in NUMERIC_KINDS}
    return sweep.replace(
        kinds={**sweep.kinds, **kinds}, notes=[*sweep.notes, *_notes(trials, metrics, kept_metrics)]
    )


def _trials_frame(
    study: _Study,
    trials: list[_Trial],
    param_names: list[str],
    objectives: tuple[str, ...],
    has_intermediate: bool,
) -> pd.DataFrame:
    rows = [_trial_row(study, t, objectives, has_intermediate) for t in trials]
    attr_columns = list(dict.fromkeys(k for row in rows for k in row if k.startswith(USER_ATTRS_PREFIX)))
    meta = [RUN_NAME, RUN_STATE, RUN_SWEEP, RUN_CREATED, RUN_RUNTIME]
    outcome = [*objectives, *([LAST_INTERMEDIATE_VALUE, LAST_INTERMEDIATE_STEP] if has_intermediate else [])]
    columns = [*meta, *param_names, *outcome, *attr_columns]
    index = pd.Index([f"trial-{t.number}" for t in trials], name="run_id")
    frame = pd.DataFrame.from_records(rows, columns=columns, index=index)
    frame[RUN_CREATED] = pd.to_datetime(frame[RUN_CREATED])
    return frame


def _trial_row(
    study: _Study, trial: _Trial, objectives: tuple[str, ...], has_intermediate: bool
) -> dict[str, Any]:
    row: dict[str, Any] = {
        RUN_NAME: f"trial {trial.number}",
        RUN_STATE: _run_state(trial.state),
        RUN_SWEEP: study.name,
        RUN_CREATED: trial.start,
        RUN_RUNTIME: (trial.complete - trial.start).total_seconds()
        if trial.start and trial.complete
        else None,
        **trial.params,
    }
    for i, name in enumerate(objectives):
        row[name] = trial.values.get(i)
    if has_intermediate:
        row[LAST_INTERMEDIATE_VALUE] = trial.last_intermediate
        row[LAST_INTERMEDIATE_STEP] = trial.last_step
    row.update(flatten(trial.user_attrs, prefix=USER_ATTRS_PREFIX))
    return row


def _unique_names(names: Sequence[str], taken: set[str]) -> tuple[str, ...]:
    """Objective names that collide with a parameter or a fixed column get an `objective.` prefix."""
    reserved = {*taken, LAST_INTERMEDIATE_VALUE, LAST_INTERMEDIATE_STEP, RUN_NAME, RUN_STATE, RUN_SWEEP}
    reserved |= {RUN_CREATED, RUN_RUNTIME}
    unique: list[str] = []
    for i, name in enumerate(names):
        candidate = name if name not in reserved else f"objective.{name}"
        if candidate in reserved or candidate in unique:
            candidate = f"{candidate}_{i}"
        unique.append(candidate)
    return tuple(unique)


def _metric_directions(
    study: _Study, objectives: tuple[str, ...], has_intermediate: bool
) -> dict[str, Direction]:
    directions = {name: d for name, d in zip(objectives, study.directions, strict=False) if d is not None}
    if has_intermediate and study.directions[0] is not None:
        directions[LAST_INTERMEDIATE_VALUE] = study.directions[0]  # reports track the first objective
    return directions


def _sweep_config(
    study: _Study, objectives: tuple[str, ...], directions: Mapping[str, Direction], params: _Params
) -> dict[str, Any]:
    goals = [metric_entry(name, directions.get(name)) for name in objectives]
    config: dict[str, Any] = {"method": "optuna", "metric": goals[0], "parameters": _search_space(params)}
    if len(goals) > 1:
        config["metrics"] = goals
    if study.user_attrs:
        config["user_attrs"] = study.user_attrs
    return config


def _skipped(params: _Params) -> list[tuple[str, str]]:
    return [
        (f"parameter {name!r} in {n} trial(s)", f"its stored value could not be decoded ({reason})")
        for (name, reason), n in params.failures.items()
    ]


def _notes(trials: list[_Trial], metrics: list[str], kept: list[str]) -> list[str]:
    notes: list[str] = []
    if LAST_INTERMEDIATE_VALUE in kept:
        notes.append(
            f"{LAST_INTERMEDIATE_VALUE}: the last value each trial reported with trial.report (its step is "
            f"{LAST_INTERMEDIATE_STEP}), so pruned trials have an outcome; trials stopped at different steps."
        )
    notes.extend(f"{m}: no trial has a value yet, left out of the metrics." for m in metrics if m not in kept)
    pruned_with_value = sum(t.state == "PRUNED" and 0 in t.values for t in trials)
    if pruned_with_value and metrics[0] in kept:
        notes.append(
            f"{metrics[0]}: {pruned_with_value} pruned trial(s) hold the value Optuna stored when pruning "
            "them (their last report, often at an early step); compare finished trials to rank settings."
        )
    waiting = sum(t.state == "WAITING" for t in trials)
    if waiting:
        notes.append(f"{waiting} trial(s) enqueued but not started are shown as running.")
    return notes
