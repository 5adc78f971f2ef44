"""Issue 15, item 4: a zip load killed midway leaves no temporary folder behind.

A child process loads a zip of 8,000 files with its temporary folder set to one of ours; once the
unpacking has visibly begun (files in a `sweepscope-zip-*` folder) it is interrupted. SIGTERM and
SIGINT must clean up at once; SIGKILL cannot be caught, so the next load must remove what it left.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.sources.hostile.cases import GOOD_CONFIG, GOOD_SUMMARY, STAMP

REPO = Path(__file__).resolve().parents[3]
# Each member's unpacking takes 0.5 ms longer than it would (~4 s for the zip), so the load is surely
# still unpacking when the signal comes, however long this test's own process is kept waiting.
SLOWED_OPEN = (
    "import time, zipfile; _open = zipfile.ZipFile.open; "
    "zipfile.ZipFile.open = lambda self, *a, **k: (time.sleep(0.0005), _open(self, *a, **k))[1]"
)
# Ctrl-C as in a terminal: a test run started in the background (`cmd &` without job control)
# hands its children SIGINT ignored, and Python then never turns it into KeyboardInterrupt
CTRL_C_HEARD = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)"
LOAD = (
    f"import sys; {CTRL_C_HEARD}; {SLOWED_OPEN}; from lib.sources import load_source as ls; ls(sys.argv[1])"
)
FILES = 8_000


def many_runs_zip(path: Path, runs: int = FILES // 2) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(runs):
            folder = f"wandb/run-{STAMP}-r{index:07d}/files/"
            archive.writestr(folder + "config.yaml", GOOD_CONFIG)
            archive.writestr(folder + "wandb-summary.json", GOOD_SUMMARY)
    path.write_bytes(buffer.getvalue())
    return path


def scratch_folders(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("sweepscope-*"))


def files_below(folder: Path) -> int:
    return sum(len(names) for _, _, names in os.walk(folder))


def start_load(spec: Path, tmp: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TMPDIR": str(tmp), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", LOAD, str(spec)], cwd=REPO, env=env, stderr=subprocess.PIPE
    )


def wait_for_unpacking(tmp: Path, process: subprocess.Popen[bytes], *, at_least: int = 200) -> Path:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        folders = scratch_folders(tmp)
        if folders and files_below(folders[0]) >= at_least:
            return folders[0]
        time.sleep(0.005)
    raise AssertionError(f"the load never began unpacking (exit code {process.poll()})")


@pytest.fixture(scope="module")
def upload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return many_runs_zip(tmp_path_factory.mktemp("upload") / "runs.zip")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_load_stopped_by_a_signal_removes_its_folder(upload: Path, tmp_path: Path, signum: int) -> None:
    process = start_load(upload, tmp_path)
    folder = wait_for_unpacking(tmp_path, process)
    stopped_at = time.monotonic()
    process.send_signal(signum)
    process.wait(timeout=30)
    stderr = process.stderr.read().decode(errors="replace")[-2000:] if process.stderr else ""
    waited = time.monotonic() - stopped_at
    assert process.returncode != 0, f"the load finished before it was stopped ({waited:.1f} s): {stderr}"
    assert not folder.exists() and scratch_folders(tmp_path) == []


def test_a_killed_load_leaves_a_folder_that_the_next_load_removes(upload: Path, tmp_path: Path) -> None:
    process = start_load(upload, tmp_path)
    folder = wait_for_unpacking(tmp_path, process)
    process.kill()
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert files_below(folder) >= 200  # SIGKILL cannot be caught: the half-unpacked folder is there
    small = many_runs_zip(tmp_path / "small.zip", runs=2)
    next_load = start_load(small, tmp_path)
    next_load.wait(timeout=60)
    assert next_load.returncode == 0, next_load.stderr.read() if next_load.stderr else ""
    assert scratch_folders(tmp_path) == []
