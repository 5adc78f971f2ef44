"""What users paste to name W&B runs, read into a `WandbSpec` (a server, a project, a run set; no key).

Accepted: `entity/project`, `entity/project/sweep_id`, `.../sweeps/<id>`, `.../runs/<id>`,
`.../groups/<name>`, the same after `wandb://`, and app URLs of W&B's cloud, CoreWeave's forge, the
configured server or a self-hosted W&B server (`app.<domain>` serves the UI, `api.<domain>` the API).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote, urlsplit

from lib.sources.errors import SourceError
from lib.sources.wandb.hosts import (
    DEFAULT_API_URL,
    FORGE_API_URL,
    FORGE_APP_PREFIX,
    app_url,
    configured_base_url,
    server_name,
)

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


def as_spec(spec: WandbSpec | str, default_base_url: str | None = None) -> WandbSpec:
    """`spec` itself, or the spec its text names; `SourceError` when the text names no W&B runs."""
    if isinstance(spec, WandbSpec):
        return spec
    parsed = parse_wandb_spec(spec, default_base_url)
    if parsed is None:
        raise SourceError(
            f"{spec!r} is not a W&B project or sweep. Paste entity/project, entity/project/sweep_id "
            "or a W&B URL such as https://wandb.ai/entity/project/sweeps/abc123."
        )
    return parsed
