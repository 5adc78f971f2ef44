"""How a source is read: which folders its files may lead into, and whether parses may be cached.

The app passes the folders the operator allowed (`lib.sources.paths.allowed_roots`); every file and folder a
reader opens is then resolved (`..` and symlinks) and must still lie inside one of them, so a link
planted below an allowed folder cannot show data from elsewhere. Headless callers pass no roots and
read whatever they are given. A temporary folder (an unpacked upload) is read without caching:
its parses would never be asked for again.

Only regular files are read (`open_regular`): a named pipe would block the reader forever, a device
such as /dev/zero never ends, and a symlink loop has nothing behind it; each is refused with a reason.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lib.sources.errors import SourceError

LINK_OUTSIDE = "a link that leads outside the folders Sweepscope may read"


class OutsideAllowedFolders(SourceError):
    """A path given inside the allowed folders leads outside them once links are followed."""


class NotARegularFile(SourceError):
    """A path to read is a pipe, a device, a socket, a folder or a symlink loop, not a file."""


@dataclass(frozen=True)
class Reading:
    roots: tuple[Path, ...] | None = None  # None: any path may be read
    cache: bool = True

    @classmethod
    def within(cls, roots: Sequence[Path] | None, *, cache: bool = True) -> Reading:
        if roots is None:
            return cls(None, cache)
        return cls(tuple(_real(Path(root)) for root in roots), cache)

    def allows(self, path: Path) -> bool:
        """True when `path`, links followed, lies inside a root (always, without roots)."""
        if self.roots is None:
            return True
        real = _real(path)
        return any(real == root or real.is_relative_to(root) for root in self.roots)

    def first_outside(self, paths: Iterable[Path]) -> Path | None:
        """The first of `paths` that leads outside the roots, or None."""
        if self.roots is None:
            return None
        return next((path for path in paths if not self.allows(path)), None)

    def outside_reason(self, path: Path, *, base: Path) -> str | None:
        """Why `path` (named relative to `base`) is not read, or None when it may be."""
        if self.allows(path):
            return None
        if path == base:
            return f"the folder is {LINK_OUTSIDE}"
        try:
            shown = path.relative_to(base).as_posix()
        except ValueError:
            shown = path.name
        return f"{shown} is {LINK_OUTSIDE}"

    def folder_refusal(
        self,
        folder: Path | str,
        below: Iterable[Path | str],
        real_parents: dict[str, str] | None = None,
        modes: dict[str, int | None] | None = None,
    ) -> str | None:
        """Why `folder` is not read: it, or a file below it that a reader would open, leads outside.

        Below a folder inside the roots only a link can lead out, so each path's parts are looked at
        with one `lstat` each (shared between paths, none past a part that is missing), and only a
        path with a link on the way is resolved. `real_parents`, shared between the calls for the
        folders of one parent, keeps that parent resolved: a folder that is not a link then costs
        one `lstat` (none when `modes` has its mode already, as a folder listing tells), not a walk
        up the whole path. `modes` is filled with the `lstat` mode of every path looked at (None:
        missing), for the reader that opens them next.
        """
        if self.roots is None:
            return None
        base = os.fspath(folder)
        kinds: dict[str, int | None] = {} if modes is None else modes
        if not self._allows_folder(base, real_parents, kinds):
            return f"the folder is {LINK_OUTSIDE}"
        for path in below:
            if _link_on_the_way(base, os.fspath(path), kinds) and not self.allows(Path(path)):
                return self.outside_reason(Path(path), base=Path(folder))
        return None

    def _allows_folder(
        self, folder: str, real_parents: dict[str, str] | None, kinds: dict[str, int | None]
    ) -> bool:
        parent, name = os.path.split(folder)
        if real_parents is None or not parent or name in ("", os.curdir, os.pardir):
            return self.allows(Path(folder))
        if folder not in kinds:
            kinds[folder] = _lstat_mode(folder)
        mode = kinds[folder]
        if mode is not None and stat.S_ISLNK(mode):
            return self.allows(Path(folder))
        if parent not in real_parents:  # a missing folder resolves as its parent does
            real_parents[parent] = str(_real(Path(parent)))
        real = os.path.join(real_parents[parent], name)
        return any(real == str(root) or real.startswith(_as_prefix(root)) for root in self.roots or ())

    def check(self, path: Path) -> None:
        """`OutsideAllowedFolders` unless `path` may be read."""
        if not self.allows(path):
            raise OutsideAllowedFolders(f"{path.name!r} is {LINK_OUTSIDE}.")


UNGUARDED = Reading()


def _as_prefix(root: Path) -> str:
    text = str(root)
    return text if text.endswith(os.sep) else text + os.sep


def _link_on_the_way(base: str, path: str, kinds: dict[str, int | None]) -> bool:
    """Whether a part of `path` below `base` is a link (parts looked up once in `kinds`)."""
    prefix = base.rstrip(os.sep) + os.sep
    rest = path[len(prefix) :]
    if not path.startswith(prefix) or os.pardir in rest.split(os.sep):
        return True  # not plainly below the folder: let `allows` decide
    start = 0
    while True:
        cut = rest.find(os.sep, start)
        part = prefix + (rest if cut < 0 else rest[:cut])
        if part not in kinds:
            kinds[part] = _lstat_mode(part)
        mode = kinds[part]
        if mode is None:
            return False
        if stat.S_ISLNK(mode):
            return True
        if cut < 0:
            return False
        start = cut + 1


def _lstat_mode(path: str) -> int | None:
    """The path's own mode (a link not followed); None when missing: nothing to read there."""
    try:
        return os.lstat(path).st_mode
    except OSError:
        return None


def _real(path: Path) -> Path:
    """`path` absolute, with links followed as far as they exist (a loop leads nowhere allowed)."""
    try:
        return Path(os.path.realpath(path, strict=False))
    except (OSError, ValueError):
        return Path("/\0unresolvable")  # inside no root


# ---------------------------------------------------------------- regular files only

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO), not a regular file: reading it could wait forever"),
    (stat.S_ISCHR, "a device, not a regular file"),
    (stat.S_ISBLK, "a device, not a regular file"),
    (stat.S_ISSOCK, "a socket, not a regular file"),
    (stat.S_ISDIR, "a folder, not a file"),
)


def not_regular_reason(mode: int) -> str | None:
    """Why a file of `mode` (from `os.stat`) is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((why for is_kind, why in _KINDS if is_kind(mode)), "not a regular file")


def regular_file_refusal(path: Path, what: str) -> str | None:
    """Why `path` is not read as a file (links followed), or None when it is a regular file.

    A missing file is not refused here: the caller's own message for it is better."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        return _stat_error_reason(error, what)
    why = not_regular_reason(mode)
    return None if why is None else f"{what} is {why}"


def _stat_error_reason(error: OSError, what: str) -> str | None:
    if error.errno == errno.ELOOP:
        return f"{what} is a symbolic link that leads back to itself (a loop), so there is nothing to read"
    return None


def unreadable_entry_reason(error: OSError, what: str) -> str:
    """Why a folder entry could not even be looked at (a link loop, no permission), in words."""
    return _stat_error_reason(error, what) or f"{what} cannot be read: {error.strerror or error}"


@contextmanager
def open_regular(path: Path, what: str) -> Iterator[BinaryIO]:
    """`path` opened for reading, only if it is a regular file; `NotARegularFile` otherwise.

    The type is checked before opening (so a pipe is never opened) and again on the open file, which
    is opened non-blocking: a file swapped for a pipe in between can neither block nor be read.
    """
    refusal = regular_file_refusal(path, what)
    if refusal is not None:
        raise NotARegularFile(refusal)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        reason = _stat_error_reason(error, what)
        if reason is None:
            raise
        raise NotARegularFile(reason) from error
    with os.fdopen(fd, "rb") as handle:
        why = not_regular_reason(os.fstat(fd).st_mode)
        if why is not None:
            raise NotARegularFile(f"{what} is {why}")
        yield handle
