"""Load one spec in this (child) process under an address-space cap, and print what happened.

`python -m tests.sources.hostile.child SPEC CAP_MB` prints one line `RESULT {json}`: the outcome
(`loaded`, `source_error`, `memory_error` or `crashed` with the exception's type), the message or the
runs and skipped items, the seconds the load took and the process's peak resident memory.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024


def load(spec: str, cap_mb: int) -> dict[str, Any]:
    import lib.sources.table
    import lib.sources.wandb.local  # noqa: F401
    from lib.sources import SourceError, load_source

    resource.setrlimit(resource.RLIMIT_AS, (cap_mb * 2**20, cap_mb * 2**20))
    start = time.perf_counter()
    result: dict[str, Any] = {}
    try:
        sweep = load_source(spec)
        result.update(
            outcome="loaded",
            runs=sorted(str(run) for run in sweep.runs.index),
            skipped=[list(item) for item in sweep.skipped],
            notes=list(sweep.notes),
        )
    except SourceError as error:
        result.update(outcome="source_error", message=str(error))
    except MemoryError as error:
        result.update(outcome="memory_error", message=repr(error))
    except BaseException as error:  # the corpus exists to find these
        result.update(outcome="crashed", message=f"{type(error).__name__}: {str(error)[:500]}")
    result.update(seconds=time.perf_counter() - start, peak_rss_mb=peak_rss_mb())
    return result


if __name__ == "__main__":
    print("RESULT " + json.dumps(load(sys.argv[1], int(sys.argv[2])), default=str), flush=True)
