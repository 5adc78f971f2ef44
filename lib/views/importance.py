"""How the importance page presents a report: plain pandas, no Streamlit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lib.analysis._fit import ForestSettings
from lib.analysis.importance import ImportanceReport, Method
from lib.columns import Direction, Kind
from lib.sweep import Sweep

EXCLUSION_REASONS = {
    Kind.CONSTANT: "constant: the same value in every run",
    Kind.IDENTIFIER: "identifier: a name, seed, path or timestamp",
}


def excluded_params(sweep: Sweep) -> pd.DataFrame:
    """Parameters left out of the analysis by default, each with the reason."""
    rows = [
        {"parameter": p, "reason": EXCLUSION_REASONS[sweep.kind(p)]}
        for p in sweep.params
        if sweep.kind(p) in EXCLUSION_REASONS
    ]
    return pd.DataFrame(rows, columns=["parameter", "reason"])


def display_table(report: ImportanceReport, hidden: Sequence[str] = ()) -> pd.DataFrame:
    """The table a user reads: importance with its spread, Pearson and Spearman, minus hidden rows."""
    table = report.table
    shown = table[~table["parameter"].isin(hidden)]
    spread = [
        f"{lo:.2f} – {hi:.2f}" if np.isfinite(lo) else ""
        for lo, hi in zip(
            shown.get("importance_low", pd.Series(np.nan, index=shown.index)),
            shown.get("importance_high", pd.Series(np.nan, index=shown.index)),
            strict=True,
        )
    ]
    columns: dict[str, Any] = {"parameter": shown["parameter"], "importance": shown["importance"]}
    if "effect_text" in shown:  # next to the importance: what a reader acts on, before the numbers
        columns[EFFECT_COLUMN] = shown["effect_text"].fillna("")
    columns |= {
        "spread (10–90%)": spread,
        "correlation": shown["correlation"],
        "spearman": shown.get("spearman", np.nan),
    }
    if "within_noise" in shown:
        columns[NOISE_FLOOR_COLUMN] = shown["within_noise"].map(_floor_mark)
    return pd.DataFrame(columns).reset_index(drop=True)


def with_seed_noise(table: pd.DataFrame, noise_flags: pd.DataFrame | None) -> pd.DataFrame:
    """`table` (from `display_table`) with its seed-noise column where the sweep repeats seeds:
    "≈ noise" marks only effects within the seed noise, the forest importance speaks for the rest."""
    if noise_flags is None or WITHIN_SEED_NOISE not in noise_flags:
        return table
    flags = noise_flags.set_index("parameter")[WITHIN_SEED_NOISE]
    marked = table.copy()
    marked[SEED_NOISE_COLUMN] = [
        "≈ noise" if (flag := flags.get(p)) is not None and not pd.isna(flag) and bool(flag) else ""
        for p in table["parameter"]
    ]
    return marked


EFFECT_COLUMN = "which way"
NOISE_FLOOR_COLUMN = "vs noise floor"
SEED_NOISE_COLUMN = "vs seed noise"  # added where the sweep repeats seeds


def _floor_mark(within: bool | float | None) -> str:
    """Marked only when within the noise floor: a shuffled metric scores as high."""
    return "≈ noise" if within is not None and not pd.isna(within) and bool(within) else ""


def correlation_colour(value: float, direction: Direction) -> str:
    """Green where raising the parameter moves the metric the good way, red where the bad way."""
    if value is None or not np.isfinite(value):
        return ""
    good = value < 0 if direction is Direction.MINIMIZE else value > 0
    alpha = min(abs(value), 1.0) * 0.55
    rgb = "22, 163, 74" if good else "220, 38, 38"
    return f"background-color: rgba({rgb}, {alpha:.2f})"


def trust_summary(report: ImportanceReport, unit: str = "runs") -> str:
    """One line on how well the forest predicts unseen runs (`unit`: what one row is)."""
    if report.r2 is None:
        return f"{report.n_runs} {unit} used; no model fitted."
    left_out = (
        f", {report.n_without_metric} without {report.metric} left out" if report.n_without_metric else ""
    )
    return f"{report.r2_kind.capitalize()} R² = {report.r2:.2f} on {report.n_runs} {unit}{left_out}."


def settings_text(method: Method, settings: ForestSettings, report: ImportanceReport) -> str:
    """The method and forest behind the numbers, with the runs each fit really used."""
    large = report.n_runs > settings.single_split_above
    trees = _trees(method, settings, large=large)
    leaf = settings.single_split_leaf if large else settings.min_samples_leaf
    return (
        f"Method: {method.value}{_scored_on(method, large=large)}. "
        f"{(report.forest_kind or 'random forest').capitalize()} of {trees} trees, "
        f"min {leaf} runs per leaf, {settings.max_features:.0%} of the parameters "
        f"tried per split, seed {settings.seed}; {report.n_fit_rows:,} runs per fit; the noise floor "
        f"from {settings.null_repeats} fits on a shuffled metric."
    )


def _trees(method: Method, settings: ForestSettings, *, large: bool) -> int:
    if method is not Method.HELD_OUT_PERMUTATION:
        return settings.n_trees
    return settings.single_split_trees if large else settings.oob_trees


def _scored_on(method: Method, *, large: bool) -> str:
    if method is not Method.HELD_OUT_PERMUTATION:
        return ""
    return (
        " (scored on a held-out quarter of the runs)"
        if large
        else " (each tree scored on the runs it left out)"
    )


INTERPRETATION = """
**Correlation** (Pearson, and Spearman on ranks) says whether the metric tends to rise or fall as a
parameter rises, one parameter at a time. It misses effects that are not monotone (a learning rate
with a sweet spot) and effects that exist only together with another parameter.
**Importance** asks a random forest, fitted on all parameters at once, how much worse it predicts
runs it has not seen when this parameter's values are shuffled. It catches sweet spots and
interactions, but says nothing about direction. A parameter with high importance and low
correlation usually has a sweet spot or an interaction: look at it on the parallel-coordinates page.
Log-scaled parameters are correlated on the log scale; a categorical has no order, so it gets no
correlation: open its levels below instead.
"""


WITHIN_SEED_NOISE = "within seed noise"
MAIN_EFFECT_GAP = 0.15  # importance minus main-effect share above which a parameter acts in interactions


def _within_noise_floor(table: pd.DataFrame) -> pd.Series:
    if "within_noise" not in table:
        return pd.Series(pd.NA, index=table.index, dtype="boolean")
    return table["within_noise"].astype("boolean")


def signs_of_effect(table: pd.DataFrame, noise_flags: pd.DataFrame | None = None) -> dict[str, str]:
    """Parameters with evidence that they matter, whatever their importance share: above the noise
    floor of a shuffled metric, or an effect larger than the seed noise. Next sweep does not fix them."""
    signs: dict[str, str] = {}
    above_floor = _within_noise_floor(table) == False  # noqa: E712 (a nullable boolean: NA stays out)
    for param in table.loc[above_floor.fillna(False).to_numpy(dtype=bool), "parameter"]:
        signs[str(param)] = "its importance is above the noise floor of a shuffled metric"
    if noise_flags is not None and WITHIN_SEED_NOISE in noise_flags:
        beyond_seeds = noise_flags[WITHIN_SEED_NOISE].astype("boolean") == False  # noqa: E712
        for param in noise_flags.loc[beyond_seeds.fillna(False).to_numpy(dtype=bool), "parameter"]:
            signs.setdefault(str(param), "its effect is larger than the seed noise")
    return signs


def noise_vs_forest(table: pd.DataFrame, noise_flags: pd.DataFrame) -> list[str]:
    """Where the seed-noise tab and the forest disagree about a parameter, and why they can."""
    within_floor = dict(zip(table["parameter"], _within_noise_floor(table), strict=True))
    share = dict(zip(table["parameter"], table["importance"], strict=True))
    sentences = []
    flags = zip(noise_flags["parameter"].astype(str), noise_flags[WITHIN_SEED_NOISE], strict=True)
    for param, within_seeds in flags:
        if pd.isna(within_seeds) or param not in share:
            continue
        low_share = share[param] < 0.02 or within_floor.get(param) is True
        if not within_seeds and low_share:
            sentences.append(
                f"{param}: its effect is larger than the seed noise, yet its importance share is "
                f"{share[param]:.2f}. The effect here is the swing of the forest's curve along it; the "
                "importance is how much shuffling it hurts predictions of unseen runs: a swing in a "
                "region few runs visit moves predictions little."
            )
        elif within_seeds and not low_share:
            sentences.append(
                f"{param}: its importance share is {share[param]:.2f}, yet its effect is within the seed "
                "noise: the forest may be fitting seed luck; more repeats would settle it."
            )
    return sentences


def fanova_vs_forest(table: pd.DataFrame, fanova: pd.DataFrame, interaction_share: float) -> list[str]:
    """What the variance decomposition adds to the forest's ranking: the parameters whose importance
    is mostly interaction, and what the grey (interactions) bar is."""
    sentences = []
    if np.isfinite(interaction_share) and interaction_share > 0:
        sentences.append(
            f"(interactions), {interaction_share:.0%}: the share of the variance no parameter explains on "
            "its own. It holds effects that exist only in combination (a learning rate whose best value "
            "depends on the optimizer) and what the forest cannot tell from noise; "
            + (
                "here it is the largest part, so read pairs on the Shape of the response page."
                if interaction_share >= 0.5
                else "the main effects above are most of the story."
            )
        )
    main = dict(zip(fanova["parameter"], fanova["variance_share"], strict=True))
    for param, importance in zip(table["parameter"], table["importance"], strict=True):
        alone = main.get(param)
        if alone is None or not np.isfinite(alone) or not np.isfinite(importance):
            continue
        if importance - alone > MAIN_EFFECT_GAP:
            sentences.append(
                f"{param}: importance {importance:.2f} but a main effect of {alone:.2f}: it matters mostly "
                "together with other parameters (an interaction), which the importance counts and a "
                "main effect does not."
            )
    return sentences


UNSUPPORTED_R2 = 0.1  # below this held-out R², the forest's shares rank nothing


def unsupported_reason(report: ImportanceReport) -> str | None:
    """Why the importances cannot be acted on (the fit cannot support them), or None when they can."""
    if report.r2 is None:
        return "The metric does not vary across these runs, so no share means anything."
    if report.r2 < UNSUPPORTED_R2:
        return (
            f"Greyed out: the forest predicts unseen runs barely better than their mean ({report.r2_kind} "
            f"R² = {report.r2:.2f}), so these shares rank nothing. More runs, or a less noisy metric, "
            "would let them."
        )
    return None
