"""The sweep at a glance: run states and the best run, as plain data for the home page."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.analysis.importance import ImportanceReport
from lib.columns import Direction
from lib.safe_text import md
from lib.sweep import RUN_NAME, RUN_STATE, Sweep


@dataclass(frozen=True)
class BestRun:
    run_id: str
    headline: str  # "Best val_loss (minimize)", Markdown (names escaped)
    value_text: str
    help: str  # Markdown (names escaped)
    params: pd.DataFrame  # parameter, value


def best_run_id(sweep: Sweep, metric: str) -> str | None:
    """The run with the best value of `metric` in its direction; None when no run has one."""
    values = pd.to_numeric(sweep.runs[metric], errors="coerce").dropna()
    if values.empty:
        return None
    return str(values.idxmin() if sweep.direction(metric) is Direction.MINIMIZE else values.idxmax())


def format_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def best_run_summary(sweep: Sweep, metric: str) -> BestRun | None:
    run_id = best_run_id(sweep, metric)
    if run_id is None:
        return None
    row = sweep.runs.loc[run_id]
    name = row.get(RUN_NAME)
    label = f"{name} ({run_id})" if isinstance(name, str) and name else run_id
    present = [p for p in sweep.params if not pd.isna(row[p])]
    params = pd.DataFrame(
        {"parameter": present, "value": [format_value(row[p]) for p in present]},
        columns=["parameter", "value"],
    )
    n_with_metric = int(sweep.runs[metric].notna().sum())
    return BestRun(
        run_id=run_id,
        headline=f"Best {md(metric)} ({sweep.direction(metric).value})",
        value_text=format_value(float(pd.to_numeric(sweep.runs[metric], errors="coerce").loc[run_id])),
        help=f"Run {md(label)}, best of {n_with_metric} runs that report {md(metric)}.",
        params=params,
    )


def state_table(sweep: Sweep) -> pd.DataFrame:
    """Runs per state, most common first."""
    if RUN_STATE not in sweep.runs or sweep.runs.empty:
        return pd.DataFrame({"state": [], "runs": []})
    counts = sweep.runs[RUN_STATE].fillna("unknown").value_counts()
    return pd.DataFrame({"state": counts.index.astype(str), "runs": counts.to_numpy()})


def what_matters(report: ImportanceReport, top: int = 3) -> str:
    """One Markdown sentence for the home page (names escaped): the parameters that matter most, and how
    far to trust that."""
    table = report.table.dropna(subset=["importance"])
    ranked = table[table["importance"] > 0].head(top)
    if ranked.empty or report.r2 is None:
        return f"Too few runs with {md(report.metric)} to say which parameters matter."
    shares = zip(ranked["parameter"], ranked["importance"], strict=True)
    names = ", ".join(f"**{md(name)}** ({share:.0%})" for name, share in shares)
    trust = "a rough ranking, see the warnings" if report.warnings else "good enough to rank them"
    return (
        f"What matters most for {md(report.metric)}: {names}. "
        f"The forest's {report.r2_kind} R² is {report.r2:.2f}: {trust}."
    )
