"""The `src` references a link carries: written from what was loaded, read back to the same thing,
and never holding a credential."""

from __future__ import annotations

from pathlib import Path

import pytest

from lib.sources.wandb.spec import WandbSpec, parse_wandb_spec
from lib.ui.references import (
    Reference,
    carries_credentials,
    describe,
    optuna_reference,
    parse_reference,
    path_reference,
    private_reference,
    upload_reference,
    wandb_reference,
    wandb_spec_of,
)

ROOTS = [Path("/srv/app"), Path("/data/sweeps")]


@pytest.fixture(autouse=True)
def wandb_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_BASE_URL", raising=False)


def test_a_path_in_the_app_folder_is_written_relative_to_it() -> None:
    assert path_reference(Path("/srv/app/exports/runs.csv"), ROOTS) == "path:exports/runs.csv"
    assert parse_reference("path:exports/runs.csv") == Reference("path", "exports/runs.csv")


def test_a_path_in_another_allowed_folder_stays_absolute() -> None:
    assert path_reference(Path("/data/sweeps/a b/wandb"), ROOTS) == "path:/data/sweeps/a b/wandb"


def test_a_sqlite_study_is_named_by_its_file_and_its_percent_encoded_study() -> None:
    reference = optuna_reference("sqlite:////srv/app/studies/s.db#ignored", "my study #2", ROOTS)
    assert reference == "optuna:sqlite:///studies/s.db#my%20study%20%232"
    assert parse_reference(reference) == Reference("optuna", "sqlite:///studies/s.db", "my study #2")
    assert describe(parse_reference(reference)) == "the Optuna study 'my study #2' in studies/s.db"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://optuna:hunter2@db.internal/studies",
        "postgresql://optuna@db.internal/studies",
        "mysql://db.internal/studies?password=hunter2",
        "postgresql://db.internal/studies?sslmode=require",
    ],
)
def test_a_server_database_with_a_user_password_or_options_is_never_written(url: str) -> None:
    reference = optuna_reference(url, "s", ROOTS)
    assert reference.startswith("private:")
    assert "hunter2" not in reference and "db.internal" not in reference and "optuna@" not in reference
    assert not parse_reference(reference).reopenable


def test_a_server_database_without_credentials_is_reopenable() -> None:
    reference = optuna_reference("postgresql://db.internal/studies", "s", ROOTS)
    assert reference == "optuna:postgresql://db.internal/studies#s"
    assert parse_reference(reference).reopenable


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        ("alice/private", "wandb:alice/private"),
        ("https://wandb.ai/alice/private/sweeps/sw1?workspace=user-alice", "wandb:alice/private/sw1"),
        ("https://wandb.ai/alice/private/runs/r1", "wandb:alice/private/runs/r1"),
        ("wandb://alice/private/groups/g%2F1", "wandb:alice/private/groups/g%2F1"),
        ("https://wandb.ai/alice/private/sweeps/overview", "wandb:alice/private/sweeps/overview"),
    ],
)
def test_a_wandb_reference_on_the_configured_server_reads_back_as_the_same_runs(
    pasted: str, expected: str
) -> None:
    spec = parse_wandb_spec(pasted)
    assert spec is not None
    assert wandb_reference(spec) == expected
    assert wandb_spec_of(parse_reference(expected)) == spec


def test_a_wandb_reference_on_another_server_carries_its_app_url_but_no_message_names_it() -> None:
    spec = WandbSpec("alice", "private", sweep_id="sw1", base_url="https://api.wandb.example.com")
    reference = wandb_reference(spec)
    assert reference == "wandb:https://app.wandb.example.com/alice/private/sweeps/sw1"
    assert wandb_spec_of(parse_reference(reference)) == spec
    assert "example" not in describe(parse_reference(reference))


def test_a_wandb_server_url_with_a_user_and_password_is_never_written() -> None:
    spec = parse_wandb_spec("https://bob:hunter2@wandb.example.com/alice/private/sweeps/sw1")
    assert spec is not None and "hunter2" in spec.base_url  # what a pasted URL can hold
    assert wandb_reference(spec) is None


def test_an_upload_is_named_by_its_file_name_only() -> None:
    assert upload_reference("runs.csv") == "upload:runs.csv"
    assert upload_reference("C:\\Users\\me\\exports\\runs.csv") == "upload:runs.csv"
    assert upload_reference("a\nb.csv") == "upload:a b.csv"
    reference = parse_reference("upload:runs.csv")
    assert reference.kind == "upload" and not reference.reopenable
    assert describe(reference) == "runs.csv"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("demo", "demo"),
        (" demo ", "demo"),
        ("unlinked", "unlinked"),
        ("private:the Optuna study 's' on a database server", "private"),
        ("exports/runs.csv", "unknown"),
        ("", "unknown"),
        ("javascript:alert(1)", "unknown"),
    ],
)
def test_every_text_reads_as_some_reference(text: str, kind: str) -> None:
    assert parse_reference(text).kind == kind


def test_only_the_demo_paths_optuna_and_wandb_are_reopenable() -> None:
    reopenable = {
        text: parse_reference(text).reopenable
        for text in [
            *["demo", "path:a.csv", "optuna:sqlite:///a.db#s", "wandb:a/b"],
            *["upload:a.csv", private_reference("x"), "unlinked", "a.csv"],
        ]
    }
    assert [text for text, yes in reopenable.items() if yes] == [
        "demo",
        "path:a.csv",
        "optuna:sqlite:///a.db#s",
        "wandb:a/b",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://bob:pw@host/x", True),
        ("postgresql://user@host/db", True),
        ("wandb:a/b?api_key=abc", True),
        ("optuna:mysql://h/db?password=x", True),
        ("path:exports/runs@2024.csv", False),
        ("wandb:alice/private/sw1", False),
        ("optuna:sqlite:///studies/s.db#token%3D1", False),
    ],
)
def test_credentials_are_recognised(text: str, expected: bool) -> None:
    assert carries_credentials(text) is expected
