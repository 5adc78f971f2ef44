"""How the search explored: the metric over run order with the best so far, per sweep, and where each
parameter was sampled as the search went on, so a reader sees whether and where it converged.

Run order is creation order (`run.created`) where known, else the order of the runs table. Runs
without a value for the metric (failed, still running) keep their place in the order and are
counted, but add no point and do not move the best-so-far line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lib.columns import Direction, Kind
from lib.figures._common import QUALITATIVE, base_layout
from lib.figures.parcoords import EncodedAxis, encode_column
from lib.filters import best_percent_mask
from lib.sweep import RUN_CREATED, RUN_NAME, RUN_STATE, RUN_SWEEP, Sweep
from lib.values import compact_number, level_labels, reads_as_numbers, real_numbers

NO_SWEEP = "no sweep"
HISTORY_COLUMNS = [
    "run_id",
    "name",
    "state",
    "sweep",
    "order",
    "sweep_order",
    "created",
    "value",
    "best_so_far",
    "sweep_best_so_far",
    "improved",
]
TAIL_SHARE = 0.25  # "the last quarter of the runs" in the convergence summary
NARROWED_BELOW = 0.5  # a later sweep "narrowed" a parameter when it spans under half the earlier range
BEST_LINE_COLOUR = "#31333f"
MAX_SVG_POINTS = 3000  # above this, runs are drawn with WebGL
LEVEL_JITTER = 0.15


# ---------------------------------------------------------------------------------------------
# Order and the running best


def orders_by_created(runs: pd.DataFrame) -> bool:
    return RUN_CREATED in runs and bool(runs[RUN_CREATED].notna().any())


def run_order(runs: pd.DataFrame) -> np.ndarray:
    """Row positions in the order the runs were made: by `run.created` where any run has one (runs
    without a time after the others), ties and unknown times in table order; else table order."""
    if not orders_by_created(runs):
        return np.arange(len(runs))
    created = pd.to_datetime(runs[RUN_CREATED], utc=True, errors="coerce")
    return np.argsort(created.to_numpy(dtype="datetime64[ns]"), kind="stable")  # NaT sorts last


def sweep_labels(runs: pd.DataFrame) -> pd.Series:
    """Each run's sweep id as text; runs outside any sweep are "no sweep"."""
    if RUN_SWEEP not in runs:
        return pd.Series(NO_SWEEP, index=runs.index, dtype=object)
    return runs[RUN_SWEEP].map(lambda v: NO_SWEEP if pd.isna(v) else str(v)).astype(object)


def running_best(values: pd.Series, direction: Direction) -> pd.Series:
    """The best value so far at each position; carried over runs without a value, NaN before the first."""
    best = values.cummax() if direction is Direction.MAXIMIZE else values.cummin()
    return best.ffill()


def _better(value: pd.Series, than: pd.Series, direction: Direction) -> pd.Series:
    return value > than if direction is Direction.MAXIMIZE else value < than


def _column_or(runs: pd.DataFrame, column: str, default: object) -> pd.Series:
    return runs[column] if column in runs else pd.Series(default, index=runs.index)


def search_history(sweep: Sweep, metric: str) -> pd.DataFrame:
    """One row per run in run order: run_id, name, state, sweep, order (1-based, all runs),
    sweep_order (1-based within its sweep), created, value (NaN without the metric), best_so_far
    (over all runs so far), sweep_best_so_far (within the run's sweep) and improved (this run set a
    new overall best). Best means largest or smallest by `sweep.direction(metric)`."""
    runs = sweep.runs
    if metric not in runs:
        raise ValueError(f"{metric} is not a column of these runs.")
    direction = sweep.direction(metric)
    ordered = runs.iloc[run_order(runs)]
    ids = ordered.index.astype(str)
    frame = pd.DataFrame(
        {
            "run_id": ids,
            "name": _column_or(ordered, RUN_NAME, None)
            .astype(object)
            .fillna(pd.Series(ids, index=ordered.index, dtype=object))
            .to_numpy(),
            "state": _column_or(ordered, RUN_STATE, None).to_numpy(),
            "sweep": sweep_labels(ordered).to_numpy(),
            "order": np.arange(1, len(ordered) + 1),
            "created": pd.to_datetime(
                _column_or(ordered, RUN_CREATED, pd.NaT), utc=True, errors="coerce"
            ).to_numpy(),
            "value": real_numbers(ordered[metric]),
        }
    )
    frame["sweep_order"] = frame.groupby("sweep", sort=False).cumcount() + 1
    frame["best_so_far"] = running_best(frame["value"], direction)
    frame["sweep_best_so_far"] = frame.groupby("sweep", sort=False)["value"].transform(
        lambda values: running_best(values, direction)
    )
    previous = frame["best_so_far"].shift(1)
    frame["improved"] = frame["value"].notna() & (
        previous.isna() | _better(frame["value"], previous, direction)
    )
    return frame[HISTORY_COLUMNS]


# ---------------------------------------------------------------------------------------------
# Words


def _number(value: float) -> str:
    return compact_number(value, 3)


def convergence_summary(history: pd.DataFrame, metric: str, direction: Direction) -> str:
    """Two or three plain sentences: where the best run came, how much the last quarter of the runs
    improved on what came before, and how many runs have no value."""
    n = len(history)
    valued = history["value"].notna()
    if not valued.any():
        return f"None of the {n} runs has a value for {metric}."
    best = float(history["best_so_far"].iloc[-1])
    setter = history[history["improved"]].iloc[-1]
    several_sweeps = history["sweep"].nunique() > 1
    where = f" (sweep {setter['sweep']})" if several_sweeps else ""
    text = f"The best {metric} ({_number(best)}) was reached at run {setter['order']} of {n}{where}."
    tail = max(1, math.ceil(n * TAIL_SHARE))
    before = history["best_so_far"].iloc[n - tail - 1] if n > tail else math.nan
    if not math.isnan(before):
        gain = best - before if direction is Direction.MAXIMIZE else before - best
        if gain > 0:
            relative = f" ({gain / abs(before):.1%})" if before != 0 else ""
            text += f" The last {tail} runs improved it by {_number(gain)}{relative}."
        else:
            text += f" The last {tail} runs did not improve it."
    missing = int((~valued).sum())
    if missing:
        runs_are = "runs without it are" if missing > 1 else "run without it is"
        text += f" {missing} {runs_are} counted in the order but not drawn."
    return text


def _numeric_span(values: np.ndarray, log: bool) -> tuple[float, float, float] | None:
    present = values[~np.isnan(values)]
    if log:
        present = present[present > 0]
    if present.size == 0:
        return None
    low, high = float(present.min()), float(present.max())
    width = math.log10(high / low) if log else high - low
    return low, high, width


def _span_text(low: float, high: float, integer: bool) -> str:
    a, b = (f"{low:.0f}", f"{high:.0f}") if integer else (compact_number(low, 2), compact_number(high, 2))
    return a if a == b else f"{a} – {b}"


def _narrowing(sweep: Sweep, param: str, mine: pd.Series, earlier: pd.Series) -> str | None:
    """ "learning_rate in 2e-3 – 0.17 (before: 1e-4 – 0.96)" when this sweep sampled a clearly
    narrower range (or fewer levels) than the runs made before it; None otherwise."""
    if reads_as_numbers(sweep, param):
        log, integer = sweep.kind(param) is Kind.LOG, sweep.kind(param) is Kind.INTEGER
        now, then = _numeric_span(real_numbers(mine), log), _numeric_span(real_numbers(earlier), log)
        if now is None or then is None or not now[2] < NARROWED_BELOW * then[2]:
            return None
        return (
            f"{param} in {_span_text(now[0], now[1], integer)} "
            f"(before: {_span_text(then[0], then[1], integer)})"
        )
    kind = sweep.kind(param)
    now_levels = set(level_labels(mine.dropna(), kind))
    then_levels = set(level_labels(earlier.dropna(), kind))
    if not now_levels or not now_levels < then_levels:
        return None
    return f"{param} in {', '.join(sorted(now_levels))} (before: {', '.join(sorted(then_levels))})"


def sampling_summary(sweep: Sweep, params: Sequence[str]) -> list[str]:
    """One sentence per sweep that sampled some of `params` in a clearly narrower range or fewer
    levels than the runs made before its first run (a refining sweep), in run order."""
    runs = sweep.runs.iloc[run_order(sweep.runs)]
    labels = sweep_labels(runs).to_numpy()
    sentences = []
    for name in dict.fromkeys(labels):
        if name == NO_SWEEP:
            continue
        mine = labels == name
        first = int(np.argmax(mine))
        if first == 0:
            continue
        changes = [
            text
            for param in params
            if param in runs
            and (text := _narrowing(sweep, param, runs[param][mine], runs[param].iloc[:first])) is not None
        ]
        if changes:
            positions = np.flatnonzero(mine) + 1
            where = f"runs {positions[0]}–{positions[-1]}" if len(positions) > 1 else f"run {positions[0]}"
            sentences.append(f"Sweep {name} ({where}) sampled {_join(changes)}.")
    return sentences


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{'; '.join(items[:-1])} and {items[-1]}"


# ---------------------------------------------------------------------------------------------
# Figures


def _layout(height: int) -> dict:
    return {
        **base_layout(height, {"l": 72, "r": 24, "t": 56, "b": 52}),
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0.0},
        "hovermode": "closest",
    }


def _scatter_class(n_points: int) -> type[go.Scatter] | type[go.Scattergl]:
    return go.Scattergl if n_points > MAX_SVG_POINTS else go.Scatter


def _colours(sweeps: Sequence[str]) -> dict[str, str]:
    return {name: QUALITATIVE[i % len(QUALITATIVE)] for i, name in enumerate(sweeps)}


def _sweep_name(name: str) -> str:
    return name if name == NO_SWEEP else f"sweep {name}"


def _order_title(by_created: bool) -> str:
    return "run, in the order created" if by_created else "run, in table order"


def history_figure(history: pd.DataFrame, metric: str, direction: Direction) -> go.Figure:
    """Each run's metric over run order, one colour per sweep, with the best-so-far line over all runs
    (a step line) and, when there are several sweeps, each sweep's own best so far (dotted)."""
    sweeps = list(dict.fromkeys(history["sweep"]))
    colours = _colours(sweeps)
    figure = go.Figure()
    for name in sweeps:
        part = history[(history["sweep"] == name) & history["value"].notna()]
        figure.add_trace(
            _scatter_class(len(part))(
                x=part["order"],
                y=part["value"],
                mode="markers",
                marker={"size": 6, "color": colours[name], "opacity": 0.75},
                name=_sweep_name(name),
                legendgroup=name,
                customdata=part[["name", "run_id"]].to_numpy(dtype=object),
                hovertemplate=f"%{{customdata[0]}} (%{{customdata[1]}})<br>run %{{x}}<br>{metric} %{{y:.4g}}"
                "<extra></extra>",
            )
        )
        if len(sweeps) > 1:
            whole = history[history["sweep"] == name]
            figure.add_trace(
                go.Scatter(
                    x=whole["order"],
                    y=whole["sweep_best_so_far"],
                    mode="lines",
                    line={"color": colours[name], "width": 1.5, "dash": "dot", "shape": "hv"},
                    name=f"best in {_sweep_name(name)}",
                    legendgroup=name,
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
    figure.add_trace(
        go.Scatter(
            x=history["order"],
            y=history["best_so_far"],
            mode="lines",
            line={"color": BEST_LINE_COLOUR, "width": 2.5, "shape": "hv"},
            name="best so far",
            hovertemplate=f"run %{{x}}: best {metric} so far %{{y:.4g}}<extra></extra>",
        )
    )
    missing = int(history["value"].isna().sum())
    note = f" ({missing} runs without it are counted in the order, not drawn)" if missing else ""
    better = "higher" if direction is Direction.MAXIMIZE else "lower"
    figure.update_layout(**_layout(420))
    figure.update_layout(
        title={"text": f"{metric} over the search{note}", "font": {"size": 14}, "x": 0, "xanchor": "left"},
        margin={"t": 84},
        legend={"y": 1.0},
    )
    figure.update_xaxes(title={"text": _order_title(bool(history["created"].notna().any()))})
    figure.update_yaxes(title={"text": f"{metric} ({better} is better)"})
    return figure


def _drawn_axis(sweep: Sweep, param: str) -> tuple[EncodedAxis, np.ndarray]:
    """The parameter as the sampling panel draws it (log10 coordinates for log-scaled parameters,
    level codes for categoricals), and which runs have a value."""
    axis = encode_column(sweep, param)
    if axis.missing_at is None:
        return axis, np.ones(len(axis.values), dtype=bool)
    return axis, axis.values != axis.missing_at


def _hover_values(sweep: Sweep, param: str) -> np.ndarray:
    if reads_as_numbers(sweep, param):
        return np.array([compact_number(v, 3) for v in real_numbers(sweep.runs[param])], dtype=object)
    return level_labels(sweep.runs[param], sweep.kind(param)).to_numpy(dtype=object)


def _axis_ticks(axis: EncodedAxis) -> dict:
    """Tick positions and real-unit labels, without the "(missing)" tick (such runs are not drawn)."""
    pairs = [(v, t) for v, t in zip(axis.tickvals, axis.ticktext, strict=True) if v != axis.missing_at]
    return {"tickvals": [v for v, _ in pairs], "ticktext": [t for _, t in pairs]}


def _panel_title(param: str, n_missing: int) -> str:
    return f"{param} ({n_missing} runs without it)" if n_missing else param


def sampling_figure(
    sweep: Sweep, params: Sequence[str], *, metric: str | None = None, best_percent: float = 10.0
) -> go.Figure:
    """Small multiples, one row per parameter: the value each run tried over run order, one colour
    per sweep; log-scaled parameters on log axes labelled in real units, categoricals and booleans
    as levels (jittered a little so repeats show). With `metric`, the best `best_percent` % of runs
    are ringed, so the reader sees whether the sampler went where the good runs are."""
    params = [p for p in params if p in sweep.runs]
    runs = sweep.runs
    positions = run_order(runs)
    rank = np.empty(len(runs), dtype=int)
    rank[positions] = np.arange(1, len(runs) + 1)
    labels = sweep_labels(runs).to_numpy()
    sweeps = list(dict.fromkeys(labels[positions]))
    colours = _colours(sweeps)
    best = (
        best_percent_mask(runs[metric], sweep.direction(metric), best_percent).to_numpy()
        if metric is not None and metric in runs
        else None
    )
    n_rows = max(len(params), 1)
    axes = {p: _drawn_axis(sweep, p) for p in params}
    figure = make_subplots(
        rows=n_rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.08, 0.35 / n_rows),
        subplot_titles=[_panel_title(p, int((~axes[p][1]).sum())) for p in params] or [""],
    )
    jitter = np.random.default_rng(0).uniform(-LEVEL_JITTER, LEVEL_JITTER, len(runs))
    ids = runs.index.astype(str).to_numpy(dtype=object)
    for row, param in enumerate(params, start=1):
        axis, present = axes[param]
        y = axis.values + (jitter if axis.scale == "levels" else 0.0)
        hover = _hover_values(sweep, param)
        for name in sweeps:
            chosen = np.flatnonzero((labels == name) & present)
            chosen = chosen[np.argsort(rank[chosen])]
            figure.add_trace(
                _scatter_class(len(chosen))(
                    x=rank[chosen],
                    y=y[chosen],
                    mode="markers",
                    marker={"size": 5, "color": colours[name], "opacity": 0.75},
                    name=_sweep_name(name),
                    legendgroup=name,
                    showlegend=row == 1,
                    customdata=np.column_stack([ids[chosen], hover[chosen]]),
                    hovertemplate=f"run %{{x}} (%{{customdata[0]}})<br>{param} %{{customdata[1]}}"
                    "<extra></extra>",
                ),
                row=row,
                col=1,
            )
        if best is not None:
            ringed = np.flatnonzero(best & present)
            figure.add_trace(
                go.Scatter(
                    x=rank[ringed],
                    y=y[ringed],
                    mode="markers",
                    marker={
                        "size": 10,
                        "color": "rgba(0,0,0,0)",
                        "line": {"width": 1.5, "color": BEST_LINE_COLOUR},
                    },
                    name=f"best {best_percent:g}% by {metric}",
                    legendgroup="best",
                    showlegend=row == 1,
                    hoverinfo="skip",
                ),
                row=row,
                col=1,
            )
        figure.update_yaxes(row=row, col=1, **_axis_ticks(axis))
    height = 110 + 150 * n_rows
    figure.update_layout(**_layout(height))
    plot_height = height - 84 - 52  # the legend sits just above the first panel's title
    figure.update_layout(margin={"t": 84}, legend={"y": 1 + 26 / plot_height})
    figure.update_xaxes(title={"text": _order_title(orders_by_created(runs))}, row=n_rows, col=1)
    figure.update_annotations(font={"size": 12}, xanchor="left", x=0)
    return figure
