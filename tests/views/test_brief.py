"""The brief's HTML, read back with the standard library's HTML parser: every section is there, names
from data stay text, the next sweep's YAML is verbatim, nothing is fetched from anywhere, and plotly.js
is inlined exactly once."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import plotly
import pytest
import yaml

from lib.analysis._fit import ForestSettings
from lib.analysis.importance import Method, importance_report
from lib.analysis.next_sweep import next_sweep_config
from lib.analysis.response import response_shape
from lib.selection import Choices
from lib.sweep import RunRecord, Sweep, sweep_from_records
from lib.views.brief import (
    BriefResults,
    NextSweepSettings,
    Unavailable,
    brief_html,
    build_brief,
    next_sweep_selection,
)
from lib.views.context import build_context, kept_runs
from lib.views.parallel_chart import parallel_chart
from lib.views.parallel_state import ViewState

SCRIPT = "<script>alert(1)</script>"
BOLD = "**bold**"
SOURCE = "<img src=http://x.test/p.png> sweep"
LINK = "http://127.0.0.1:8501/parallel?src=demo&q=50.0"
METRIC = "val_loss"
HEADINGS = [
    "The sweep at a glance",
    "The analysis context",
    "Where the good runs are: parallel coordinates",
    "Which parameters matter",
    "Shape of the response",
    "The next sweep",
]


def hostile_sweep(n_runs: int = 40) -> Sweep:
    """val_loss falls with the hostile-named learning rate and is lower for level "a" of `**bold**`;
    the best run (lowest loss) has a hostile name too."""
    rng = random.Random(1)
    records = []
    for i in range(n_runs):
        lr = 10 ** rng.uniform(-4, -1)
        level = rng.choice(["a", "b"])
        depth = rng.choice([2, 4, 8])
        loss = 1.0 + 0.3 * (lr < 1e-3) + (0.2 if level == "b" else 0.0) + rng.gauss(0, 0.02)
        records.append(
            RunRecord(
                run_id=f"r{i:02d}",
                name=SCRIPT if i == 0 else f"run-{i}",
                state="finished",
                config={SCRIPT: lr, BOLD: level, "depth": depth},
                summary={METRIC: 0.1 if i == 0 else loss},
                sweep_id="sw1",
            )
        )
    return sweep_from_records(records, source=SOURCE)


@cache
def results() -> BriefResults:
    loaded = hostile_sweep()
    view = ViewState(metric=METRIC, best_percent=50)
    context = build_context(loaded, loaded, Choices(), view)
    analysed = kept_runs(loaded, context)
    params = analysed.analysable_params
    kinds = {p: analysed.kind(p) for p in params}
    report = importance_report(
        analysed.runs, params, METRIC, kinds=kinds, method=Method.HELD_OUT_PERMUTATION,
        settings=ForestSettings(), direction=analysed.direction(METRIC),
    )  # fmt: skip
    order = list(report.table["parameter"])
    shape = response_shape(
        analysed.runs, params, METRIC, top=order[:3], kinds=kinds, settings=ForestSettings()
    )
    settings = NextSweepSettings()
    kept, selection = next_sweep_selection(loaded, context, True, settings)
    proposal = next_sweep_config(loaded, kept, METRIC, importance=report.table, selection=selection)
    return BriefResults(
        loaded=loaded,
        included=loaded,
        analysed=analysed,
        context=context,
        parallel=parallel_chart(loaded, view, importance_order=order),
        importance=report,
        response=shape,
        next_sweep=proposal,
        next_selection=selection,
        link=LINK,
        link_note="It opens this view in Sweepscope.",
        made_at="2026-01-02 03:04 UTC",
    )


class Page(HTMLParser):
    """What a browser would make of the document: elements with their attributes, the text of
    each kind of element, and every script's content."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.texts: dict[str, list[str]] = {}
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag not in {"meta", "br", "img", "link"}:
            self.open.append(tag)
        if tag == "script":
            self.scripts.append((dict(attrs), ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1] == "script":
            attrs, content = self.scripts[-1]
            self.scripts[-1] = (attrs, content + data)
        elif self.open:
            self.texts.setdefault(self.open[-1], []).append(data)

    def text_of(self, tag: str) -> list[str]:
        return self.texts.get(tag, [])

    def all_text(self) -> str:
        return " ".join(t for texts in self.texts.values() for t in texts)


@cache
def document() -> str:
    return brief_html(build_brief(results()))


@pytest.fixture
def page() -> Page:
    return Page(document())


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)] + [k for k in value if isinstance(k, str)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def test_every_section_is_there_with_its_content(page: Page) -> None:
    assert page.text_of("h2") == HEADINGS
    assert [a.get("id") for tag, a in page.elements if tag == "section"] == [
        "glance", "context", "parallel", "importance", "response", "next-sweep"
    ]  # fmt: skip
    context = results().context
    paragraphs = page.text_of("p")
    assert context.headline() in paragraphs  # the sentence every page shows at its top
    assert "best 50% by val_loss" in context.headline()
    assert (
        f"Runs: {context.n_kept:,} of 40 runs kept; the best run, importance and response curves use 20 runs."
        in paragraphs
    )
    assert any(p.startswith("Can I trust this? Out-of-bag R² =") for p in paragraphs)
    cells = page.text_of("td")
    report = results().importance
    assert not isinstance(report, Unavailable)
    for parameter, importance in zip(report.table["parameter"], report.table["importance"], strict=True):
        assert parameter in cells and f"{importance:.2f}" in cells
    assert {"finished", "40"} <= set(cells)  # runs by state
    n_figures = sum(1 for attrs, _ in page.scripts if attrs.get("type") == "application/json")
    assert n_figures == 1 + 3  # the parallel coordinates and one curve per top parameter
    assert len([a for tag, a in page.elements if tag == "div" and "chart" in (a.get("class") or "")]) == 4


def test_names_from_data_stay_text_everywhere(page: Page) -> None:
    raw = document()
    assert "<script>alert" not in raw and "<img" not in raw and "<strong" not in raw
    text = page.all_text()
    assert SCRIPT in page.text_of("td")  # a parameter name, shown as the characters it has
    assert f"run {SCRIPT} (r00)" in text  # the best run's name
    assert BOLD in page.text_of("td")
    assert page.text_of("h1") == [f"Sweep brief: {SOURCE}"]
    assert not [tag for tag, _ in page.elements if tag in {"img", "strong", "b", "em", "iframe", "object"}]
    scripts = [attrs for attrs, _ in page.scripts]
    assert all(a.get("type") in (None, "application/json") for a in scripts)
    assert len([a for a in scripts if a.get("type") is None]) == 2  # plotly.js and the drawing script
    figure_strings = [
        s for attrs, body in page.scripts if attrs.get("type") for s in strings(json.loads(body))
    ]
    assert not [s for s in figure_strings if "<script" in s or "<img" in s or "<a " in s]
    assert any("&lt;script>alert(1)&lt;/script>" in s for s in figure_strings)  # drawn as text by Plotly


def test_the_next_sweep_yaml_is_there_verbatim(page: Page) -> None:
    proposal = results().next_sweep
    assert not isinstance(proposal, Unavailable)
    assert page.text_of("code") == [proposal.yaml]
    config = yaml.safe_load(page.text_of("code")[0])
    assert config["metric"] == {"name": METRIC, "goal": "minimize"}
    assert SCRIPT in config["parameters"]  # the hostile name, escaped in the HTML, whole in the YAML
    assert f'"{SCRIPT}"' not in document() and "&lt;script&gt;alert(1)&lt;/script&gt;" in document()


def test_nothing_is_fetched_and_only_the_live_view_is_linked(page: Page) -> None:
    references = [
        (tag, name, value)
        for tag, attrs in page.elements
        for name, value in attrs.items()
        if name in {"src", "href", "srcset", "action", "data", "poster", "xlink:href"}
    ]
    assert [(t, v) for t, n, v in references if n == "href" and not (v or "").startswith("#")] == [
        ("a", LINK)
    ]
    assert not [r for r in references if r[1] != "href"]  # no src: every script and style is inline
    assert not [tag for tag, _ in page.elements if tag in {"link", "base", "iframe", "img"}]
    policy = next(a["content"] for tag, a in page.elements if tag == "meta" and a.get("http-equiv"))
    assert policy is not None and "default-src 'none'" in policy and "connect-src" not in policy


def test_plotly_js_is_inlined_exactly_once(page: Page) -> None:
    bundle = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8")
    assert [body for _, body in page.scripts].count(bundle) == 1
    assert document().count(bundle[:200]) == 1


def test_a_sweep_that_cannot_be_reopened_has_no_link_and_says_why() -> None:
    note = "The sweep was uploaded, so no link can reopen it: upload the same file to see it live."
    page = Page(brief_html(build_brief(replace(results(), link=None, link_note=note))))
    assert not [a for tag, a in page.elements if tag == "a" and not (a.get("href") or "").startswith("#")]
    assert note in page.text_of("p")


def test_an_analysis_that_could_not_be_made_is_named_and_the_rest_stays() -> None:
    reason = "The response curves could not be computed for this brief; the app's page shows why."
    brief = build_brief(
        replace(results(), response=Unavailable(reason), next_sweep=Unavailable("No run is kept."))
    )
    page = Page(brief_html(brief))
    assert page.text_of("h2") == HEADINGS
    assert reason in page.text_of("p") and "No run is kept." in page.text_of("p")
    assert page.text_of("code") == [] and len(brief.figures) == 1
