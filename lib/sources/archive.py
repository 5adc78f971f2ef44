"""An uploaded zip of a `wandb/` folder, read without trusting it.

The archive is unpacked into a private temporary folder that is removed after loading. Limits on
the number of files and on the unpacked size are checked against the sizes the zip declares and
again against the bytes actually written, since a zip bomb can lie about both. Members that would
land outside the folder (absolute paths, `..`), symlinks, special files, encrypted or unreadable
members are not unpacked and are listed in `Sweep.skipped`.
"""

from __future__ import annotations

import io
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lib.sources.errors import SourceError
from lib.sweep import Sweep

DEFAULT_MAX_TOTAL_BYTES = 500 * 1024 * 1024
DEFAULT_MAX_FILES = 20_000
CHUNK_BYTES = 1024 * 1024
IGNORED_PARTS = frozenset({"__MACOSX"})  # resource forks macOS adds to zips it makes
RUN_FOLDER_PREFIXES = ("run-", "offline-run-")


class ZipTooLarge(SourceError):
    """The archive unpacks to more files or bytes than allowed."""


@dataclass
class Extraction:
    root: Path
    files: int = 0
    bytes_written: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def load_wandb_zip(
    data: bytes,
    name: str,
    *,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    max_files: int = DEFAULT_MAX_FILES,
) -> Sweep:
    """The runs in a zipped `wandb/` folder (or a zip of the folder holding it)."""
    from lib.sources.wandb.local import load_wandb_folder

    with tempfile.TemporaryDirectory(prefix="sweepscope-zip-") as tmp:
        root = Path(tmp)
        extraction = extract_zip(data, name, root, max_total_bytes=max_total_bytes, max_files=max_files)
        if extraction.files == 0:
            raise SourceError(
                f"Nothing in {name!r} could be unpacked ({len(extraction.skipped)} member(s) refused). "
                "Zip the wandb/ folder itself and upload that zip."
            )
        try:
            # read without caching (the folder is gone after this) and without leaving it
            sweep = load_wandb_folder(folder_to_load(root), allowed_roots=[root], cache=False)
        except SourceError as error:
            raise SourceError(f"{name!r}: {_without_root(str(error), root, name)}") from error
        return _relabelled(sweep, root, name, extraction.skipped)


def extract_zip(data: bytes, name: str, root: Path, *, max_total_bytes: int, max_files: int) -> Extraction:
    """Unpack the safe members of the zip `data` under `root`; `SourceError` for a bomb or a non-zip."""
    archive = _open_zip(data, name)
    with archive:
        members = [m for m in archive.infolist() if not _is_ignored(m.filename)]
        _check_declared_limits(members, name, max_total_bytes=max_total_bytes, max_files=max_files)
        extraction = Extraction(root=root.resolve())
        written: set[str] = set()
        for member in members:
            reason = _refusal(member, written)
            if reason is not None:
                extraction.skipped.append((member.filename, reason))
                continue
            written.add(_normalised(member.filename))
            _extract_member(archive, member, extraction, name=name, max_total_bytes=max_total_bytes)
    return extraction


def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise SourceError(
            f"{name!r} is not a readable zip archive ({error}). Zip the wandb/ folder again "
            "(e.g. `zip -r wandb.zip wandb`) and upload the new file."
        ) from error


def _is_ignored(filename: str) -> bool:
    parts = PurePosixPath(filename.replace("\\", "/")).parts
    return any(part in IGNORED_PARTS for part in parts) or (bool(parts) and parts[-1].startswith("._"))


def _check_declared_limits(
    members: list[zipfile.ZipInfo], name: str, *, max_total_bytes: int, max_files: int
) -> None:
    files = [m for m in members if not m.is_dir()]
    if len(files) > max_files:
        raise ZipTooLarge(
            f"{name!r} holds {len(files):,} files, more than the {max_files:,} Sweepscope unpacks. "
            "Zip only the wandb/ folder (without checkpoints or media), or load it as a path."
        )
    declared = sum(m.file_size for m in files)
    if declared > max_total_bytes:
        raise ZipTooLarge(
            f"{name!r} unpacks to {_megabytes(declared)}, more than the {_megabytes(max_total_bytes)} "
            "Sweepscope accepts. Leave checkpoints and media out of the zip, or load the folder as a path."
        )


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


def _normalised(filename: str) -> str:
    return str(PurePosixPath(filename.replace("\\", "/")))


def _refusal(member: zipfile.ZipInfo, written: set[str]) -> str | None:
    """Why `member` must not be unpacked, or None when it is safe."""
    filename = member.filename.replace("\\", "/")
    parts = PurePosixPath(filename).parts
    if "\x00" in filename or not parts:
        return "its name is not a usable path"
    if filename.startswith("/") or (len(parts[0]) >= 2 and parts[0][1] == ":"):
        return "absolute path: it would be written outside the upload's folder"
    if ".." in parts:
        return "its path climbs out of the archive with '..'"
    mode = member.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic link: links are not followed"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # no type bits: a file
        return "not a regular file"
    if member.flag_bits & 0x1:
        return "encrypted"
    if not member.is_dir() and _normalised(filename) in written:
        return "the same path appears twice in the zip; the first copy is kept"
    return None


def _extract_member(
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    extraction: Extraction,
    *,
    name: str,
    max_total_bytes: int,
) -> None:
    target = (extraction.root / _normalised(member.filename)).resolve()
    if not target.is_relative_to(extraction.root):  # a parent folder that is a link, say
        extraction.skipped.append((member.filename, "it would be written outside the upload's folder"))
        return
    if member.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        written = _copy_counted(
            archive, member, target, extraction, name=name, max_total_bytes=max_total_bytes
        )
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as error:
        target.unlink(missing_ok=True)
        extraction.skipped.append((member.filename, f"could not be unpacked ({error})"))
        return
    extraction.files += 1
    extraction.bytes_written += written


def _copy_counted(
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    target: Path,
    extraction: Extraction,
    *,
    name: str,
    max_total_bytes: int,
) -> int:
    """Copy one member, counting real bytes: more than declared, or over the total, is a bomb."""
    written = 0
    with archive.open(member) as source, target.open("xb") as sink:
        while chunk := source.read(CHUNK_BYTES):
            written += len(chunk)
            if written > member.file_size or extraction.bytes_written + written > max_total_bytes:
                raise ZipTooLarge(
                    f"{name!r} unpacks to more than it declares ({member.filename!r} alone passes "
                    f"{_megabytes(min(written, max_total_bytes))}): it looks like a zip bomb and was "
                    "not loaded. Zip the wandb/ folder again and upload the new file."
                )
            sink.write(chunk)
    return written


def folder_to_load(root: Path) -> Path:
    """The folder holding the runs: single wrapping folders (`project/wandb/`) are stepped into."""
    folder = root
    while True:
        entries = [p for p in folder.iterdir() if p.name not in IGNORED_PARTS]
        if len(entries) != 1 or not entries[0].is_dir() or entries[0].name.startswith(RUN_FOLDER_PREFIXES):
            return folder
        folder = entries[0]


def _without_root(text: str, root: Path, name: str) -> str:
    """Messages name the upload, not the temporary folder it was unpacked into."""
    return text.replace(str(root), name).replace(str(root.resolve()), name)


def _relabelled(sweep: Sweep, root: Path, name: str, skipped: list[tuple[str, str]]) -> Sweep:
    return sweep.replace(
        source=f"{name} (zipped wandb/ folder, {len(sweep.runs)} runs)",
        skipped=[
            *skipped,
            *((_without_root(a, root, name), _without_root(b, root, name)) for a, b in sweep.skipped),
        ],
        notes=[_without_root(note, root, name) for note in sweep.notes],
    )
