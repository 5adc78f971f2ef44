"""Every way into Sweepscope ends in `load_source(spec) -> Sweep`.

A spec is one of:
- "demo", the built-in sweep;
- a path to a runs table (.csv, .tsv, .parquet; a Parquet snapshot saved from W&B reopens as such),
  a `wandb/` folder (or the folder holding it), a .zip of one, or an Optuna SQLite file (.db);
- an Optuna storage URL (`sqlite:///study.db`, `postgresql://...`), optionally `#study_name`;
- a W&B project or sweep: `entity/project[/sweep_id]`, `wandb://...` or a pasted W&B URL
  (the API key comes from WANDB_API_KEY).

Each kind has one small reader that returns None when the input is not its kind; the first
reader that answers wins. Each source's module is imported only when its reader answers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from lib.sources.errors import SourceError
from lib.sources.reading import NotARegularFile, OutsideAllowedFolders, Reading, regular_file_refusal

if TYPE_CHECKING:
    from lib.sweep import Sweep

__all__ = ["OPTUNA_SUFFIXES", "TABLE_SUFFIXES", "SourceError", "load_source", "load_upload"]

TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".parquet", ".pq"})
OPTUNA_SUFFIXES = frozenset({".db", ".sqlite", ".sqlite3"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
DEMO_SPEC = "demo"


@dataclass(frozen=True)
class Request:
    """What `load_source` was asked to read, and where it may read."""

    text: str
    allowed_roots: Sequence[Path] | None

    @property
    def path(self) -> Path:
        return Path(self.text).expanduser()


Reader = Callable[[Request], "Sweep | None"]
FileReader = Callable[[Path, Sequence[Path] | None], "Sweep | None"]


def load_source(spec: str | Path, *, allowed_roots: Sequence[Path] | None = None) -> Sweep:
    """Read a sweep from `spec`; raises `SourceError` with an actionable message when it cannot.

    With `allowed_roots` (the app passes `lib.sources.paths.allowed_roots(...)`), every file and folder read,
    links followed, must lie inside one of them: a SQLite URL is guarded as
    `lib.sources.paths.guard_storage_url` does, a path outside is refused with one message whether it
    exists or not, and a run folder or file below it that leads outside is skipped, listed in
    `Sweep.skipped`. Without it everything given is read (headless use).
    """
    request = Request(str(spec).strip(), allowed_roots)
    if not request.text:
        raise SourceError("No source given: type a path, a W&B project or sweep, or an Optuna storage URL.")
    for reader in READERS:
        sweep = reader(request)
        if sweep is not None:
            return sweep
    return _nothing_read(request)


def load_upload(data: bytes, name: str) -> Sweep:
    """An uploaded runs table (.csv, .tsv, .parquet), or a W&B snapshot saved from Sweepscope."""
    if Path(name).suffix.lower() in PARQUET_SUFFIXES:
        from lib.sources.wandb.snapshot import is_snapshot_bytes, load_snapshot_bytes

        if is_snapshot_bytes(data):
            return load_snapshot_bytes(data, name)
    from lib.sources.table import load_runs_table_bytes

    return load_runs_table_bytes(data, name)


# ----------------------------------------------------------------------------------------------
# One reader per kind of input, in the order they are asked
# ----------------------------------------------------------------------------------------------


def _read_demo(request: Request) -> Sweep | None:
    if request.text.lower() != DEMO_SPEC:
        return None
    from lib.sources.demo import load_demo

    return load_demo()


def _read_storage_url(request: Request) -> Sweep | None:
    if "://" not in request.text:  # not a URL: no need to import the Optuna reader (and SQLAlchemy)
        return None
    from lib.sources.optuna import is_storage_url, load_optuna_study

    if not is_storage_url(request.text):
        return None
    text = request.text
    if request.allowed_roots is not None:
        from lib.sources.paths import guard_storage_url

        text = guard_storage_url(text, request.allowed_roots)
    return load_optuna_study(text)


def _refuse_outside(request: Request) -> Sweep | None:
    """A path outside the allowed folders is refused unread, whether it exists or not.

    A relative text that is also a W&B reference (`entity/project`) is still read as one.
    """
    if Reading.within(request.allowed_roots).allows(request.path):
        return None
    if not Path(request.text).is_absolute():
        sweep = _read_wandb_reference(request)
        if sweep is not None:
            return sweep
    raise OutsideAllowedFolders(
        f"{request.text!r} leads outside the folders Sweepscope may read. Copy the files into one of "
        "them, or ask whoever runs Sweepscope to allow their folder."
    )


def _read_existing_path(request: Request) -> Sweep | None:
    path = request.path
    if not _exists(path):
        loop = regular_file_refusal(path, repr(path.name)) if path.is_symlink() else None
        if loop is not None:  # a link to itself: say so, not "no such file"
            raise NotARegularFile(loop)
        return None
    if path.is_dir():
        from lib.sources.wandb.local import load_wandb_folder

        return load_wandb_folder(path, allowed_roots=request.allowed_roots)
    refusal = regular_file_refusal(path, repr(path.name))
    if refusal is not None:  # a pipe or a device: opening it could wait forever
        raise NotARegularFile(refusal)
    for reader in FILE_READERS:
        sweep = reader(path, request.allowed_roots)
        if sweep is not None:
            return sweep
    raise SourceError(
        f"Sweepscope cannot tell what {path.name!r} is. Give a runs table (.csv, .tsv, .parquet), "
        "a wandb/ folder, a .zip of one, or an Optuna study (.db)."
    )


def _read_wandb_reference(request: Request) -> Sweep | None:
    from lib.sources.wandb.spec import parse_wandb_spec

    if parse_wandb_spec(request.text) is None:
        return None
    from lib.sources.wandb.api import load_wandb_source

    return load_wandb_source(request.text)


READERS: tuple[Reader, ...] = (
    _read_demo,
    _read_storage_url,
    _refuse_outside,
    _read_existing_path,
    _read_wandb_reference,
)


def _nothing_read(request: Request) -> NoReturn:
    if "://" in request.text:
        raise SourceError(
            f"{request.text!r} is neither a W&B URL nor a database URL Optuna can open. Paste a W&B "
            "project or sweep URL (https://wandb.ai/entity/project/sweeps/abc123) or an Optuna storage "
            "URL (sqlite:///path/to/study.db)."
        )
    raise SourceError(
        f"Nothing found at {str(request.path)!r}: check the path (it is read on the machine running "
        "Sweepscope)."
    )


# ----------------------------------------------------------------------------------------------
# One reader per kind of file
# ----------------------------------------------------------------------------------------------


def _read_snapshot_file(path: Path, allowed_roots: Sequence[Path] | None) -> Sweep | None:
    if path.suffix.lower() not in PARQUET_SUFFIXES:
        return None
    from lib.sources.wandb.snapshot import is_snapshot, load_snapshot

    return load_snapshot(path) if is_snapshot(path) else None


def _read_table_file(path: Path, allowed_roots: Sequence[Path] | None) -> Sweep | None:
    if path.suffix.lower() not in TABLE_SUFFIXES:
        return None
    from lib.sources.table import load_runs_table

    return load_runs_table(path)


def _read_optuna_file(path: Path, allowed_roots: Sequence[Path] | None) -> Sweep | None:
    if path.suffix.lower() not in OPTUNA_SUFFIXES:
        return None
    from lib.sources.optuna import load_optuna_study
    from lib.sources.optuna.sqlite_url import sqlite_url_for

    return load_optuna_study(sqlite_url_for(path.resolve()))


def _read_zip_file(path: Path, allowed_roots: Sequence[Path] | None) -> Sweep | None:
    if path.suffix.lower() != ".zip":
        return None
    from lib.sources.archive import load_wandb_zip_path

    return load_wandb_zip_path(path)  # refused from its size before it is read into memory


def _read_run_log_file(path: Path, allowed_roots: Sequence[Path] | None) -> Sweep | None:
    """A `run-<id>.wandb` file stands for the run folder holding it."""
    if path.suffix.lower() != ".wandb":
        return None
    from lib.sources.wandb.local import load_wandb_folder

    return load_wandb_folder(path.parent, allowed_roots=allowed_roots)


FILE_READERS: tuple[FileReader, ...] = (
    _read_snapshot_file,
    _read_table_file,
    _read_optuna_file,
    _read_zip_file,
    _read_run_log_file,
)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False
