"""The stand-in's answers about a run's logged rows, in the shapes W&B's server gives them.

A run's rows (`history`, a list of dicts as `wandb.log` wrote them, `_step` included) answer:
- `sampledHistory(specs: [...])`, inside the runs query (Sweepscope's `RunsSampledHistory`) or
  inside `run(name:)` (`RunSampledHistory`, what `run.history(keys=...)` sends): one list per spec.
  A spec's answer holds only the rows that have every asked key, with only those keys, sampled
  evenly to `samples` rows when there are more. The all-keys rule is W&B's: wandb/wandb#2266 (a
  maintainer: "we only return rows with _all_ instead of _any_ of the keys present"),
  wandb/wandb#5391, and wandb/wandb-mcp-server#139 (W&B Server 0.82 "applies all-key matching
  within a single sampledHistory spec").
- `history(samples:)` (`RunFullHistory`, `run.history()` without keys): the rows as JSON text,
  sampled the same way; `events(samples:)` (system metrics): none here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

DEFAULT_SAMPLES = 500  # what the server takes when a spec gives none


def asked_fields(node: dict[str, Any], query: str) -> dict[str, Any]:
    """A query that names its fields one by one (no fragment) gets only the fields it names."""
    if "fragment " in query:
        return node
    return {k: v for k, v in node.items() if re.search(rf"\b{k}\b", query)}


def history_fields(run: Mapping[str, Any], query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The history fields `query` asks of `run`, computed from its stored rows."""
    rows = list(run.get("history", []))
    fields: dict[str, Any] = {}
    if "sampledHistory" in query:
        specs = [json.loads(spec) for spec in variables.get("specs") or []]
        fields["sampledHistory"] = [sampled_history(rows, spec) for spec in specs]
    full = re.search(r"\b(history|events)\(samples", query)
    if full:
        stream = rows if full.group(1) == "history" else []
        samples = int(variables.get("samples") or DEFAULT_SAMPLES)
        fields[full.group(1)] = [json.dumps(row) for row in evenly(stream, samples)]
    return fields


def sampled_history(rows: list[dict[str, Any]], spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One spec's answer: the rows holding every asked key, only those keys, at most `samples` rows."""
    keys = list(dict.fromkeys(spec.get("keys") or []))
    having = [{k: row[k] for k in keys} for row in rows if all(k in row for k in keys)]
    return evenly(having, int(spec.get("samples") or DEFAULT_SAMPLES))


def evenly(rows: list[Any], samples: int) -> list[Any]:
    """`samples` rows spread evenly over `rows`, first and last included (all when there are fewer)."""
    if len(rows) <= samples:
        return list(rows)
    if samples <= 1:
        return rows[-1:] if samples == 1 else []
    last = len(rows) - 1
    return [rows[round(i * last / (samples - 1))] for i in range(samples)]
