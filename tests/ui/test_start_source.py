"""The sweep named at start becomes the reference a link would carry."""

from __future__ import annotations

import shutil
from pathlib import Path

from lib.ui.references import parse_reference
from lib.ui.start_source import START_SOURCE_VAR, start_source_reference

REAL = Path(__file__).parents[1] / "fixtures" / "real"


def test_nothing_named_opens_the_demo() -> None:
    assert start_source_reference({}, [Path.cwd()]) is None
    assert start_source_reference({START_SOURCE_VAR: "  "}, [Path.cwd()]) is None


def test_a_folder_outside_the_app_is_named_by_its_full_path(tmp_path: Path) -> None:
    folder = tmp_path / "wandb"
    folder.mkdir()
    reference = start_source_reference({START_SOURCE_VAR: str(folder)}, [Path.cwd(), tmp_path])
    assert reference == f"path:{folder}"


def test_an_optuna_storage_opens_its_latest_study(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    shutil.copyfile(REAL / "optuna" / "adlane98__koleo-study__optuna_study.db", db)
    reference = start_source_reference({START_SOURCE_VAR: f"sqlite:///{db}"}, [Path.cwd(), tmp_path])
    assert reference is not None
    parsed = parse_reference(reference)
    assert parsed.kind == "optuna" and parsed.study  # the study named, so the link reopens it
    named = start_source_reference({START_SOURCE_VAR: f"sqlite:///{db}#other"}, [Path.cwd(), tmp_path])
    assert named is not None and parse_reference(named).study == "other"


def test_a_wandb_project_is_a_wandb_reference() -> None:
    reference = start_source_reference({START_SOURCE_VAR: "alice/mnist-sweeps"}, [Path.cwd()])
    assert reference is not None and parse_reference(reference).kind == "wandb"
