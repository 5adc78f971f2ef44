"""Opening an Optuna storage read-only: study specs, URLs, SQLite files and uploads, database errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from lib.sources.errors import SourceError
from lib.sources.optuna.sqlite_url import SERVER_BACKENDS, is_sqlite, parse_storage_url, sqlite_file
from lib.sources.reading import regular_file_refusal
from lib.sources.scratch import scratch_folder

STORAGE_URL_SCHEMES = frozenset({"sqlite", *SERVER_BACKENDS})
CONNECT_TIMEOUT_SECONDS = 10
SQLITE_BUSY_TIMEOUT_SECONDS = 5.0
SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Storage:
    engine: Engine
    label: str  # how messages name the storage: a file name or a URL without its password


def is_storage_url(text: str) -> bool:
    """True for a SQLAlchemy database URL (`sqlite:///...`, `postgresql+psycopg2://...`)."""
    scheme, sep, _ = text.strip().partition("://")
    return bool(sep) and scheme.split("+")[0].lower() in STORAGE_URL_SCHEMES


def split_study_spec(spec: str) -> tuple[str, str | None]:
    """`sqlite:///s.db#my%20study` -> (`sqlite:///s.db`, `my study`); no `#` -> (spec, None)."""
    url, sep, name = spec.strip().partition("#")
    return (url, unquote(name) or None) if sep else (url, None)


def open_storage(url_text: str) -> Storage:
    """The storage at a URL; a SQLite file must exist and is never created or written."""
    url = parse_storage_url(url_text)
    if is_sqlite(url):
        path = sqlite_file(url)
        _check_sqlite_file(path)
        return sqlite_storage(path, label=str(path))
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
    return Storage(engine, label)


def sqlite_storage(path: Path, label: str) -> Storage:
    """A SQLite file opened read-only (`mode=ro`): never created, never written.

    A WAL-mode file is opened `immutable` when no `-wal` file sits beside it (everything is in the
    main file then): no locks and no `-shm`/`-wal` files beside the user's file, whatever the SQLite
    build does for read-only WAL readers. With a `-wal` beside it (a study being written), `mode=ro`
    reads that too, so no trial is missed; those side files were there before.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"
    if _is_wal_mode(path) and not Path(f"{path}-wal").exists():
        uri += "&immutable=1"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)

    return Storage(sa.create_engine("sqlite://", creator=connect, poolclass=NullPool), label)


@contextmanager
def uploaded_storage(data: bytes, name: str) -> Iterator[Storage]:
    """An uploaded SQLite storage, read from a private temporary copy deleted after."""
    _check_sqlite_header(data[: len(SQLITE_HEADER)], name)
    with scratch_folder("optuna") as tmp:
        path = Path(tmp) / "study.db"
        path.write_bytes(data)
        path.chmod(0o600)
        yield sqlite_storage(path, label=name)


@contextmanager
def reading(storage: Storage) -> Iterator[Connection]:
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


def _check_sqlite_file(path: Path) -> None:
    """The file exists and starts like a SQLite database; checked before SQLite sees it."""
    if not path.exists():
        raise SourceError(
            f"No file at {str(path)!r} (nothing was created). Check the path: sqlite:///name.db is "
            "relative to the folder Sweepscope runs in, sqlite:////abs/name.db is absolute."
        )
    if path.is_dir():
        raise SourceError(f"{str(path)!r} is a folder. Give the SQLite file Optuna wrote the study to.")
    refusal = regular_file_refusal(path, repr(str(path)))
    if refusal is not None:  # a pipe or a device: opening it could block forever
        raise SourceError(refusal)
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError as error:
        raise SourceError(
            f"Cannot read {str(path)!r}: {error.strerror or error}. "
            "Check that the user running Sweepscope may read the file."
        ) from error
    _check_sqlite_header(head, path.name)


WAL_VERSION = 2  # header bytes 18 and 19: the file format's write and read versions (2 = WAL)


def _is_wal_mode(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            header = file.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18] == WAL_VERSION


def _check_sqlite_header(head: bytes, name: str) -> None:
    if not head:
        raise SourceError(f"{name!r} is empty. Give the SQLite file Optuna wrote the study to.")
    if not head.startswith(SQLITE_HEADER):
        raise SourceError(
            f"{name!r} is not a SQLite database. Give the .db file of an Optuna storage "
            "(the file in storage='sqlite:///...')."
        )


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
