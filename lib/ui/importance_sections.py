"""The parts of the parameter-importance page: controls, the forest table and its three companions
(what separates the best runs, the variance decomposition, the seed noise), one tab each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from lib.analysis._fit import ForestSettings
from lib.analysis.importance import ImportanceReport, Method, level_breakdown
from lib.analysis.separation import best_runs_separation, separation_vs_importance_sentence
from lib.columns import Direction, Kind
from lib.figures.fanova import variance_share_figure
from lib.figures.model_check import fit_check, fit_check_figure
from lib.filters import best_percent_mask
from lib.safe_text import md, md_sentence
from lib.sweep import Sweep
from lib.ui.cache import (
    SeedNoise,
    cached_fanova,
    cached_importance,
    effects_against_noise,
    per_configuration,
)
from lib.ui.tables import fitted_width, whole_rows_height
from lib.ui.widgets import chart
from lib.views.display_limits import capped_table
from lib.views.importance import (
    EFFECT_COLUMN,
    INTERPRETATION,
    SEED_NOISE_COLUMN,
    correlation_colour,
    display_table,
    excluded_params,
    fanova_vs_forest,
    noise_vs_forest,
    settings_text,
    trust_summary,
    unsupported_reason,
    with_seed_noise,
)

GREYED_TEXT = "#9ca3af"
NO_CORRELATION = "–"  # a categorical's correlation cell: it has no order
IMPORTANCE_ROWS = 18  # rows the forest table shows before it scrolls
METHODS: list[Method] = list(Method)


def analysis_controls() -> tuple[Method, int]:
    """The forest's method and seed (the metric is the shared one, picked in the page header)."""
    left, right = st.columns([3, 1])
    method = left.selectbox(
        "Method",
        METHODS,
        format_func=lambda m: m.value[:1].upper() + m.value[1:],
        key="importance.method",
    )
    seed = int(right.number_input("Seed", min_value=0, value=0, step=1, key="importance.seed"))
    return method, seed


def parameter_manager(sweep: Sweep) -> list[str]:
    excluded = excluded_params(sweep)
    with st.expander(f"Parameters analysed ({len(sweep.analysable_params)} of {len(sweep.params)})"):
        if not excluded.empty:
            st.caption("Left out by default, with the reason. Put any back below.")
            st.dataframe(capped_table(excluded).frame, hide_index=True, width="stretch")
        return st.multiselect(
            "Parameters in the model", sweep.params, default=sweep.analysable_params, key="importance.params"
        )


def fitted_sweep(sweep: Sweep, params: Sequence[str], metric: str, noise: SeedNoise) -> Sweep:
    """The runs the forest is fitted on: each run, or each configuration's mean over its seeds."""
    if not noise.known:
        return sweep
    n_configs = noise.report.n_configs
    label = f"Average repeated seeds first: fit on {n_configs:,} configurations, not {len(sweep.runs):,} runs"
    if st.toggle(label, key="importance.config_means", help="Repeats of one configuration then count once."):
        return per_configuration(sweep, params, metric, noise)
    return sweep


@dataclass(frozen=True)
class Analysis:
    """What every tab analyses: the runs used, the runs the forest is fitted on (each run or each
    configuration's mean), the parameters, the metric and the forest's settings."""

    sweep: Sweep
    fitted: Sweep
    params: list[str]
    metric: str
    method: Method
    settings: ForestSettings
    noise: SeedNoise
    included: Sweep  # every included run, which the shared best q% (if any) was taken from
    best_percent: float | None = None  # the shared best q%, when the context sets one

    @property
    def unit(self) -> str:
        return "configurations" if self.fitted is not self.sweep else "runs"

    def report(self) -> ImportanceReport:
        fitted_params = [p for p in self.params if p in self.fitted.params]
        return cached_importance(self.fitted, fitted_params, self.metric, self.method, self.settings)

    def noise_flags(self) -> pd.DataFrame | None:
        """Which effects are within the seed noise; None when no configuration was repeated."""
        if not self.noise.known:
            return None
        return effects_against_noise(self.sweep, self.params, self.metric, self.noise)


def forest_tab(analysis: Analysis) -> None:
    report, noise_flags = analysis.report(), analysis.noise_flags()
    left, right = st.columns([3, 1], gap="large")
    with right:
        _trust_panel(report, analysis.method, analysis.settings, analysis.unit)
    with left:
        hidden = st.multiselect(
            "Hide rows",
            analysis.params,
            key="importance.hidden",
            placeholder="Hide parameters from the table",
            persist_state="page",
        )
        table = with_seed_noise(display_table(report, hidden), noise_flags)
        unsupported = unsupported_reason(report)
        _importance_table(table, analysis.sweep.direction(report.metric), greyed=unsupported is not None)
        if unsupported:
            st.caption(md_sentence(unsupported))
    with st.expander("What correlation and importance each tell you"):
        st.markdown(INTERPRETATION)
    _levels(analysis.sweep, list(report.table["parameter"]), report.metric)  # most important first


def _trust_panel(report: ImportanceReport, method: Method, settings: ForestSettings, unit: str) -> None:
    st.subheader("Can I trust this?")
    st.markdown(md_sentence(trust_summary(report, unit)))
    for warning in report.warnings:
        st.warning(md_sentence(warning), icon=":material/warning:")
    if not report.warnings:
        st.success(
            "The forest predicts unseen runs well enough to rank the parameters.", icon=":material/check:"
        )
    for note in report.notes:
        st.caption(md_sentence(note))
    check = fit_check(report.held_out)
    if check is not None:
        chart(fit_check_figure(check, report.metric), key="importance.fit_check")
        st.caption("Each point is a run the forest did not see: near the dotted line, it was predicted well.")
    st.caption(settings_text(method, settings, report))


def _importance_table(table: pd.DataFrame, direction: Direction, *, greyed: bool = False) -> None:
    styled = table.style.map(lambda v: correlation_colour(v, direction), subset=["correlation", "spearman"])
    if greyed:
        styled = styled.set_properties(color=GREYED_TEXT)
    styled = styled.format("{:.2f}", subset=["correlation", "spearman"])
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        placeholder=NO_CORRELATION,  # the only missing cells: a categorical's correlations
        height=whole_rows_height(len(table), max_rows=IMPORTANCE_ROWS),
        column_config={
            "parameter": st.column_config.Column(
                "parameter", pinned=True, width=fitted_width([*table["parameter"], "parameter"], most=220)
            ),
            "importance": st.column_config.ProgressColumn(
                "importance", min_value=0.0, max_value=1.0, format="%.2f", width=120
            ),
            "correlation": st.column_config.Column(
                "correlation", help="Pearson; none for categoricals", width="small"
            ),
            "spearman": st.column_config.Column(
                "Spearman", help="Rank correlation; none for categoricals", width="small"
            ),
            EFFECT_COLUMN: st.column_config.Column(
                EFFECT_COLUMN, width=fitted_width(table.get(EFFECT_COLUMN, []), least=110, most=300)
            ),
            SEED_NOISE_COLUMN: st.column_config.Column(
                SEED_NOISE_COLUMN, help="≈ noise: the parameter moves the metric less than seeds do"
            ),
        },
    )
    st.caption(
        "Green: raising the parameter moves the metric the good way; red: the bad way. A categorical "
        f"has no order, so no correlation ({NO_CORRELATION}): see its levels below."
    )


STATS = ("mean", "median", "min", "max")  # level_breakdown's columns of the metric


def _levels(sweep: Sweep, params: Sequence[str], metric: str) -> None:
    categoricals = [p for p in params if sweep.kind(p) in (Kind.CATEGORICAL, Kind.BOOLEAN)]
    if not categoricals:
        return
    st.subheader("Levels of a categorical parameter")
    chosen = st.selectbox("Parameter", categoricals, key="importance.levels", persist_state="page")
    levels = capped_table(level_breakdown(sweep.runs, chosen, metric))
    numbers = {c: st.column_config.NumberColumn(f"{c} of {metric}", format="%.4g") for c in STATS}
    st.dataframe(levels.frame, hide_index=True, width="stretch", column_config=numbers)
    if levels.note():
        st.caption(levels.note("levels"))


def best_runs_tab(analysis: Analysis) -> None:
    sweep, params, metric, noise = analysis.sweep, analysis.params, analysis.metric, analysis.noise
    st.caption(
        "Which parameters' values differ most between the best runs and all runs (in the spirit of "
        "PED-ANOVA): a parameter can matter little on average yet be what the best runs share."
    )
    if analysis.best_percent is not None:
        sweep, percent = analysis.included, analysis.best_percent  # the shared best q% vs all included
        st.caption(
            f"The best runs are the shared best {percent:g}%, compared with all {len(sweep.runs):,} "
            "included runs."
        )
    else:
        percent = st.slider("Best q% of runs", 1, 50, 10, key="importance.best_percent", persist_state="page")
    direction = sweep.direction(metric)
    separation = best_runs_separation(
        sweep.runs,
        params,
        metric,
        direction=direction,
        kinds={p: sweep.kind(p) for p in params},
        percent=float(percent),
        groups=noise.groups if noise.known else None,
    )
    for warning in separation.warnings:
        st.warning(md_sentence(warning), icon=":material/warning:")
    if separation.table.empty:
        return
    n_best = int(best_percent_mask(sweep.runs[metric], direction, percent).sum())
    sentence = separation_vs_importance_sentence(separation.table, analysis.report().table)
    st.markdown(f"**{md_sentence(sentence)}**")
    st.dataframe(
        capped_table(separation.table[["parameter", "separation", "top_summary"]]).frame,
        hide_index=True,
        width="stretch",
        column_config={
            "separation": st.column_config.ProgressColumn(
                "Separation", min_value=0.0, max_value=1.0, format="%.2f"
            ),
            "top_summary": st.column_config.TextColumn("Where the best runs sit", width="large"),
        },
    )
    st.caption(
        f"The best {percent:g}% are {n_best} runs by {md(metric)} (ties at the cut-off kept)"
        + (", each configuration counted once." if noise.known else ".")
        + " Separation is the divergence above what a random set of that size shows, as shares."
    )


def fanova_tab(analysis: Analysis) -> None:
    st.caption(
        "The share of the metric's variance each parameter explains on its own (fANOVA main effects, "
        "Hutter et al. 2014), from a forest of 64 trees. The grey bar is what parameters explain only "
        "together, plus what the forest cannot separate."
    )
    if not st.toggle(
        "Compute the variance decomposition", value=True, key="importance.fanova", persist_state="page"
    ):
        return
    report = cached_fanova(analysis.sweep, analysis.params, analysis.metric, analysis.settings.seed)
    for warning in report.warnings:
        st.warning(md_sentence(warning), icon=":material/warning:")
    if report.table["variance_share"].notna().any():
        chart(variance_share_figure(report), key="importance.fanova_chart")
        r2 = f"out-of-bag R² = {report.r2:.2f}, " if report.r2 is not None else ""
        st.caption(f"{r2}{report.n_runs} runs; bars show the 10–90% spread across trees.")
        for sentence in fanova_vs_forest(analysis.report().table, report.table, report.interaction_share):
            st.markdown(f"- {md_sentence(sentence)}")


def noise_tab(analysis: Analysis) -> None:
    noise, noise_flags = analysis.noise, analysis.noise_flags()
    st.info(md_sentence(noise.report.message), icon=":material/info:")
    for note in noise.report.notes:
        st.caption(md_sentence(note))
    if not noise.known or noise_flags is None:
        return
    st.markdown(
        "**Effect of each parameter vs the seed noise.** An effect (how far the metric moves across "
        "the parameter's range, from the forest's partial dependence on per-configuration means) below "
        "the threshold could be seed luck alone."
    )
    st.dataframe(capped_table(noise_flags).frame, hide_index=True, width="stretch")
    for sentence in noise_vs_forest(analysis.report().table, noise_flags):
        st.markdown(f"- {md_sentence(sentence)}")
    with st.expander(f"The {noise.report.n_repeated} repeated configurations"):
        repeated = capped_table(noise.report.table)
        st.dataframe(repeated.frame, hide_index=True, width="stretch")
        if repeated.note():
            st.caption(repeated.note("configurations"))


# Widgets inside a tab keep their value while another tab is shown: persist_state="page".
TABS: dict[str, Callable[[Analysis], None]] = {
    "Forest importance": forest_tab,
    "What separates the best runs": best_runs_tab,
    "Variance decomposition": fanova_tab,
    "Seed noise": noise_tab,
}
