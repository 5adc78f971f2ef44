"""Live W&B projects and sweeps, read with the real `wandb.Api`: the entry points.

- `load_wandb_source(text)` is `load_source`'s route: WANDB_API_KEY, only for the configured server.
- `load_wandb(spec, key)` fetches with a given key (not cached).
- `fetch_sweep(spec, digest, _key, ...)` fetches; its cache identity is (spec, digest, options),
  never the key: wrap it in `st.cache_data` as is.

The pieces: `spec` (what users paste), `errors` (failures as messages), `fetch` (the requests),
`build` (runs into a Sweep), `snapshot` (fetch time and Parquet snapshots). A fetch that fails
after some pages raises `IncompleteFetchError`, whose `partial` sweep says in `skipped` how far it
got (N of M runs): a partial fetch never passes as complete, and never lands in a cache (caches
keep results, not exceptions).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime

from lib.sources.history.wandb_api import wandb_runs
from lib.sources.wandb.auth import WHERE_TO_PUT_A_KEY, credential_digest
from lib.sources.wandb.build import build_sweep
from lib.sources.wandb.errors import NoApiKeyError, NoRunsError, ProjectNotFoundError, translated
from lib.sources.wandb.fetch import (
    DEFAULT_PER_PAGE,
    DEFAULT_TIMEOUT,
    Progress,
    fetch_runs,
    incomplete,
    narrowed,
    open_api,
    read_sweep_config,
    sweep_configs_for,
)
from lib.sources.wandb.hosts import choose_key, configured_base_url, ensure_key_may_go
from lib.sources.wandb.spec import WandbSpec, as_spec
from lib.sweep import Sweep

logger = logging.getLogger(__name__)


def load_wandb_source(text: str, env: Mapping[str, str] | None = None) -> Sweep:
    """`load_source`'s route for W&B references: WANDB_API_KEY, and only for the configured server.

    `env` stands in for the environment (the key, WANDB_BASE_URL and the http allowance).
    """
    env = os.environ if env is None else env
    spec = as_spec(text, configured_base_url(env))
    choice = choose_key(spec.base_url, None, None, env)
    bare = "://" not in text  # also a local path that does not exist: say so in the errors
    hint = f"Nothing exists at the path {text.strip()!r}, so it is read as the W&B project {spec.label}. "
    if choice is None:
        raise NoApiKeyError((hint if bare else "") + WHERE_TO_PUT_A_KEY)
    try:
        return load_wandb(spec, choice.key)
    except ProjectNotFoundError as error:
        if bare:
            raise ProjectNotFoundError(hint + str(error)) from None
        raise


def load_wandb(
    spec: WandbSpec | str,
    api_key: str | None,
    progress: Progress | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    per_page: int = DEFAULT_PER_PAGE,
) -> Sweep:
    """Fetch a W&B project or sweep (not cached): see `fetch_sweep`."""
    parsed = as_spec(spec)
    key = (api_key or "").strip()
    if not key:
        raise NoApiKeyError(WHERE_TO_PUT_A_KEY)
    return fetch_sweep(parsed, credential_digest(key), key, progress, timeout=timeout, per_page=per_page)


def fetch_sweep(
    spec: WandbSpec,
    digest: str,
    _key: str,
    _progress: Progress | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    per_page: int = DEFAULT_PER_PAGE,
) -> Sweep:
    """Fetch the runs `spec` names, as a `Sweep` stamped with its fetch time.

    Cache identity: `spec`, `digest` (= `credential_digest(_key)`), `timeout`, `per_page`. The
    underscored arguments are left out of `st.cache_data`'s hash, so two keys never share an entry
    and the key is never part of one. `_progress(runs_so_far, total_or_None)` is called as pages arrive.
    """
    if not _key:
        raise NoApiKeyError(WHERE_TO_PUT_A_KEY)
    if digest != credential_digest(_key):
        raise ValueError("digest must be credential_digest(key) of the key passed with it")
    ensure_key_may_go(spec.base_url, _key)  # before any request, whoever the caller is
    fetched_at = datetime.now(UTC)
    logger.info("Fetching %s from W&B", spec.label)
    with translated(spec, _key, timeout):
        api = open_api(spec, _key, timeout)
        target, notes = narrowed(api, spec)
        sweep_config = read_sweep_config(api, target) if target.sweep_id else None
    fetch = fetch_runs(api, target, _key, timeout, per_page, _progress)
    configs, skipped = sweep_configs_for(api, target, sweep_config, fetch, _key, timeout)
    if fetch.failure is None and not fetch.records:
        raise NoRunsError(f"{target.label} has no runs yet. Start some runs (or an agent), then load again.")
    sweep = build_sweep(target, fetch, configs, skipped, notes, fetched_at)
    sweep = sweep.replace(history=wandb_runs(target, sweep.runs.index))  # read only when asked
    logger.info("Fetched %d runs of %s", len(fetch.records), spec.label)
    if fetch.failure is not None:
        raise incomplete(target, fetch, sweep)
    return sweep
