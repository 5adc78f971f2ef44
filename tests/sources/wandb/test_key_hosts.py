"""Issue 9, item 1, headless: the deployment's W&B key never goes to a server the caller named.

A second stand-in on 127.0.0.1 plays the foreign host. It knows the deployment's key, so if the key
were sent the fetch would even succeed: every test checks what it received, not only the error.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from lib.sources import SourceError, load_source
from lib.sources.wandb.api import load_wandb
from lib.sources.wandb.errors import WandbError
from lib.sources.wandb.spec import WandbSpec
from tests.sources.wandb_standin import (
    ALLOW_HTTP_LOCALHOST,
    OTHER_OPERATION,
    StandinSweep,
    WandbStandin,
    wandb_run,
)

SERVER_KEY = "server" + "0123456789abcdef" * 3  # the deployment's own key (env or secrets)
TYPED_KEY = "typed0" + "fedcba9876543210" * 3  # a key the visitor typed for their own server
SWEEP_PATH = "entity/project/sweeps/abc123"


def serve_sweep(server: WandbStandin) -> WandbStandin:
    project = server.add_project("entity", "project")
    project.runs += [
        wandb_run(f"r{i}", config={"lr": 0.1 * i}, summary={"loss": i}, sweep="abc123") for i in (1, 2)
    ]
    project.sweeps["abc123"] = StandinSweep(
        "abc123", {"method": "grid", "parameters": {"lr": {"values": [0.1]}}}
    )
    return server


@pytest.fixture
def foreign() -> Iterator[WandbStandin]:
    with serve_sweep(WandbStandin({SERVER_KEY: "operator", TYPED_KEY: "visitor"})) as server:
        yield server


@pytest.fixture(autouse=True)
def deployment_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator put a key in the environment and configured nothing else (W&B's cloud)."""
    monkeypatch.setenv("WANDB_API_KEY", SERVER_KEY)
    monkeypatch.delenv("WANDB_BASE_URL", raising=False)


def keys_received(server: WandbStandin) -> set[str | None]:
    return {r.api_key for r in server.requests}


def assert_names_no_foreign_host(error: BaseException, server: WandbStandin) -> None:
    text = str(error)
    port = server.url.rsplit(":", 1)[1]
    assert "127.0.0.1" not in text and port not in text and "http://" not in text, text


def test_the_environment_key_is_not_sent_to_a_url_the_caller_named(foreign: WandbStandin) -> None:
    # Even with plain http to localhost allowed (the stand-in sets it), the key stays home.
    with pytest.raises(SourceError, match="Type your W&B API key for that server") as raised:
        load_source(f"{foreign.url}/{SWEEP_PATH}")
    assert foreign.requests == []
    assert_names_no_foreign_host(raised.value, foreign)


def test_the_environment_key_passed_by_hand_is_refused_too(foreign: WandbStandin) -> None:
    spec = WandbSpec("entity", "project", sweep_id="abc123", base_url=foreign.url)
    with pytest.raises(SourceError, match=r"only ever sent to api\.wandb\.ai"):
        load_wandb(spec, SERVER_KEY)
    assert foreign.requests == []


def test_the_environment_key_goes_to_the_configured_server(
    foreign: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_BASE_URL", foreign.url)  # now it is the deployment's own server
    sweep = load_source(f"{foreign.url}/{SWEEP_PATH}")
    assert sorted(sweep.runs.index) == ["r1", "r2"]
    assert sorted(load_source("wandb://entity/project/abc123").runs.index) == ["r1", "r2"]
    assert {r.api_key for r in foreign.requests if r.operation != OTHER_OPERATION} == {SERVER_KEY}


def test_no_key_goes_over_plain_http_without_the_operators_allowance(
    foreign: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ALLOW_HTTP_LOCALHOST)
    monkeypatch.setenv("WANDB_BASE_URL", foreign.url)  # configured, but plain http
    with pytest.raises(SourceError, match="only over https"):
        load_source(f"{foreign.url}/{SWEEP_PATH}")
    spec = WandbSpec("entity", "project", sweep_id="abc123", base_url=foreign.url)
    with pytest.raises(SourceError, match="only over https"):
        load_wandb(spec, TYPED_KEY)
    assert foreign.requests == []


def test_plain_http_to_another_machine_is_refused_even_with_the_allowance() -> None:
    for host in ("wandb.example.test", "10.0.0.7", "localhost.example.test"):
        spec = WandbSpec("entity", "project", base_url=f"http://{host}:8080")
        with pytest.raises(SourceError, match="only over https") as raised:
            load_wandb(spec, TYPED_KEY, timeout=2)
        assert not isinstance(raised.value, WandbError)  # refused before any connection attempt


def test_a_typed_key_goes_to_the_server_it_was_typed_for_and_nothing_else(foreign: WandbStandin) -> None:
    sweep = load_wandb(f"{foreign.url}/{SWEEP_PATH}", TYPED_KEY)  # localhost http: allowed here
    assert sorted(sweep.runs.index) == ["r1", "r2"]
    assert SERVER_KEY not in keys_received(foreign) and TYPED_KEY in keys_received(foreign)
    assert "127.0.0.1" not in sweep.source  # an unnamed server stays unnamed in the label


def test_a_refused_typed_key_is_not_sent_to_a_link_on_that_server(foreign: WandbStandin) -> None:
    with pytest.raises(WandbError, match="that server's authorize page") as raised:
        load_wandb(f"{foreign.url}/{SWEEP_PATH}", "w" * 40)
    assert_names_no_foreign_host(raised.value, foreign)


# ----------------------------------------------------------------------------------------------
# Connection failures on a server the visitor named all read the same (no port or host probe)
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says anything (a timeout)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_unknown_silent_and_not_tls_read_alike(foreign: WandbStandin, silent_port: int) -> None:
    plain_http_port = foreign.url.rsplit(":", 1)[1]
    targets = {
        "refused": f"https://127.0.0.1:{closed_port()}",
        "no such host": "https://wandb.invalid",
        "not TLS": f"https://127.0.0.1:{plain_http_port}",
        "silent": f"https://127.0.0.1:{silent_port}",
    }
    messages = {}
    for what, base_url in targets.items():
        with pytest.raises(WandbError) as raised:
            load_wandb(WandbSpec("entity", "project", base_url=base_url), TYPED_KEY, timeout=2)
        messages[what] = (type(raised.value).__name__, str(raised.value))
        assert "127.0.0.1" not in str(raised.value) and "wandb.invalid" not in str(raised.value)
    assert len(set(messages.values())) == 1, messages
