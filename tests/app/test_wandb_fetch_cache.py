"""Issue 9, item 9: a second fetch of the same sweep with the same key is a real cache hit.

Before the fix it failed with CacheReplayClosureError: the progress bar made outside the cached
function was replayed inside it. Now progress stays outside the cache (`lib.sources.wandb.cache`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from lib.ui import sources
from tests.app.conftest import APP_DIR
from tests.sources.wandb_standin import OTHER_OPERATION, StandinSweep, WandbStandin, wandb_run

KEY_ALICE = "alice" + "0123456789abcdef" * 3
KEY_BOB = "bob00" + "fedcba9876543210" * 3


@pytest.fixture(scope="module")
def standin() -> Iterator[WandbStandin]:
    server = WandbStandin({KEY_ALICE: "alice", KEY_BOB: "bob"})
    private = server.add_project("alice", "cached", readers={"alice"})
    private.runs += [
        wandb_run(f"c{i}", config={"lr": 0.1 * i}, summary={"loss": i}, sweep="sw") for i in range(4)
    ]
    private.sweeps["sw"] = StandinSweep("sw", {"method": "grid", "parameters": {"lr": {"values": [0.1]}}})
    with server:
        yield server


@pytest.fixture(autouse=True)
def fresh(standin: WandbStandin, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("WANDB_BASE_URL", standin.url)
    fetched = getattr(sources, "FETCHED", None)  # absent before the fix: st.cache_data held it
    if fetched is not None:
        fetched.clear()
    standin.clear_requests()
    yield
    if fetched is not None:
        fetched.clear()


def open_wandb() -> AppTest:
    app = AppTest.from_file(str(APP_DIR / "streamlit_app.py"), default_timeout=60)
    app.run()
    app.switch_page("pages/load.py")
    app.run()
    app.segmented_control(key="load.source").set_value("W&B project or sweep")
    return app.run()


def click(app: AppTest, label: str, spec: str, key: str) -> AppTest:
    app.text_input(key="load.wandb.spec").input(spec)
    app.text_input(key="load.wandb.key").input(key)
    app.run()
    next(b for b in app.button if b.label == label).click()
    return app.run()


def graphql_requests(standin: WandbStandin) -> int:
    return len([r for r in standin.requests if r.operation != OTHER_OPERATION])


def sweep_url(standin: WandbStandin) -> str:
    return f"{standin.url}/alice/cached/sweeps/sw"


def test_the_second_fetch_of_a_sweep_comes_from_the_cache(
    standin: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_wandb()
    click(app, "Fetch from W&B", sweep_url(standin), KEY_ALICE)
    assert not app.exception and not app.error
    first = app.session_state["sweep.loaded"]
    asked = graphql_requests(standin)
    assert asked > 0

    click(app, "Fetch from W&B", sweep_url(standin), KEY_ALICE)
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert graphql_requests(standin) == asked  # nothing new reached the server: a real hit
    again = app.session_state["sweep.loaded"]
    assert sorted(again.runs.index) == sorted(first.runs.index) == [f"c{i}" for i in range(4)]
    assert again.runs is not first.runs  # a private copy, not the cached object

    # Another session with the same key shares the entry; Refresh asks the server again.
    other = open_wandb()
    click(other, "Fetch from W&B", sweep_url(standin), KEY_ALICE)
    assert not other.error and graphql_requests(standin) == asked
    click(other, "Refresh (fetch again)", sweep_url(standin), KEY_ALICE)
    assert not other.exception and not other.error
    assert graphql_requests(standin) > asked


def test_a_cached_fetch_is_never_served_to_another_key(standin: WandbStandin) -> None:
    alice = open_wandb()
    click(alice, "Fetch from W&B", sweep_url(standin), KEY_ALICE)
    assert len(alice.session_state["sweep.loaded"].runs) == 4
    asked = graphql_requests(standin)

    bob = open_wandb()
    click(bob, "Fetch from W&B", sweep_url(standin), KEY_BOB)
    assert not bob.exception
    assert graphql_requests(standin) > asked  # Bob's fetch asked the server, which refused him
    assert "access" in " ".join(e.value for e in bob.error).lower()
    assert "W&B" not in bob.session_state["sweep.loaded"].source  # still the demo
