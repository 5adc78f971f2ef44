"""Every way into Sweepscope ends in `load_source(spec) -> Sweep`.

A spec is one of:
- "demo", the built-in sweep;
- a path to a runs table (.csv, .tsv, .parquet; a Parquet snapshot saved from W&B reopens as such),
  a `wandb/` folder (or the folder holding it), a .zip of one, or an Optuna SQLite file (.db);
- an Optuna storage URL (`sqlite:///study.db`, `postgresql://...`), optionally `#study_name`;
- a W&B project or sweep: `entity/project[/sweep_id]`, `wandb://...` or a pasted W&B URL
  (the API key comes from WANDB_API_KEY).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lib.sources.errors import SourceError
from lib.sources.reading import OutsideAllowedFolders, Reading

if TYPE_CHECKING:
    from lib.sweep import Sweep

__all__ = ["OPTUNA_SUFFIXES", "TABLE_SUFFIXES", "SourceError", "load_source", "load_upload"]

TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".parquet", ".pq"})
OPTUNA_SUFFIXES = frozenset({".db", ".sqlite", ".sqlite3"})
DEMO_SPEC = "demo"


def load_source(spec: str | Path, *, allowed_roots: Sequence[Path] | None = None) -> Sweep:
    """Read a sweep from `spec`; raises `SourceError` with an actionable message when it cannot.

    With `allowed_roots` (the app passes `lib.sources.paths.allowed_roots(...)`), every file and folder read,
    links followed, must lie inside one of them: a SQLite URL is guarded as
    `lib.sources.paths.guard_storage_url` does, a path outside is refused with one message whether it
    exists or not, and a run folder or file below it that leads outside is skipped, listed in
    `Sweep.skipped`. Without it everything given is read (headless use).
    """
    text = str(spec).strip()
    if not text:
        raise SourceError("No source given: type a path, a W&B project or sweep, or an Optuna storage URL.")
    if text.lower() == DEMO_SPEC:
        from lib.sources.demo import load_demo

        return load_demo()
    from lib.sources.optuna import is_storage_url, load_optuna_study

    if is_storage_url(text):
        if allowed_roots is not None:
            from lib.sources.paths import guard_storage_url

            text = guard_storage_url(text, allowed_roots)
        return load_optuna_study(text)
    path = Path(text).expanduser()
    reading = Reading.within(allowed_roots)
    if not reading.allows(path):
        return _outside(text)
    if _exists(path):
        return _load_path(path, allowed_roots)
    from lib.sources.wandb.api import load_wandb_source, parse_wandb_spec

    if parse_wandb_spec(text) is not None:
        return load_wandb_source(text)
    if "://" in text:
        raise SourceError(
            f"{text!r} is neither a W&B URL nor a database URL Optuna can open. Paste a W&B project or "
            "sweep URL (https://wandb.ai/entity/project/sweeps/abc123) or an Optuna storage URL "
            "(sqlite:///path/to/study.db)."
        )
    raise SourceError(
        f"Nothing found at {str(path)!r}: check the path (it is read on the machine running Sweepscope)."
    )


def load_upload(data: bytes, name: str) -> Sweep:
    """An uploaded runs table (.csv, .tsv, .parquet), or a W&B snapshot saved from Sweepscope."""
    if Path(name).suffix.lower() in {".parquet", ".pq"}:
        from lib.sources.wandb.api import is_snapshot_bytes, load_snapshot_bytes

        if is_snapshot_bytes(data):
            return load_snapshot_bytes(data, name)
    from lib.sources.table import load_runs_table_bytes

    return load_runs_table_bytes(data, name)


def _outside(text: str) -> Sweep:
    """A W&B spec that happens not to name an allowed path is still a W&B spec; a path is refused."""
    from lib.sources.wandb.api import load_wandb_source, parse_wandb_spec

    if not Path(text).is_absolute() and parse_wandb_spec(text) is not None:
        return load_wandb_source(text)
    raise OutsideAllowedFolders(
        f"{text!r} leads outside the folders Sweepscope may read. Copy the files into one of them, "
        "or ask whoever runs Sweepscope to allow their folder."
    )


def _load_path(path: Path, allowed_roots: Sequence[Path] | None) -> Sweep:
    if path.is_dir():
        from lib.sources.wandb.local import load_wandb_folder

        return load_wandb_folder(path, allowed_roots=allowed_roots)
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        from lib.sources.wandb.api import is_snapshot, load_snapshot

        if is_snapshot(path):
            return load_snapshot(path)
    if suffix in TABLE_SUFFIXES:
        from lib.sources.table import load_runs_table

        return load_runs_table(path)
    if suffix in OPTUNA_SUFFIXES:
        from lib.sources.optuna import load_optuna_study
        from lib.sources.optuna.sqlite_url import sqlite_url_for

        return load_optuna_study(sqlite_url_for(path.resolve()))
    if suffix == ".zip":
        from lib.sources.archive import load_wandb_zip

        return load_wandb_zip(path.read_bytes(), name=path.name)
    if suffix == ".wandb":
        from lib.sources.wandb.local import load_wandb_folder

        return load_wandb_folder(path.parent, allowed_roots=allowed_roots)
    raise SourceError(
        f"Sweepscope cannot tell what {path.name!r} is. Give a runs table (.csv, .tsv, .parquet), "
        "a wandb/ folder, a .zip of one, or an Optuna study (.db)."
    )


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False
