"""Hostile uploads built on the fly (a YAML alias bomb, a hidden-blob summary), and a loader that
reads them in a child process under an address-space cap, reporting its peak memory and time."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GOOD_RUN = "wandb/run-20250101_000000-good0001/files/"
BOMB_RUN = "wandb/run-20250101_000001-bomb0001/files/"


def alias_bomb_yaml(levels: int = 9, fanout: int = 10, *, as_lists: bool = False) -> bytes:
    """`a: &a [x]`, then each level maps (or lists) `fanout` aliases of the one before:
    `fanout ** levels` leaves once expanded."""
    lines = ["wandb_version: 1", "a: &a [x]"]
    names = [chr(ord("b") + i) for i in range(levels)]
    previous = "a"
    for name in names:
        if as_lists:
            lines.append(f"{name}: &{name} [{', '.join(f'*{previous}' for _ in range(fanout))}]")
        else:
            lines.append(f"{name}: &{name} {{{', '.join(f'k{i}: *{previous}' for i in range(fanout))}}}")
        previous = name
    return ("\n".join(lines) + "\n").encode()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def good_run() -> dict[str, bytes]:
    return {
        GOOD_RUN + "config.yaml": b"wandb_version: 1\nlr:\n  value: 0.1\n",
        GOOD_RUN + "wandb-summary.json": b'{"acc": 0.9}',
    }


def alias_bomb_zip(*, as_lists: bool = False) -> bytes:
    return zip_bytes(
        {
            **good_run(),
            BOMB_RUN + "config.yaml": alias_bomb_yaml(as_lists=as_lists),
            BOMB_RUN + "wandb-summary.json": b'{"acc": 0.5}',
        }
    )


def hidden_blob_zip(blob_bytes: int = 100 * 1024 * 1024) -> bytes:
    summary = b'{"acc": 0.5, "_hidden": "' + b"x" * blob_bytes + b'"}'
    return zip_bytes(
        {
            **good_run(),
            BOMB_RUN + "config.yaml": b"lr:\n  value: 0.2\n",
            BOMB_RUN + "wandb-summary.json": summary,
        }
    )


@dataclass(frozen=True)
class ChildResult:
    outcome: str  # "loaded", "source_error", "memory_error", "killed" or "timeout"
    detail: str
    peak_rss_mb: float
    rss_growth_mb: float  # RSS after the loads minus RSS before them
    seconds: float
    runs: int = 0
    skipped: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()


_CHILD = textwrap.dedent(
    """
    import gc, json, resource, sys, time
    from pathlib import Path
    from lib.sources.archive import load_wandb_zip
    from lib.sources.errors import SourceError

    def rss_mb():
        return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20

    zip_path, cap_mb, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    data = Path(zip_path).read_bytes()
    from tests.sources.hostile_zips import good_run, zip_bytes

    load_wandb_zip(zip_bytes(good_run()), name="warmup.zip")  # imports and first-use costs are not counted
    gc.collect()
    before = rss_mb()
    resource.setrlimit(resource.RLIMIT_AS, (cap_mb * 2**20, cap_mb * 2**20))
    start = time.perf_counter()
    result = {"runs": 0, "skipped": [], "notes": []}
    try:
        for _ in range(repeats):
            sweep = load_wandb_zip(data, name="upload.zip")
        result.update(outcome="loaded", detail=sweep.source, runs=len(sweep.runs))
        result.update(skipped=sweep.skipped, notes=sweep.notes)
    except SourceError as error:
        result.update(outcome="source_error", detail=str(error))
    except MemoryError as error:
        result.update(outcome="memory_error", detail=repr(error))
    seconds = time.perf_counter() - start
    gc.collect()
    status = Path("/proc/self/status").read_text().splitlines()
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024  # since exec
    result.update(seconds=seconds, peak_rss_mb=peak, rss_growth_mb=rss_mb() - before)
    print("RESULT " + json.dumps(result, default=str))
    """
)


def load_in_child(data: bytes, tmp: Path, *, cap_mb: int, timeout: float, repeats: int = 1) -> ChildResult:
    """Load the zip `data` `repeats` times in a fresh interpreter whose address space is capped."""
    zip_path = tmp / "upload.zip"
    zip_path.write_bytes(data)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(zip_path), str(cap_mb), str(repeats)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return ChildResult("timeout", f"still running after {timeout} s", 0.0, 0.0, timeout)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            found = json.loads(line[len("RESULT ") :])
            skipped = tuple(tuple(pair) for pair in found.pop("skipped"))
            return ChildResult(skipped=skipped, notes=tuple(found.pop("notes")), **found)
    return ChildResult("killed", (done.stderr or "")[-2000:], 0.0, 0.0, 0.0)
