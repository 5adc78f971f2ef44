"""The load page's W&B and Optuna sources, driven like a user: W&B against the local stand-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP_DIR, fetch, open_source, page_text
from tests.sources.wandb_standin import PERMISSION_DENIED, StandinSweep, WandbStandin, wandb_run

OPTUNA_DB = APP_DIR / "tests" / "fixtures" / "real" / "optuna" / "adlane98__koleo-study__optuna_study.db"
KEY_ALICE = "alice" + "0123456789abcdef" * 3
KEY_BOB = "bob00" + "fedcba9876543210" * 3
SWEEP_CONFIG = {
    "method": "random",
    "metric": {"name": "val_loss", "goal": "minimize"},
    "parameters": {"lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1}},
}


@pytest.fixture(scope="module")
def standin() -> Iterator[WandbStandin]:
    server = WandbStandin({KEY_ALICE: "alice", KEY_BOB: "bob"})
    private = server.add_project("alice", "private", readers={"alice"})
    private.runs += [
        wandb_run(
            f"run{i}", config={"lr": 10.0 ** (-1 - i / 3)}, summary={"val_loss": 1 / (i + 1)}, sweep="sw1"
        )
        for i in range(9)
    ]
    private.runs.append(wandb_run("other", config={"lr": 0.5}, summary={"val_loss": 3.0}))
    private.sweeps["sw1"] = StandinSweep("sw1", SWEEP_CONFIG)
    with server:
        yield server


@pytest.fixture(autouse=True)
def no_key_around(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_API_KEY", raising=False)


def sweep_url(standin: WandbStandin) -> str:
    return f"{standin.url}/alice/private/sweeps/sw1?workspace=user-alice"


def test_a_pasted_sweep_url_loads_the_sweep(app: AppTest, standin: WandbStandin) -> None:
    open_source(app, "W&B project or sweep")
    fetch(app, sweep_url(standin), KEY_ALICE)
    assert not app.exception and not app.error
    sweep = app.session_state["sweep.loaded"]
    assert sorted(sweep.runs.index) == [f"run{i}" for i in range(9)]
    assert sweep.default_metric == "val_loss" and sweep.direction("val_loss").value == "minimize"
    assert "fetched just now" in page_text(app)
    assert any(b.label.startswith("Save a snapshot") for b in app.get("download_button"))


def test_the_key_never_reaches_the_page_the_url_or_the_loaded_sweep(
    app: AppTest, standin: WandbStandin
) -> None:
    open_source(app, "W&B project or sweep")
    fetch(app, sweep_url(standin), KEY_ALICE)
    assert KEY_ALICE not in page_text(app)
    assert all(KEY_ALICE not in str(v) for v in app.query_params.values())
    assert KEY_ALICE not in repr(app.session_state["sweep.loaded"].runs.to_dict())


def test_no_key_says_where_to_put_one(app: AppTest, standin: WandbStandin) -> None:
    standin.clear_requests()
    open_source(app, "W&B project or sweep")
    fetch(app, sweep_url(standin), None)
    assert not app.exception
    assert "secrets.toml" in page_text(app) and "WANDB_API_KEY" in page_text(app)
    assert standin.operations("private") == []


def test_a_key_from_the_secrets_is_used(
    app: AppTest, standin: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_BASE_URL", standin.url)  # the deployment's key goes only to its own server
    app.secrets["WANDB_API_KEY"] = KEY_ALICE
    open_source(app, "W&B project or sweep")
    assert "from the app's secrets" in page_text(app)
    fetch(app, sweep_url(standin), None)
    assert not app.error
    assert len(app.session_state["sweep.loaded"].runs) == 9


def test_another_visitor_never_gets_the_cached_private_runs(standin: WandbStandin) -> None:
    alice = AppTest.from_file(str(APP_DIR / "streamlit_app.py"), default_timeout=60)
    open_source(alice, "W&B project or sweep")
    fetch(alice, sweep_url(standin), KEY_ALICE)
    assert len(alice.session_state["sweep.loaded"].runs) == 9

    bob = AppTest.from_file(str(APP_DIR / "streamlit_app.py"), default_timeout=60)
    open_source(bob, "W&B project or sweep")
    fetch(bob, sweep_url(standin), KEY_BOB)
    assert not bob.exception
    assert bob.error, "bob has no access and must be told so"
    assert "run0" not in page_text(bob)
    assert "W&B" not in bob.session_state["sweep.loaded"].source  # still the demo


def test_a_refused_fetch_shows_a_message_not_a_traceback(
    app: AppTest, standin: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_BASE_URL", standin.url)  # how a self-hosted server is configured
    standin.fail("Runs", *PERMISSION_DENIED)
    try:
        open_source(app, "W&B project or sweep")
        fetch(app, f"{standin.url}/alice/private", KEY_ALICE)
    finally:
        standin.failures.clear()
    assert not app.exception
    assert "access" in " ".join(e.value for e in app.error).lower()


def test_what_is_not_a_wandb_reference_is_refused(app: AppTest) -> None:
    open_source(app, "W&B project or sweep")
    fetch(app, "just some words", KEY_ALICE)
    assert not app.exception
    assert "is not a W&B project or sweep" in page_text(app)


def test_an_uploaded_optuna_study_lists_its_studies_and_loads_one(app: AppTest) -> None:
    open_source(app, "Optuna study")
    app.file_uploader(key="load.optuna.file").set_value(
        (OPTUNA_DB.name, OPTUNA_DB.read_bytes(), "application/x-sqlite3")
    )
    app.run()
    study = app.selectbox(key="load.optuna.study")
    assert "trials" in study.format_func(study.value)
    next(b for b in app.button if b.label == "Load study").click()
    app.run()
    assert not app.exception and not app.error
    sweep = app.session_state["sweep.loaded"]
    assert len(sweep.runs) == 100
    assert set(sweep.states) >= {"finished"}


def test_an_optuna_url_outside_the_allowed_folders_is_refused(app: AppTest) -> None:
    open_source(app, "Optuna study")
    app.radio(key="load.optuna.how").set_value("Database URL")
    app.run()
    app.text_input(key="load.optuna.url").input("sqlite:////etc/hosts")
    app.run()
    assert not app.exception
    assert "outside the folders" in page_text(app)


def test_an_optuna_url_inside_the_app_folder_loads(app: AppTest) -> None:
    open_source(app, "Optuna study")
    app.radio(key="load.optuna.how").set_value("Database URL")
    app.run()
    app.text_input(key="load.optuna.url").input(f"sqlite:///{OPTUNA_DB.relative_to(APP_DIR)}")
    app.run()
    next(b for b in app.button if b.label == "Load study").click()
    app.run()
    assert not app.exception and not app.error
    assert len(app.session_state["sweep.loaded"].runs) == 100
