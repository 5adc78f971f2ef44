"""Live W&B projects and sweeps, read with the real `wandb.Api`.

- `parse_wandb_spec(text)` reads what users paste (`entity/project`, `entity/project/sweep_id`,
  `wandb://...`, W&B and self-hosted URLs); None when the text is not a W&B reference.
- `fetch_sweep(spec, digest, _key, ...)` fetches; its cache identity is (spec, digest, options),
  never the key: wrap it in `st.cache_data` as is. `load_wandb` and `load_wandb_source` call it.
- `save_snapshot` / `load_snapshot` keep a fetched sweep as Parquet for offline use.

Fetching: one `wandb.Api` per fetch (it holds the key; never shared or cached), one paged runs
query (`lazy=False`, large pages, sweeps filtered on the server), one query per sweep config.
`wandb.Api` is constructed only with an explicit key, so it never prompts; every request is
bounded by `timeout`, and wandb-core's retries are capped so a failing server answers in seconds.

A fetch that fails after some pages raises `IncompleteFetchError`, whose `partial` sweep says in
`skipped` how far it got (N of M runs): a partial fetch never passes as complete, and never lands
in a cache (caches keep results, not exceptions).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from lib.columns import Direction, Kind, infer_kind
from lib.sources.errors import SourceError
from lib.sources.snapshot import CLAIM_NOTE, FROM_SNAPSHOT, snapshot_source, spec_fields
from lib.sources.snapshot import describe_age as describe_age  # re-exported
from lib.sources.wandb.auth import WHERE_TO_PUT_A_KEY, credential_digest, scrub
from lib.sources.wandb.hosts import (
    DEFAULT_API_URL,
    FORGE_API_URL,
    FORGE_APP_PREFIX,
    app_url,
    choose_key,
    configured_base_url,
    ensure_key_may_go,
    key_page,
    may_be_named,
    server_name,
)
from lib.sweep import (
    CRASHED,
    FAILED,
    FINISHED,
    KILLED,
    RUNNING,
    UNKNOWN,
    RunRecord,
    Sweep,
    finish_sweep,
    sweep_from_records,
)
from lib.sweep_config import config_metric, metric_column, swept_parameters

logger = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]

DEFAULT_TIMEOUT = 30.0  # seconds, for each request
DEFAULT_PER_PAGE = 500
MAX_SWEEP_CONFIGS = 20  # sweep configs read when loading a whole project
GRAPHQL_RETRIES = 2  # wandb-core otherwise retries 429 and 5xx for minutes
RETRY_WAIT_SECONDS = (1.0, 2.0)  # measured: wandb-core treats waits under 1 s as unset
FETCHED_AT = "sweepscope.fetched_at"  # key in Sweep.runs.attrs

# App hosts whose API lives elsewhere; any other host serves its API itself (wandb/local).
CLOUD_APP_HOSTS = {
    "wandb.ai": DEFAULT_API_URL,
    "www.wandb.ai": DEFAULT_API_URL,
    "app.wandb.ai": DEFAULT_API_URL,
    "api.wandb.ai": DEFAULT_API_URL,
    "forge.coreweave.com": FORGE_API_URL,
}
# Pages of a project that name no narrower run set.
PROJECT_PAGES = frozenset(
    {"workspace", "table", "overview", "sweeps", "runs", "groups", "reports", "artifacts", "jobs"}
)
RUN_SET_PAGES = {"sweeps": "sweep_id", "runs": "run_id", "groups": "group"}
_BARE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_FILE_SUFFIX = re.compile(r"\.(csv|tsv|txt|parquet|pq|zip|wandb|json|ya?ml|db|sqlite3?)$", re.IGNORECASE)
_FORBIDDEN_IN_NAME = re.compile(r"[\\#?%:]")  # what W&B forbids in project names

_STATES = {
    "finished": FINISHED,
    "failed": FAILED,
    "crashed": CRASHED,
    "running": RUNNING,
    "killed": KILLED,
    "preempting": RUNNING,
    "preempted": KILLED,
}


# ----------------------------------------------------------------------------------------------
# What the user pasted
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WandbSpec:
    """A W&B project, narrowed to a sweep, a run's sweep or a group. Holds no credential."""

    entity: str
    project: str
    sweep_id: str | None = None
    run_id: str | None = None  # a pasted run: load its sweep, or its project
    group: str | None = None
    base_url: str = DEFAULT_API_URL

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}"

    @property
    def label(self) -> str:
        where = "" if self.base_url == DEFAULT_API_URL else f" on {server_name(self.base_url)}"
        if self.sweep_id:
            return f"{self.path} sweep {self.sweep_id}{where}"
        if self.run_id:
            return f"{self.path} run {self.run_id}{where}"
        if self.group:
            return f"{self.path} group {self.group}{where}"
        return f"{self.path}{where}"

    @property
    def app_url(self) -> str:
        """The page of this spec in the W&B app, for a link."""
        base = app_url(self.base_url)
        parts = [self.entity, self.project]
        if self.sweep_id:
            parts += ["sweeps", self.sweep_id]
        elif self.run_id:
            parts += ["runs", self.run_id]
        elif self.group:
            parts += ["groups", self.group]
        return base + "/" + "/".join(quote(p, safe="") for p in parts)


def parse_wandb_spec(text: str, default_base_url: str | None = None) -> WandbSpec | None:
    """The W&B project or sweep `text` names; None when it is not a W&B reference.

    Accepts `entity/project`, `entity/project/sweep_id`, `entity/project/sweeps/id` (and
    `runs/id`, `groups/name`), the same after `wandb://`, and app URLs with any query string.
    `wandb://` and bare forms use `default_base_url`, else WANDB_BASE_URL, else W&B's cloud.
    A bare `a/b` can also be a local folder: check the file system before calling this.
    Raises `SourceError` for a W&B reference that names no project (e.g. an entity's page).
    """
    stripped = text.strip()
    if not stripped:
        return None
    base = (default_base_url or "").rstrip("/") or configured_base_url()
    lowered = stripped.lower()
    if lowered.startswith("wandb://"):
        return _spec_from_parts(_segments(stripped[len("wandb://") :]), base, stripped, strict=True)
    if lowered.startswith(("http://", "https://")):
        return _spec_from_url(stripped, base)
    if _looks_like_local_path(stripped):
        return None
    parts = stripped.split("/")
    if not 2 <= len(parts) <= 4 or not all(_BARE_NAME.match(p) for p in parts):
        return None
    return _spec_from_parts(parts, base, stripped, strict=False)


def _segments(path: str) -> list[str]:
    return [unquote(p) for p in path.split("?")[0].split("#")[0].split("/") if p]


def _looks_like_local_path(text: str) -> bool:
    return (
        text.startswith(("/", ".", "~", "\\"))
        or "\\" in text
        or bool(re.match(r"^[A-Za-z]:", text))
        or bool(_FILE_SUFFIX.search(text))
    )


def _spec_from_url(url: str, configured_base: str) -> WandbSpec | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    segments = _segments(parts.path)
    if host in CLOUD_APP_HOSTS:
        if host == "forge.coreweave.com" and segments[:1] == [FORGE_APP_PREFIX]:
            segments = segments[1:]
        return _spec_from_parts(segments, CLOUD_APP_HOSTS[host], url, strict=True)
    if host in _hosts_of(configured_base):
        return _spec_from_parts(segments, configured_base, url, strict=True)
    names_run_set = len(segments) >= 4 and segments[2] in RUN_SET_PAGES
    if "wandb" not in host and not names_run_set:
        return None  # could be any site: only W&B-shaped paths on unknown hosts are read
    return _spec_from_parts(segments, _self_hosted_api_url(parts.scheme, parts.netloc), url, strict=True)


def _hosts_of(base_url: str) -> set[str]:
    """The configured server's API host and the app host that goes with it."""
    host = (urlsplit(base_url).hostname or "").lower()
    return {host, "app." + host[len("api.") :]} if host.startswith("api.") else {host}


def _self_hosted_api_url(scheme: str, netloc: str) -> str:
    # wandb's convention for dedicated deployments: app.<domain> serves the UI, api.<domain> the API.
    if netloc.lower().startswith("app."):
        netloc = "api." + netloc[len("app.") :]
    return f"{scheme}://{netloc}"


def _spec_from_parts(parts: list[str], base_url: str, original: str, *, strict: bool) -> WandbSpec | None:
    """entity/project[/sweep_id | /sweeps/<id> | /runs/<id> | /groups/<name> | /<page>...]."""
    if len(parts) < 2:
        if strict:
            raise SourceError(
                f"{original!r} names no W&B project. Paste a project or sweep, e.g. "
                "entity/project, entity/project/sweep_id or https://wandb.ai/entity/project/sweeps/abc123."
            )
        return None
    entity, project, rest = parts[0], parts[1], parts[2:]
    for name in (entity, project):
        if _FORBIDDEN_IN_NAME.search(name):
            raise SourceError(f"{name!r} in {original!r} is not a W&B entity or project name.")
    spec = WandbSpec(entity=entity, project=project, base_url=base_url)
    if not rest:
        return spec
    page = rest[0]
    if page in RUN_SET_PAGES and len(rest) >= 2:
        return replace(spec, **{RUN_SET_PAGES[page]: rest[1]})
    if len(rest) == 1 and page not in PROJECT_PAGES and not original.lower().startswith("http"):
        return replace(spec, sweep_id=page)  # entity/project/sweep_id
    if page in PROJECT_PAGES or original.lower().startswith("http"):
        return spec
    if strict:
        raise SourceError(
            f"Sweepscope cannot tell which runs {original!r} means. Use wandb://entity/project, "
            "wandb://entity/project/sweep_id or wandb://entity/project/runs/run_id."
        )
    return None


# ----------------------------------------------------------------------------------------------
# Errors a user can act on
# ----------------------------------------------------------------------------------------------


class WandbError(SourceError):
    """Reading from W&B failed; the message says what to do."""


class NoApiKeyError(WandbError):
    """No key in the field, the app's secrets or the environment."""


class BadApiKeyError(WandbError):
    """The key is malformed, or the server does not accept it."""


class WandbUnreachableError(WandbError):
    """No answer: no network, a wrong address, or a timeout."""


class ProjectNotFoundError(WandbError):
    """No such entity or project, as far as this key can see."""


class AccessDeniedError(WandbError):
    """The project exists but this key's account may not read it."""


class RateLimitedError(WandbError):
    """The server asks this key to slow down."""


class SweepNotFoundError(WandbError):
    """The project has no sweep with this id."""


class RunNotFoundError(WandbError):
    """The project has no run with this id."""


class NoRunsError(WandbError):
    """The project or sweep exists but holds no runs yet."""


class WandbServerError(WandbError):
    """The server failed, or answered with an error of its own."""


class IncompleteFetchError(WandbError):
    """Some pages arrived, then W&B failed: `partial` holds what arrived, marked as partial."""

    def __init__(self, message: str, partial: Sweep, fetched: int, total: int | None) -> None:
        super().__init__(message)
        self.partial = partial
        self.fetched = fetched
        self.total = total


def _error_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "exc", None)  # wandb's CommError keeps the original here
        todo += [
            current.__cause__,
            current.__context__,
            wrapped if isinstance(wrapped, BaseException) else None,
        ]


def _http_status(exc: BaseException, text: str) -> int | None:
    for error in _error_chain(exc):
        status = getattr(getattr(error, "response", None), "http_status", 0)
        if isinstance(status, int) and status:
            return status
    found = re.search(r"HTTP (\d{3})", text)
    return int(found.group(1)) if found else None


def _reason(exc: BaseException, key: str) -> str:
    """The library's own words, key removed, one line."""
    words = " | ".join(dict.fromkeys(str(e).strip() for e in _error_chain(exc) if str(e).strip()))
    return scrub(" ".join(words.split()), key)[:400]


def translate_error(exc: BaseException, spec: WandbSpec, key: str, timeout: float) -> WandbError:
    """A `WandbError` for what went wrong under `exc`, with what the user can do about it."""
    if isinstance(exc, WandbError):
        return exc
    reason = _reason(exc, key)
    lowered = reason.lower()
    status = _http_status(exc, reason)
    named = may_be_named(spec.base_url)
    host = urlsplit(spec.base_url).netloc if named else "That server"
    if "api key" in lowered and any(w in lowered for w in ("must have", "may only contain", "empty")):
        return BadApiKeyError(
            f"That W&B API key is not in the right form ({_first_sentence(reason)}). "
            f"Copy it again from {key_page(spec.base_url)} and paste the whole key."
        )
    if status == 401 or "not logged in" in lowered or "unauthorized" in lowered:
        return BadApiKeyError(
            f"{host} did not accept the W&B API key: it may be mistyped, revoked, or for another "
            f"server. Copy a current key from {key_page(spec.base_url)}."
        )
    if status == 403 or "permission denied" in lowered:
        return AccessDeniedError(
            f"The account of this API key cannot read {spec.path}. Ask the project's owner for "
            "access, or use a key of an account that is a member of the entity."
        )
    if status == 429 or "rate limit" in lowered:
        return RateLimitedError(
            f"{host} is limiting how often this API key may ask (rate limited). Wait a minute, then "
            "load again; a saved snapshot opens without asking W&B."
        )
    if "could not find sweep" in lowered or (spec.sweep_id and "sweep" in lowered and "not found" in lowered):
        return SweepNotFoundError(
            f"{spec.path} has no sweep {spec.sweep_id!r}. Check the sweep id (the part after "
            "/sweeps/ in the sweep's URL) and the entity and project names."
        )
    if "could not find run" in lowered:
        return RunNotFoundError(
            f"{spec.path} has no run {spec.run_id!r}. Check the run id (the part after /runs/ in "
            "the run's URL)."
        )
    if status == 404 or "could not find project" in lowered or "not found" in lowered:
        return ProjectNotFoundError(
            f"W&B has no project {spec.path} that this key can see. Check the entity (user or "
            "team) and project names; they are the first two parts after the host in the URL."
        )
    if not named:
        return _unnamed_server_failed(status)
    if "did not respond in time" in lowered or "timeout" in lowered or "deadline exceeded" in lowered:
        return WandbUnreachableError(
            f"{host} did not answer within {timeout:g} s. Check the network connection; if it "
            "works, the server may be busy: try again in a minute."
        )
    if re.search(
        r"dial tcp|connection refused|no such host|network is unreachable|\b(eof|tls|x509)\b", lowered
    ):
        return WandbUnreachableError(
            f"Sweepscope cannot reach {host} ({_first_sentence(reason)}). Check the network "
            "connection, a proxy if you need one, and the server address."
        )
    if status is not None and status >= 500:
        return WandbServerError(
            f"{host} failed to answer (HTTP {status}). This is on W&B's side: try again in a few minutes."
        )
    return WandbServerError(f"W&B could not give {spec.label}: {reason or type(exc).__name__}.")


def _unnamed_server_failed(status: int | None) -> WandbError:
    """A server the visitor named: refused, unknown, silent or bad TLS read alike (no port probe)."""
    if status is not None and status >= 500:
        return WandbServerError(f"That server failed to answer (HTTP {status}). Try again in a few minutes.")
    return WandbUnreachableError(
        "Sweepscope got no usable answer from that server: it may be down, unreachable from here, "
        "too slow, or not a W&B server. Check the address you pasted."
    )


def _first_sentence(text: str) -> str:
    return text.split(" | ")[-1].split("\n")[0].strip().rstrip(".")[:200]


@contextmanager
def _translated(spec: WandbSpec, key: str, timeout: float) -> Iterator[None]:
    try:
        yield
    except WandbError:
        raise
    except Exception as exc:
        error = translate_error(exc, spec, key, timeout)
        logger.info("W&B request for %s failed: %s", spec.label, _reason(exc, key))
        raise error from None


# ----------------------------------------------------------------------------------------------
# Fetching
# ----------------------------------------------------------------------------------------------


def load_wandb(
    spec: WandbSpec | str,
    api_key: str | None,
    progress: Progress | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    per_page: int = DEFAULT_PER_PAGE,
) -> Sweep:
    """Fetch a W&B project or sweep (not cached): see `fetch_sweep`."""
    parsed = _as_spec(spec)
    key = (api_key or "").strip()
    if not key:
        raise NoApiKeyError(WHERE_TO_PUT_A_KEY)
    return fetch_sweep(parsed, credential_digest(key), key, progress, timeout=timeout, per_page=per_page)


def load_wandb_source(text: str, env: Mapping[str, str] | None = None) -> Sweep:
    """`load_source`'s route for W&B references: WANDB_API_KEY, and only for the configured server.

    `env` stands in for the environment (the key, WANDB_BASE_URL and the http allowance).
    """
    env = os.environ if env is None else env
    spec = _as_spec(text, configured_base_url(env))
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


def _as_spec(spec: WandbSpec | str, default_base_url: str | None = None) -> WandbSpec:
    if isinstance(spec, WandbSpec):
        return spec
    parsed = parse_wandb_spec(spec, default_base_url)
    if parsed is None:
        raise SourceError(
            f"{spec!r} is not a W&B project or sweep. Paste entity/project, entity/project/sweep_id "
            "or a W&B URL such as https://wandb.ai/entity/project/sweeps/abc123."
        )
    return parsed


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
    with _translated(spec, _key, timeout):
        api = _open_api(spec, _key, timeout)
        target, notes = _narrowed(api, spec)
        sweep_config = _sweep_config(api, target) if target.sweep_id else None
    fetch = _fetch_runs(api, target, _key, timeout, per_page, _progress)
    configs, skipped = _sweep_configs_for(api, target, sweep_config, fetch, _key, timeout)
    if fetch.failure is None and not fetch.records:
        raise NoRunsError(f"{target.label} has no runs yet. Start some runs (or an agent), then load again.")
    sweep = _build_sweep(target, fetch, configs, skipped, notes, fetched_at)
    logger.info("Fetched %d runs of %s", len(fetch.records), spec.label)
    if fetch.failure is not None:
        raise _incomplete(target, fetch, sweep)
    return sweep


def _open_api(spec: WandbSpec, key: str, timeout: float) -> Any:
    import wandb  # costs ~0.3 s: only when fetching

    _bound_retries(wandb, timeout)
    overrides = {"base_url": spec.base_url, "entity": spec.entity, "project": spec.project}
    # An explicit key: never a login prompt, never a netrc or settings file written.
    return wandb.Api(api_key=key, overrides=overrides, timeout=max(1, math.ceil(timeout)))


def _bound_retries(wandb: Any, timeout: float) -> None:
    """Cap wandb-core's retries (process-wide settings; only Sweepscope uses wandb here)."""
    wandb.setup(
        settings=wandb.Settings(
            x_graphql_retry_max=GRAPHQL_RETRIES,
            x_graphql_retry_wait_min_seconds=RETRY_WAIT_SECONDS[0],
            x_graphql_retry_wait_max_seconds=RETRY_WAIT_SECONDS[1],
            x_graphql_timeout_seconds=float(timeout),
        )
    )


def _narrowed(api: Any, spec: WandbSpec) -> tuple[WandbSpec, list[str]]:
    """A pasted run stands for its sweep, or its project when it belongs to none."""
    if not spec.run_id:
        return spec, []
    run = api.run(f"{spec.path}/{spec.run_id}")
    sweep_id = getattr(run, "sweep_name", None)
    target = replace(spec, run_id=None, sweep_id=sweep_id or None)
    what = f"its sweep {sweep_id}" if sweep_id else "its whole project (it belongs to no sweep)"
    return target, [f"Opened from run {spec.run_id}: showing {what}."]


def _sweep_config(api: Any, spec: WandbSpec) -> dict[str, Any]:
    """The sweep's config; {} when its stored YAML cannot be read (the runs still load)."""
    import yaml

    sweep = api.sweep(f"{spec.path}/{spec.sweep_id}")
    try:
        config = sweep.config  # yaml.safe_load of the stored text
    except yaml.YAMLError:
        logger.info("The config of sweep %s is not readable YAML", spec.sweep_id)
        return {}
    return _plain(config) if isinstance(config, Mapping) else {}


def _plain(value: Any) -> Any:
    """JSON-safe copy (dates in YAML become text)."""
    return json.loads(json.dumps(value, default=_json_default))


@dataclass
class _Fetch:
    records: dict[str, RunRecord]
    total: int | None
    duplicates: int
    failure: WandbError | None


def _fetch_runs(
    api: Any, spec: WandbSpec, key: str, timeout: float, per_page: int, progress: Progress | None
) -> _Fetch:
    """All runs of `spec`, deduplicated by id; a failure after the first page is kept, not raised."""
    filters = {"sweep": spec.sweep_id} if spec.sweep_id else {"group": spec.group} if spec.group else {}
    fetch = _Fetch(records={}, total=None, duplicates=0, failure=None)
    report = progress or (lambda done, total: None)
    report(0, None)
    try:
        with _translated(spec, key, timeout):
            runs = api.runs(spec.path, filters=filters, per_page=per_page, include_sweeps=False, lazy=False)
            for index, run in enumerate(runs):
                if fetch.total is None:
                    fetch.total = len(runs)  # the first page carries the count
                _add_record(fetch, _record(run))
                if index + 1 == len(runs.objects):
                    report(len(fetch.records), fetch.total)
    except WandbError as error:
        if not fetch.records:
            raise
        fetch.failure = error
    return fetch


def _add_record(fetch: _Fetch, record: RunRecord) -> None:
    # Paging while runs are being added can repeat a run (wandb/wandb#6614): keep the first.
    if record.run_id in fetch.records:
        fetch.duplicates += 1
    else:
        fetch.records[record.run_id] = record


def _record(run: Any) -> RunRecord:
    summary = dict(run.summary_metrics or {})
    return RunRecord(
        run_id=str(run.id),
        config=dict(run.config or {}),
        summary=summary,
        name=run.name,
        state=_STATES.get(str(run.state).lower(), UNKNOWN),
        sweep_id=run.sweep_name or None,
        group=getattr(run, "group", None) or None,
        tags=tuple(str(t) for t in getattr(run, "tags", None) or ()),
        created=_parse_time(getattr(run, "created_at", None)),
        runtime=_runtime(summary),
    )


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # W&B sends UTC


def _runtime(summary: Mapping[str, Any]) -> float | None:
    wandb_block = summary.get("_wandb")
    for value in (
        summary.get("_runtime"),
        wandb_block.get("runtime") if isinstance(wandb_block, Mapping) else None,
    ):
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    return None


def _sweep_configs_for(
    api: Any,
    spec: WandbSpec,
    sweep_config: dict[str, Any] | None,
    fetch: _Fetch,
    key: str,
    timeout: float,
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    """The loaded sweep's config; for a project, the configs of the sweeps its runs belong to."""
    if spec.sweep_id:
        return {spec.sweep_id: sweep_config or {}}, []
    sweep_ids = list(dict.fromkeys(r.sweep_id for r in fetch.records.values() if r.sweep_id))
    configs: dict[str, dict[str, Any]] = {}
    skipped: list[tuple[str, str]] = []
    for index, sweep_id in enumerate(sweep_ids[:MAX_SWEEP_CONFIGS]):
        if fetch.failure is not None:
            break  # W&B is failing already: do not wait on it once per sweep
        sweep_spec = replace(spec, sweep_id=sweep_id)
        try:
            with _translated(sweep_spec, key, timeout):
                configs[sweep_id] = _sweep_config(api, sweep_spec)
        except SweepNotFoundError as error:  # a deleted sweep whose runs remain
            skipped.append((f"config of sweep {sweep_id}", str(error)))
        except WandbError as error:
            rest = ", ".join(sweep_ids[index:MAX_SWEEP_CONFIGS])
            skipped.append((f"configs of sweeps {rest}", str(error)))
            break
    if len(sweep_ids) > MAX_SWEEP_CONFIGS:
        skipped.append(
            (
                f"configs of {len(sweep_ids) - MAX_SWEEP_CONFIGS} more sweeps",
                f"only the first {MAX_SWEEP_CONFIGS} sweeps' configs are read; load one sweep for its own",
            )
        )
    return configs, skipped


def _build_sweep(
    spec: WandbSpec,
    fetch: _Fetch,
    configs: dict[str, dict[str, Any]],
    skipped: list[tuple[str, str]],
    notes: list[str],
    fetched_at: datetime,
) -> Sweep:
    sweep = sweep_from_records(
        fetch.records.values(), source=f"W&B {spec.label}", skipped=skipped, sweep_configs=configs
    )
    sweep = _focused_on_sweep_config(sweep, spec)
    notes = [*notes, *sweep.notes]
    if fetch.total is not None and fetch.failure is None and len(fetch.records) != fetch.total:
        notes.append(f"W&B counted {fetch.total} runs; {len(fetch.records)} distinct runs arrived.")
    if fetch.duplicates:
        notes.append(f"{fetch.duplicates} run(s) arrived twice while paging and were counted once.")
    sweep = sweep.replace(notes=notes)
    return stamp_fetched_at(sweep, fetched_at)


def _incomplete(spec: WandbSpec, fetch: _Fetch, sweep: Sweep) -> IncompleteFetchError:
    assert fetch.failure is not None
    done, total = len(fetch.records), fetch.total
    of_total = f"{done} of {total}" if total is not None else f"{done}"
    what = f"runs after the first {done} of {spec.label}"
    why = f"the fetch stopped at {of_total} runs: {fetch.failure}"
    partial = sweep.replace(skipped=[*sweep.skipped, (what, why)])
    message = f"Only {of_total} runs of {spec.label} arrived before W&B failed. {fetch.failure}"
    return IncompleteFetchError(message, partial, done, total)


def _focused_on_sweep_config(sweep: Sweep, spec: WandbSpec) -> Sweep:
    """Swept parameters as the params (one sweep) and the config's metric as the primary one."""
    config = sweep.sweep_configs.get(spec.sweep_id or "", {}) if spec.sweep_id else {}
    swept = [p for p in swept_parameters(config) if p in sweep.params]
    params = swept if swept else sweep.params
    primary, goal = _metric_in_configs(sweep)
    if params == sweep.params and (primary is None or primary == sweep.primary_metric):
        return sweep
    focused = finish_sweep(
        sweep.runs,
        params=params,
        metrics=sweep.metrics,
        source=sweep.source,
        skipped=sweep.skipped,
        sweep_configs=sweep.sweep_configs,
        primary_metric=primary,
        directions={primary: goal} if primary and goal else None,
    )
    notes = list(sweep.notes)
    focused = _swept_kinds(focused, swept)
    left_out = [p for p in sweep.params if p not in params]
    if left_out:
        notes.append(
            f"Parameters are the {len(params)} that sweep {spec.sweep_id} varies; {len(left_out)} other "
            "config keys are kept as extra columns."
        )
    return focused.replace(notes=notes)


def _swept_kinds(sweep: Sweep, swept: list[str]) -> Sweep:
    """A swept parameter is analysed even when its name reads like an identifier (`opt.name`)."""
    kinds = dict(sweep.kinds)
    for param in swept:
        if kinds.get(param) == Kind.IDENTIFIER:
            kinds[param] = infer_kind(sweep.runs[param], "")
    return sweep.replace(kinds=kinds)


def _metric_in_configs(sweep: Sweep) -> tuple[str | None, Direction | None]:
    """The first sweep config's metric that is a column, with the config's goal (None if unstated)."""
    for config in sweep.sweep_configs.values():
        named = config_metric(config)
        column = metric_column(named.name, sweep.metrics, named.goal) if named else None
        if named is not None and column is not None:
            return column, named.goal
    return None, None


# ----------------------------------------------------------------------------------------------
# Fetch time and snapshots
# ----------------------------------------------------------------------------------------------


def stamp_fetched_at(sweep: Sweep, when: datetime) -> Sweep:
    """Record when the data left W&B (kept in `sweep.runs.attrs`, which pickling keeps)."""
    runs = sweep.runs.copy()
    runs.attrs[FETCHED_AT] = when.astimezone(UTC).isoformat()
    return sweep.replace(runs=runs)


def fetched_at(sweep: Sweep) -> datetime | None:
    """When this sweep was fetched from W&B, if it was."""
    return _parse_time(sweep.runs.attrs.get(FETCHED_AT))


SNAPSHOT_KEY = b"sweepscope.snapshot"
SNAPSHOT_VERSION = 1
_KIND_VALUES = frozenset(k.value for k in Kind)
_DIRECTION_VALUES = frozenset(d.value for d in Direction)


@dataclass(frozen=True)
class SnapshotInfo:
    source: str
    fetched_at: datetime | None
    n_runs: int
    spec: WandbSpec | None


def save_snapshot(sweep: Sweep, path: str | Path, spec: WandbSpec | None = None) -> Path:
    """Write `sweep` as Parquet, its meaning and fetch time in the file's key-value metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame, json_columns = _arrow_ready(sweep.runs)
    table = pa.Table.from_pandas(frame, preserve_index=True)
    meta = _snapshot_meta(sweep, json_columns, spec, frame.attrs.get(FETCHED_AT))
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), SNAPSHOT_KEY: meta})
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    pq.write_table(table, partial)
    partial.replace(target)  # never a half-written snapshot under the real name
    return target


def _arrow_ready(frame: Any) -> tuple[Any, list[str]]:
    """Columns Arrow cannot store as they are (mixed types) become JSON text, and are listed."""
    import pyarrow as pa

    out = frame.copy()
    out.attrs = {}
    json_columns: list[str] = []
    for column in out.columns:
        if out[column].dtype != object:
            continue
        try:
            pa.array(out[column], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            out[column] = out[column].map(
                lambda v: None if _is_missing(v) else json.dumps(v, default=_json_default)
            )
            json_columns.append(str(column))
    out.attrs = dict(frame.attrs)
    return out, json_columns


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _snapshot_meta(sweep: Sweep, json_columns: list[str], spec: WandbSpec | None, when: Any) -> bytes:
    meta = {
        "version": SNAPSHOT_VERSION,
        "source": sweep.source,
        "params": sweep.params,
        "metrics": sweep.metrics,
        "kinds": {k: str(v) for k, v in sweep.kinds.items()},
        "directions": {k: str(v) for k, v in sweep.directions.items()},
        "primary_metric": sweep.primary_metric,
        "sweep_configs": _plain(sweep.sweep_configs),
        "skipped": [list(item) for item in sweep.skipped],
        "notes": sweep.notes,
        "fetched_at": when,
        "json_columns": json_columns,
        "spec": None if spec is None else _spec_dict(spec),
    }
    return json.dumps(meta).encode()


def _spec_dict(spec: WandbSpec) -> dict[str, str | None]:
    return {
        "entity": spec.entity,
        "project": spec.project,
        "sweep_id": spec.sweep_id,
        "run_id": spec.run_id,
        "group": spec.group,
        "base_url": spec.base_url,
    }


def _read_snapshot_meta(path: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except FileNotFoundError:
        raise SourceError(f"No snapshot at {str(path)!r}: check the path.") from None
    except Exception as exc:
        raise SourceError(f"{path.name!r} is not a readable Parquet file ({exc}).") from None
    raw = (schema.metadata or {}).get(SNAPSHOT_KEY)
    if raw is None:
        raise SourceError(
            f"{path.name!r} is a Parquet file but not a Sweepscope snapshot: open it as a runs table instead."
        )
    try:
        meta = json.loads(raw)
    except ValueError:
        raise SourceError(f"The snapshot {path.name!r} is damaged: fetch the sweep again.") from None
    if not isinstance(meta, dict) or meta.get("version") != SNAPSHOT_VERSION:
        raise SourceError(
            f"{path.name!r} was written by another Sweepscope version: fetch the sweep again to refresh it."
        )
    return meta


def is_snapshot(path: str | Path) -> bool:
    """True for a Parquet file written by `save_snapshot` (reads only the file's footer)."""
    try:
        _read_snapshot_meta(Path(path))
    except SourceError:
        return False
    return True


def snapshot_info(path: str | Path) -> SnapshotInfo:
    meta = _read_snapshot_meta(Path(path))
    import pyarrow.parquet as pq

    fields = spec_fields(meta.get("spec"))
    return SnapshotInfo(
        source=snapshot_source(fields),
        fetched_at=_parse_time(meta.get("fetched_at")),
        n_runs=pq.ParquetFile(path).metadata.num_rows,
        spec=WandbSpec(**fields) if fields else None,  # what the file says: never fetched with a key
    )


def load_snapshot(path: str | Path) -> Sweep:
    """A sweep saved by `save_snapshot`, with its fetch time (see `fetched_at`)."""
    import pyarrow.parquet as pq

    source = Path(path)
    meta = _read_snapshot_meta(source)
    try:
        frame = pq.read_table(source).to_pandas()
    except Exception as exc:
        raise SourceError(f"The snapshot {source.name!r} could not be read ({exc}): fetch again.") from None
    for column in meta.get("json_columns", []):
        if column in frame:
            frame[column] = (
                frame[column].map(lambda v: json.loads(v) if isinstance(v, str) else None).astype(object)
            )
    frame.attrs = {FROM_SNAPSHOT: True}
    if meta.get("fetched_at"):
        frame.attrs[FETCHED_AT] = meta["fetched_at"]
    return Sweep(
        runs=frame,
        params=[p for p in meta.get("params", []) if p in frame],
        metrics=[m for m in meta.get("metrics", []) if m in frame],
        skipped=[(str(a), str(b)) for a, b in meta.get("skipped", [])],
        source=snapshot_source(spec_fields(meta.get("spec"))),
        kinds={k: Kind(v) for k, v in meta.get("kinds", {}).items() if v in _KIND_VALUES},
        directions={k: Direction(v) for k, v in meta.get("directions", {}).items() if v in _DIRECTION_VALUES},
        primary_metric=meta.get("primary_metric") if meta.get("primary_metric") in frame else None,
        sweep_configs=meta.get("sweep_configs", {}),
        notes=[CLAIM_NOTE, *(str(n) for n in meta.get("notes", []) if isinstance(n, str))],
    )


def snapshot_bytes(sweep: Sweep, spec: WandbSpec | None = None) -> bytes:
    """The snapshot `save_snapshot` writes, as bytes for a download button."""
    with tempfile.TemporaryDirectory(prefix="sweepscope-snapshot-") as folder:
        return save_snapshot(sweep, Path(folder) / "snapshot.parquet", spec).read_bytes()


def load_snapshot_bytes(data: bytes, name: str) -> Sweep:
    """An uploaded snapshot, read from a private temporary copy deleted after."""
    with tempfile.TemporaryDirectory(prefix="sweepscope-snapshot-") as folder:
        path = Path(folder) / "snapshot.parquet"
        path.write_bytes(data)
        try:
            return load_snapshot(path)
        except SourceError as error:
            raise SourceError(str(error).replace("'snapshot.parquet'", repr(name))) from None


def is_snapshot_bytes(data: bytes) -> bool:
    with tempfile.TemporaryDirectory(prefix="sweepscope-snapshot-") as folder:
        path = Path(folder) / "snapshot.parquet"
        path.write_bytes(data)
        return is_snapshot(path)
