"""The parallel-coordinates view's round trip through the URL: what a shared link reopens."""

from __future__ import annotations

import random
import string

import pandas as pd
import pytest

from lib.filters import Threshold
from lib.sweep import finish_sweep
from lib.values import AxisScale
from lib.views.parallel_chart import parallel_chart
from lib.views.parallel_state import ViewState, from_query, to_query
from tests.figures.test_parcoords import designed_sweep


@pytest.fixture(scope="module")
def sweep():
    return designed_sweep()


def test_view_state_round_trips_through_the_query(sweep) -> None:
    state = ViewState(
        metric="loss",
        axes=("lr", "optimizer", "loss"),
        scales={"lr": AxisScale.LINEAR, "layers": AxisScale.LOG},
        flipped=("loss",),
        thresholds=(
            Threshold("lr", ranges=((1.5e-05, 0.001), (0.01, 0.1)), include_missing=True),
            Threshold("optimizer", levels=("adam", "sgd")),
        ),
        colour="acc",
        reversed=True,
        best_percent=12.5,
        hide=True,
    )
    query = to_query(state)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    assert from_query(query, sweep) == state


def test_names_with_commas_survive_the_query() -> None:
    frame = pd.DataFrame({"a,b": [1.0, 2.0, 3.0], "c\\d": ["x,y", "z", "x,y"], "loss": [0.1, 0.2, 0.3]})
    odd = finish_sweep(frame, params=["a,b", "c\\d"], metrics=["loss"], source="t")
    state = ViewState(axes=("a,b", "c\\d"), thresholds=(Threshold("c\\d", levels=("x,y",)),))
    assert from_query(to_query(state), odd) == state


def test_garbage_and_stale_queries_are_ignored(sweep) -> None:
    query = {
        "m": "gone_metric",
        "axes": "lr,not_a_column,,optimizer",
        "log": "optimizer,lr",
        "flip": "nope",
        "c": "deleted",
        "q": "abc",
        "hide": ["0", "1"],
        "rev": "maybe",
        "f.lr": "x~1,1e-4~1e-3,nan~2,5",
        "f.optimizer": "adam,unknown_level",
        "f.layers": "garbage",
        "f.gone": "1~2",
        "unrelated": "x",
    }
    state = from_query(query, sweep)
    assert state.metric is None
    assert state.axes == ("lr", "optimizer")
    assert state.scales == {"lr": AxisScale.LOG}
    assert state.flipped == () and state.colour is None and state.best_percent is None
    assert state.hide is True and state.reversed is False
    assert state.thresholds == (
        Threshold("lr", ranges=((1e-4, 1e-3),)),
        Threshold("optimizer", levels=("adam",)),
    )
    for percent in ("0", "-5", "101", "inf", "nan"):
        assert from_query({"q": percent}, sweep).best_percent is None


def test_random_queries_never_raise(sweep) -> None:
    rng = random.Random(7)
    keys = [
        "m",
        "axes",
        "log",
        "lin",
        "flip",
        "c",
        "rev",
        "q",
        "hide",
        "f.lr",
        "f.optimizer",
        "f.momentum",
        "zz",
    ]
    alphabet = string.printable + "~,\\é"
    for _ in range(200):
        query = {
            rng.choice(keys): "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
            for _ in range(rng.randint(1, 6))
        }
        state = from_query(query, sweep)
        parallel_chart(sweep, state)
