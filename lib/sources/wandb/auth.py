"""Where a W&B API key comes from, and how it stays out of caches, logs and messages.

Pure functions: the caller passes the page's password field, the app's secrets and the
environment in. The key itself is never stored here; caches are keyed on `credential_digest(key)`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from secrets import token_bytes
from typing import Any

KEY_NAME = "WANDB_API_KEY"
SECRETS_SECTION = "wandb"  # st.secrets may also hold [wandb] api_key = "..."
SECRETS_SECTION_KEY = "api_key"
KEY_PAGE_URL = "https://wandb.ai/authorize"
REDACTED = "<redacted>"

WHERE_TO_PUT_A_KEY = (
    "Sweepscope needs a W&B API key to read runs from W&B. Copy yours from "
    f"{KEY_PAGE_URL} and either paste it into the API key field on the load page (kept only for "
    f'this browser session), add {KEY_NAME} = "..." to .streamlit/secrets.toml, or set the '
    f"{KEY_NAME} environment variable before starting Sweepscope."
)

# One random salt per process: digests cannot be reversed or compared across processes, so a
# cache written to disk by one process is unreachable from the next.
_DIGEST_SALT = token_bytes(32)


def where_to_put_a_key() -> str:
    return WHERE_TO_PUT_A_KEY


def resolve_api_key(
    field_value: str | None, secrets: Mapping[str, Any] | None, env: Mapping[str, str] | None
) -> str | None:
    """The key to use: the page's field, then the app's secrets, then the environment; else None."""
    for candidate in (field_value, _key_from_secrets(secrets), (env or {}).get(KEY_NAME)):
        key = _cleaned(candidate)
        if key:
            return key
    return None


def _key_from_secrets(secrets: Mapping[str, Any] | None) -> str | None:
    if secrets is None:
        return None
    direct = _mapping_get(secrets, KEY_NAME)
    if isinstance(direct, str):
        return direct
    section = _mapping_get(secrets, SECRETS_SECTION)
    if isinstance(section, Mapping):
        nested = _mapping_get(section, SECRETS_SECTION_KEY)
        return nested if isinstance(nested, str) else None
    return None


def _mapping_get(mapping: Mapping[str, Any], name: str) -> Any:
    # st.secrets raises on a missing file as well as a missing key: treat both as "not there".
    try:
        return mapping.get(name)
    except Exception:
        return None


def _cleaned(candidate: object) -> str | None:
    if not isinstance(candidate, str):
        return None
    key = candidate.strip()
    if key.lower().startswith(f"{KEY_NAME.lower()}="):
        key = key.split("=", 1)[1].strip().strip("\"'")
    return key or None


def credential_digest(key: str) -> str:
    """A keyed hash naming a credential in cache keys: stable within this process, never reversible."""
    return hmac.new(_DIGEST_SALT, key.encode(), hashlib.sha256).hexdigest()


def scrub(text: str, key: str | None) -> str:
    """`text` with every occurrence of the key replaced, for messages built from library errors."""
    if not key:
        return text
    return text.replace(key, REDACTED)
