"""A metric's history for the runs of a W&B fetch: W&B's sampled history, in one paged runs query.

The runs query the load made (same project, same sweep or group filter, pages of 500) asks each
run for `sampledHistory(specs: [{"keys": [step_key, metric], "samples": 1000}])`, the field
W&B's charts and `run.history(keys=...)` read. N runs cost ceil(N / 500) requests, against N + 1
for wandb's `Runs.histories()`, which asks each run on its own.

W&B returns only rows that log every asked key (wandb/wandb#2266), so a step key logged in
other `wandb.log` calls than the metric gives a run no rows on that axis; W&B samples a run that
logged more rows than `samples` down to that many, evenly. The request runs through wandb's own
GraphQL client (`Api._service_api.execute_graphql`, what every class of wandb's public API
calls), with the bounded retries and timeout of a fetch. The key lives in the `wandb.Api` of
this one call: it is never kept, logged or put in a message.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from lib.histories import RUN_ID, STEP, VALUE, MetricHistory, WandbRuns
from lib.sources.errors import SourceError
from lib.sources.history.errors import HistoryUnavailable
from lib.sources.wandb.errors import translated
from lib.sources.wandb.fetch import DEFAULT_PER_PAGE, open_api, runs_filters
from lib.sources.wandb.hosts import ensure_key_may_go
from lib.sources.wandb.spec import WandbSpec, parse_wandb_spec

DEFAULT_SAMPLES = 1000  # rows per run, as W&B's line plots ask
HISTORY_PER_PAGE = DEFAULT_PER_PAGE
ORDER = "+created_at"  # wandb's `Runs` default: the load's order

RUNS_SAMPLED_HISTORY = """
query RunsSampledHistory($project: String!, $entity: String!, $cursor: String, $perPage: Int = 500,
        $order: String, $filters: JSONString, $specs: [JSONString!]!) {
    project(name: $project, entityName: $entity) {
        runs(filters: $filters, after: $cursor, first: $perPage, order: $order) {
            edges { node { name historyLineCount sampledHistory(specs: $specs) } cursor }
            pageInfo { endCursor hasNextPage }
        }
    }
}
"""


# ---------------------------------------------------------------------------------------------
# The descriptor a fetch puts on its Sweep


def spec_text(spec: WandbSpec) -> str:
    """The canonical text of a fetched spec: `wandb://entity/project[/sweeps/id | /groups/name]`
    (`parse_wandb_spec` reads it back, with the server given beside it)."""
    parts = [spec.entity, spec.project]
    if spec.sweep_id:
        parts += ["sweeps", spec.sweep_id]
    elif spec.group:
        parts += ["groups", spec.group]
    elif spec.run_id:
        parts += ["runs", spec.run_id]
    return "wandb://" + "/".join(quote(part, safe="") for part in parts)


def wandb_runs(spec: WandbSpec, run_ids: Iterable[object]) -> WandbRuns:
    """Where the history of these fetched runs is: the spec that fetched them, its server, their ids."""
    return WandbRuns(spec=spec_text(spec), base_url=spec.base_url, run_ids=tuple(str(r) for r in run_ids))


def spec_of(source: WandbRuns) -> WandbSpec:
    """The spec `source.spec` names, on `source.base_url`."""
    try:
        parsed = parse_wandb_spec(source.spec, source.base_url)
    except SourceError:
        parsed = None
    if parsed is None:
        raise HistoryUnavailable(
            "Sweepscope cannot tell which W&B runs this history belongs to: load the project or sweep again."
        )
    return replace(parsed, base_url=source.base_url)


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class RunAnswer:
    """One run's answer: its id, how many rows it logged in all, the rows W&B returned."""

    run_id: str
    line_count: int | None
    rows: list[Mapping[str, Any]]


def read_api_history(
    source: WandbRuns,
    metric: str,
    *,
    step_key: str = "_step",
    key: str,
    timeout: float = 30.0,
    samples: int = DEFAULT_SAMPLES,
    per_page: int = HISTORY_PER_PAGE,
) -> MetricHistory:
    """`metric` on the `step_key` axis for `source`'s runs, as W&B's sampled history gives it.

    Raises `HistoryUnavailable` (the message says what to do, never holds the key) when the key is
    refused, the server fails or does not answer in `timeout` seconds, or the project is gone.
    """
    spec = spec_of(source)
    key = (key or "").strip()
    if not key:
        raise HistoryUnavailable(
            "Reading the history from W&B needs your API key: enter it on the Load page."
        )
    try:
        ensure_key_may_go(spec.base_url, key)
        with translated(spec, key, timeout):
            api = open_api(spec, key, timeout)
            answers = list(_answers(api, spec, [step_key, metric], samples, per_page))
    except HistoryUnavailable:
        raise
    except SourceError as error:  # a WandbError from `translated`, or the key refused for this server
        raise HistoryUnavailable(f"W&B did not give the history of {metric}. {error}") from None
    return history_from_answers(answers, source.run_ids, metric, step_key, samples)


def _answers(api: Any, spec: WandbSpec, keys: list[str], samples: int, per_page: int) -> Iterator[RunAnswer]:
    """Every run's answer, page after page (a run repeated while paging is given once)."""
    variables: dict[str, Any] = {
        "entity": spec.entity,
        "project": spec.project,
        "perPage": per_page,
        "order": ORDER,
        "filters": json.dumps(runs_filters(spec)),
        "specs": [json.dumps({"keys": list(dict.fromkeys(keys)), "samples": samples})],
    }
    seen: set[str] = set()
    cursor: str | None = None
    while True:
        data = api._service_api.execute_graphql(RUNS_SAMPLED_HISTORY, {**variables, "cursor": cursor})
        edges, page_info = _page(data, spec)
        for edge in edges:
            answer = _run_answer(edge)
            if answer is not None and answer.run_id not in seen:
                seen.add(answer.run_id)
                yield answer
        next_cursor = page_info.get("endCursor")
        if not page_info.get("hasNextPage") or not edges or next_cursor in (None, cursor):
            return
        cursor = next_cursor


def _page(data: Any, spec: WandbSpec) -> tuple[list[Any], Mapping[str, Any]]:
    project = data.get("project") if isinstance(data, Mapping) else None
    if project is None:
        raise HistoryUnavailable(
            f"W&B has no project {spec.path} that this key can see any more: it may have been "
            "deleted or renamed, or the key belongs to another account."
        )
    runs = project.get("runs") if isinstance(project, Mapping) else None
    if not isinstance(runs, Mapping) or not isinstance(runs.get("edges"), list):
        raise HistoryUnavailable(
            f"W&B answered the history request for {spec.label} in a form Sweepscope does not "
            "know: try again; if it persists, the server may be an older W&B version."
        )
    page_info = runs.get("pageInfo")
    return runs["edges"], page_info if isinstance(page_info, Mapping) else {}


def _run_answer(edge: Any) -> RunAnswer | None:
    node = edge.get("node") if isinstance(edge, Mapping) else None
    if not isinstance(node, Mapping) or node.get("name") is None:
        return None
    per_spec = node.get("sampledHistory")
    rows = per_spec[0] if isinstance(per_spec, list) and per_spec and isinstance(per_spec[0], list) else []
    count = node.get("historyLineCount")
    return RunAnswer(
        run_id=str(node["name"]),
        line_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        rows=[row for row in rows if isinstance(row, Mapping)],
    )


# ---------------------------------------------------------------------------------------------
# The answers as a MetricHistory


def _number(value: Any) -> float | None:
    """A finite number as float; None for anything else (W&B sends NaN as the text "NaN")."""
    if type(value) not in (int, float):  # not bool, not text
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _run_arrays(rows: list[Mapping[str, Any]], metric: str, step_key: str) -> tuple[np.ndarray, np.ndarray]:
    """The run's (step, value) pairs with both finite, in step order (logged order among equal steps)."""
    pairs = [(_number(row.get(step_key)), _number(row.get(metric))) for row in rows]
    kept = [(s, v) for s, v in pairs if s is not None and v is not None]
    steps = np.array([s for s, _ in kept], dtype=float)
    values = np.array([v for _, v in kept], dtype=float)
    order = np.argsort(steps, kind="stable")
    return steps[order], values[order]


def history_from_answers(
    answers: Sequence[RunAnswer], run_ids: Sequence[str], metric: str, step_key: str, samples: int
) -> MetricHistory:
    """The rows of the loaded runs (`run_ids`) among `answers`, sorted by run id then step."""
    wanted = set(run_ids)
    by_run = {a.run_id: a for a in answers if a.run_id in wanted}
    ids, steps, values = [], [], []
    for run_id in sorted(by_run):
        run_steps, run_values = _run_arrays(by_run[run_id].rows, metric, step_key)
        if len(run_steps):
            ids.append(np.full(len(run_steps), run_id, dtype=object))
            steps.append(run_steps)
            values.append(run_values)
    frame = pd.DataFrame(
        {
            RUN_ID: pd.Series(np.concatenate(ids) if ids else np.array([], dtype=object), dtype=str),
            STEP: np.concatenate(steps) if steps else np.array([], dtype=float),
            VALUE: np.concatenate(values) if values else np.array([], dtype=float),
        }
    )
    with_rows = {str(i[0]) for i in ids}
    without = [r for r in run_ids if r not in with_rows]
    notes = _notes(by_run, run_ids, without, metric, step_key, samples)
    return MetricHistory(metric, step_key, frame, without_history=without, notes=notes)


def _notes(
    by_run: Mapping[str, RunAnswer],
    run_ids: Sequence[str],
    without: Sequence[str],
    metric: str,
    step_key: str,
    samples: int,
) -> list[str]:
    notes = []
    sampled = sum(1 for a in by_run.values() if _was_sampled(a, samples))
    if sampled:
        more = f"{sampled} run{'s' if sampled > 1 else ''} logged more rows than that"
        notes.append(f"sampled: up to {samples} rows per run, as W&B's charts do ({more}).")
    gone = [r for r in run_ids if r not in by_run]
    if gone:
        notes.append(
            f"{len(gone)} loaded run{'s are' if len(gone) > 1 else ' is'} no longer in W&B's answer "
            "(deleted or moved since the load): they have no history here."
        )
    if without and step_key != "_step":
        notes.append(
            f"W&B returns only rows that log {step_key} and {metric} in the same wandb.log call: "
            "runs that logged them apart have no rows on this axis (try the step axis)."
        )
    return notes


def _was_sampled(answer: RunAnswer, samples: int) -> bool:
    """W&B sampled this run: a full answer, and the run logged more rows than it holds."""
    returned = len(answer.rows)
    return returned >= samples and answer.line_count is not None and answer.line_count > returned
