"""Issue 9, item 1, on the Load page: a visitor cannot make the server send its W&B key elsewhere.

The deployment's key is in the environment or the app's secrets and the key field is left empty;
the visitor pastes a sweep URL on a host of their own (a stand-in on 127.0.0.1 that would accept
the key). The stand-in must receive nothing, and the page must neither link to nor name that host.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from lib.safe_text import WORD_JOINER
from lib.ui import sources
from tests.app.conftest import fetch, open_source, page_text
from tests.sources.wandb_standin import OTHER_OPERATION, StandinSweep, WandbStandin, wandb_run

SERVER_KEY = "server" + "0123456789abcdef" * 3
TYPED_KEY = "typed0" + "fedcba9876543210" * 3
SWEEP_PATH = "entity/project/sweeps/abc123"


@pytest.fixture
def foreign() -> Iterator[WandbStandin]:
    server = WandbStandin({SERVER_KEY: "operator", TYPED_KEY: "visitor"})
    project = server.add_project("entity", "project")
    project.runs += [
        wandb_run(f"r{i}", config={"lr": 0.1 * i}, summary={"loss": i}, sweep="abc123") for i in (1, 2)
    ]
    project.sweeps["abc123"] = StandinSweep(
        "abc123", {"method": "grid", "parameters": {"lr": {"values": [0.1]}}}
    )
    with server:
        yield server


@pytest.fixture(autouse=True)
def empty_fetch_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_BASE_URL", raising=False)
    fetched = getattr(sources, "FETCHED", None)  # absent before the fix: then st.cache_data held it
    if fetched is not None:
        fetched.clear()
    yield
    if fetched is not None:
        fetched.clear()


def open_wandb(app: AppTest) -> AppTest:
    return open_source(app, "W&B project or sweep")


def literal(text: str) -> str:
    """Markdown-escaped text as the visitor reads it."""
    return re.sub(r"\\(.)", r"\1", text).replace(WORD_JOINER, "")


def shown(app: AppTest) -> str:
    return literal(page_text(app) + "\n" + "\n".join(str(s.value) for s in app.sidebar.markdown))


def errors(app: AppTest) -> str:
    return literal(" ".join(e.value for e in app.error))


def captions(app: AppTest) -> str:
    return literal(" ".join(c.value for c in app.caption))


def assert_foreign_host_unnamed(app: AppTest, server: WandbStandin) -> None:
    text = shown(app)
    port = server.url.rsplit(":", 1)[1]
    assert f"127.0.0.1:{port}" not in text and "/authorize" not in text


def graphql_keys(server: WandbStandin) -> set[str | None]:
    return {r.api_key for r in server.requests if r.operation != OTHER_OPERATION}


def test_the_environment_key_is_not_sent_to_a_pasted_host(
    app: AppTest, foreign: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_API_KEY", SERVER_KEY)
    open_wandb(app)
    fetch(app, f"{foreign.url}/{SWEEP_PATH}")
    assert not app.exception
    assert foreign.requests == []
    assert "W&B" not in app.session_state["sweep.loaded"].source  # still the demo
    assert "Type your W&B API key for that server" in errors(app)
    caption = captions(app)
    assert (
        "environment variable" not in caption and "type your w&b api key for that server" in caption.lower()
    )
    assert_foreign_host_unnamed(app, foreign)


def test_the_secrets_key_is_not_sent_to_a_pasted_host(app: AppTest, foreign: WandbStandin) -> None:
    app.secrets["WANDB_API_KEY"] = SERVER_KEY
    open_wandb(app)
    fetch(app, f"{foreign.url}/{SWEEP_PATH}")
    assert not app.exception
    assert foreign.requests == []
    assert "from the app's secrets" not in captions(app)
    assert_foreign_host_unnamed(app, foreign)


def test_the_environment_key_still_loads_from_the_configured_server(
    app: AppTest, foreign: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_API_KEY", SERVER_KEY)
    monkeypatch.setenv(
        "WANDB_BASE_URL", foreign.url
    )  # the operator's own server (http: allowed by the stand-in)
    open_wandb(app)
    fetch(app, f"{foreign.url}/{SWEEP_PATH}")
    assert not app.exception and not app.error
    assert sorted(app.session_state["sweep.loaded"].runs.index) == ["r1", "r2"]
    assert graphql_keys(foreign) == {SERVER_KEY}
    assert "from the WANDB_API_KEY environment variable" in captions(app)


def test_a_typed_key_loads_from_the_visitors_own_server_and_only_it_is_sent(
    app: AppTest, foreign: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_API_KEY", SERVER_KEY)
    open_wandb(app)
    fetch(app, f"{foreign.url}/{SWEEP_PATH}", TYPED_KEY)
    assert not app.exception and not app.error
    assert sorted(app.session_state["sweep.loaded"].runs.index) == ["r1", "r2"]
    assert graphql_keys(foreign) == {TYPED_KEY}
    assert_foreign_host_unnamed(app, foreign)


def test_a_refused_typed_key_names_no_link_on_the_pasted_host(app: AppTest, foreign: WandbStandin) -> None:
    open_wandb(app)
    fetch(app, f"{foreign.url}/{SWEEP_PATH}", "w" * 40)
    assert not app.exception
    assert "that server's authorize page" in errors(app)
    assert_foreign_host_unnamed(app, foreign)


def test_a_typed_key_is_not_sent_over_plain_http_without_the_allowance(
    app: AppTest, foreign: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SWEEPSCOPE_ALLOW_HTTP_LOCALHOST")
    open_wandb(app)
    fetch(app, f"{foreign.url}/{SWEEP_PATH}", TYPED_KEY)
    assert not app.exception
    assert foreign.requests == []
    assert "only over https" in errors(app)
