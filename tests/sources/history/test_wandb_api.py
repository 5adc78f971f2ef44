"""W&B's sampled history read in one paged runs query, with the real `wandb.Api` on the stand-in.

The oracles: each run's stored rows (the test's own data, filtered by the rule stated in
`lib.histories`: numeric step, finite value), and wandb's own per-run path (`Runs.histories()`,
`run.history(keys=...)`) asked of the same server.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lib.histories import RUN_ID, STEP, VALUE, WandbRuns
from lib.sources.history.errors import HistoryUnavailable
from lib.sources.history.wandb_api import (
    RunAnswer,
    history_from_answers,
    read_api_history,
    spec_text,
    wandb_runs,
)
from lib.sources.wandb import fetch as wandb_fetch
from lib.sources.wandb.api import load_wandb
from lib.sources.wandb.snapshot import load_snapshot, save_snapshot
from lib.sources.wandb.spec import WandbSpec, parse_wandb_spec
from lib.sweep import Sweep
from tests.sources.wandb_standin import (
    SERVER_ERROR,
    StandinSweep,
    WandbStandin,
    closed_port_url,
    wandb_run,
)

KEY_ALICE = "alice" + "0123456789abcdef" * 3
KEY_STRANGER = "s" * 40  # well formed, unknown to the server
PROJECT = "curves"
SWEEP, OTHER_SWEEP = "sw1", "sw2"
SWEEP_RUNS = 23  # plus the three special runs below
METRIC = "val_loss"
PER_PAGE = 10


def loss(run: int, step: int) -> float:
    return 1.0 / (1 + step) + run / 100


def curve(run: int, steps: int = 12) -> list[dict[str, Any]]:
    """A run's rows: val_loss and epoch every step, with the gaps real histories have."""
    rows: list[dict[str, Any]] = []
    for step in range(steps):
        row: dict[str, Any] = {"_step": step, "epoch": step // 3, "train_loss": 2 * loss(run, step)}
        if step == 4:
            row[METRIC] = "NaN"  # how W&B sends a logged NaN
        elif step == 7 and run % 2:
            row[METRIC] = None
        elif step != 9:  # step 9 logs train_loss alone
            row[METRIC] = loss(run, step)
        rows.append(row)
    return rows


def logged_apart(steps: int = 6) -> list[dict[str, Any]]:
    """val_loss and epoch in separate wandb.log calls: no row holds both."""
    rows: list[dict[str, Any]] = []
    for i in range(steps):
        rows.append({"_step": 2 * i, METRIC: loss(50, i)})
        rows.append({"_step": 2 * i + 1, "epoch": i})
    return rows


LONG_ROWS = 1500


def runs_of_project() -> list[dict[str, Any]]:
    runs = [
        wandb_run(
            f"r{i:02d}",
            config={"lr": 0.001 * (i + 1)},
            summary={METRIC: loss(i, 11)},
            sweep=SWEEP,
            created_at=f"2025-04-01T10:00:{i:02d}",
            history=curve(i),
        )
        for i in range(SWEEP_RUNS)
    ]
    runs.append(
        wandb_run(
            "nometric",
            config={"lr": 0.5},
            summary={"train_loss": 1.0},
            sweep=SWEEP,
            created_at="2025-04-01T10:01:00",
            history=[{"_step": s, "train_loss": 1.0} for s in range(5)],
        )
    )
    runs.append(
        wandb_run("empty", config={"lr": 0.6}, sweep=SWEEP, created_at="2025-04-01T10:01:01", history=[])
    )
    runs.append(
        wandb_run(
            "apart",
            config={"lr": 0.7},
            summary={METRIC: 0.7},
            sweep=SWEEP,
            created_at="2025-04-01T10:01:02",
            history=logged_apart(),
        )
    )
    runs += [
        wandb_run(
            f"o{i}",
            config={"lr": 0.1 * (i + 1)},
            summary={METRIC: 9.0},
            sweep=OTHER_SWEEP,
            created_at=f"2025-04-02T10:00:0{i}",
            history=curve(90 + i),
        )
        for i in range(3)
    ]
    return runs


@pytest.fixture(scope="module")
def standin() -> Iterator[WandbStandin]:
    server = WandbStandin({KEY_ALICE: "alice"})
    project = server.add_project("alice", PROJECT)
    project.runs += runs_of_project()
    for sweep in (SWEEP, OTHER_SWEEP):
        project.sweeps[sweep] = StandinSweep(
            sweep, {"method": "random", "parameters": {"lr": {"min": 0, "max": 1}}}
        )
    long = server.add_project("alice", "long")
    long.runs.append(
        wandb_run(
            "big",
            config={"lr": 0.1},
            summary={METRIC: 0.1},
            history=[{"_step": s, METRIC: loss(1, s)} for s in range(LONG_ROWS)],
        )
    )
    long.runs.append(
        wandb_run(
            "small",
            config={"lr": 0.2},
            summary={METRIC: 0.2},
            created_at="2025-03-17T14:40:00",
            history=[{"_step": s, METRIC: loss(2, s)} for s in range(30)],
        )
    )
    with server:
        yield server


@pytest.fixture(autouse=True)
def clean_standin(standin: WandbStandin, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    standin.failures.clear()
    standin.clear_requests()
    monkeypatch.setenv("WANDB_BASE_URL", standin.url)  # the configured server: messages may name it
    monkeypatch.setattr(wandb_fetch, "RETRY_WAIT_SECONDS", (1.0, 1.0))  # the shortest wandb-core honours
    yield
    standin.failures.clear()


@pytest.fixture(scope="module")
def loaded(standin: WandbStandin) -> Sweep:
    return load_wandb(WandbSpec("alice", PROJECT, sweep_id=SWEEP, base_url=standin.url), KEY_ALICE)


def stored_rows(standin: WandbStandin, project: str = PROJECT) -> dict[str, list[dict[str, Any]]]:
    return {run["name"]: run["history"] for run in standin.projects[("alice", project)].runs}


def finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def expected_frame(
    histories: dict[str, list[dict[str, Any]]], step_key: str, metric: str = METRIC
) -> pd.DataFrame:
    """What the history must hold: rows with a numeric step and a finite value, by run then step."""
    rows = [
        (run_id, float(row[step_key]), float(row[metric]))
        for run_id, run_rows in histories.items()
        for row in run_rows
        if finite(row.get(step_key)) and finite(row.get(metric))
    ]
    frame = pd.DataFrame(rows, columns=[RUN_ID, STEP, VALUE])
    return frame.sort_values([RUN_ID, STEP], kind="stable").reset_index(drop=True)


def sweep_runs(standin: WandbStandin, sweep: str = SWEEP) -> dict[str, list[dict[str, Any]]]:
    runs = standin.projects[("alice", PROJECT)].runs
    return {run["name"]: run["history"] for run in runs if run["sweepName"] == sweep}


# ----------------------------------------------------------------------------------------------
# The descriptor a fetch leaves


def test_a_fetched_sweep_says_where_its_history_is(standin: WandbStandin, loaded: Sweep) -> None:
    assert isinstance(loaded.history, WandbRuns)
    assert loaded.history.run_ids == tuple(loaded.runs.index)
    assert loaded.history.base_url == standin.url
    spec = parse_wandb_spec(loaded.history.spec, loaded.history.base_url)
    assert spec == WandbSpec("alice", PROJECT, sweep_id=SWEEP, base_url=standin.url)
    assert KEY_ALICE not in repr(loaded.history)


@pytest.mark.parametrize(
    "spec",
    [
        WandbSpec("ent", "proj"),
        WandbSpec("ent", "my proj", sweep_id="overview"),  # a sweep id that is also a page name
        WandbSpec("my-team", "p.2", group="ablation #1/b"),
        WandbSpec("ent", "proj", sweep_id="abc123", base_url="https://wandb.acme.internal"),
    ],
)
def test_the_spec_text_reads_back_as_the_same_spec(spec: WandbSpec) -> None:
    assert parse_wandb_spec(spec_text(spec), spec.base_url) == spec


# ----------------------------------------------------------------------------------------------
# The rows


def test_values_are_the_logged_rows_in_few_requests(standin: WandbStandin, loaded: Sweep) -> None:
    assert isinstance(loaded.history, WandbRuns)
    standin.clear_requests()
    history = read_api_history(loaded.history, METRIC, key=KEY_ALICE, per_page=PER_PAGE)
    pd.testing.assert_frame_equal(history.frame, expected_frame(sweep_runs(standin), "_step"))
    assert list(history.frame.columns) == [RUN_ID, STEP, VALUE]
    runs_in_sweep = SWEEP_RUNS + 3
    assert standin.count("RunsSampledHistory") == math.ceil(runs_in_sweep / PER_PAGE)
    assert set(standin.operations()) <= {"Viewer", "RunsSampledHistory"}  # nothing per run
    assert history.notes == []


def test_the_history_equals_wandbs_own_per_run_reading(standin: WandbStandin, loaded: Sweep) -> None:
    import wandb

    assert isinstance(loaded.history, WandbRuns)
    ours = read_api_history(loaded.history, METRIC, key=KEY_ALICE)
    api = wandb.Api(api_key=KEY_ALICE, overrides={"base_url": standin.url})
    standin.clear_requests()
    theirs = api.runs(f"alice/{PROJECT}", filters={"sweep": SWEEP}, per_page=50).histories(
        samples=1000, keys=[METRIC], x_axis="_step"
    )
    assert standin.count("RunSampledHistory") == SWEEP_RUNS + 3  # wandb asks once per run
    by_run: dict[str, list[dict[str, Any]]] = {}
    for row in theirs:
        by_run.setdefault(row["run_id"], []).append(row)
    pd.testing.assert_frame_equal(ours.frame, expected_frame(by_run, "_step"))


def test_a_sweep_keeps_only_its_own_runs(standin: WandbStandin, loaded: Sweep) -> None:
    assert isinstance(loaded.history, WandbRuns)
    history = read_api_history(loaded.history, METRIC, key=KEY_ALICE)
    assert not any(r.startswith("o") for r in history.frame[RUN_ID])
    queries = [r.variables for r in standin.requests if r.operation == "RunsSampledHistory"]
    assert queries and all(q["filters"] == '{"sweep": "sw1"}' for q in queries)
    other = read_api_history(
        WandbRuns(spec_text(WandbSpec("alice", PROJECT, sweep_id=OTHER_SWEEP)), standin.url, ("o0", "o2")),
        METRIC,
        key=KEY_ALICE,
    )
    assert sorted(set(other.frame[RUN_ID])) == ["o0", "o2"]  # only the loaded runs, even of the sweep
    wanted = {k: v for k, v in sweep_runs(standin, OTHER_SWEEP).items() if k in ("o0", "o2")}
    pd.testing.assert_frame_equal(other.frame, expected_frame(wanted, "_step"))


def test_a_project_reads_every_loaded_run(standin: WandbStandin) -> None:
    project = WandbSpec("alice", PROJECT, base_url=standin.url)
    ids = ("r00", "o1", "nometric")
    history = read_api_history(wandb_runs(project, ids), METRIC, key=KEY_ALICE)
    queries = [r.variables for r in standin.requests if r.operation == "RunsSampledHistory"]
    assert queries[0]["filters"] == "{}"
    assert sorted(set(history.frame[RUN_ID])) == ["o1", "r00"]
    assert history.without_history == ["nometric"]


def test_a_custom_step_key(standin: WandbStandin, loaded: Sweep) -> None:
    assert isinstance(loaded.history, WandbRuns)
    history = read_api_history(loaded.history, METRIC, step_key="epoch", key=KEY_ALICE)
    assert history.step_key == "epoch"
    pd.testing.assert_frame_equal(history.frame, expected_frame(sweep_runs(standin), "epoch"))
    spec_sent = next(r.variables["specs"] for r in standin.requests if r.operation == "RunsSampledHistory")
    assert spec_sent == ['{"keys": ["epoch", "val_loss"], "samples": 1000}']
    # W&B's rows hold every asked key: a run that logged epoch apart has none on this axis
    assert "apart" in history.without_history
    assert any("same wandb.log call" in note for note in history.notes)
    on_steps = read_api_history(loaded.history, METRIC, key=KEY_ALICE)
    assert "apart" in set(on_steps.frame[RUN_ID])


def test_runs_without_the_metric_are_listed(standin: WandbStandin, loaded: Sweep) -> None:
    assert isinstance(loaded.history, WandbRuns)
    history = read_api_history(loaded.history, METRIC, key=KEY_ALICE)
    assert history.without_history == ["nometric", "empty"]
    assert not {"nometric", "empty"} & set(history.frame[RUN_ID])
    assert set(history.frame[RUN_ID]) | set(history.without_history) == set(loaded.runs.index)
    nothing = read_api_history(loaded.history, "never_logged", key=KEY_ALICE)
    assert nothing.frame.empty and nothing.without_history == list(loaded.runs.index)


def test_a_run_gone_since_the_load_has_no_history(standin: WandbStandin) -> None:
    source = wandb_runs(WandbSpec("alice", PROJECT, sweep_id=SWEEP, base_url=standin.url), ("r01", "deleted"))
    history = read_api_history(source, METRIC, key=KEY_ALICE)
    assert history.without_history == ["deleted"]
    assert any("no longer in W&B" in note for note in history.notes)


def test_a_long_run_is_sampled_as_wandb_samples_it_and_said_so(standin: WandbStandin) -> None:
    import wandb

    source = wandb_runs(WandbSpec("alice", "long", base_url=standin.url), ("big", "small"))
    history = read_api_history(source, METRIC, key=KEY_ALICE)
    big = history.frame[history.frame[RUN_ID] == "big"]
    assert len(big) == 1000
    logged = {float(row["_step"]): row[METRIC] for row in stored_rows(standin, "long")["big"]}
    assert all(logged[s] == v for s, v in zip(big[STEP], big[VALUE], strict=True))  # real rows only
    assert big[STEP].iloc[0] == 0 and big[STEP].iloc[-1] == LONG_ROWS - 1
    assert history.notes == [
        "sampled: up to 1000 rows per run, as W&B's charts do (1 run logged more rows than that)."
    ]
    small = history.frame[history.frame[RUN_ID] == "small"]
    assert list(small[STEP]) == list(range(30))  # a short run comes whole
    run = wandb.Api(api_key=KEY_ALICE, overrides={"base_url": standin.url}).run("alice/long/big")
    theirs = run.history(samples=1000, keys=[METRIC], pandas=False)
    assert [float(r["_step"]) for r in theirs] == list(big[STEP])
    fewer = read_api_history(source, METRIC, key=KEY_ALICE, samples=20)
    assert fewer.frame.groupby(RUN_ID).size().to_dict() == {"big": 20, "small": 20}
    assert fewer.notes[0].startswith("sampled: up to 20 rows per run") and "2 runs" in fewer.notes[0]


def test_only_numeric_steps_and_finite_values_are_kept() -> None:
    rows = [
        {"_step": 3, METRIC: 0.5},
        {"_step": 1, METRIC: float("nan")},
        {"_step": 2, METRIC: float("inf")},
        {"_step": 4, METRIC: True},  # a bool is not a number here
        {"_step": 5, METRIC: "0.25"},  # nor is text
        {"_step": 6, METRIC: 10**400},  # beyond float
        {"_step": "7", METRIC: 0.7},
        {"_step": 0, METRIC: 2},
        {"_step": 3, METRIC: 0.4},  # a second row at step 3 comes after the first
    ]
    answers = [RunAnswer("b", len(rows), rows), RunAnswer("a", 1, [{"_step": 0.5, METRIC: -1.0}])]
    history = history_from_answers(answers, ["b", "a", "c"], METRIC, "_step", samples=1000)
    assert history.frame.to_dict("list") == {
        RUN_ID: ["a", "b", "b", "b"],
        STEP: [0.5, 0.0, 3.0, 3.0],
        VALUE: [-1.0, 2.0, 0.5, 0.4],
    }
    assert history.without_history == ["c"]


# ----------------------------------------------------------------------------------------------
# Failures


def assert_says_without_key(error: BaseException, *words: str) -> None:
    text = str(error)
    assert KEY_ALICE not in text and KEY_STRANGER not in text
    assert "Traceback" not in text
    for word in words:
        assert word in text, text


def test_a_refused_key_is_said_without_the_key(
    standin: WandbStandin, loaded: Sweep, caplog: pytest.LogCaptureFixture
) -> None:
    assert isinstance(loaded.history, WandbRuns)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(HistoryUnavailable) as caught:
        read_api_history(loaded.history, METRIC, key=KEY_STRANGER)
    assert_says_without_key(caught.value, "did not accept the W&B API key", "/authorize")
    assert all(KEY_STRANGER not in record.getMessage() for record in caplog.records)
    assert standin.count("RunsSampledHistory") == 0


def test_no_key_is_said_before_any_request(standin: WandbStandin, loaded: Sweep) -> None:
    assert isinstance(loaded.history, WandbRuns)
    with pytest.raises(HistoryUnavailable, match="needs your API key"):
        read_api_history(loaded.history, METRIC, key="  ")
    assert standin.operations() == []


def test_a_failing_server_is_said_plainly(standin: WandbStandin, loaded: Sweep) -> None:
    assert isinstance(loaded.history, WandbRuns)
    standin.fail("RunsSampledHistory", *SERVER_ERROR, times=-1)
    with pytest.raises(HistoryUnavailable) as caught:
        read_api_history(loaded.history, METRIC, key=KEY_ALICE)
    assert_says_without_key(caught.value, "history of val_loss", "HTTP 500", "try again")
    assert standin.count("RunsSampledHistory") == 1 + wandb_fetch.GRAPHQL_RETRIES  # bounded retries


def test_a_failure_after_the_first_page_gives_no_partial_history(
    standin: WandbStandin, loaded: Sweep
) -> None:
    assert isinstance(loaded.history, WandbRuns)
    standin.fail("RunsSampledHistory", *SERVER_ERROR, skip=1, times=-1)
    with pytest.raises(HistoryUnavailable, match="HTTP 500"):
        read_api_history(loaded.history, METRIC, key=KEY_ALICE, per_page=PER_PAGE)


def test_a_server_that_is_down_is_said_plainly(standin: WandbStandin) -> None:
    source = wandb_runs(WandbSpec("alice", PROJECT, base_url=closed_port_url()), ("r00",))
    with pytest.raises(HistoryUnavailable) as caught:
        read_api_history(source, METRIC, key=KEY_ALICE, timeout=3)
    assert_says_without_key(caught.value, "no usable answer from that server")


def test_a_silent_server_is_bounded_by_the_timeout(standin: WandbStandin, loaded: Sweep) -> None:
    assert isinstance(loaded.history, WandbRuns)
    standin.fail("RunsSampledHistory", delay=4.0, times=-1)
    with pytest.raises(HistoryUnavailable) as caught:
        read_api_history(loaded.history, METRIC, key=KEY_ALICE, timeout=1)
    assert_says_without_key(caught.value, "did not answer within 1 s")


def test_a_project_gone_since_the_load_is_said(standin: WandbStandin) -> None:
    source = wandb_runs(WandbSpec("alice", "renamed", base_url=standin.url), ("r00",))
    with pytest.raises(HistoryUnavailable) as caught:
        read_api_history(source, METRIC, key=KEY_ALICE)
    assert_says_without_key(caught.value, "alice/renamed")


def test_the_deployments_key_never_goes_to_another_server(
    standin: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_API_KEY", KEY_ALICE)
    elsewhere = wandb_runs(WandbSpec("alice", PROJECT, base_url="https://wandb.elsewhere.example"), ("r00",))
    with pytest.raises(HistoryUnavailable) as caught:
        read_api_history(elsewhere, METRIC, key=KEY_ALICE)
    assert_says_without_key(caught.value, "Type your W&B API key")


# ----------------------------------------------------------------------------------------------
# Snapshots


def test_a_snapshot_reopens_with_the_history_of_a_trusted_server(
    standin: WandbStandin, loaded: Sweep, tmp_path: Path
) -> None:
    spec = WandbSpec("alice", PROJECT, sweep_id=SWEEP, base_url=standin.url)
    reopened = load_snapshot(save_snapshot(loaded, tmp_path / "s.parquet", spec))
    assert reopened.history == loaded.history
    assert isinstance(reopened.history, WandbRuns)
    history = read_api_history(reopened.history, METRIC, key=KEY_ALICE)
    pd.testing.assert_frame_equal(history.frame, expected_frame(sweep_runs(standin), "_step"))


def test_a_snapshot_naming_another_server_reopens_without_history(loaded: Sweep, tmp_path: Path) -> None:
    claimed = WandbSpec("alice", PROJECT, sweep_id=SWEEP, base_url="https://wandb.attacker.example")
    reopened = load_snapshot(save_snapshot(loaded, tmp_path / "s.parquet", claimed))
    assert reopened.history is None  # a typed key is never steered to the server a file names
    unnamed = load_snapshot(save_snapshot(loaded, tmp_path / "t.parquet"))
    assert unnamed.history is None
