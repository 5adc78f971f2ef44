"""How a source is read: which folders its files may lead into, and whether parses may be cached.

The app passes the folders the operator allowed (`lib.sources.paths.allowed_roots`); every file and folder a
reader opens is then resolved (`..` and symlinks) and must still lie inside one of them, so a link
planted below an allowed folder cannot show data from elsewhere. Headless callers pass no roots and
read whatever they are given. A temporary folder (an unpacked upload) is read without caching:
its parses would never be asked for again.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lib.sources.errors import SourceError

LINK_OUTSIDE = "a link that leads outside the folders Sweepscope may read"


class OutsideAllowedFolders(SourceError):
    """A path given inside the allowed folders leads outside them once links are followed."""


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

    def folder_refusal(self, folder: Path, below: Iterable[Path]) -> str | None:
        """Why `folder` is not read: it, or a file below it that a reader would open, leads outside."""
        if self.roots is None:
            return None
        if not self.allows(folder):
            return f"the folder is {LINK_OUTSIDE}"
        links: dict[Path, bool] = {}
        for path in below:
            if any(_is_link(part, links) for part in _parts_below(folder, path)) and not self.allows(path):
                return self.outside_reason(path, base=folder)
        return None

    def check(self, path: Path) -> None:
        """`OutsideAllowedFolders` unless `path` may be read."""
        if not self.allows(path):
            raise OutsideAllowedFolders(f"{path.name!r} is {LINK_OUTSIDE}.")


UNGUARDED = Reading()


def _parts_below(folder: Path, path: Path) -> list[Path]:
    """`folder/a`, `folder/a/b`, ... up to `path`: what a link could hide in."""
    parts = [path]
    while parts[-1].parent != folder and parts[-1].parent != parts[-1]:
        parts.append(parts[-1].parent)
    return parts[::-1]


def _is_link(path: Path, known: dict[Path, bool]) -> bool:
    """Below a folder that is inside the roots, only a link can lead out (checked once per path)."""
    if path not in known:
        try:
            known[path] = stat.S_ISLNK(os.lstat(path).st_mode)
        except OSError:  # missing: nothing to read there
            known[path] = False
    return known[path]


def _real(path: Path) -> Path:
    """`path` absolute, with links followed as far as they exist (a loop leads nowhere allowed)."""
    try:
        return Path(os.path.realpath(path, strict=False))
    except (OSError, ValueError):
        return Path("/\0unresolvable")  # inside no root
