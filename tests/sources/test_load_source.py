"""`load_source` sends every kind of spec to the reader that understands it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from lib.sources import SourceError, load_source, load_upload
from lib.sources.wandb.api import load_wandb
from lib.sources.wandb.errors import NoApiKeyError
from lib.sources.wandb.snapshot import save_snapshot, snapshot_bytes
from tests.sources.wandb_standin import WandbStandin, wandb_run

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "fixtures" / "real"
OPTUNA_DB = REAL / "optuna" / "adlane98__koleo-study__optuna_study.db"
RUNS_CSV = REAL / "wandb_runs_csv" / "NevroHelios__DeepWaste-Optimization__notebooks__wandb_export.csv"
KEY = "a" * 40


@pytest.fixture(scope="module")
def standin() -> Iterator[WandbStandin]:
    server = WandbStandin({KEY: "alice"})
    project = server.add_project("alice", "routing")
    project.runs += [
        wandb_run(f"r{i}", config={"lr": 10.0**-i}, summary={"loss": 1.0 / i}) for i in (1, 2, 3)
    ]
    with server:
        yield server


def test_demo_is_the_builtin_sweep() -> None:
    sweep = load_source(" demo ")
    assert sweep.source.startswith("Demo") and len(sweep.runs) >= 200


def test_an_optuna_file_and_its_url_load_the_same_study() -> None:
    by_path = load_source(OPTUNA_DB)
    by_url = load_source(f"sqlite:///{OPTUNA_DB}")
    pd.testing.assert_frame_equal(by_path.runs, by_url.runs)
    assert len(by_path.runs) == 100


def test_a_missing_sqlite_file_is_refused_without_creating_it(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    with pytest.raises(SourceError, match="nothing was created"):
        load_source(f"sqlite:///{missing}")
    assert not missing.exists()


def test_a_wandb_url_is_fetched_with_the_environment_key(
    standin: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_API_KEY", KEY)
    monkeypatch.setenv("WANDB_BASE_URL", standin.url)
    sweep = load_source("wandb://alice/routing")
    assert sorted(sweep.runs.index) == ["r1", "r2", "r3"]
    assert "loss" in sweep.metrics and "lr" in sweep.params


def test_a_wandb_reference_without_a_key_says_where_to_put_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    with pytest.raises(NoApiKeyError, match="WANDB_API_KEY"):
        load_source("https://wandb.ai/alice/routing/sweeps/abc123")


def test_a_snapshot_reopens_as_a_snapshot_and_a_plain_parquet_as_a_table(
    standin: WandbStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_BASE_URL", standin.url)
    fetched = load_wandb("alice/routing", KEY)
    snapshot = load_source(save_snapshot(fetched, tmp_path / "routing.parquet"))
    assert snapshot.params == fetched.params and snapshot.metrics == fetched.metrics
    table = tmp_path / "table.parquet"
    pd.read_csv(RUNS_CSV).to_parquet(table)
    assert len(load_source(table).runs) == len(load_source(RUNS_CSV).runs)


def test_a_local_folder_wins_over_a_wandb_reference_of_the_same_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "team" / "project"
    folder.mkdir(parents=True)
    shutil.copy(RUNS_CSV, folder / "runs.csv")
    monkeypatch.chdir(tmp_path)
    assert len(load_source("team/project/runs.csv").runs) == len(load_source(RUNS_CSV).runs)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("ftp://example.com/runs", "neither a W&B URL nor a database URL"),
        ("no/such/file.csv", "Nothing found at"),
        ("", "No source given"),
    ],
)
def test_what_cannot_be_read_is_refused_with_a_reason(spec: str, words: str) -> None:
    with pytest.raises(SourceError, match=words):
        load_source(spec)


def test_an_uploaded_snapshot_reopens_as_a_snapshot(
    standin: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_BASE_URL", standin.url)
    fetched = load_wandb("alice/routing", KEY)
    reopened = load_upload(snapshot_bytes(fetched), "my-sweep.parquet")
    assert reopened.source.endswith("(snapshot)")
    assert sorted(reopened.runs.index) == ["r1", "r2", "r3"]
    plain = load_upload(RUNS_CSV.read_bytes(), RUNS_CSV.name)
    assert len(plain.runs) == len(load_source(RUNS_CSV).runs)


def test_a_wandb_folder_loads_without_importing_the_optuna_reader() -> None:
    """Only a URL can be an Optuna storage: a path never pays for importing SQLAlchemy (~1.5 s)."""
    folder = REAL / "wandb_dirs" / "nicetea17__CIFAR10-Classifier-AlexNet-and-Resnet18"
    script = (
        "import sys; from lib.sources import load_source; "
        f"sweep = load_source({str(folder)!r}); print(len(sweep.runs), 'sqlalchemy' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    n_runs, imported = done.stdout.split()
    assert int(n_runs) > 0 and imported == "False"
