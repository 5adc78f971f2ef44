"""The guard for paths typed into the app: only folders the operator allowed may be read.

By default that is the folder the app was started from. `SWEEPSCOPE_ALLOWED_DIRS` (separated by
`os.pathsep`) and an `allowed_dirs` entry in Streamlit's secrets (a list, or one string) add others.
Paths are checked after resolving `..` and symlinks, so neither can lead outside.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lib.sources.errors import SourceError

ENV_VAR = "SWEEPSCOPE_ALLOWED_DIRS"
SECRETS_KEY = "allowed_dirs"
_QUOTES = ("'", '"')


class PathNotAllowed(SourceError):
    """A typed path is outside every allowed folder, or is no path at all."""


def allowed_roots(env: Mapping[str, str], secrets: Mapping[str, Any] | None, cwd: Path) -> list[Path]:
    """The folders typed paths may point into: `cwd` first, then the configured ones, resolved."""
    entries: list[str] = [str(cwd)]
    entries += _split_paths(env.get(ENV_VAR, ""))
    entries += _secret_entries((secrets or {}).get(SECRETS_KEY))
    roots: list[Path] = []
    for entry in entries:
        root = _resolved(Path(entry).expanduser(), base=cwd)
        if root is not None and root not in roots:
            roots.append(root)
    return roots


def _split_paths(text: str) -> list[str]:
    return [part.strip() for part in text.split(os.pathsep) if part.strip()]


def _secret_entries(value: Any) -> list[str]:
    if isinstance(value, str):
        return _split_paths(value)
    if isinstance(value, Iterable) and not isinstance(value, Mapping | bytes):
        return [str(item).strip() for item in value if str(item).strip()]
    return []


def _resolved(path: Path, *, base: Path) -> Path | None:
    """`path` made absolute against `base`, with `..` and symlinks resolved; None if impossible."""
    try:
        return (path if path.is_absolute() else base / path).resolve()
    except (OSError, RuntimeError, ValueError):  # symlink loops, NUL bytes, unknown ~user
        return None


def resolve_allowed(text: str, roots: Sequence[Path]) -> Path:
    """The resolved path `text` names, if it lies inside one of `roots`; else `PathNotAllowed`.

    A relative path is relative to the first root (the folder the app was started from).
    """
    cleaned = _unquoted(text.strip())
    if not cleaned:
        raise PathNotAllowed("No path given. Type the path of a wandb/ folder, a runs table or a zip.")
    if not roots:
        raise PathNotAllowed(
            f"{cleaned!r} cannot be read: no folder is allowed. Set {ENV_VAR} to the folders "
            "Sweepscope may read and restart it."
        )
    try:
        candidate = Path(cleaned).expanduser()
    except RuntimeError:  # `~name` for a user that does not exist
        candidate = Path(cleaned)
    resolved = _resolved(candidate, base=roots[0])
    resolved_roots = [r for r in (_resolved(root, base=roots[0]) for root in roots) if r is not None]
    if resolved is not None and any(resolved.is_relative_to(root) for root in resolved_roots):
        return resolved
    if resolved is None and _is_loop_inside(candidate, roots[0], resolved_roots):
        raise PathNotAllowed(
            f"{cleaned!r} is a symbolic link that leads back to itself (a loop), so there is nothing to "
            "read. Point it at the runs, or type the path it should lead to."
        )
    raise PathNotAllowed(
        f"{cleaned!r} is outside the folders Sweepscope may read "
        f"({', '.join(str(r) for r in resolved_roots)}). Copy the files into one of them, or add "
        f"their folder to {ENV_VAR} (or `{SECRETS_KEY}` in .streamlit/secrets.toml) and restart."
    )


def _is_loop_inside(candidate: Path, base: Path, roots: Sequence[Path]) -> bool:
    """True when `candidate` sits in a folder inside `roots` and is itself a symlink loop (only
    then is it named as one: of a path outside nothing is said)."""
    absolute = candidate if candidate.is_absolute() else base / candidate
    parent = _resolved(absolute.parent, base=base)
    if parent is None or not any(parent.is_relative_to(root) for root in roots):
        return False
    try:
        os.stat(parent / absolute.name)
    except OSError as error:
        return error.errno == errno.ELOOP
    except ValueError:  # a NUL byte
        return False
    return False


def _unquoted(text: str) -> str:
    """Paths pasted from a shell or a file manager often come quoted: 'my runs/wandb'."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        return text[1:-1].strip()
    return text


def guard_storage_url(url: str, roots: Sequence[Path]) -> str:
    """A database URL typed into the app, made safe to open.

    A SQLite URL is judged by the file SQLAlchemy will actually open (percent-decoded, any case or
    driver): that file must lie inside `roots` (as `resolve_allowed`), and the URL returned names its
    resolved path and nothing else (query options such as `uri=true` or `vfs` are dropped). Every
    file outside gets the same answer, whether it exists or not. Server databases (postgresql://...)
    pass unchanged; other dialects are refused.
    """
    from lib.sources.optuna.sqlite_url import (
        SERVER_BACKENDS,
        is_server_database,
        is_sqlite,
        parse_storage_url,
        sqlite_file_text,
        sqlite_url_for,
    )

    body, sep, study = url.strip().partition("#")
    parsed = parse_storage_url(body)
    if not is_sqlite(parsed):
        if is_server_database(parsed):
            return url.strip()
        raise PathNotAllowed(
            f"Sweepscope opens SQLite files (sqlite:///path/to/study.db) and database servers "
            f"({', '.join(sorted(SERVER_BACKENDS))}), not {parsed.get_backend_name()!r} URLs."
        )
    database = sqlite_file_text(parsed)
    if database in ("", ":memory:"):
        raise PathNotAllowed("That SQLite URL names no file. Use sqlite:///path/to/study.db.")
    resolved = _inside_or_refused(database, roots)
    rebuilt = sqlite_url_for(resolved)
    if _inside_or_refused(sqlite_file_text(parse_storage_url(rebuilt)), roots) != resolved:
        raise _outside_storage(roots)  # the URL would not open the file that was checked
    return rebuilt + (f"#{study}" if sep and study else "")


def _inside_or_refused(database: str, roots: Sequence[Path]) -> Path:
    try:
        return resolve_allowed(database, roots)
    except PathNotAllowed as error:
        raise _outside_storage(roots) from error


def _outside_storage(roots: Sequence[Path]) -> PathNotAllowed:
    """One answer for every file outside: nothing about whether it exists or what it is."""
    folders = ", ".join(str(r) for r in roots) or "none"
    return PathNotAllowed(
        f"That SQLite file is outside the folders Sweepscope may read ({folders}). Copy it into one "
        f"of them, or add its folder to {ENV_VAR} (or `{SECRETS_KEY}` in .streamlit/secrets.toml) and "
        "restart."
    )
