"""The store of fetched W&B sweeps: per credential digest, private copies, bounded by age, count, bytes."""

from __future__ import annotations

import pickle

from lib.sources.wandb.cache import FetchedSweeps
from lib.sources.wandb.spec import WandbSpec
from lib.sweep import RunRecord, Sweep, sweep_from_records
from lib.ui.sources import FETCH_TTL_SECONDS, FETCHED

SPEC = WandbSpec("alice", "p", sweep_id="s")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def a_sweep(n: int = 3, blob: str = "") -> Sweep:
    records = [
        RunRecord(f"r{i}", config={"lr": i, "note": blob}, summary={"loss": 1.0 / (i + 1)}) for i in range(n)
    ]
    return sweep_from_records(records, source="t")


def test_a_hit_is_a_private_copy_for_the_same_digest_only() -> None:
    store = FetchedSweeps(ttl_seconds=60, max_entries=4, max_bytes=10**8)
    store.put(SPEC, "digest-a", a_sweep())
    hit = store.get(SPEC, "digest-a")
    assert hit is not None and list(hit.runs.index) == ["r0", "r1", "r2"]
    hit.runs.loc["r0", "lr"] = 99
    assert store.get(SPEC, "digest-a").runs.loc["r0", "lr"] == 0
    assert store.get(SPEC, "digest-b") is None
    assert store.get(WandbSpec("alice", "p", sweep_id="other"), "digest-a") is None


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    store = FetchedSweeps(ttl_seconds=60, max_entries=4, max_bytes=10**8, clock=clock)
    store.put(SPEC, "d", a_sweep())
    clock.now = 59.0
    assert store.get(SPEC, "d") is not None
    clock.now = 60.0
    assert store.get(SPEC, "d") is None and len(store) == 0


def test_the_least_recently_used_goes_first_past_the_entry_bound() -> None:
    store = FetchedSweeps(ttl_seconds=60, max_entries=2, max_bytes=10**8)
    store.put(SPEC, "a", a_sweep())
    store.put(SPEC, "b", a_sweep())
    store.get(SPEC, "a")
    store.put(SPEC, "c", a_sweep())
    assert [d for d in "abc" if store.get(SPEC, d) is not None] == ["a", "c"]


def test_the_byte_bound_holds_and_an_oversized_sweep_is_not_kept() -> None:
    size = len(pickle.dumps(a_sweep(blob="x" * 10_000)))
    store = FetchedSweeps(ttl_seconds=60, max_entries=16, max_bytes=int(size * 2.5))
    for digest in "abcd":
        store.put(SPEC, digest, a_sweep(blob="x" * 10_000))
    assert len(store) == 2 and store.stored_bytes() <= store.max_bytes
    store.put(SPEC, "huge", a_sweep(blob="x" * 100_000))
    assert store.get(SPEC, "huge") is None


def test_the_page_store_is_bounded_as_documented() -> None:
    assert (FETCHED.ttl_seconds, FETCHED.max_entries) == (FETCH_TTL_SECONDS, 16) == (15 * 60, 16)
    assert FETCHED.max_bytes <= 256 * 2**20
