"""What a snapshot file says about itself: data anyone can write, never a trusted fact.

An uploaded Parquet snapshot carries its own metadata (which W&B project, which server, when it was
fetched). A crafted file can say anything there, so: names are shown only when they are plain names,
a server only when it is W&B's own or the configured one (never as a link), and the fetch time is
phrased as the file's claim. The metadata's shape is a claim too (`well_shaped_meta`: a field of
the wrong type reads as absent, never as an error halfway through building the sweep), and so are
the rows: run ids become text (`with_text_run_ids`) as every other source gives them, and cells
stored as JSON are decoded on the parsers' budget (`decode_json_cell`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from lib.sources.errors import SourceError
from lib.sources.safe_load import load_json
from lib.sources.wandb.hosts import DEFAULT_API_URL, may_be_named

FROM_SNAPSHOT = "sweepscope.from_snapshot"  # key in Sweep.runs.attrs
SPEC_FIELDS = ("entity", "project", "sweep_id", "run_id", "group", "base_url")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_.\- ]{1,128}$")
_FUTURE_SLACK = timedelta(minutes=5)  # clocks differ a little
CLAIM_NOTE = (
    "Opened from a snapshot file: which project it holds and when it was fetched are what the file "
    "says, not checked against W&B."
)


def spec_fields(raw: object) -> dict[str, str | None] | None:
    """A snapshot's `spec` as WandbSpec fields when it has the right shape (strings, known keys)."""
    if not isinstance(raw, dict) or set(raw) - set(SPEC_FIELDS):
        return None
    fields = {name: raw.get(name) for name in SPEC_FIELDS}
    if not all(isinstance(fields[name], str) and fields[name] for name in ("entity", "project", "base_url")):
        return None
    if not all(value is None or isinstance(value, str) for value in fields.values()):
        return None
    return fields


def snapshot_source(fields: dict[str, str | None] | None) -> str:
    """'W&B entity/project sweep abc (snapshot)': plain names only, a server only when trusted."""
    if fields is None:
        return "A sweep saved by Sweepscope (snapshot)"
    names = [fields["entity"], fields["project"]]
    narrowing = [(word, fields[key]) for word, key in (("sweep", "sweep_id"), ("group", "group"))]
    shown = [value for _, value in narrowing if value]
    if not all(_is_plain(n) for n in [*names, *shown]):
        return "A W&B project whose names are not plain text (snapshot)"
    what = f"{names[0]}/{names[1]}" + "".join(f" {word} {value}" for word, value in narrowing if value)
    base_url = str(fields["base_url"])
    if base_url != DEFAULT_API_URL and may_be_named(base_url):
        what += f" on {urlsplit(base_url).netloc}"  # only the host: a crafted path is never shown
    return f"W&B {what} (snapshot)"


def _is_plain(name: Any) -> bool:
    return isinstance(name, str) and bool(_PLAIN_NAME.match(name))


def describe_age(when: datetime, now: datetime | None = None) -> str:
    """'fetched 5 minutes ago (2025-03-17 14:33 UTC)': how old the data on the page is."""
    now = now or datetime.now(UTC)
    seconds = max(0.0, (now - when).total_seconds())
    stamp = _stamp(when)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"fetched {count} {unit}{'s' if count > 1 else ''} ago ({stamp})"
    return f"fetched just now ({stamp})"


def describe_claimed_age(when: datetime, now: datetime | None = None) -> str:
    """'the snapshot says it was fetched 3 days ago (...)': the file's claim, said as one."""
    now = now or datetime.now(UTC)
    if when - now > _FUTURE_SLACK:
        return f"the snapshot gives a fetch time in the future ({_stamp(when)}), so its age is unknown"
    return f"the snapshot says it was {describe_age(when, now)}"


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def is_from_snapshot(runs_attrs: dict[str, Any]) -> bool:
    """Whether a sweep's runs (their `attrs`) came from a snapshot file rather than from W&B."""
    return bool(runs_attrs.get(FROM_SNAPSHOT))


# ---------------------------------------------------------------- the file's shape, checked

_TEXT_LISTS = ("params", "metrics", "notes", "json_columns")
_TEXT_MAPPINGS = ("kinds", "directions", "reasons")
_TEXT_OR_NONE = ("source", "primary_metric", "primary_reason", "fetched_at")


def well_shaped_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """A snapshot's metadata with each field of the wrong shape dropped: lists of text, mappings of
    text to text, `skipped` as (what, why) pairs of text, `sweep_configs` and `spec` as mappings."""
    shaped: dict[str, Any] = {key: meta[key] for key in ("version",) if key in meta}
    for key in _TEXT_LISTS:
        shaped[key] = _texts(meta.get(key))
    for key in _TEXT_MAPPINGS:
        shaped[key] = _text_to_text(meta.get(key))
    for key in _TEXT_OR_NONE:
        shaped[key] = meta[key] if isinstance(meta.get(key), str) else None
    shaped["skipped"] = _pairs(meta.get("skipped"))
    configs = meta.get("sweep_configs")
    shaped["sweep_configs"] = (
        {k: v for k, v in configs.items() if isinstance(k, str) and isinstance(v, dict)}
        if isinstance(configs, dict)
        else {}
    )
    shaped["spec"] = meta.get("spec") if isinstance(meta.get("spec"), dict) else None
    return shaped


def _texts(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _text_to_text(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _pairs(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        return []
    return [
        (item[0], item[1])
        for item in value
        if isinstance(item, list | tuple) and len(item) == 2 and all(isinstance(part, str) for part in item)
    ]


def with_text_run_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` indexed by run ids as text (a snapshot may store them as numbers), named `run_id`;
    a `SourceError` when two runs share an id, since every page finds a run by its id."""
    ids = pd.Index([_id_text(value) for value in frame.index], name="run_id")
    if ids.has_duplicates:
        repeated = ids[ids.duplicated()].unique()[:3]
        raise SourceError(
            f"The snapshot holds {len(ids) - ids.nunique():,} runs whose ids repeat others' "
            f"({', '.join(map(repr, repeated))}): fetch the sweep again."
        )
    out = frame.copy(deep=False)
    out.index = ids
    return out


def _id_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 3.0 stored by a float column is run 3
    return str(value)


def decode_json_cell(value: Any) -> Any:
    """A cell the snapshot stored as JSON text, decoded within the parsers' budget (None when it is
    not text, or over a budget: a crafted file can nest a cell 100,000 deep)."""
    if not isinstance(value, str):
        return None
    try:
        return load_json(value, "a snapshot cell")
    except ValueError:  # malformed, or over a budget (OverBudget is a ValueError too)
        return None
