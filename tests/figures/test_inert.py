"""Figure text from data is drawn as text: Plotly's HTML dialect only for Sweepscope's own tags."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from lib.figures.inert import defused, inert

ANCHOR = "<a href='http://127.0.0.1:9/x'>val_loss</a>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ANCHOR, "&lt;a href='http://127.0.0.1:9/x'>val_loss&lt;/a>"),
        ("<span style='color:red'>x</span>", "&lt;span style='color:red'>x</span>"),
        ("<br><b>best</b><extra></extra>", "<br><b>best</b><extra></extra>"),
        (
            "lr <span style='font-size:11px'>(3 runs)</span>",
            "lr <span style='font-size:11px'>(3 runs)</span>",
        ),
        ("a<b", "a&lt;b"),
        ("<BR>", "&lt;BR>"),
        ("plain", "plain"),
    ],
)
def test_inert_escapes_every_tag_but_sweepscopes_own(text: str, expected: str) -> None:
    assert inert(text) == expected


def test_every_string_of_a_figure_is_defused_and_numbers_are_untouched() -> None:
    values = np.linspace(0.0, 1.0, 50)
    figure = go.Figure(
        [
            go.Parcoords(
                dimensions=[
                    {"label": ANCHOR, "values": values, "tickvals": [0, 1], "ticktext": [ANCHOR, "1"]}
                ],
                line={"color": values, "colorbar": {"title": {"text": ANCHOR}}},
            ),
            go.Scatter(x=values, y=values, name=ANCHOR, text=np.array([ANCHOR] * 50, dtype=object)),
        ]
    )
    figure.update_layout(title={"text": ANCHOR}, xaxis={"title": {"text": ANCHOR}, "ticktext": [ANCHOR]})

    spec = json.loads(defused(figure).to_json())

    assert "<a" not in json.dumps(spec)
    assert spec["data"][0]["dimensions"][0]["label"] == inert(ANCHOR)
    assert spec["data"][1]["text"][0] == inert(ANCHOR)
    assert np.allclose(np.asarray(figure.data[1].x), values)


def test_a_figure_with_nothing_to_escape_is_left_as_it_was() -> None:
    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="val_loss", hovertemplate="%{x}<extra></extra>"))
    before = figure.to_json()
    assert defused(figure).to_json() == before
