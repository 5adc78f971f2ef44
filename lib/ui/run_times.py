"""How long each script run takes on the server, written out only when asked (for load tests).

`SWEEPSCOPE_RUN_TIMES=<file>` makes every run append one line, `<page title>\\t<seconds>`, to that
file. In a browser test or a load test this is the server's own share of a page's time, apart from
the browsers' drawing, which on one small machine running many browsers is most of it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

ENV_VAR = "SWEEPSCOPE_RUN_TIMES"
_lock = threading.Lock()


class RunLabel:
    """What the run is named by in the file: its page, once the navigation has chosen it."""

    page = "(before the navigation)"


@contextmanager
def timed_run() -> Iterator[RunLabel]:
    """Time the block (a whole script run, ended by st.stop() or st.rerun() too) when asked to."""
    target = os.environ.get(ENV_VAR)
    label, started = RunLabel(), time.perf_counter()
    try:
        yield label
    finally:
        if target:
            _append(target, f"{label.page}\t{time.perf_counter() - started:.4f}\n")


def _append(target: str, line: str) -> None:
    with _lock, open(target, "a", encoding="utf-8") as out:
        out.write(line)
