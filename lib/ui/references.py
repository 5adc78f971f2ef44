"""How a link names its sweep: the `src` reference strings, written and read (pure, no Streamlit).

A reference either reopens the sweep on the same deployment or names it for a message:

- `demo`: the built-in sweep.
- `path:<path>`: a file or folder below the allowed folders, relative to the app's folder when it
  lies inside it (`path:tests/fixtures/runs.csv`), else absolute.
- `optuna:<storage URL>#<study>`: an Optuna study; a SQLite file is named like a path
  (`optuna:sqlite:///studies/s.db#my%20study`); a server database only when its URL has no user,
  password or query (anything that could carry a credential).
- `wandb:<entity>/<project>[/<sweep_id>]` (or `/runs/<id>`, `/groups/<name>`) on the configured
  W&B server; `wandb:<app URL>` on another one (then the recipient must type a key for it).
- `upload:<file name>`: a file uploaded in another session; it cannot be reopened.
- `private:<what>`: opened with a credential no link may carry (a database URL with a password).
- `unlinked`: a sweep that says nothing about where it came from.

No reference ever holds a key or a password: see `carries_credentials`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

from lib.safe_text import one_line
from lib.sources.errors import SourceError
from lib.sources.wandb.hosts import is_configured_host
from lib.sources.wandb.spec import PROJECT_PAGES, WandbSpec, parse_wandb_spec

Kind = Literal["demo", "path", "optuna", "wandb", "upload", "private", "unlinked", "unknown"]
REOPENABLE: frozenset[Kind] = frozenset({"demo", "path", "optuna", "wandb"})
DEMO = "demo"
UNLINKED = "unlinked"
PREFIXES: dict[str, Kind] = {
    "path:": "path",
    "optuna:": "optuna",
    "wandb:": "wandb",
    "upload:": "upload",
    "private:": "private",
}
SQLITE_PREFIX = "sqlite:///"
MAX_NAME = 160
# userinfo in a URL (`scheme://user:pass@host`) or a credential-looking query option
_CREDENTIAL = re.compile(
    r"://[^/?#]*@|[?&;](?:password|passwd|pwd|secret|token|api[_-]?key|key)=", re.IGNORECASE
)


@dataclass(frozen=True)
class Reference:
    """A parsed `src`: its kind, what it names, and for Optuna the study."""

    kind: Kind
    target: str
    study: str | None = None

    @property
    def reopenable(self) -> bool:
        return self.kind in REOPENABLE


def carries_credentials(text: str) -> bool:
    """Whether `text` holds a URL with a user or password, or a password/token/key option."""
    return bool(_CREDENTIAL.search(text))


def parse_reference(text: str) -> Reference:
    """The reference `text` spells; kind "unknown" for anything else (never an error)."""
    stripped = text.strip()
    if stripped == DEMO:
        return Reference("demo", DEMO)
    if stripped == UNLINKED:
        return Reference("unlinked", "")
    for prefix, kind in PREFIXES.items():
        if stripped.startswith(prefix):
            body = stripped[len(prefix) :]
            if kind == "optuna":
                url, _, study = body.partition("#")
                return Reference("optuna", url, unquote(study) or None)
            return Reference(kind, body)
    return Reference("unknown", stripped)


# ------------------------------------------------------------------------------------- writing


def path_reference(path: Path, roots: Sequence[Path]) -> str:
    """`path:` and the resolved `path`, relative to the app's folder (`roots[0]`) when inside it."""
    return "path:" + _path_text(path, roots)


def _path_text(path: Path, roots: Sequence[Path]) -> str:
    if roots and path.is_relative_to(roots[0]):
        return PurePosixPath(*path.relative_to(roots[0]).parts).as_posix()
    return str(path)


def optuna_reference(url: str, study: str, roots: Sequence[Path]) -> str:
    """A study in a storage URL already guarded by `guard_storage_url`; `private:` when the URL
    could hold a credential."""
    from lib.sources.optuna.sqlite_url import is_sqlite, parse_storage_url, sqlite_file

    url = url.partition("#")[0]
    parsed = parse_storage_url(url)
    if is_sqlite(parsed):
        storage = SQLITE_PREFIX + _path_text(sqlite_file(parsed), roots)
    elif parsed.username or parsed.password or parsed.query or carries_credentials(url):
        return private_reference(f"the Optuna study {study!r} on a database server")
    else:
        storage = parsed.render_as_string(hide_password=True)
    return f"optuna:{storage}#{quote(study, safe='')}"


def wandb_reference(spec: WandbSpec) -> str | None:
    """The spec as a reference that reads back as the same spec; None when it cannot be written."""
    if "@" in urlsplit(spec.base_url).netloc:
        return None
    if is_configured_host(spec.base_url):
        parts = [spec.entity, spec.project]
        if spec.sweep_id:
            parts += ["sweeps", spec.sweep_id] if spec.sweep_id in PROJECT_PAGES else [spec.sweep_id]
        elif spec.run_id:
            parts += ["runs", spec.run_id]
        elif spec.group:
            parts += ["groups", spec.group]
        reference = "wandb:" + "/".join(quote(p, safe="") for p in parts)
    else:
        reference = "wandb:" + spec.app_url
    return reference if wandb_spec_of(parse_reference(reference)) == spec else None


def wandb_spec_of(reference: Reference) -> WandbSpec | None:
    """The W&B spec a `wandb:` reference names; None when it names none."""
    if reference.kind != "wandb":
        return None
    text = reference.target
    lowered = text.lower()
    try:
        if lowered.startswith(("http://", "https://")):
            return parse_wandb_spec(text)
        return parse_wandb_spec("wandb://" + text)
    except SourceError:
        return None


def upload_reference(file_name: str) -> str:
    """`upload:` and the uploaded file's own name (no folders), on one line."""
    name = PurePosixPath(file_name.replace("\\", "/")).name or "uploaded file"
    return "upload:" + one_line(name, limit=MAX_NAME)


def private_reference(what: str) -> str:
    return "private:" + one_line(what, limit=MAX_NAME)


# ------------------------------------------------------------------------------------- reading


def describe(reference: Reference) -> str:
    """What the reference names, in words for a message (plain text: escape it before Markdown).

    Servers a link names are never named: only the configured W&B server is."""
    if reference.kind == "demo":
        return "the demo sweep"
    if reference.kind == "optuna":
        storage = reference.target
        where = storage[len(SQLITE_PREFIX) :] if storage.startswith(SQLITE_PREFIX) else "a database server"
        return f"the Optuna study {reference.study!r} in {where}" if reference.study else where
    if reference.kind == "wandb":
        spec = wandb_spec_of(reference)
        if spec is None:
            return "a W&B project"
        if is_configured_host(spec.base_url):
            return f"W&B {spec.label}"
        return f"the W&B project {spec.path} on another W&B server"
    if reference.kind == "unlinked":
        return "a sweep loaded in another session"
    return one_line(reference.target, limit=MAX_NAME) or "a sweep"
