"""The one rule of which W&B key may go to which server (`lib.sources.wandb.hosts.choose_key`)."""

from __future__ import annotations

import pytest

from lib.sources.wandb.hosts import (
    ALLOW_HTTP_LOCALHOST,
    KeyChoice,
    KeyRefusedError,
    choose_key,
    configured_base_url,
    ensure_key_may_go,
    is_configured_host,
)

ENV_KEY = "e" * 40
SECRET_KEY = "s" * 40
TYPED = "t" * 40
CLOUD = "https://api.wandb.ai"
SELF_HOSTED = "https://wandb.acme.internal"


def choice(
    base_url: str, typed: str | None, env: dict[str, str], secrets: dict | None = None
) -> KeyChoice | None:
    return choose_key(base_url, typed, secrets, env)


@pytest.mark.parametrize(
    ("base_url", "configured", "expected"),
    [
        (CLOUD, None, True),
        ("https://api.wandb.ai:443", None, True),
        ("HTTPS://API.WANDB.AI", None, True),
        ("https://api.wandb.ai:8443", None, False),
        ("http://api.wandb.ai", None, False),
        ("https://api.wandb.ai@127.0.0.1:8999", None, False),
        ("https://x@api.wandb.ai", None, False),
        ("https://api.wandb.ai.evil.test", None, False),
        (SELF_HOSTED, SELF_HOSTED + "/", True),
        (CLOUD, SELF_HOSTED, False),
        ("http://127.0.0.1:8999", None, False),
        ("https://api.wandb.ai:notaport", None, False),
    ],
)
def test_the_configured_server_is_matched_by_scheme_host_and_port(
    base_url: str, configured: str | None, expected: bool
) -> None:
    env = {"WANDB_BASE_URL": configured} if configured else {}
    assert is_configured_host(base_url, env) is expected


def test_configured_base_url_defaults_to_the_cloud() -> None:
    assert configured_base_url({}) == CLOUD
    assert configured_base_url({"WANDB_BASE_URL": " https://wandb.acme.internal/ "}) == SELF_HOSTED


def test_the_deployments_key_goes_only_to_the_configured_server() -> None:
    env = {"WANDB_API_KEY": ENV_KEY}
    assert choice(CLOUD, None, env) == KeyChoice(ENV_KEY, "environment")
    assert choice(CLOUD, " ", env, {"WANDB_API_KEY": SECRET_KEY}) == KeyChoice(SECRET_KEY, "secrets")
    for foreign in (SELF_HOSTED, "https://127.0.0.1:8999"):
        with pytest.raises(KeyRefusedError, match="Type your W&B API key for that server"):
            choice(foreign, None, env, {"WANDB_API_KEY": SECRET_KEY})
    configured = {**env, "WANDB_BASE_URL": SELF_HOSTED}
    assert choice(SELF_HOSTED, None, configured) == KeyChoice(ENV_KEY, "environment")
    with pytest.raises(KeyRefusedError):
        choice(CLOUD, None, configured)  # W&B's cloud is another server once a self-hosted one is set


def test_a_foreign_server_without_a_typed_key_is_refused_alike_with_or_without_a_deployment_key() -> None:
    with pytest.raises(KeyRefusedError) as without:
        choice(SELF_HOSTED, None, {})
    with pytest.raises(KeyRefusedError) as with_key:
        choice(SELF_HOSTED, None, {"WANDB_API_KEY": ENV_KEY})
    assert str(without.value) == str(with_key.value)  # nothing told about the deployment's key


def test_a_typed_key_goes_to_any_https_server() -> None:
    env = {"WANDB_API_KEY": ENV_KEY}
    for base_url in (CLOUD, SELF_HOSTED, "https://127.0.0.1:8999"):
        assert choice(base_url, f" {TYPED}\n", env) == KeyChoice(TYPED, "typed")


def test_no_key_at_all_for_the_configured_server_is_none() -> None:
    assert choice(CLOUD, None, {}) is None


@pytest.mark.parametrize(
    ("base_url", "allowed"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://127.9.9.9:8080", True),
        ("http://localhost:8080", True),
        ("http://[::1]:8080", True),
        ("http://10.0.0.7:8080", False),
        ("http://localhost.evil.test", False),
        ("http://127.0.0.1.nip.io", False),
        ("ftp://127.0.0.1", False),
    ],
)
def test_plain_http_only_to_this_machine_and_only_when_the_operator_allows(
    base_url: str, allowed: bool
) -> None:
    with pytest.raises(KeyRefusedError, match="only over https"):
        choice(base_url, TYPED, {})
    allowing = {ALLOW_HTTP_LOCALHOST: "1"}
    if allowed:
        assert choice(base_url, TYPED, allowing) == KeyChoice(TYPED, "typed")
    else:
        with pytest.raises(KeyRefusedError, match="only over https"):
            choice(base_url, TYPED, allowing)


def test_the_last_check_refuses_the_environments_key_to_another_server() -> None:
    env = {"WANDB_API_KEY": ENV_KEY}
    ensure_key_may_go(CLOUD, ENV_KEY, env)
    ensure_key_may_go(SELF_HOSTED, TYPED, env)
    with pytest.raises(KeyRefusedError):
        ensure_key_may_go(SELF_HOSTED, ENV_KEY, env)
    with pytest.raises(KeyRefusedError, match="only over https"):
        ensure_key_may_go("http://api.wandb.ai", ENV_KEY, env)


def test_a_key_choice_never_shows_its_key() -> None:
    assert TYPED not in repr(KeyChoice(TYPED, "typed")) and TYPED not in str(KeyChoice(TYPED, "typed"))
