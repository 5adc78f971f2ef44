"""Issue 9, item 2: a SQLite URL is judged by the file SQLAlchemy will open, not by the typed text.

`sqlite:///..%2F..%2Foutside/study.db` once passed the guard (the still-encoded text resolved
inside the allowed folder) and SQLAlchemy then opened the decoded path outside it; pointed at other
paths the answers told whether they existed, were folders, SQLite files, and which tables they held.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import optuna
import pytest

from lib.sources import load_source
from lib.sources.optuna import list_studies, load_optuna_study
from lib.sources.paths import PathNotAllowed, guard_storage_url

SECRET_TABLE = "payroll_2025"


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """root/ is allowed; outside/ beside it holds a study, a foreign database, a folder, a text file."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    _write_study(outside / "study.db", "foreign")
    with sqlite3.connect(outside / "other.db") as connection:
        connection.execute(f"CREATE TABLE {SECRET_TABLE} (x)")
    (outside / "folder.db").mkdir()
    (outside / "notes.db").write_text("not a database")
    _write_study(root / "my study.db", "inside")
    return {"root": root, "outside": outside}


def _write_study(path: Path, name: str) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=f"sqlite:///{path}", study_name=name)
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)


ENCODED_FORMS = [
    "sqlite:///..%2Foutside%2F{name}",
    "sqlite:///..%2foutside/{name}",
    "sqlite:///%2E%2E/outside/{name}",
    "sqlite:///%2e%2e%2Foutside%2F{name}",
    "sqlite+pysqlite:///..%2Foutside/{name}",
    "sqlite+aiosqlite:///..%2Foutside/{name}",
    "SQLITE:///..%2Foutside/{name}",
    "Sqlite+PySqlite:///..%2Foutside/{name}",
    "sqlite:///file:..%252Foutside%252F{name}?mode=ro&uri=true",
    "sqlite:///{root}/..%2Foutside/{name}",
    "sqlite:///{root}/%2E%2E/outside/{name}#foreign",
    "sqlite:///{outside}/{name}",
]


@pytest.mark.parametrize("form", ENCODED_FORMS)
def test_an_encoded_path_outside_the_allowed_folder_is_refused(layout: dict[str, Path], form: str) -> None:
    root, outside = layout["root"], layout["outside"]
    url = form.format(name="study.db", root=root, outside=outside)  # absolute: sqlite:////abs/...
    with pytest.raises(PathNotAllowed, match="outside the folders Sweepscope may read"):
        guard_storage_url(url, [root])
    with pytest.raises(PathNotAllowed):
        load_source(url, allowed_roots=[root])


def test_every_outside_path_gets_one_answer_that_tells_nothing_about_it(layout: dict[str, Path]) -> None:
    root = layout["root"]
    answers = set()
    for name in ("study.db", "other.db", "folder.db", "notes.db", "missing.db", "missing/dir/x.db"):
        with pytest.raises(PathNotAllowed) as raised:
            guard_storage_url(f"sqlite:///..%2Foutside%2F{name.replace('/', '%2F')}", [root])
        answers.add(str(raised.value))
    (answer,) = answers
    for leak in (SECRET_TABLE, "is a folder", "No file", "not a SQLite", "exist", "empty", "outside/"):
        assert leak not in answer


def test_a_file_inside_still_opens_with_its_study_name_and_no_query(layout: dict[str, Path]) -> None:
    root = layout["root"]
    url = guard_storage_url("sqlite:///my%20study.db?mode=rwc&vfs=unix-dotfile#inside", [root])
    assert "?" not in url and "mode" not in url and url.endswith("#inside")
    assert [s.name for s in list_studies(url)] == ["inside"]
    assert len(load_optuna_study(url).runs) == 2
    assert len(load_source(f"sqlite:///{root}/my%20study.db", allowed_roots=[root]).runs) == 2


def test_a_sqlite_symlink_inside_to_a_study_outside_is_refused(layout: dict[str, Path]) -> None:
    root = layout["root"]
    (root / "link.db").symlink_to(layout["outside"] / "study.db")
    with pytest.raises(PathNotAllowed):
        guard_storage_url("sqlite:///link.db", [root])
    with pytest.raises(PathNotAllowed):
        load_source("sqlite:///link.db", allowed_roots=[root])


def test_other_dialects_and_in_memory_urls_are_refused(layout: dict[str, Path]) -> None:
    root = layout["root"]
    for url in ("sqlite://", "sqlite:///:memory:", "sqlite://relative.db", "duckdb:///..%2Foutside/x.db"):
        with pytest.raises(PathNotAllowed):
            guard_storage_url(url, [root])
    assert (
        guard_storage_url("postgresql://user@db.example/optuna", [root])
        == "postgresql://user@db.example/optuna"
    )


def test_a_db_file_whose_name_holds_encoded_slashes_opens_itself_not_the_study_it_spells(
    layout: dict[str, Path],
) -> None:
    """The "Path on this server" panel: load_source once built `sqlite:///<path>` from the file's name,
    which SQLAlchemy decoded into the path of the study outside."""
    root = layout["root"]
    decoy = root / "..%2Foutside%2Fstudy.db"
    decoy.write_text("not a database")
    for roots in (None, [root]):
        with pytest.raises(Exception) as raised:
            load_source(decoy, allowed_roots=roots)
        assert "foreign" not in str(raised.value)
        assert "not a SQLite database" in str(raised.value)
