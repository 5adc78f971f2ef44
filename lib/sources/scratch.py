"""Private temporary folders for a load (an unpacked zip), which nothing leaves behind.

A folder is removed on every way out of its `with` block: return, error, KeyboardInterrupt or
SystemExit, and SIGTERM too when the load runs on the main thread (a headless script: the signal
becomes SystemExit for the length of the load). A process killed outright (SIGKILL, power loss)
cannot clean up, so each new folder first removes stale ones: folders of this user named
`sweepscope-<kind>-<pid>-...` whose process is gone, and any `sweepscope-*` folder older than
`STALE_AFTER_SECONDS`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

PREFIX = "sweepscope-"
STALE_AFTER_SECONDS = 3600
_OWNED_NAME = re.compile(rf"^{PREFIX}[a-z]+-(\d+)-")


@contextmanager
def scratch_folder(kind: str) -> Iterator[Path]:
    """A new empty folder `sweepscope-<kind>-<pid>-...` in the temporary folder, removed after."""
    remove_stale_folders()
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-{os.getpid()}-"))
    try:
        with _sigterm_as_exit():
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_stale_folders(*, now: float | None = None, parent: Path | None = None) -> list[Path]:
    """Remove this user's Sweepscope folders left by a killed process; the folders removed."""
    parent = Path(tempfile.gettempdir()) if parent is None else parent
    now = time.time() if now is None else now
    removed = []
    try:
        entries = [entry for entry in os.scandir(parent) if entry.name.startswith(PREFIX)]
    except OSError:
        return []
    for entry in entries:
        if _is_stale(entry, now):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def _is_stale(entry: os.DirEntry[str], now: float) -> bool:
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():  # never a link, never others'
        return False
    if now - info.st_mtime > STALE_AFTER_SECONDS:
        return True
    owner = _OWNED_NAME.match(entry.name)
    return owner is not None and not _is_running(int(owner.group(1)))


def _is_running(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process may be loading into it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone's process, or not ours to judge
    return True


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """On the main thread with SIGTERM's default action, SIGTERM raises SystemExit meanwhile, so
    `finally` blocks run; elsewhere (Streamlit's script threads) signals cannot be handled here."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
