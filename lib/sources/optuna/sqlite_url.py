"""SQLite storage URLs: which file one opens, and a URL that opens exactly a given file.

SQLAlchemy percent-decodes the database part of a URL (`sqlite:///..%2Fx.db` is `../x.db`) and
accepts any case and driver (`SQLITE+pysqlite:///`), so a check of the typed text is no check at all.
`sqlite_file` is the one reading of a URL that both the path guard (`lib.sources.paths.guard_storage_url`)
and the Optuna reader use.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

from lib.sources.errors import SourceError

SERVER_BACKENDS = frozenset({"postgresql", "mysql", "mariadb", "oracle", "mssql"})


def parse_storage_url(text: str) -> URL:
    try:
        return make_url(text)
    except (sa_exc.ArgumentError, ValueError) as error:
        scheme = text.partition("://")[0]  # the rest may hold a password
        raise SourceError(
            f"The {scheme}:// URL given is not a storage URL SQLAlchemy can parse. "
            "Give it as Optuna does, e.g. sqlite:///path/to/study.db."
        ) from error


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name().lower() == "sqlite"


def is_server_database(url: URL) -> bool:
    return url.get_backend_name().lower() in SERVER_BACKENDS


def sqlite_file_text(url: URL) -> str:
    """The file a SQLite URL names, as SQLAlchemy decoded it; "" or ":memory:" for none.

    `sqlite:///file:path?mode=ro&uri=true` names `path` (percent-decoded once more, as SQLite does).
    """
    database = url.database or ""
    if database.startswith("file:"):
        database = unquote(database.removeprefix("file:").split("?")[0])
    return database


def sqlite_file(url: URL) -> Path:
    """The file a SQLite URL opens; `SourceError` for an in-memory database."""
    database = sqlite_file_text(url)
    if database in ("", ":memory:"):
        raise SourceError(
            "An in-memory SQLite URL holds no study to read. Give the file: sqlite:///path/to/study.db."
        )
    return Path(database).expanduser()


def sqlite_url_for(path: Path) -> str:
    """A URL that opens `path` and nothing else: no query, the path percent-encoded where needed."""
    return URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)
