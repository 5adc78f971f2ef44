"""The shared analysis context on designed sweeps: which runs it keeps and the sentence pages show."""

from __future__ import annotations

from lib.filters import Threshold
from lib.selection import Choices, apply_choices
from lib.sweep import RunRecord, Sweep, sweep_from_records
from lib.views.context import build_context, kept_runs, metric_alternatives
from lib.views.load import runs_with_inclusion
from lib.views.parallel_state import ViewState, with_metric

# run id, state, lr, optimizer, val_loss, val_accuracy
RUNS = [
    ("a", "finished", 0.001, "adam", 0.50, 0.80),
    ("b", "finished", 0.01, "adam", 0.20, 0.90),
    ("c", "finished", 0.1, "sgd", 0.40, 0.85),
    ("d", "finished", 0.3, "sgd", 0.90, 0.60),
    ("e", "failed", 0.5, "sgd", 2.00, 0.10),
    ("f", "finished", 0.05, "adam", 0.30, 0.88),
]


def designed() -> Sweep:
    records = [
        RunRecord(
            run_id=run_id,
            state=state,
            config={"lr": lr, "optimizer": opt},
            summary={"val_loss": loss, "val_accuracy": acc, "epoch": 10},
        )
        for run_id, state, lr, opt, loss, acc in RUNS
    ]
    return sweep_from_records(records, source="designed")


def test_the_context_keeps_the_best_q_percent_by_the_shared_metric_among_included_runs() -> None:
    loaded = designed()
    choices = Choices(states=("finished",))
    included = apply_choices(loaded, choices)
    context = build_context(loaded, included, choices, ViewState(metric="val_loss", best_percent=40))
    # five finished runs; 40% of 5 rounds up to 2: the lowest val_loss are b (0.20) and f (0.30)
    assert sorted(context.kept[context.kept].index) == ["b", "f"]
    assert context.headline() == (
        "val_loss, minimize · 2 of 6 runs: finished only (1 failed left out), best 40% by val_loss"
    )
    assert context.narrowed and context.n_included == 5
    assert sorted(kept_runs(included, context).runs.index) == ["b", "f"]


def test_thresholds_are_named_in_the_headline_and_combine_with_the_best_percent() -> None:
    loaded = designed()
    view = ViewState(
        metric="val_accuracy",
        thresholds=(Threshold("optimizer", levels=("adam",)), Threshold("lr", ranges=((0.005, 0.2),))),
    )
    context = build_context(loaded, loaded, Choices(), view)
    assert sorted(context.kept[context.kept].index) == ["b", "f"]  # adam with lr in [0.005, 0.2]
    assert context.headline() == "val_accuracy, maximize · 2 of 6 runs: optimizer adam, lr 5e-3 to 0.2"


def test_without_filters_every_included_run_is_kept_and_nothing_is_narrowed() -> None:
    loaded = designed()
    context = build_context(loaded, loaded, Choices(), ViewState())
    assert context.metric == loaded.default_metric == "val_accuracy"  # validation accuracy over loss
    assert context.n_kept == 6 and not context.narrowed
    assert context.headline() == "val_accuracy, maximize · 6 of 6 runs"


def test_a_metric_the_sweep_no_longer_has_falls_back_to_the_opening_metric() -> None:
    loaded = designed()
    context = build_context(loaded, loaded, Choices(), ViewState(metric="gone", best_percent=50))
    assert context.metric == "val_accuracy"
    assert context.filters == ("best 50% by val_accuracy",)


def test_alternatives_offer_other_outcomes_never_a_step_counter() -> None:
    loaded = designed()
    assert "epoch" not in loaded.metrics  # a constant step counter is bookkeeping
    assert metric_alternatives(loaded, "val_accuracy") == ["val_loss"]


def test_changing_the_metric_moves_the_last_axis_and_the_colour_and_keeps_set_ranges() -> None:
    kept_range = Threshold("val_accuracy", ranges=((0.8, 1.0),))
    view = ViewState(
        metric="val_accuracy", axes=("lr", "val_accuracy", "optimizer"), thresholds=(kept_range,)
    )
    moved = with_metric(view, "val_loss", previous="val_accuracy")
    assert moved.axes == ("lr", "optimizer", "val_loss")
    assert moved.colour is None  # colour follows the metric
    assert moved.thresholds == (kept_range,)
    coloured = with_metric(ViewState(metric="a", colour="lr"), "b", previous="a")
    assert coloured.colour == "lr"  # a colour the user chose is theirs
    assert with_metric(view, "val_accuracy", previous="val_accuracy") == view


def test_the_load_page_lists_every_run_with_included_ones_first() -> None:
    loaded = designed()
    included = apply_choices(loaded, Choices(states=("finished",)))
    table = runs_with_inclusion(loaded, included)
    assert list(table.index) == ["a", "b", "c", "d", "f", "e"]
    assert list(table["included"]) == [True] * 5 + [False]
