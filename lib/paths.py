"""The guard for paths typed into the app: only folders the operator allowed may be read.

By default that is the folder the app was started from. `SWEEPSCOPE_ALLOWED_DIRS` (separated by
`os.pathsep`) and an `allowed_dirs` entry in Streamlit's secrets (a list, or one string) add others.
Paths are checked after resolving `..` and symlinks, so neither can lead outside.
"""

from __future__ import annotations

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
    raise PathNotAllowed(
        f"{cleaned!r} is outside the folders Sweepscope may read "
        f"({', '.join(str(r) for r in resolved_roots)}). Copy the files into one of them, or add "
        f"their folder to {ENV_VAR} (or `{SECRETS_KEY}` in .streamlit/secrets.toml) and restart."
    )


def _unquoted(text: str) -> str:
    """Paths pasted from a shell or a file manager often come quoted: 'my runs/wandb'."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        return text[1:-1].strip()
    return text


def guard_storage_url(url: str, roots: Sequence[Path]) -> str:
    """A database URL typed into the app: a SQLite file must lie inside `roots` (as `resolve_allowed`),
    returned with its absolute path; server databases (postgresql://...) pass unchanged."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep or scheme.split("+")[0].lower() != "sqlite":
        return url.strip()
    database = rest[1:] if rest.startswith("/") else rest  # sqlite:///x.db -> x.db; sqlite:////abs -> /abs
    database = database.split("?")[0].split("#")[0]
    if not database or database == ":memory:":
        raise PathNotAllowed("That SQLite URL names no file. Use sqlite:///path/to/study.db.")
    study = url.strip().partition("#")[2]
    resolved = resolve_allowed(database, roots)
    return f"{scheme}:///{resolved}" + (f"#{study}" if study else "")
