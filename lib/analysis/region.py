"""The promising region: per parameter, how the kept runs differ from all runs.

Numbers are summarised by quantiles (computed on the log10 scale for log-scaled parameters and
reported in real units), levels by the share of runs using each. Plain DataFrames and one line of
text per parameter, for the page to show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lib.columns import Kind
from lib.sweep import Sweep
from lib.values import (
    AxisScale,
    compact_number,
    counted,
    level_labels,
    log10_positive,
    pooled_levels,
    reads_as_numbers,
    real_numbers,
    resolved_scale,
)

QUANTILES = {"min": 0.0, "q1": 0.25, "median": 0.5, "q3": 0.75, "max": 1.0}
NUMERIC_COLUMNS = ["parameter", "runs", "scale", "n", "missing", *QUANTILES]
LEVEL_COLUMNS = ["parameter", "level", "kept", "kept_share", "all", "all_share"]
MAX_REGION_LEVELS = 20


@dataclass(frozen=True)
class Region:
    """`numeric`: one row per numeric parameter and group of runs ("kept", "all") with quantiles in
    real units; `levels`: one row per level of each categorical or boolean parameter with counts
    and shares among kept and all runs (shares of the runs in that group, missing included);
    `summaries`: one line of plain text per parameter, holding names and levels as the data has them
    (not Markdown: show it through `lib.safe_text.md_sentence`)."""

    numeric: pd.DataFrame
    levels: pd.DataFrame
    summaries: dict[str, str] = field(default_factory=dict)


def quantiles(numbers: np.ndarray, log: bool) -> dict[str, float]:
    """Quantiles of the present values in real units, taken on the log10 scale when `log`."""
    present = log10_positive(numbers) if log else numbers
    present = present[~np.isnan(present)]
    if present.size == 0:
        return dict.fromkeys(QUANTILES, np.nan)
    values = np.quantile(present, list(QUANTILES.values()))
    if log:
        values = 10**values
    return {name: float(v) for name, v in zip(QUANTILES, values, strict=True)}


def _format(value: float, log: bool, integer: bool) -> str:
    if integer and float(value).is_integer():
        return f"{int(value)}"
    return compact_number(value, 2 if log else 3)


def _numeric_rows(name: str, numbers: np.ndarray, kept: np.ndarray, log: bool) -> list[dict]:
    rows = []
    for group, selected in (("kept", numbers[kept]), ("all", numbers)):
        missing = int(np.isnan(selected).sum())
        rows.append(
            {
                "parameter": name,
                "runs": group,
                "scale": "log" if log else "linear",
                "n": int(selected.size - missing),
                "missing": missing,
                **quantiles(selected, log),
            }
        )
    return rows


def _numeric_summary(name: str, rows: list[dict], log: bool, integer: bool) -> str:
    kept, every = rows

    def span(row: dict) -> str:
        low, high = _format(row["min"], log, integer), _format(row["max"], log, integer)
        return low if low == high else f"{low} – {high}"

    if kept["n"] + kept["missing"] == 0:
        return f"{name}: no runs kept"
    if kept["n"] == 0:
        return f"{name}: no kept run has a value (all: {span(every)})"
    middle = ""
    if kept["n"] >= 4 and (kept["q1"], kept["q3"]) != (kept["min"], kept["max"]):
        middle = f", middle half {span({'min': kept['q1'], 'max': kept['q3']})}"
    text = f"{name}: kept runs use {span(kept)}{middle} (all: {span(every)})"
    if kept["missing"]:
        text += f"; {counted(kept['missing'], 'kept run', verbs=('has', 'have'))} no value"
    return text


def _region_levels(labels: pd.Series) -> pd.Series:
    """The commonest levels by name; "(missing)" is always shown and takes no place among them."""
    return pooled_levels(labels, MAX_REGION_LEVELS, count_missing=False, keep_missing=True)


def _level_rows(name: str, labels: pd.Series, kept: np.ndarray) -> list[dict]:
    every = labels.value_counts()
    kept_counts = labels[kept].value_counts()
    n_all, n_kept = len(labels), int(kept.sum())
    rows = [
        {
            "parameter": name,
            "level": str(level),
            "kept": int(kept_counts.get(level, 0)),
            "kept_share": kept_counts.get(level, 0) / n_kept if n_kept else np.nan,
            "all": int(count),
            "all_share": count / n_all,
        }
        for level, count in every.items()
    ]
    return sorted(rows, key=lambda r: (-np.nan_to_num(r["kept_share"]), -r["all_share"], r["level"]))


def _level_summary(name: str, rows: list[dict]) -> str:
    if not rows or np.isnan(rows[0]["kept_share"]):
        return f"{name}: no runs kept"
    top = max(rows, key=lambda r: (r["kept_share"] - r["all_share"], r["kept_share"]))
    return f"{name}: {top['level']} in {top['kept_share']:.0%} of kept runs vs {top['all_share']:.0%} of all"


def promising_region(
    sweep: Sweep,
    kept: pd.Series,
    params: Sequence[str] | None = None,
    scales: Mapping[str, AxisScale] | None = None,
) -> Region:
    """How the runs in `kept` (a bool mask over `sweep.runs`) differ from all runs, per parameter
    (default: `sweep.analysable_params`); log-scaled parameters are summarised on the log scale
    unless `scales` overrides them."""
    mask = kept.reindex(sweep.runs.index, fill_value=False).to_numpy(dtype=bool)
    numeric_rows: list[dict] = []
    level_rows: list[dict] = []
    summaries: dict[str, str] = {}
    for name in params if params is not None else sweep.analysable_params:
        if name not in sweep.runs:
            continue
        values = sweep.runs[name]
        if reads_as_numbers(sweep, name):
            log = resolved_scale(sweep, name, scales or {}) is AxisScale.LOG
            rows = _numeric_rows(name, real_numbers(values), mask, log)
            integer = sweep.kind(name) is Kind.INTEGER
            numeric_rows += rows
            summaries[name] = _numeric_summary(name, rows, log, integer)
        else:
            rows = _level_rows(name, _region_levels(level_labels(values, sweep.kind(name))), mask)
            level_rows += rows
            summaries[name] = _level_summary(name, rows)
    return Region(
        numeric=pd.DataFrame(numeric_rows, columns=NUMERIC_COLUMNS),
        levels=pd.DataFrame(level_rows, columns=LEVEL_COLUMNS),
        summaries=summaries,
    )
