"""An uploaded zip of a `wandb/` folder, read without trusting it.

The archive is unpacked into a private temporary folder that is removed on every way out, a
killed load's included (`lib.sources.scratch`). Limits on the number of entries and files and on the
unpacked size are checked against what the zip declares and again against the bytes actually
written while streaming, since a zip bomb can lie. Members that would land outside the folder
(absolute paths, `..`), symlinks, special files, encrypted or unreadable members, names that are
not usable file names (control characters, over 255 bytes a part) and second copies of one path
(also when they differ only in Unicode normalisation) are not unpacked and are listed in
`Sweep.skipped`.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lib.sources import limits
from lib.sources.errors import SourceError
from lib.sources.reading import open_regular
from lib.sources.scratch import scratch_folder
from lib.sweep import Sweep

DEFAULT_MAX_TOTAL_BYTES = limits.ZIP_MB.value()
DEFAULT_MAX_FILES = limits.ZIP_FILES.value()
ENTRIES_PER_FILE = 4  # folders are entries too: a zip may hold this many entries per file allowed
MAX_NAME_PART_BYTES = 255  # the longest file name Linux and macOS file systems take
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

    with scratch_folder("zip") as root:
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


def load_wandb_zip_path(
    path: Path, *, max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES, max_files: int = DEFAULT_MAX_FILES
) -> Sweep:
    """`load_wandb_zip` of a zip on disk: a regular file only (a pipe would block the read), and
    refused from its size when even a stored zip that size would unpack past the budget."""
    with open_regular(path, repr(path.name)) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_total_bytes:
            raise ZipTooLarge(
                f"{path.name!r} is {_megabytes(size)}, more than the {_megabytes(max_total_bytes)} "
                f"Sweepscope unpacks from one zip ({limits.ZIP_MB.how_to_raise}). Load the folder as a "
                "path instead."
            )
        data = handle.read(max_total_bytes + 1)
    return load_wandb_zip(data, path.name, max_total_bytes=max_total_bytes, max_files=max_files)


def extract_zip(data: bytes, name: str, root: Path, *, max_total_bytes: int, max_files: int) -> Extraction:
    """Unpack the safe members of the zip `data` under `root`; `SourceError` for a bomb or a non-zip."""
    _check_entry_count(data, name, max_files=max_files)
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
            written.add(_same_path_key(member.filename))
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
            f"{name!r} holds {len(files):,} files, more than the {max_files:,} Sweepscope unpacks "
            f"({limits.ZIP_FILES.how_to_raise}). Zip only the wandb/ folder (without checkpoints or "
            "media), or load it as a path."
        )
    declared = sum(m.file_size for m in files)
    if declared > max_total_bytes:
        raise ZipTooLarge(
            f"{name!r} unpacks to {_megabytes(declared)}, more than the {_megabytes(max_total_bytes)} "
            f"Sweepscope accepts ({limits.ZIP_MB.how_to_raise}). Leave checkpoints and media out of "
            "the zip, or load the folder as a path."
        )


def _check_entry_count(data: bytes, name: str, *, max_files: int) -> None:
    """Refuse a zip whose end record declares far more entries than files allowed, before
    Python's zipfile builds an object for each (a 200 MB upload can list two million)."""
    entries = _declared_entries(data)
    if entries is not None and entries > ENTRIES_PER_FILE * max_files:
        raise ZipTooLarge(
            f"{name!r} lists {entries:,} entries, more than Sweepscope reads for {max_files:,} files "
            f"({limits.ZIP_FILES.how_to_raise}). Zip only the wandb/ folder, or load it as a path."
        )


_END_RECORD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END = b"PK\x06\x06"


def _declared_entries(data: bytes) -> int | None:
    """The entry count in the zip's end-of-central-directory record (zip64's when it has one)."""
    at = data.rfind(_END_RECORD, max(0, len(data) - 22 - 65_535))
    if at < 0 or len(data) < at + 22:
        return None
    (entries,) = struct.unpack_from("<H", data, at + 10)
    locator = at - 20
    if entries == 0xFFFF and locator >= 0 and data[locator : locator + 4] == _ZIP64_LOCATOR:
        (end64,) = struct.unpack_from("<Q", data, locator + 8)
        if end64 + 56 <= len(data) and data[end64 : end64 + 4] == _ZIP64_END:
            (entries,) = struct.unpack_from("<Q", data, end64 + 32)
    return int(entries)


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
    if any(_is_control(char) for char in filename):
        return "its name holds control or direction-changing characters"
    if any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_PART_BYTES for part in parts):
        return f"a part of its name is over {MAX_NAME_PART_BYTES} bytes, too long for a file name"
    mode = member.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic link: links are not followed"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # no type bits: a file
        return "not a regular file"
    if member.flag_bits & 0x1:
        return "encrypted"
    if not member.is_dir() and _same_path_key(filename) in written:
        return "the same path appears twice in the zip (perhaps in other Unicode); the first copy is kept"
    return None


def _is_control(char: str) -> bool:
    """C0/C1 controls, and format characters such as right-to-left overrides that disguise names."""
    return unicodedata.category(char) in ("Cc", "Cf", "Cs")


def _same_path_key(filename: str) -> str:
    """Paths that name one file on some system: `é` composed or not (macOS folds them)."""
    return unicodedata.normalize("NFC", _normalised(filename))


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
    try:
        if member.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a file and a folder of one name, say
        extraction.skipped.append((member.filename, f"could not be written ({_os_reason(error)})"))
        return
    try:
        written = _copy_counted(
            archive, member, target, extraction, name=name, max_total_bytes=max_total_bytes
        )
    except OSError as error:
        _remove_partial(target)
        extraction.skipped.append((member.filename, f"could not be written ({_os_reason(error)})"))
        return
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
        _remove_partial(target)
        extraction.skipped.append((member.filename, f"could not be unpacked ({error})"))
        return
    extraction.files += 1
    extraction.bytes_written += written


def _os_reason(error: OSError) -> str:
    """The OS's reason without the paths it names (they are the private folder's)."""
    return error.strerror or type(error).__name__


def _remove_partial(target: Path) -> None:
    try:
        if target.is_file() and not target.is_symlink():
            target.unlink()
    except OSError:
        pass


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
                    f"{name!r} unpacks to more than it declares or than Sweepscope accepts "
                    f"({member.filename!r} reaches {_megabytes(extraction.bytes_written + written)} "
                    f"of the {_megabytes(max_total_bytes)} allowed; {limits.ZIP_MB.how_to_raise}): "
                    "it looks like a zip bomb and was not loaded. Zip the wandb/ folder again."
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
