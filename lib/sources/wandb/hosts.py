"""Which W&B API key may be sent to which server: the one rule, used by the page and the headless path.

- A key typed by the visitor (or passed by a caller) may go to any W&B server.
- The deployment's own key (the app's secrets or WANDB_API_KEY; Streamlit also exports a root-level
  secret into the environment) goes only to the configured server: WANDB_BASE_URL, else W&B's cloud.
- No key goes over plain http, except to this machine (localhost, 127.0.0.0/8, ::1) when the operator
  sets SWEEPSCOPE_ALLOW_HTTP_LOCALHOST=1 (a W&B server run locally).

Messages about a server the visitor named never name or link it: it is "that server".
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from lib.sources.errors import SourceError
from lib.sources.wandb.auth import KEY_NAME, resolve_api_key

DEFAULT_API_URL = "https://api.wandb.ai"
FORGE_API_URL = "https://api.forge.coreweave.com"
FORGE_APP_PREFIX = "wandb"  # forge.coreweave.com/wandb/<entity>/<project>
KNOWN_API_URLS = frozenset({DEFAULT_API_URL, FORGE_API_URL})  # fixed hosts, never chosen by a visitor
BASE_URL_NAME = "WANDB_BASE_URL"
ALLOW_HTTP_LOCALHOST = "SWEEPSCOPE_ALLOW_HTTP_LOCALHOST"
THAT_SERVERS_KEY_PAGE = "that server's authorize page"
_DEFAULT_PORTS = {"http": 80, "https": 443}

KeyOrigin = Literal["typed", "secrets", "environment"]


class KeyRefusedError(SourceError):
    """No key may be sent to that server this way; the message says what would work."""


@dataclass(frozen=True)
class KeyChoice:
    """A key that may be sent to one server, and where it came from. Never shown or logged."""

    key: str
    origin: KeyOrigin

    def __repr__(self) -> str:
        return f"KeyChoice(origin={self.origin!r})"


def configured_base_url(env: Mapping[str, str] | None = None) -> str:
    """The W&B server this deployment is configured for (WANDB_BASE_URL, else W&B's cloud)."""
    env = os.environ if env is None else env
    return (env.get(BASE_URL_NAME) or "").strip().rstrip("/") or DEFAULT_API_URL


def is_configured_host(base_url: str, env: Mapping[str, str] | None = None) -> bool:
    """Same scheme, host and port as the configured server (and no user name smuggled in)."""
    target, configured = _origin(base_url), _origin(configured_base_url(env))
    return target is not None and target == configured


def may_be_named(base_url: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether messages may name (and link) this server: W&B's own, or the configured one."""
    return base_url in KNOWN_API_URLS or is_configured_host(base_url, env)


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # a port that is not a number
        return None
    if "@" in parts.netloc or not parts.hostname or port is None:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def http_localhost_allowed(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get(ALLOW_HTTP_LOCALHOST, "").strip().lower() in {"1", "true", "yes"}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_transport(base_url: str, env: Mapping[str, str] | None = None) -> None:
    """Raises `KeyRefusedError` unless a key may travel to `base_url` (https, or allowed localhost)."""
    parts = urlsplit(base_url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme == "https" and host:
        return
    if scheme == "http" and _is_loopback(host) and http_localhost_allowed(env):
        return
    raise KeyRefusedError(
        "Sweepscope sends W&B API keys only over https, and this address is not https. For a W&B "
        f"server on the machine running Sweepscope, its operator can allow plain http to localhost "
        f"with {ALLOW_HTTP_LOCALHOST}=1."
    )


def choose_key(
    base_url: str,
    typed: str | None,
    secrets: Mapping[str, Any] | None,
    env: Mapping[str, str] | None,
) -> KeyChoice | None:
    """The key that may be sent to `base_url`: a typed one anywhere, the deployment's only to its server.

    None when the configured server is asked and no key exists anywhere (say where to put one).
    Raises `KeyRefusedError` for a server other than the configured one without a typed key (whether
    or not the deployment has a key: the answer tells nothing about it), and for insecure transport.
    """
    env = os.environ if env is None else env
    check_transport(base_url, env)
    typed_key = resolve_api_key(typed, None, None)
    if typed_key:
        return KeyChoice(typed_key, "typed")
    if not is_configured_host(base_url, env):
        raise KeyRefusedError(needs_a_typed_key(env))
    from_secrets = resolve_api_key(None, secrets, None)
    if from_secrets:
        return KeyChoice(from_secrets, "secrets")
    from_env = resolve_api_key(None, None, env)
    return KeyChoice(from_env, "environment") if from_env else None


def ensure_key_may_go(base_url: str, key: str, env: Mapping[str, str] | None = None) -> None:
    """The last check before a request: transport, and never the environment's key to another server."""
    env = os.environ if env is None else env
    check_transport(base_url, env)
    server_key = resolve_api_key(None, None, env)
    if server_key and key.strip() == server_key and not is_configured_host(base_url, env):
        raise KeyRefusedError(needs_a_typed_key(env))


def needs_a_typed_key(env: Mapping[str, str] | None = None) -> str:
    return (
        "Type your W&B API key for that server into the API key field (in code: pass it to load_wandb). "
        f"A key in .streamlit/secrets.toml or {KEY_NAME} is only ever sent to "
        f"{display_host(configured_base_url(env))}."
    )


def display_host(base_url: str) -> str:
    """The configured server's host, as words (no scheme, so not a link)."""
    return urlsplit(base_url).netloc or base_url


def server_name(base_url: str) -> str:
    """The host for W&B's own or the configured server; a server the visitor named stays unnamed."""
    return urlsplit(base_url).netloc if may_be_named(base_url) else "a self-hosted server"


def key_page(base_url: str) -> str:
    """Where to copy a key: a link for W&B's own or the configured server, words for any other."""
    return f"{app_url(base_url)}/authorize" if may_be_named(base_url) else THAT_SERVERS_KEY_PAGE


def app_url(base_url: str) -> str:
    if base_url == DEFAULT_API_URL:
        return "https://wandb.ai"
    if base_url == FORGE_API_URL:
        return f"https://forge.coreweave.com/{FORGE_APP_PREFIX}"
    return base_url.replace("://api.", "://app.", 1)
