"""Fetched W&B sweeps kept in this process's memory, one entry per (what was asked, credential digest).

Kept outside `st.cache_data` so that a fetch can draw its progress bar: Streamlit replays the
elements a cached function touched, and replaying a bar made outside it fails
(CacheReplayClosureError). Entries are pickled, so every hit is a private copy, and bounded by
age, count and bytes. The key never enters: entries are keyed on `credential_digest(key)`.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from lib.sweep import Sweep


@dataclass(frozen=True)
class _Entry:
    stored_at: float
    data: bytes


class FetchedSweeps:
    """A bounded, thread-safe store of fetched sweeps (least recently used goes first)."""

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int,
        max_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, spec: Hashable, digest: str) -> Sweep | None:
        with self._lock:
            self._drop_expired()
            entry = self._entries.get((spec, digest))
            if entry is None:
                return None
            self._entries.move_to_end((spec, digest))
        return pickle.loads(entry.data)

    def put(self, spec: Hashable, digest: str, sweep: Sweep) -> None:
        data = pickle.dumps(sweep, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._entries.pop((spec, digest), None)
            if len(data) > self.max_bytes:
                return  # too big to keep: the next look fetches again
            self._entries[(spec, digest)] = _Entry(self._clock(), data)
            self._drop_expired()
            while len(self._entries) > self.max_entries or self.stored_bytes() > self.max_bytes:
                self._entries.popitem(last=False)

    def stored_bytes(self) -> int:
        return sum(len(entry.data) for entry in self._entries.values())

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired()
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _drop_expired(self) -> None:
        now = self._clock()
        for key in [k for k, e in self._entries.items() if now - e.stored_at >= self.ttl_seconds]:
            del self._entries[key]
