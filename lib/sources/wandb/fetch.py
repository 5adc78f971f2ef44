"""The requests a W&B fetch makes: one `wandb.Api` per fetch, the paged runs query, the sweep configs.

`wandb.Api` is constructed only with an explicit key, so it never prompts; every request is
bounded by `timeout`, and wandb-core's retries are capped so a failing server answers in seconds.
The runs come in one paged query (`lazy=False`, large pages, sweeps filtered on the server); a
failure after the first page is kept in `RunsFetch.failure`, and `incomplete` turns it into an
`IncompleteFetchError` whose partial sweep says how far the fetch got.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from lib.sources.wandb.errors import IncompleteFetchError, SweepNotFoundError, WandbError, translated
from lib.sources.wandb.plain import json_safe, parse_time
from lib.sources.wandb.spec import WandbSpec
from lib.sweep import CRASHED, FAILED, FINISHED, KILLED, RUNNING, UNKNOWN, RunRecord, Sweep

logger = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]

DEFAULT_TIMEOUT = 30.0  # seconds, for each request
DEFAULT_PER_PAGE = 500
MAX_SWEEP_CONFIGS = 20  # sweep configs read when loading a whole project
GRAPHQL_RETRIES = 2  # wandb-core otherwise retries 429 and 5xx for minutes
RETRY_WAIT_SECONDS = (1.0, 2.0)  # measured: wandb-core treats waits under 1 s as unset

_STATES = {
    "finished": FINISHED,
    "failed": FAILED,
    "crashed": CRASHED,
    "running": RUNNING,
    "killed": KILLED,
    "preempting": RUNNING,
    "preempted": KILLED,
}


def open_api(spec: WandbSpec, key: str, timeout: float) -> Any:
    """A `wandb.Api` for this fetch alone: it holds the key, so it is never shared or cached."""
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


def narrowed(api: Any, spec: WandbSpec) -> tuple[WandbSpec, list[str]]:
    """A pasted run stands for its sweep, or its project when it belongs to none."""
    if not spec.run_id:
        return spec, []
    run = api.run(f"{spec.path}/{spec.run_id}")
    sweep_id = getattr(run, "sweep_name", None)
    target = replace(spec, run_id=None, sweep_id=sweep_id or None)
    what = f"its sweep {sweep_id}" if sweep_id else "its whole project (it belongs to no sweep)"
    return target, [f"Opened from run {spec.run_id}: showing {what}."]


def read_sweep_config(api: Any, spec: WandbSpec) -> dict[str, Any]:
    """The sweep's config; {} when its stored YAML cannot be read (the runs still load)."""
    import yaml

    sweep = api.sweep(f"{spec.path}/{spec.sweep_id}")
    try:
        config = sweep.config  # yaml.safe_load of the stored text
    except yaml.YAMLError:
        logger.info("The config of sweep %s is not readable YAML", spec.sweep_id)
        return {}
    return json_safe(config) if isinstance(config, Mapping) else {}


@dataclass
class RunsFetch:
    """The runs that arrived (by id), W&B's count, repeats seen while paging, and a failure after page one."""

    records: dict[str, RunRecord]
    total: int | None
    duplicates: int
    failure: WandbError | None


def fetch_runs(
    api: Any, spec: WandbSpec, key: str, timeout: float, per_page: int, progress: Progress | None
) -> RunsFetch:
    """All runs of `spec`, deduplicated by id; a failure after the first page is kept, not raised."""
    filters = runs_filters(spec)
    fetch = RunsFetch(records={}, total=None, duplicates=0, failure=None)
    report = progress or (lambda done, total: None)
    report(0, None)
    try:
        with translated(spec, key, timeout):
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


def runs_filters(spec: WandbSpec) -> dict[str, str]:
    """The server-side filter of the runs `spec` names: its sweep, its group, or the whole project."""
    return {"sweep": spec.sweep_id} if spec.sweep_id else {"group": spec.group} if spec.group else {}


def _add_record(fetch: RunsFetch, record: RunRecord) -> None:
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
        created=parse_time(getattr(run, "created_at", None)),
        runtime=_runtime(summary),
    )


def _runtime(summary: Mapping[str, Any]) -> float | None:
    wandb_block = summary.get("_wandb")
    for value in (
        summary.get("_runtime"),
        wandb_block.get("runtime") if isinstance(wandb_block, Mapping) else None,
    ):
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    return None


def sweep_configs_for(
    api: Any,
    spec: WandbSpec,
    sweep_config: dict[str, Any] | None,
    fetch: RunsFetch,
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
            with translated(sweep_spec, key, timeout):
                configs[sweep_id] = read_sweep_config(api, sweep_spec)
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


def incomplete(spec: WandbSpec, fetch: RunsFetch, sweep: Sweep) -> IncompleteFetchError:
    """The error for a fetch that failed after some pages; its partial sweep says how far it got."""
    assert fetch.failure is not None
    done, total = len(fetch.records), fetch.total
    of_total = f"{done} of {total}" if total is not None else f"{done}"
    what = f"runs after the first {done} of {spec.label}"
    why = f"the fetch stopped at {of_total} runs: {fetch.failure}"
    partial = sweep.replace(skipped=[*sweep.skipped, (what, why)])
    message = f"Only {of_total} runs of {spec.label} arrived before W&B failed. {fetch.failure}"
    return IncompleteFetchError(message, partial, done, total)
