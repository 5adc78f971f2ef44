"""Script-run timing for load tests: written only when asked, one line per run, stopped runs too."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lib.ui.run_times import ENV_VAR, timed_run


def test_nothing_is_written_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    with timed_run() as run:
        run.page = "Home"
    assert list(tmp_path.iterdir()) == []


def test_each_run_is_one_line_with_its_page_and_duration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "runs.tsv"
    monkeypatch.setenv(ENV_VAR, str(target))
    with timed_run() as run:
        run.page = "Home"
        time.sleep(0.05)
    with pytest.raises(RuntimeError), timed_run() as run:  # st.stop() and st.rerun() end runs by raising
        run.page = "Next sweep"
        raise RuntimeError
    with timed_run():
        pass  # ended before the navigation chose a page
    lines = [line.split("\t") for line in target.read_text().splitlines()]
    assert [page for page, _ in lines] == ["Home", "Next sweep", "(before the navigation)"]
    assert 0.05 <= float(lines[0][1]) < 1.0
