"""Freezing the startup heap: once per process, garbage collected first, later garbage still collected."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.ui import heap

APP_DIR = Path(__file__).resolve().parents[2]


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def unreachable_cycle() -> weakref.ref[Node]:
    """Two objects that only reference each other: only the cycle collector can free them."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def unfrozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    gc.unfreeze()
    monkeypatch.setattr(heap, "_frozen", False)
    yield
    gc.unfreeze()


def test_it_freezes_the_live_heap_once(unfrozen: None) -> None:
    assert gc.get_freeze_count() == 0
    assert heap.freeze_startup_heap() is True
    frozen = gc.get_freeze_count()
    assert frozen > 1_000  # the imported modules at least
    assert heap.freeze_startup_heap() is False
    assert gc.get_freeze_count() == frozen


def test_garbage_from_before_the_freeze_is_collected_not_frozen(unfrozen: None) -> None:
    gc.disable()  # no automatic collection may free the cycle before the freeze does
    try:
        cycle = unreachable_cycle()
        assert cycle() is not None
        heap.freeze_startup_heap()
        assert cycle() is None
    finally:
        gc.enable()


def test_garbage_made_after_the_freeze_is_still_collected(unfrozen: None) -> None:
    heap.freeze_startup_heap()
    gc.disable()
    try:
        cycle = unreachable_cycle()
        assert cycle() is not None
        gc.collect(2)  # what Streamlit runs after each script run
        assert cycle() is None
    finally:
        gc.enable()


def test_sessions_starting_together_freeze_it_once(unfrozen: None) -> None:
    results: list[bool] = []
    start = threading.Barrier(8)

    def session() -> None:
        start.wait()
        results.append(heap.freeze_startup_heap())

    threads = [threading.Thread(target=session) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_the_first_run_of_the_app_freezes_it(unfrozen: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(APP_DIR)
    app = AppTest.from_file(str(APP_DIR / "streamlit_app.py"), default_timeout=60).run()
    assert not app.exception
    assert gc.get_freeze_count() > 1_000
    assert heap.freeze_startup_heap() is False
