"""The pieces of a self-contained HTML document: escaped tables, inert figure data, the inlined
plotly.js and the script that draws the figures, the style, and a Content-Security-Policy."""

from __future__ import annotations

import html
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly
import plotly.graph_objects as go
import plotly.io as pio

from lib.figures.inert import defused
from lib.safe_text import one_line

MAX_CELL = 200

# Nothing may be fetched: scripts and styles are inline, images only data: or blob: (Plotly's own).
CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; worker-src blob:; base-uri 'none'; form-action 'none'"
)
CHART_CONFIG = '{"displaylogo": false, "responsive": true}'


@cache
def plotly_js() -> str:
    """The plotly.js bundle the plotly package ships, read once."""
    return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


def table_html(frame: pd.DataFrame, caption: str, formats: Mapping[str, str], *, muted: bool = False) -> str:
    """An HTML table of `frame`, every cell escaped; numbers right-aligned, written with `formats`."""
    head = "".join(f"<th>{html.escape(_cell_text(c, ''))}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, values, strict=True):
            kind = ' class="num"' if _is_number(value) else ""
            cells.append(f"<td{kind}>{html.escape(_cell_text(value, formats.get(column, '')))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    caption = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    kind = ' class="muted"' if muted else ""
    return f"<table{kind}>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array in a cell
        return False


def _cell_text(value: Any, spec: str) -> str:
    if _is_missing(value):
        return "—"
    if _is_number(value):
        return format(value, spec or (",d" if isinstance(value, int | np.integer) else ".4g"))
    return one_line(str(value), limit=MAX_CELL)


def figure_json(figure: go.Figure) -> str:
    """The figure's JSON with its strings inert for Plotly and nothing that could end the script."""
    text = pio.to_json(defused(go.Figure(figure)), validate=False, engine="json")
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


DRAW_SCRIPT = """
(function () {
  function failed(target, error) {
    console.error("Sweepscope brief: a chart could not be drawn", error);
    target.className += " failed";
    target.textContent = "This chart could not be drawn in this browser (it needs JavaScript and WebGL).";
  }
  document.querySelectorAll("script.figure-data").forEach(function (data) {
    var target = document.getElementById(data.getAttribute("data-chart"));
    try {
      var spec = JSON.parse(data.textContent);
      Plotly.newPlot(target, spec.data || [], spec.layout || {}, CHART_CONFIG)
        .catch(function (error) { failed(target, error); });
    } catch (error) { failed(target, error); }
  });
})();
"""

STYLE = """
@page { size: A4; margin: 15mm 14mm; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #1f2430;
  font: 15px/1.5 -apple-system, "Segoe UI", Inter, Helvetica, Arial, sans-serif; }
main { max-width: 800px; margin: 0 auto; padding: 32px 36px 48px; background: #fff; }
h1 { font-size: 25px; line-height: 1.25; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #e1e4ea; }
p { margin: 6px 0; overflow-wrap: anywhere; }
a { color: #2456a6; overflow-wrap: anywhere; }
.meta, .note, figcaption, caption, .code-label { color: #5b6270; font-size: 13px; }
.warning, .good { padding: 6px 10px; border-radius: 4px; }
.warning { border-left: 3px solid #d97706; background: #fff7e8; }
.good { border-left: 3px solid #16a34a; background: #eefaf2; }
.live { background: #f1f5fb; padding: 8px 12px; border-radius: 4px; font-size: 14px; }
nav ol { margin: 12px 0 0; padding-left: 20px; color: #5b6270; font-size: 14px; columns: 2; }
#context p:first-of-type { font-weight: 600; }
table { border-collapse: collapse; min-width: 55%; max-width: 100%; margin: 10px 0 12px; font-size: 13px; }
table.muted td { color: #9ca3af; }
caption { text-align: left; padding-bottom: 4px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e8eaee; vertical-align: top;
  overflow-wrap: break-word; }
th { font-weight: 600; border-bottom: 1.5px solid #c4c9d2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
pre { background: #f6f8fa; border: 1px solid #e1e4ea; border-radius: 6px; padding: 10px 12px;
  font: 12px/1.45 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
figure { margin: 14px 0 20px; break-inside: avoid; }
.chart { width: 100%; min-height: 80px; }
.chart.failed { padding: 12px; background: #fff7e8; color: #5b6270; }
@media print {
  body { background: #fff; font-size: 12px; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  tr, figure, pre { break-inside: avoid; }
  .modebar-container { display: none !important; }
}
"""
