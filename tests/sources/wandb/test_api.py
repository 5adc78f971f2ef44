"""The W&B API source, run with the real `wandb.Api` against a local stand-in of the server."""

from __future__ import annotations

import base64
import inspect
import json
import logging
import math
import os
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lib.columns import Direction, Kind
from lib.sources.errors import SourceError
from lib.sources.snapshot import describe_age
from lib.sources.wandb import fetch as wandb_fetch
from lib.sources.wandb.api import fetch_sweep, load_wandb, load_wandb_source
from lib.sources.wandb.auth import credential_digest, resolve_api_key, where_to_put_a_key
from lib.sources.wandb.errors import (
    AccessDeniedError,
    BadApiKeyError,
    IncompleteFetchError,
    NoApiKeyError,
    NoRunsError,
    ProjectNotFoundError,
    RateLimitedError,
    RunNotFoundError,
    SweepNotFoundError,
    WandbError,
    WandbServerError,
    WandbUnreachableError,
)
from lib.sources.wandb.hosts import DEFAULT_API_URL
from lib.sources.wandb.snapshot import (
    fetched_at,
    is_snapshot,
    load_snapshot,
    save_snapshot,
    snapshot_info,
    stamp_fetched_at,
)
from lib.sources.wandb.spec import WandbSpec, parse_wandb_spec
from lib.sweep import CRASHED, FINISHED, RUN_CREATED, RUN_RUNTIME, RUN_STATE, RUN_SWEEP, RUNNING
from lib.sweep_config import swept_parameters
from tests.sources.wandb_standin import (
    RATE_LIMITED,
    SERVER_ERROR,
    StandinSweep,
    WandbStandin,
    closed_port_url,
    stored_run,
    wandb_run,
)

ROOT = Path(__file__).resolve().parents[3]
REAL_RUNS = ROOT / "tests/fixtures/real/wandb_dirs/Yogesh0arya__da6401_assignment1/wandb"
REAL_SWEEP = "bk9z220w"
KEY_ALICE = "alice" + "0123456789abcdef" * 3  # 53 characters, the form wandb accepts
KEY_BOB = "bob00" + "fedcba9876543210" * 3
KEY_STRANGER = "s" * 40  # well formed, unknown to the server
MNIST = "mnist-sweeps"
OTHER_SWEEP = "qq7"
PROJECT_RUNS = 5 + 3 + 1 + 1 + 1  # the real sweep, qq7, "solo", "by0", "orphan"


# ----------------------------------------------------------------------------------------------
# The stand-in server and its data
# ----------------------------------------------------------------------------------------------


def real_sweep_runs() -> list[dict]:
    """The five runs of a real sweep, config and summary exactly as the runs stored them."""
    runs = []
    for folder in sorted(REAL_RUNS.glob("run-*")):
        _, stamp, run_id = folder.name.split("-")
        created = datetime.strptime(stamp, "%Y%m%d_%H%M%S").isoformat()
        runs.append(
            stored_run(
                run_id,
                stored_config=yaml.safe_load((folder / "files/config.yaml").read_text()),
                summary=json.loads((folder / "files/wandb-summary.json").read_text()),
                sweep=REAL_SWEEP,
                created_at=created,
            )
        )
    return runs


# The fixture has the runs of the sweep but not the sweep's own config: this one matches them.
REAL_SWEEP_CONFIG = {
    "method": "random",
    "metric": {"name": "val_accuracy", "goal": "maximize"},
    "parameters": {
        "batch_size": {"values": [16, 32, 64]},
        "hidden_size": {"values": [128, 256]},
        "learning_rate": {"min": 0.0001, "max": 0.01},
        "num_layers": {"values": [1, 2, 3]},
        "optimizer": {"values": ["sgd", "adam"]},
    },
}
OTHER_SWEEP_CONFIG = {
    "method": "bayes",
    "metric": {"name": "val_loss", "goal": "minimize"},
    "parameters": {
        "dropout": {"min": 0.0, "max": 0.5},
        "optimizer": {"parameters": {"name": {"values": ["adam", "sgd"]}, "lr": {"min": 1e-4, "max": 1e-1}}},
    },
}


def other_sweep_runs() -> list[dict]:
    """A define_metric sweep: the summary holds {"min": ...}; non-swept config keys too."""
    runs = []
    for i, (dropout, name, lr) in enumerate([(0.1, "adam", 1e-3), (0.3, "sgd", 1e-2), (0.45, "adam", 5e-2)]):
        runs.append(
            wandb_run(
                f"q{i}",
                config={
                    "dropout": dropout,
                    "optimizer": {"name": name, "lr": lr},
                    "epochs": 20,
                    "data_dir": "/d",
                },
                summary={
                    "val_loss": {"min": 0.5 - dropout / 2, "last": 0.6},
                    "samples": {"_type": "table-file", "path": "media/table.json", "ncols": 3, "nrows": 8},
                },
                sweep=OTHER_SWEEP,
                state=CRASHED if i == 2 else FINISHED,
                created_at=f"2025-03-18T10:00:0{i}",
            )
        )
    return runs


@pytest.fixture(scope="module")
def standin() -> Iterator[WandbStandin]:
    server = WandbStandin({KEY_ALICE: "alice", KEY_BOB: "bob"})
    mnist = server.add_project("alice", MNIST)
    mnist.runs += real_sweep_runs() + other_sweep_runs()
    mnist.runs.append(
        wandb_run(
            "solo", config={"lr": 0.1}, summary={"val_loss": 0.9}, state=RUNNING, group="manual", tags=["x"]
        )
    )
    mnist.sweeps[REAL_SWEEP] = StandinSweep(REAL_SWEEP, REAL_SWEEP_CONFIG)
    mnist.sweeps[OTHER_SWEEP] = StandinSweep(OTHER_SWEEP, OTHER_SWEEP_CONFIG)
    mnist.sweeps["empty"] = StandinSweep("empty", {"method": "grid", "parameters": {"a": {"values": [1]}}})
    mnist.sweeps["badyaml"] = StandinSweep("badyaml", {}, raw_config="method: [grid\nparameters: {")
    mnist.runs.append(wandb_run("by0", config={"a": 1}, summary={"loss": 1.0}, sweep="badyaml"))
    mnist.runs.append(wandb_run("orphan", config={"a": 2}, summary={"loss": 2.0}, sweep="deleted1"))
    big = server.add_project("alice", "big")
    big.runs += [
        wandb_run(
            f"b{i:02d}", config={"x": i}, summary={"y": i * 0.5}, created_at=f"2025-03-19T10:00:{i:02d}"
        )
        for i in range(23)
    ]
    dups = server.add_project("alice", "dups")
    dups.runs += [
        wandb_run("d1", config={"x": 1}),
        wandb_run("d1", config={"x": 1}),
        wandb_run("d2", config={"x": 2}),
    ]
    private = server.add_project("alice", "private", readers={"alice"})
    private.runs.append(wandb_run("secret1", config={"x": 1}, summary={"y": 2.0}))
    server.add_project("alice", "nothing-yet")
    server.add_project("alice", "slow").runs.append(wandb_run("s1"))
    with server:
        yield server


@pytest.fixture(autouse=True)
def clean_standin(standin: WandbStandin, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    standin.failures.clear()
    standin.clear_requests()
    standin.missing_project_as_404 = True
    # The stand-in is the server this deployment is configured for (so messages may name it);
    # tests/sources/wandb/test_key_hosts.py covers servers that are not.
    monkeypatch.setenv("WANDB_BASE_URL", standin.url)
    # wandb-core's waits between its (capped) retries: short here so failure tests are quick.
    monkeypatch.setattr(wandb_fetch, "RETRY_WAIT_SECONDS", (1.0, 1.0))  # the shortest it honours
    yield
    standin.failures.clear()


def spec_on(standin: WandbStandin, project: str = MNIST, **narrowing: str) -> WandbSpec:
    return WandbSpec("alice", project, base_url=standin.url, **narrowing)


def runs_queries(standin: WandbStandin, project: str) -> list[dict]:
    return [
        r.variables for r in standin.requests if r.operation == "Runs" and r.variables["project"] == project
    ]


# ----------------------------------------------------------------------------------------------
# What users paste
# ----------------------------------------------------------------------------------------------

CLOUD = DEFAULT_API_URL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ent/proj", WandbSpec("ent", "proj")),
        ("ent/proj/abc123", WandbSpec("ent", "proj", sweep_id="abc123")),
        ("  my-team/my.project_2/sweeps/abc123 ", WandbSpec("my-team", "my.project_2", sweep_id="abc123")),
        ("wandb://ent/proj", WandbSpec("ent", "proj")),
        ("wandb://ent/proj/abc123", WandbSpec("ent", "proj", sweep_id="abc123")),
        ("WANDB://ent/proj/sweeps/abc123", WandbSpec("ent", "proj", sweep_id="abc123")),
        ("wandb://ent/proj/runs/xyz", WandbSpec("ent", "proj", run_id="xyz")),
        ("https://wandb.ai/ent/proj/sweeps/abc123", WandbSpec("ent", "proj", sweep_id="abc123")),
        (
            "https://wandb.ai/ent/proj/sweeps/abc123?workspace=user-ent",
            WandbSpec("ent", "proj", sweep_id="abc123"),
        ),
        (
            "https://wandb.ai/ent/proj/sweeps/abc123/overview?nw=x#top",
            WandbSpec("ent", "proj", sweep_id="abc123"),
        ),
        ("https://wandb.ai/ent/proj/runs/xyz?nw=nwuserent", WandbSpec("ent", "proj", run_id="xyz")),
        ("https://wandb.ai/ent/proj/runs/xyz/logs", WandbSpec("ent", "proj", run_id="xyz")),
        ("https://wandb.ai/ent/proj/groups/ablation-1", WandbSpec("ent", "proj", group="ablation-1")),
        ("https://wandb.ai/ent/proj", WandbSpec("ent", "proj")),
        ("https://wandb.ai/ent/proj/workspace?nw=nwuserent", WandbSpec("ent", "proj")),
        ("https://wandb.ai/ent/proj/table", WandbSpec("ent", "proj")),
        ("https://wandb.ai/ent/proj/sweeps", WandbSpec("ent", "proj")),
        ("https://wandb.ai/ent/my%20proj/sweeps/a1", WandbSpec("ent", "my proj", sweep_id="a1")),
        (
            "https://forge.coreweave.com/wandb/ent/proj/sweeps/abc",
            WandbSpec("ent", "proj", sweep_id="abc", base_url="https://api.forge.coreweave.com"),
        ),
        (
            "https://wandb.acme.internal/ent/proj/sweeps/abc?x=1",
            WandbSpec("ent", "proj", sweep_id="abc", base_url="https://wandb.acme.internal"),
        ),
        ("https://acme.wandb.io/ent/proj", WandbSpec("ent", "proj", base_url="https://acme.wandb.io")),
        (
            "https://app.acme.com/ent/proj/sweeps/abc",
            WandbSpec("ent", "proj", sweep_id="abc", base_url="https://api.acme.com"),
        ),
        (
            "http://localhost:8080/ent/proj/runs/r1",
            WandbSpec("ent", "proj", run_id="r1", base_url="http://localhost:8080"),
        ),
    ],
)
def test_parse_reads_what_users_paste(
    text: str, expected: WandbSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WANDB_BASE_URL", raising=False)
    assert parse_wandb_spec(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "demo",
        "runs.csv",
        "exports/runs.csv",
        "results/study.db",
        "./wandb",
        "/data/wandb",
        "~/runs/wandb",
        "C:\\runs\\wandb",
        "a b/c",
        "a/b/c/d/e",
        "sqlite:///study.db",
        "https://github.com/user/repo",
        "https://example.com/a/b",
        "https://github.com/owner/repo/actions/runs/123",
    ],
)
def test_parse_gives_none_for_what_is_not_a_wandb_reference(text: str) -> None:
    assert parse_wandb_spec(text) is None


@pytest.mark.parametrize(
    "text",
    ["https://wandb.ai/ent", "wandb://ent", "https://wandb.ai/", "wandb://ent/pr%3Aoj", "wandb://e/p/x/y"],
)
def test_parse_explains_a_wandb_reference_it_cannot_use(text: str) -> None:
    with pytest.raises(SourceError, match=r"W&B|entity or project|which runs"):
        parse_wandb_spec(text)


def test_short_forms_use_the_configured_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_BASE_URL", "https://wandb.acme.internal/")
    assert parse_wandb_spec("wandb://e/p").base_url == "https://wandb.acme.internal"
    assert parse_wandb_spec("e/p", default_base_url="http://127.0.0.1:9").base_url == "http://127.0.0.1:9"
    assert parse_wandb_spec("https://wandb.ai/e/p").base_url == CLOUD  # a pasted URL says where


@pytest.mark.parametrize(
    "spec",
    [
        WandbSpec("ent", "proj"),
        WandbSpec("ent", "proj", sweep_id="abc"),
        WandbSpec("ent", "proj", run_id="r1"),
        WandbSpec("ent", "proj", group="g 1"),
        WandbSpec("ent", "proj", sweep_id="abc", base_url="https://wandb.acme.internal"),
        WandbSpec("ent", "proj", run_id="r", base_url="https://api.acme.com"),
        WandbSpec("ent", "proj", sweep_id="s", base_url="https://api.forge.coreweave.com"),
    ],
)
def test_app_url_reads_back_as_the_same_spec(spec: WandbSpec) -> None:
    assert parse_wandb_spec(spec.app_url) == spec


def test_a_project_url_of_the_configured_server_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # A bare project URL on a host without "wandb" in its name could be any site...
    monkeypatch.delenv("WANDB_BASE_URL", raising=False)
    assert parse_wandb_spec("https://app.acme.com/ent/proj") is None
    # ...unless it is the server Sweepscope is configured for.
    monkeypatch.setenv("WANDB_BASE_URL", "https://api.acme.com")
    expected = WandbSpec("ent", "proj", base_url="https://api.acme.com")
    assert parse_wandb_spec("https://app.acme.com/ent/proj?nw=1") == expected
    assert parse_wandb_spec("https://api.acme.com/ent/proj") == expected


# ----------------------------------------------------------------------------------------------
# The key
# ----------------------------------------------------------------------------------------------


class RaisingSecrets(dict):
    """Like st.secrets without a secrets.toml: every read raises."""

    def get(self, name: str, default: object = None) -> object:
        raise FileNotFoundError("No secrets found")


def test_key_comes_from_field_then_secrets_then_environment() -> None:
    env = {"WANDB_API_KEY": "from-env"}
    secrets = {"WANDB_API_KEY": "from-secrets"}
    assert resolve_api_key(" from-field \n", secrets, env) == "from-field"
    assert resolve_api_key("   ", secrets, env) == "from-secrets"
    assert resolve_api_key(None, {"wandb": {"api_key": "nested"}}, env) == "nested"
    assert resolve_api_key(None, {}, env) == "from-env"
    assert resolve_api_key(None, RaisingSecrets(), env) == "from-env"
    assert resolve_api_key("WANDB_API_KEY='pasted-line'", None, None) == "pasted-line"
    assert resolve_api_key(None, None, {}) is None


def test_where_to_put_a_key_names_every_place() -> None:
    message = where_to_put_a_key()
    for place in ("API key field", "secrets.toml", "WANDB_API_KEY", "https://wandb.ai/authorize"):
        assert place in message


def test_credential_digest_is_stable_distinct_and_not_the_key() -> None:
    digest = credential_digest(KEY_ALICE)
    assert digest == credential_digest(KEY_ALICE)
    assert digest != credential_digest(KEY_BOB)
    assert KEY_ALICE not in digest and len(digest) == 64
    unsalted = __import__("hashlib").sha256(KEY_ALICE.encode()).hexdigest()
    assert digest != unsalted  # keyed: a digest cannot be checked against a guessed key elsewhere


# ----------------------------------------------------------------------------------------------
# Fetching
# ----------------------------------------------------------------------------------------------


def test_sweep_load_reads_the_real_runs_as_the_api_serves_them(standin: WandbStandin) -> None:
    sweep = load_wandb(spec_on(standin, sweep_id=REAL_SWEEP), KEY_ALICE)
    real = {r["name"]: r for r in real_sweep_runs()}
    assert sorted(sweep.runs.index) == sorted(real)
    for run_id, run in real.items():
        row = sweep.runs.loc[run_id]
        assert row["learning_rate"] == run["config"]["learning_rate"]["value"]  # {"value": ...} unwrapped
        assert row["optimizer"] == run["config"]["optimizer"]["value"]
        assert row["val_accuracy"] == run["summaryMetrics"]["val_accuracy"]
        assert row[RUN_RUNTIME] == pytest.approx(run["summaryMetrics"]["_runtime"])
        assert row[RUN_CREATED] == pd.Timestamp(run["createdAt"], tz="UTC")
    assert set(sweep.runs[RUN_SWEEP]) == {REAL_SWEEP}
    assert not {"_wandb", "wandb_version", "Confusion Matrix", "Sample Images", "_step"} & set(
        sweep.runs.columns
    )
    assert sweep.params == list(REAL_SWEEP_CONFIG["parameters"])
    assert {"val_accuracy", "val_loss", "train_loss"} <= set(sweep.metrics)
    assert sweep.primary_metric == "val_accuracy"
    assert sweep.direction("val_accuracy") == Direction.MAXIMIZE
    assert sweep.sweep_configs == {REAL_SWEEP: REAL_SWEEP_CONFIG}
    assert datetime.now(UTC) - fetched_at(sweep) < timedelta(minutes=5)
    assert sweep.skipped == []


def test_sweep_load_is_one_paged_query_filtered_on_the_server(standin: WandbStandin) -> None:
    load_wandb(spec_on(standin, sweep_id=OTHER_SWEEP), KEY_ALICE, per_page=2)
    assert standin.operations(MNIST) == ["Viewer", "GetSweep", "Runs", "Runs"]  # 3 runs in pages of 2
    queries = [r for r in standin.requests if r.operation == "Runs" and r.variables["project"] == MNIST]
    assert all(json.loads(q.variables["filters"]) == {"sweep": OTHER_SWEEP} for q in queries)
    assert all(q.variables["perPage"] == 2 for q in queries)
    assert all("fragment RunFragment on Run" in q.query for q in queries)  # lazy=False: no per-run queries


def test_define_metric_sweep_uses_swept_parameters_and_the_summarised_metric(standin: WandbStandin) -> None:
    sweep = load_wandb(spec_on(standin, sweep_id=OTHER_SWEEP), KEY_ALICE)
    assert sweep.params == ["dropout", "optimizer.name", "optimizer.lr"]
    assert {"epochs", "data_dir"} <= set(sweep.other_columns)
    assert sweep.kinds["optimizer.name"] == Kind.CATEGORICAL  # swept, so analysed despite "name"
    assert sweep.primary_metric == "val_loss.min"
    assert sweep.direction("val_loss.min") == Direction.MINIMIZE
    assert sweep.runs.loc["q2", RUN_STATE] == CRASHED
    assert sweep.runs.loc["q1", "val_loss.min"] == pytest.approx(0.35)
    assert not any("samples" in c for c in sweep.runs.columns)  # a table in the summary is no metric
    assert swept_parameters(OTHER_SWEEP_CONFIG) == sweep.params


def test_project_load_has_every_run_and_the_configs_of_its_sweeps(standin: WandbStandin) -> None:
    sweep = load_wandb(spec_on(standin), KEY_ALICE)
    assert len(sweep.runs) == PROJECT_RUNS
    assert set(sweep.sweep_configs) == {REAL_SWEEP, OTHER_SWEEP, "badyaml"}
    assert sweep.sweep_configs["badyaml"] == {}  # unreadable YAML: the runs still load
    [(what, why)] = sweep.skipped  # runs can outlive their sweep
    assert what == "config of sweep deleted1" and "has no sweep 'deleted1'" in why
    assert sweep.runs.loc["solo", RUN_STATE] == RUNNING
    assert sweep.runs.loc["solo", "run.group"] == "manual"
    assert {"learning_rate", "dropout", "optimizer.lr", "lr"} <= set(sweep.params)
    assert standin.operations(MNIST).count("Runs") == 1


def test_failing_sweep_configs_are_listed_and_not_waited_on_one_by_one(standin: WandbStandin) -> None:
    for operation in ("GetSweep", "GetSweepLegacy"):  # wandb retries a failed GetSweep as legacy
        standin.fail(operation, *SERVER_ERROR, times=-1, project=MNIST)
    sweep = load_wandb(spec_on(standin), KEY_ALICE)
    assert len(sweep.runs) == PROJECT_RUNS and sweep.sweep_configs == {}
    [(what, why)] = sweep.skipped
    assert set(what.removeprefix("configs of sweeps ").split(", ")) == {
        REAL_SWEEP,
        OTHER_SWEEP,
        "badyaml",
        "deleted1",
    }
    assert "HTTP 500" in why
    assert standin.operations(MNIST).count("GetSweep") == 1 + wandb_fetch.GRAPHQL_RETRIES


def test_progress_reports_each_page_with_the_total(standin: WandbStandin) -> None:
    calls: list[tuple[int, int | None]] = []
    sweep = load_wandb(
        spec_on(standin, "big"), KEY_ALICE, progress=lambda n, total: calls.append((n, total)), per_page=10
    )
    assert calls == [(0, None), (10, 23), (20, 23), (23, 23)]
    assert list(sweep.runs.index) == [f"b{i:02d}" for i in range(23)]


def test_runs_repeated_while_paging_are_counted_once(standin: WandbStandin) -> None:
    sweep = load_wandb(spec_on(standin, "dups"), KEY_ALICE, per_page=2)
    assert list(sweep.runs.index) == ["d1", "d2"]
    assert any("arrived twice" in note for note in sweep.notes)


def test_a_pasted_run_loads_its_sweep_or_its_project(standin: WandbStandin) -> None:
    in_sweep = load_wandb(spec_on(standin, run_id="q1"), KEY_ALICE)
    assert sorted(in_sweep.runs.index) == ["q0", "q1", "q2"]
    assert any("Opened from run q1" in note for note in in_sweep.notes)
    alone = load_wandb(spec_on(standin, run_id="solo"), KEY_ALICE)
    assert len(alone.runs) == PROJECT_RUNS


def test_a_group_url_loads_the_group(standin: WandbStandin) -> None:
    sweep = load_wandb(spec_on(standin, group="manual"), KEY_ALICE)
    assert list(sweep.runs.index) == ["solo"]


def test_load_source_route_works_headless_with_the_environment_key(
    standin: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured = {"WANDB_BASE_URL": standin.url, "SWEEPSCOPE_ALLOW_HTTP_LOCALHOST": "1"}
    env = {**configured, "WANDB_API_KEY": KEY_ALICE}
    sweep = load_wandb_source(f"wandb://alice/{MNIST}/{REAL_SWEEP}", env=env)
    assert len(sweep.runs) == 5
    with pytest.raises(NoApiKeyError, match="WANDB_API_KEY") as no_key:
        load_wandb_source("alice/no-such-folder", env=configured)
    assert "Nothing exists at the path 'alice/no-such-folder'" in str(no_key.value)
    with pytest.raises(ProjectNotFoundError, match="Nothing exists at the path 'alice/gone'"):
        load_wandb_source("alice/gone", env=env)


# ----------------------------------------------------------------------------------------------
# Errors a user can act on
# ----------------------------------------------------------------------------------------------


def test_no_key_says_where_to_put_one_without_asking_the_server(standin: WandbStandin) -> None:
    with pytest.raises(NoApiKeyError, match=r"secrets\.toml"):
        load_wandb(spec_on(standin), "  ")
    assert standin.operations() == []


def test_a_malformed_key_is_refused_before_any_request(standin: WandbStandin) -> None:
    with pytest.raises(BadApiKeyError, match="not in the right form"):
        load_wandb(spec_on(standin), "too-short")
    assert standin.operations(MNIST) == []


@pytest.mark.parametrize(
    ("key", "spec_args", "error", "words"),
    [
        (KEY_STRANGER, {}, BadApiKeyError, "did not accept the W&B API key"),
        (KEY_ALICE, {"project": "no-such-project"}, ProjectNotFoundError, "no project alice/no-such-project"),
        (KEY_BOB, {"project": "private"}, AccessDeniedError, "cannot read alice/private"),
        (KEY_BOB, {"project": "private", "sweep_id": "s1"}, AccessDeniedError, "cannot read alice/private"),
        (KEY_ALICE, {"sweep_id": "nope123"}, SweepNotFoundError, "has no sweep 'nope123'"),
        (KEY_ALICE, {"run_id": "nope"}, RunNotFoundError, "has no run 'nope'"),
        (KEY_ALICE, {"sweep_id": "empty"}, NoRunsError, "has no runs yet"),
        (KEY_ALICE, {"project": "nothing-yet"}, NoRunsError, "has no runs yet"),
    ],
)
def test_server_refusals_become_actionable_errors(
    standin: WandbStandin, key: str, spec_args: dict, error: type[WandbError], words: str
) -> None:
    narrowing = dict(spec_args)
    spec = spec_on(standin, narrowing.pop("project", MNIST), **narrowing)
    with pytest.raises(error, match=words) as raised:
        load_wandb(spec, key)
    assert_safe_error(raised.value, key)


def test_an_unknown_project_answered_as_null_is_not_found(standin: WandbStandin) -> None:
    standin.missing_project_as_404 = False  # older servers answer data.project = null
    with pytest.raises(ProjectNotFoundError):
        load_wandb(spec_on(standin, "gone"), KEY_ALICE)


@pytest.mark.parametrize(
    ("status", "message", "error", "words", "attempts"),
    [
        (*RATE_LIMITED, RateLimitedError, "rate limited", 1 + wandb_fetch.GRAPHQL_RETRIES),
        (*SERVER_ERROR, WandbServerError, "HTTP 500", 1 + wandb_fetch.GRAPHQL_RETRIES),
        (502, "bad gateway", WandbServerError, "HTTP 502", 1 + wandb_fetch.GRAPHQL_RETRIES),
        (200, "query complexity too high", WandbServerError, "query complexity too high", 1),
    ],
)
def test_failing_requests_become_actionable_errors(
    standin: WandbStandin, status: int, message: str, error: type[WandbError], words: str, attempts: int
) -> None:
    standin.fail("Runs", status, message, times=-1, project=MNIST)
    with pytest.raises(error, match=words) as raised:
        load_wandb(spec_on(standin, sweep_id=REAL_SWEEP), KEY_ALICE, timeout=10)
    assert_safe_error(raised.value, KEY_ALICE)
    assert len(runs_queries(standin, MNIST)) == attempts  # retried a little, not for minutes


def test_a_brief_rate_limit_is_ridden_out(standin: WandbStandin) -> None:
    standin.fail("Runs", *RATE_LIMITED, times=1, project=MNIST)
    assert len(load_wandb(spec_on(standin, sweep_id=REAL_SWEEP), KEY_ALICE).runs) == 5


def test_no_network_is_said_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    closed = closed_port_url()
    monkeypatch.setenv("WANDB_BASE_URL", closed)  # the configured server may be named
    with pytest.raises(WandbUnreachableError, match=r"cannot reach 127\.0\.0\.1") as raised:
        load_wandb(WandbSpec("alice", MNIST, base_url=closed), KEY_ALICE, timeout=10)
    assert_safe_error(raised.value, KEY_ALICE)


def test_a_silent_server_is_bounded_by_the_timeout(standin: WandbStandin) -> None:
    # Its own project: wandb-core may still retry after the caller gave up; that touches no other test.
    standin.fail("Runs", delay=3.0, times=-1, project="slow")
    with pytest.raises(WandbUnreachableError, match="did not answer within 1 s"):
        load_wandb(spec_on(standin, "slow"), KEY_ALICE, timeout=1)


def test_a_fetch_that_stops_midway_is_never_passed_off_as_complete(standin: WandbStandin) -> None:
    standin.fail("Runs", *SERVER_ERROR, skip=2, times=-1, project="big")
    with pytest.raises(IncompleteFetchError, match="Only 10 of 23 runs") as raised:
        load_wandb(spec_on(standin, "big"), KEY_ALICE, per_page=5)
    error = raised.value
    assert (error.fetched, error.total) == (10, 23)
    assert list(error.partial.runs.index) == [f"b{i:02d}" for i in range(10)]
    what, why = error.partial.skipped[-1]
    assert what.startswith("runs after the first 10")
    assert "stopped at 10 of 23 runs" in why and "HTTP 500" in why
    assert_safe_error(error, KEY_ALICE)


def assert_safe_error(error: BaseException, key: str) -> None:
    """A user-facing error: a SourceError, no library traceback attached, no key anywhere."""
    assert isinstance(error, SourceError)
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert key not in str(error) and key not in repr(error)
    assert "Traceback" not in str(error)
    partial = getattr(error, "partial", None)
    if partial is not None:
        assert key not in repr(partial.__dict__)


# ----------------------------------------------------------------------------------------------
# The key stays secret; caches are per credential
# ----------------------------------------------------------------------------------------------


def test_the_key_travels_only_in_the_authorization_header(standin: WandbStandin) -> None:
    load_wandb(spec_on(standin, sweep_id=REAL_SWEEP), KEY_ALICE)
    graphql = [r for r in standin.requests if r.operation in {"Viewer", "GetSweep", "Runs"}]
    assert graphql and all(r.api_key == KEY_ALICE for r in graphql)
    for request in standin.requests:  # including wandb-core's own telemetry posts
        assert KEY_ALICE not in request.path + request.query + json.dumps(request.variables)
        assert KEY_ALICE not in json.dumps(request.headers)


def test_the_key_is_never_logged(standin: WandbStandin, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    load_wandb(spec_on(standin, sweep_id=REAL_SWEEP), KEY_ALICE)
    with pytest.raises(AccessDeniedError):
        load_wandb(spec_on(standin, "private"), KEY_BOB)
    with pytest.raises(BadApiKeyError):
        load_wandb(spec_on(standin), KEY_STRANGER)
    logged = [(r.getMessage(), repr(r.args), r.exc_text or "") for r in caplog.records]
    assert any(f"alice/{MNIST}" in message for message, _, _ in logged)  # the fetches were logged
    for key in (KEY_ALICE, KEY_BOB, KEY_STRANGER):
        assert not any(key in " ".join(parts) for parts in logged)


def hashed_arguments(spec: WandbSpec, key: str) -> dict[str, object]:
    """What st.cache_data hashes for `fetch_sweep`: every argument not starting with "_"."""
    bound = inspect.signature(fetch_sweep).bind(spec, credential_digest(key), key)
    bound.apply_defaults()
    return {name: value for name, value in bound.arguments.items() if not name.startswith("_")}


def test_cache_identity_differs_per_key_and_never_holds_it(standin: WandbStandin) -> None:
    spec = spec_on(standin, "private")
    alice, bob = hashed_arguments(spec, KEY_ALICE), hashed_arguments(spec, KEY_BOB)
    assert alice != bob and alice["spec"] == bob["spec"]
    for args, key in ((alice, KEY_ALICE), (bob, KEY_BOB)):
        assert key not in repr(args) and key.encode() not in pickle.dumps(args)
    assert key_free(repr(spec))


def key_free(text: str) -> bool:
    return all(key not in text for key in (KEY_ALICE, KEY_BOB, KEY_STRANGER))


def test_a_cached_fetch_is_never_served_to_another_key(standin: WandbStandin) -> None:
    import streamlit as st

    @st.cache_data(show_spinner=False)
    def cached_fetch(spec: WandbSpec, digest: str, _key: str) -> object:
        return fetch_sweep(spec, digest, _key)

    spec = spec_on(standin, "private")
    try:
        first = cached_fetch(spec, credential_digest(KEY_ALICE), KEY_ALICE)
        assert list(first.runs.index) == ["secret1"]
        with pytest.raises(AccessDeniedError):  # Bob asks the server, which refuses him
            cached_fetch(spec, credential_digest(KEY_BOB), KEY_BOB)
        before = len(runs_queries(standin, "private"))
        again = cached_fetch(spec, credential_digest(KEY_ALICE), KEY_ALICE)
        assert len(runs_queries(standin, "private")) == before  # Alice's second look comes from the cache
        assert list(again.runs.index) == ["secret1"]
    finally:
        cached_fetch.clear()


def test_a_digest_of_another_key_is_refused(standin: WandbStandin) -> None:
    with pytest.raises(ValueError, match="digest"):
        fetch_sweep(spec_on(standin), credential_digest(KEY_BOB), KEY_ALICE)
    assert standin.operations(MNIST) == []


CHILD = """
import sys
from lib.sources.wandb.api import load_wandb
from lib.sources.wandb.errors import WandbError
from lib.sources.wandb.spec import WandbSpec

url, good, other, stranger = sys.argv[1:5]
load_wandb(WandbSpec("alice", "{mnist}", sweep_id="{sweep}", base_url=url), good)
for key, project in ((other, "private"), (stranger, "{mnist}")):
    try:
        load_wandb(WandbSpec("alice", project, base_url=url), key)
    except WandbError as error:
        print(type(error).__name__)
"""


def test_nothing_with_the_key_is_written_to_disk(standin: WandbStandin, tmp_path: Path) -> None:
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}  # no shared wandb-core
    env.update(HOME=str(home), TMPDIR=str(tmp), PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=str(home / ".config"))
    script = CHILD.format(mnist=MNIST, sweep=REAL_SWEEP)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), standin.url, KEY_ALICE, KEY_BOB, KEY_STRANGER],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["AccessDeniedError", "BadApiKeyError"]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("core-debug") for p in written)  # wandb-core did write its log
    assert not (home / ".netrc").exists() and not (home / "_netrc").exists()
    for key in (KEY_ALICE, KEY_BOB, KEY_STRANGER):
        secrets = (key.encode(), base64.b64encode(f"api:{key}".encode()))
        for path in written:
            content = path.read_bytes()
            assert not any(secret in content for secret in secrets), path
        assert key not in done.stdout + done.stderr


# ----------------------------------------------------------------------------------------------
# Snapshots
# ----------------------------------------------------------------------------------------------


def test_a_snapshot_reopens_as_the_same_sweep_with_its_fetch_time(
    standin: WandbStandin, tmp_path: Path
) -> None:
    spec = spec_on(standin)
    sweep = load_wandb(spec, KEY_ALICE)
    path = save_snapshot(sweep, tmp_path / "mnist.parquet", spec)
    reopened = load_snapshot(path)
    pd.testing.assert_frame_equal(reopened.runs, sweep.runs, check_dtype=False)
    assert reopened.params == sweep.params and reopened.metrics == sweep.metrics
    assert reopened.kinds == sweep.kinds and reopened.directions == sweep.directions
    assert reopened.primary_metric == sweep.primary_metric
    assert reopened.sweep_configs == sweep.sweep_configs
    assert reopened.skipped == sweep.skipped and reopened.notes[1:] == sweep.notes
    assert reopened.notes[0].startswith("Opened from a snapshot file")
    host = standin.url.split("://")[1]
    assert reopened.source == f"W&B alice/{MNIST} on {host} (snapshot)"  # the configured server, named
    assert fetched_at(reopened) == fetched_at(sweep)
    info = snapshot_info(path)
    assert (info.n_runs, info.spec, info.fetched_at) == (len(sweep.runs), spec, fetched_at(sweep))
    assert is_snapshot(path)


def test_a_snapshot_keeps_columns_of_mixed_types(tmp_path: Path) -> None:
    from lib.sweep import RunRecord, sweep_from_records

    records = [
        RunRecord("a", config={"layers": 3, "sched": "cosine"}, summary={"loss": 0.5}),
        RunRecord("b", config={"layers": "auto", "sched": None}, summary={"loss": math.inf}),
        RunRecord("c", config={"layers": [64, 32], "sched": True}, summary={"loss": 0.25}),
    ]
    sweep = stamp_fetched_at(sweep_from_records(records, source="t"), datetime(2025, 3, 17, tzinfo=UTC))
    reopened = load_snapshot(save_snapshot(sweep, tmp_path / "mixed.parquet"))
    assert list(reopened.runs["layers"]) == [3, "auto", "[64, 32]"]
    assert list(reopened.runs["sched"]) == ["cosine", None, True]
    assert math.isnan(reopened.runs.loc["b", "loss"]) and reopened.notes[1:] == sweep.notes
    assert fetched_at(reopened) == datetime(2025, 3, 17, tzinfo=UTC)


def test_files_that_are_not_snapshots_are_refused_plainly(tmp_path: Path) -> None:
    plain = tmp_path / "table.parquet"
    pd.DataFrame({"x": [1, 2]}).to_parquet(plain)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    for path, words in (
        (plain, "not a Sweepscope snapshot"),
        (broken, "not a readable Parquet"),
        (tmp_path / "gone.parquet", "No snapshot"),
    ):
        with pytest.raises(SourceError, match=words):
            load_snapshot(path)
        assert not is_snapshot(path)


def test_describe_age_says_how_old_the_data_is() -> None:
    when = datetime(2025, 3, 17, 14, 33, tzinfo=UTC)
    assert describe_age(when, when + timedelta(seconds=20)) == "fetched just now (2025-03-17 14:33 UTC)"
    assert describe_age(when, when + timedelta(minutes=1, seconds=5)).startswith("fetched 1 minute ago")
    assert describe_age(when, when + timedelta(hours=5)).startswith("fetched 5 hours ago")
    assert describe_age(when, when + timedelta(days=3)).startswith("fetched 3 days ago")
