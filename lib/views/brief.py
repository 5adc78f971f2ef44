"""The sweep brief: what the pages show, gathered into one document a person can e-mail.

`build_brief` turns analysis results (computed by the caller with the pages' own cached functions)
into a `Brief`: plain text, data frames and Plotly figures in sections. `brief_html` writes it as one
self-contained HTML file: plotly.js inlined once from the plotly package, every text escaped, every
figure's strings made inert, and a Content-Security-Policy that lets the file fetch nothing at all.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
import plotly.graph_objects as go

from lib.analysis.importance import ImportanceReport
from lib.analysis.metric_value import describe_value
from lib.analysis.next_sweep import DEFAULT_MARGIN, DEFAULT_MIN_IMPORTANCE, NextSweep
from lib.analysis.response import ResponseShape, curve_summary
from lib.figures.response import response_figure
from lib.filters import best_percent_mask
from lib.histories import MetricValue
from lib.safe_text import one_line
from lib.sweep import RUN_NAME, Sweep
from lib.views.context import Context
from lib.views.home import best_run_summary, state_table
from lib.views.html_parts import CHART_CONFIG, CSP, DRAW_SCRIPT, STYLE, figure_json, plotly_js, table_html
from lib.views.importance import (
    display_table,
    settings_text,
    trust_summary,
    unsupported_reason,
    with_seed_noise,
)
from lib.views.parallel_chart import ParcoordsView

Tone = Literal["text", "note", "warning", "good"]
MAX_ROWS = 30  # a brief's tables stay short; the app has the rest


@dataclass(frozen=True)
class Paragraph:
    text: str
    tone: Tone = "text"


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame
    caption: str = ""
    formats: Mapping[str, str] = field(default_factory=dict)  # column -> format spec for its numbers
    muted: bool = False  # drawn greyed out: numbers the fit cannot support


@dataclass(frozen=True)
class Chart:
    figure: go.Figure
    caption: str = ""


@dataclass(frozen=True)
class Code:
    text: str
    label: str = ""


Block = Paragraph | Table | Chart | Code


@dataclass(frozen=True)
class Section:
    key: str  # the HTML anchor
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Brief:
    """Everything the file says, as plain text and objects (nothing escaped yet)."""

    title: str
    made_at: str
    context_lines: tuple[str, ...]
    sections: tuple[Section, ...]
    link: str | None  # the live view; None when the sweep cannot be reopened from a link
    link_note: str = ""

    @property
    def figures(self) -> list[go.Figure]:
        return [b.figure for s in self.sections for b in s.blocks if isinstance(b, Chart)]

    @property
    def yaml(self) -> str | None:
        return next((b.text for s in self.sections for b in s.blocks if isinstance(b, Code)), None)


@dataclass(frozen=True)
class Unavailable:
    """An analysis the brief could not include, and why (a sentence for the reader)."""

    reason: str


@dataclass(frozen=True)
class NextSweepSettings:
    """The Next sweep page's defaults: the proposal the page shows before any widget is touched."""

    best_percent: int = 10
    margin: float = DEFAULT_MARGIN
    min_importance: float = DEFAULT_MIN_IMPORTANCE
    method: str = "bayes"


@dataclass(frozen=True)
class BriefResults:
    """What the pages computed: `included` holds the chosen value in its metric column, `analysed`
    is the runs the analyses used (the kept runs, or all included ones)."""

    loaded: Sweep
    included: Sweep
    analysed: Sweep
    context: Context
    parallel: ParcoordsView | Unavailable
    importance: ImportanceReport | Unavailable
    response: ResponseShape | Unavailable
    next_sweep: NextSweep | Unavailable
    next_selection: str = ""
    next_settings: NextSweepSettings = field(default_factory=NextSweepSettings)
    seed_noise: pd.DataFrame | None = None  # `effects_against_noise` on `analysed`, when seeds repeat
    link: str | None = None
    link_note: str = ""
    made_at: str = ""


def next_sweep_selection(
    included: Sweep, context: Context, uses_kept: bool, settings: NextSweepSettings
) -> tuple[pd.Series, str]:
    """The runs the Next sweep page centres on and how its YAML names them: the kept runs when a
    filter narrows them, else the best `settings.best_percent`% by the chosen value."""
    metric = str(context.metric)
    if context.narrowed and uses_kept:
        kept, selection = context.kept, f"the {context.n_kept:,} kept runs ({', '.join(context.filters)})"
        if not context.value.is_summary:
            selection += f"; ranked by {context.value.text}"
        return kept, selection
    runs = included.runs[metric]
    kept = best_percent_mask(runs, included.direction(metric), settings.best_percent)
    return kept, f"best {settings.best_percent}% by {context.value.text or metric}"


# ---------------------------------------------------------------------------------------- build


def build_brief(results: BriefResults) -> Brief:
    metric = str(results.context.metric)
    lines = context_lines(results)
    return Brief(
        title=f"Sweep brief: {one_line(results.loaded.source or 'a sweep', limit=160)}",
        made_at=results.made_at,
        context_lines=lines,
        sections=(
            glance_section(results, metric),
            Section("context", "The analysis context", tuple(Paragraph(line) for line in lines)),
            parallel_section(results.parallel),
            importance_section(results.importance, results.seed_noise),
            response_section(results.response, results.analysed, metric),
            next_sweep_section(results),
        ),
        link=results.link,
        link_note=results.link_note,
    )


def context_lines(results: BriefResults) -> tuple[str, ...]:
    context, metric = results.context, str(results.context.metric)
    direction = results.included.direction(metric)
    value = context.value.text or describe_value(metric, MetricValue(), direction)
    filters = "; ".join(context.filters) if context.filters else "none, every run counts"
    runs = f"{context.n_kept:,} of {context.n_loaded:,} runs kept"
    if context.n_included != context.n_loaded:
        runs += f" ({context.n_included:,} included by the Load page's filters)"
    used = len(results.analysed.runs)
    lines = [
        context.headline(),
        f"Metric: {metric}, {direction.value}.",
        f"Value of it: {value}.",
        *([context.value.note] if context.value.note else []),
        f"Filters: {filters}.",
        f"Runs: {runs}; the best run, importance and response curves use {used:,} runs.",
    ]
    return tuple(lines)


def glance_section(results: BriefResults, metric: str) -> Section:
    loaded, analysed = results.loaded, results.analysed
    direction = analysed.direction(metric)
    blocks: list[Block] = [Paragraph(f"Source: {loaded.source or 'unnamed'}.")]
    if loaded.sweep_ids:
        blocks.append(Paragraph(f"Sweeps: {', '.join(loaded.sweep_label(s) for s in loaded.sweep_ids)}."))
    why = (
        f": {loaded.primary_reason}"
        if metric == loaded.default_metric and loaded.primary_reason
        else f", picked in Sweepscope (the sweep opens on {loaded.default_metric})"
    )
    blocks.append(Paragraph(f"Analysed on {metric} ({direction.value}){why}."))
    blocks.append(Table(state_table(loaded), caption="Runs by state"))
    if not isinstance(results.importance, Unavailable):
        blocks.append(Paragraph(what_matters_text(results.importance)))
    best = best_run_summary(analysed, metric)
    if best is None:
        blocks.append(Paragraph(f"No run has a value for {metric}.", "warning"))
    else:
        name = analysed.runs.loc[best.run_id].get(RUN_NAME)
        label = f"{name} ({best.run_id})" if isinstance(name, str) and name else best.run_id
        n_with = int(analysed.runs[metric].notna().sum())
        blocks.append(
            Paragraph(
                f"Best {metric} ({direction.value}): {best.value_text}, run {label}, best of {n_with:,}."
            )
        )
        blocks.append(_capped(best.params, "The best run's parameters", "parameters"))
    return Section("glance", "The sweep at a glance", tuple(blocks))


def what_matters_text(report: ImportanceReport, top: int = 3) -> str:
    """The home page's "what matters most" sentence, as plain text."""
    table = report.table.dropna(subset=["importance"])
    ranked = table[table["importance"] > 0].head(top)
    if ranked.empty or report.r2 is None:
        return f"Too few runs with {report.metric} to say which parameters matter."
    names = ", ".join(
        f"{n} ({share:.0%})" for n, share in zip(ranked["parameter"], ranked["importance"], strict=True)
    )
    trust = "a rough ranking, see the warnings" if report.warnings else "good enough to rank them"
    return (
        f"What matters most for {report.metric}: {names}. "
        f"The forest's {report.r2_kind} R² is {report.r2:.2f}: {trust}."
    )


def parallel_section(view: ParcoordsView | Unavailable) -> Section:
    heading = "Where the good runs are: parallel coordinates"
    if isinstance(view, Unavailable):
        return Section("parallel", heading, (Paragraph(view.reason, "note"),))
    caption = (
        f"{view.kept_text.rstrip('.')}; {view.drawn_text}. One line per run, the best drawn on top; "
        "the filters are drawn on the axes."
    )
    blocks: list[Block] = [Chart(view.figure, caption), *(Paragraph(n, "note") for n in view.notes)]
    if view.abbreviated:
        names = pd.DataFrame({"axis": list(view.abbreviated), "column": list(view.abbreviated.values())})
        blocks.append(_capped(names, "Full axis names", "axes"))
    return Section("parallel", heading, tuple(blocks))


def importance_table(report: ImportanceReport, seed_noise: pd.DataFrame | None) -> pd.DataFrame:
    """The importance page's table: `display_table` with its seed-noise mark when seeds repeat."""
    return with_seed_noise(display_table(report), seed_noise)


def importance_section(report: ImportanceReport | Unavailable, seed_noise: pd.DataFrame | None) -> Section:
    heading = "Which parameters matter"
    if isinstance(report, Unavailable):
        return Section("importance", heading, (Paragraph(report.reason, "note"),))
    blocks: list[Block] = [Paragraph(f"Can I trust this? {trust_summary(report)}")]
    blocks += [Paragraph(w, "warning") for w in report.warnings]
    if not report.warnings:
        blocks.append(
            Paragraph("The forest predicts unseen runs well enough to rank the parameters.", "good")
        )
    unsupported = unsupported_reason(report)
    formats = {"importance": ".2f", "correlation": ".2f", "spearman": ".2f"}
    table = importance_table(report, seed_noise)
    caption = "Importance, most important first"
    blocks.append(_capped(table, caption, "parameters", formats, muted=unsupported is not None))
    if unsupported:
        blocks.append(Paragraph(unsupported, "note"))
    blocks += [Paragraph(n, "note") for n in report.notes]
    blocks.append(Paragraph(settings_text(report.method, report.settings, report), "note"))
    return Section("importance", heading, tuple(blocks))


def response_section(shape: ResponseShape | Unavailable, sweep: Sweep, metric: str) -> Section:
    heading = "Shape of the response"
    if isinstance(shape, Unavailable):
        return Section("response", heading, (Paragraph(shape.reason, "note"),))
    direction = sweep.direction(metric)
    intro = (
        f"Partial dependence from a random forest fitted on the {len(sweep.runs):,} runs used: the line is "
        "the metric the forest expects along one parameter with the others as the runs had them; the band "
        "holds 80% of the individual runs' curves, the grey points are the runs themselves. Most important "
        "parameters first." + (f" Out-of-bag R² {shape.r2:.2f}." if shape.r2 is not None else "")
    )
    blocks: list[Block] = [Paragraph(intro), *(Paragraph(n, "note") for n in shape.notes)]
    for curve in shape.curves:
        figure = response_figure(curve, sweep.runs, metric, direction)
        blocks.append(Chart(figure, curve_summary(curve, metric, direction)))
    return Section("response", heading, tuple(blocks))


def next_sweep_section(results: BriefResults) -> Section:
    heading = "The next sweep"
    proposal, settings = results.next_sweep, results.next_settings
    if isinstance(proposal, Unavailable):
        return Section("next-sweep", heading, (Paragraph(proposal.reason, "note"),))
    blocks: list[Block] = [
        Paragraph(
            f"A narrower W&B sweep around {results.next_selection}: ranges widened by {settings.margin:.0%}, "
            f"parameters with importance below {settings.min_importance:g} fixed, {settings.method} search "
            "(the Next sweep page's defaults). Save it as next_sweep.yaml and run "
            "`wandb sweep next_sweep.yaml`."
        ),
        *(Paragraph(problem, "warning") for problem in proposal.problems),
        Code(proposal.yaml, "next_sweep.yaml"),
    ]
    return Section("next-sweep", heading, tuple(blocks))


def _capped(
    frame: pd.DataFrame,
    caption: str,
    unit: str,
    formats: Mapping[str, str] | None = None,
    *,
    muted: bool = False,
) -> Table:
    if len(frame) > MAX_ROWS:
        caption += f" (the first {MAX_ROWS} of {len(frame):,} {unit}; the app shows them all)"
        frame = frame.head(MAX_ROWS)
    return Table(frame.reset_index(drop=True), caption, dict(formats or {}), muted)


# ----------------------------------------------------------------------------------------- HTML


def brief_html(brief: Brief) -> str:
    """The brief as one HTML document that needs no server and no network."""
    figures: list[str] = []
    body = "\n".join(_section_html(section, figures) for section in brief.sections)
    title = html.escape(brief.title)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style>
<script>{plotly_js()}</script>
</head>
<body>
<main>
<header>
<h1>{title}</h1>
<p class="meta">Made by Sweepscope{_made_at(brief.made_at)}.</p>
{_link_html(brief)}
<nav><ol>{_contents(brief)}</ol></nav>
</header>
{body}
</main>
{"".join(figures)}
<script>{DRAW_SCRIPT.replace("CHART_CONFIG", CHART_CONFIG)}</script>
</body>
</html>
"""


def _contents(brief: Brief) -> str:
    return "".join(f'<li><a href="#{s.key}">{html.escape(s.heading)}</a></li>' for s in brief.sections)


def _made_at(made_at: str) -> str:
    return f" on {html.escape(made_at)}" if made_at else ""


def _link_html(brief: Brief) -> str:
    if brief.link is None:
        return f'<p class="meta">{html.escape(brief.link_note)}</p>' if brief.link_note else ""
    link = html.escape(brief.link, quote=True)
    note = f" {html.escape(brief.link_note)}" if brief.link_note else ""
    return f'<p class="live">Live view: <a href="{link}">{link}</a>{note}</p>'


def _section_html(section: Section, figures: list[str]) -> str:
    blocks = "\n".join(_block_html(block, figures) for block in section.blocks)
    key = html.escape(section.key, quote=True)
    return f'<section id="{key}">\n<h2>{html.escape(section.heading)}</h2>\n{blocks}\n</section>'


def _block_html(block: Block, figures: list[str]) -> str:
    if isinstance(block, Paragraph):
        return f'<p class="{block.tone}">{html.escape(block.text)}</p>'
    if isinstance(block, Table):
        return table_html(block.frame, block.caption, block.formats, muted=block.muted)
    if isinstance(block, Code):
        label = f'<p class="code-label">{html.escape(block.label)}</p>' if block.label else ""
        return f"{label}<pre><code>{html.escape(block.text)}</code></pre>"
    n = len(figures)
    data = figure_json(block.figure)
    figures.append(
        f'<script type="application/json" class="figure-data" data-chart="chart-{n}">{data}</script>\n'
    )
    caption = f"<figcaption>{html.escape(block.caption)}</figcaption>" if block.caption else ""
    return f'<figure><div class="chart" id="chart-{n}"></div>{caption}</figure>'
