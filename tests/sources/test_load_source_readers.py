"""`load_source` is a list of small readers: each one declines, without reading, what is not its kind.

What each reader answers is tested through `load_source` in the other test files; here, for one
input of every kind, every other reader returns None (and touches no network or database), so the
order of `READERS` is what decides only where two kinds could overlap.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lib.sources import FILE_READERS, READERS, Request, SourceError, load_source
from lib.sources.reading import OutsideAllowedFolders

OWNER_OF = {
    "demo": "_read_demo",
    "sqlite:///study.db": "_read_storage_url",
    "postgresql://user@host/optuna#study": "_read_storage_url",
    "alice/mnist": "_read_wandb_reference",
    "wandb://alice/mnist/abc123": "_read_wandb_reference",
    "https://wandb.ai/alice/mnist/sweeps/abc123": "_read_wandb_reference",
    "runs.csv": "_read_existing_path",  # created in the test's folder
}


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"lr": [0.1, 0.2], "loss": [1.0, 0.5]}).to_csv(tmp_path / "runs.csv", index=False)
    return tmp_path


@pytest.mark.parametrize("text", list(OWNER_OF))
def test_every_other_reader_declines(in_tmp: Path, text: str) -> None:
    request = Request(text, allowed_roots=None)
    for reader in READERS:
        if reader.__name__ != OWNER_OF[text]:
            assert reader(request) is None, reader.__name__


def test_text_of_no_kind_is_declined_by_all_and_said_so(in_tmp: Path) -> None:
    request = Request("nothing-here.xyz", allowed_roots=None)
    assert [reader(request) for reader in READERS] == [None] * len(READERS)
    with pytest.raises(SourceError, match=r"Nothing found at 'nothing-here\.xyz'"):
        load_source("nothing-here.xyz")


def test_only_a_path_outside_the_allowed_folders_is_refused(
    in_tmp: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    refuse = next(reader for reader in READERS if reader.__name__ == "_refuse_outside")
    assert refuse(Request(str(in_tmp / "runs.csv"), allowed_roots=[in_tmp])) is None
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "runs.csv"
    with pytest.raises(OutsideAllowedFolders):
        refuse(Request(str(elsewhere), allowed_roots=[in_tmp]))


FILE_OWNER_OF = {
    "runs.csv": "_read_table_file",
    "runs.parquet": "_read_table_file",  # a Parquet file that is not a snapshot
    "study.db": "_read_optuna_file",
    "runs.zip": "_read_zip_file",
    "run-abc.wandb": "_read_run_log_file",
}


@pytest.mark.parametrize("name", list(FILE_OWNER_OF))
def test_every_other_file_reader_declines(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".parquet"):
        pd.DataFrame({"lr": [0.1], "loss": [1.0]}).to_parquet(path)
    for reader in FILE_READERS:
        if reader.__name__ != FILE_OWNER_OF[name]:
            assert reader(path, None) is None, reader.__name__


def test_a_file_no_reader_knows_is_refused_with_what_would_do(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# not a sweep\n")
    with pytest.raises(SourceError, match=r"cannot tell what 'notes\.md' is"):
        load_source(tmp_path / "notes.md")
