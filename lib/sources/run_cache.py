"""The in-process cache of parsed run files, bounded by entries, by bytes held and by age.

A warm reload of a folder on the server re-parses only the files that changed; what the cache
holds is capped by an estimate of its size (`lib.sources.safe_load.approx_bytes`), so a few big
runs cannot pin the server's memory, and entries expire so that nothing stays for good.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from lib.sources.safe_load import approx_bytes

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_TTL_SECONDS = 3600.0


class BoundedCache:
    """A thread-safe least-recently-used map, bounded by `max_entries`, `max_bytes` and `ttl_seconds`.

    An entry bigger than a quarter of `max_bytes` is not kept at all.
    """

    def __init__(
        self,
        max_entries: int,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries, self.max_bytes, self.ttl_seconds = max_entries, max_bytes, ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[Any, int, float]] = OrderedDict()  # value, bytes, stored
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self._clock() - entry[2] > self.ttl_seconds:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: Any, nbytes: int | None = None) -> None:
        """Keep `value`; `nbytes` is its estimated size (measured when not given)."""
        size = approx_bytes(value, self.max_bytes) if nbytes is None else nbytes
        with self._lock:
            if key in self._entries:
                self._drop(key)
            if size > self.max_bytes // 4:
                return
            self._entries[key] = (value, size, self._clock())
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def bytes_held(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: Hashable) -> None:
        _, size, _ = self._entries.pop(key)
        self._bytes -= size
