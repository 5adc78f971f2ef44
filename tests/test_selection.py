import pandas as pd

from lib.columns import Direction, Kind
from lib.selection import (
    Choices,
    Role,
    apply_choices,
    choices_from_column_table,
    column_table,
    default_choices,
    default_states,
)
from lib.sweep import RunRecord, sweep_from_records
from lib.views.home import best_run_id, best_run_summary, state_table


def sweep_of_four():
    rows = [
        ("r1", "s1", "finished", {"lr": 0.1, "opt": "adam"}, {"loss": 0.3, "acc": 0.7, "tag": "x"}),
        ("r2", "s1", "failed", {"lr": 0.01, "opt": "sgd"}, {"loss": 0.9}),
        ("r3", "s2", "finished", {"lr": 0.001, "opt": "adam"}, {"loss": 0.1, "acc": 0.6, "tag": "y"}),
        ("r4", "s2", "finished", {"lr": 0.0001, "opt": "sgd"}, {"loss": 0.2, "acc": 0.9, "tag": "z"}),
    ]
    records = [
        RunRecord(run_id=i, sweep_id=s, state=st, config=c, summary=m, group="g" if i != "r4" else "h")
        for i, s, st, c, m in rows
    ]
    return sweep_from_records(records, source="four")


def test_no_choices_keeps_everything() -> None:
    sweep = sweep_of_four()
    chosen = apply_choices(sweep, Choices())
    assert list(chosen.runs.index) == ["r1", "r2", "r3", "r4"]
    assert chosen.params == sweep.params and chosen.metrics == sweep.metrics


def test_include_filters_combine() -> None:
    sweep = sweep_of_four()
    chosen = apply_choices(sweep, Choices(sweeps=("s2",), states=("finished",), groups=("g",)))
    assert list(chosen.runs.index) == ["r3"]


def test_roles_kinds_and_directions_can_be_overridden() -> None:
    sweep = sweep_of_four()
    choices = Choices(
        roles={"tag": Role.PARAMETER, "acc": Role.BOOKKEEPING, "lr": Role.METRIC},
        kinds={"opt": Kind.IDENTIFIER},
        directions={"loss": Direction.MAXIMIZE},
    )
    chosen = apply_choices(sweep, choices)
    assert chosen.params == ["opt", "tag"]
    assert chosen.metrics == ["lr", "loss"]
    assert chosen.kinds["opt"] is Kind.IDENTIFIER
    assert chosen.direction("loss") is Direction.MAXIMIZE
    assert chosen.analysable_params == ["tag"]


def test_text_column_made_a_metric_is_coerced_to_numbers() -> None:
    sweep = sweep_of_four()
    chosen = apply_choices(sweep, Choices(roles={"tag": Role.METRIC}))
    assert chosen.runs["tag"].isna().all()


def test_unedited_column_table_yields_no_overrides() -> None:
    sweep = sweep_of_four()
    assert choices_from_column_table(column_table(sweep), sweep, Choices()) == Choices()


def test_edited_column_table_yields_only_the_edits() -> None:
    sweep = sweep_of_four()
    table = column_table(sweep)
    table.loc[table["column"] == "opt", "kind"] = "identifier"
    table.loc[table["column"] == "loss", "direction"] = "maximize"
    choices = choices_from_column_table(table, sweep, Choices(states=("finished",)))
    assert choices.kinds == {"opt": Kind.IDENTIFIER}
    assert choices.directions == {"loss": Direction.MAXIMIZE}
    assert choices.roles == {}
    assert choices.states == ("finished",)


def test_best_run_respects_direction() -> None:
    sweep = sweep_of_four()
    assert best_run_id(sweep, "loss") == "r3"
    assert best_run_id(sweep, "acc") == "r4"
    flipped = apply_choices(sweep, Choices(directions={"loss": Direction.MAXIMIZE}))
    assert best_run_id(flipped, "loss") == "r2"


def test_best_run_summary_lists_its_parameters() -> None:
    summary = best_run_summary(sweep_of_four(), "acc")
    assert summary is not None
    assert summary.run_id == "r4"
    assert dict(zip(summary.params["parameter"], summary.params["value"], strict=True)) == {
        "lr": "0.0001",
        "opt": "sgd",
    }
    assert "3 runs" in summary.help


def test_best_run_summary_is_none_without_values() -> None:
    sweep = sweep_of_four()
    empty = sweep.replace(runs=sweep.runs.assign(acc=float("nan")))
    assert best_run_summary(empty, "acc") is None


def test_state_table_counts_runs() -> None:
    table = state_table(sweep_of_four())
    assert dict(zip(table["state"], table["runs"], strict=True)) == {"finished": 3, "failed": 1}
    assert isinstance(table, pd.DataFrame)


def _with_states(*states: str):
    records = [
        RunRecord(run_id=f"r{i}", state=state, config={"lr": 0.1 * (i + 1)}, summary={"loss": float(i)})
        for i, state in enumerate(states)
    ]
    return sweep_from_records(records, source="states")


def test_rankings_start_on_finished_runs_when_others_stopped_early() -> None:
    assert default_states(_with_states("finished", "pruned", "finished")) == ("finished",)
    assert default_states(_with_states("finished", "crashed", "failed", "running")) == ("finished",)
    chosen = apply_choices(
        _with_states("finished", "pruned"), default_choices(_with_states("finished", "pruned"))
    )
    assert list(chosen.runs.index) == ["r0"]


def test_no_state_filter_when_the_states_do_not_say_which_runs_finished() -> None:
    assert default_states(_with_states("unknown", "unknown")) is None
    assert default_states(_with_states("finished", "unknown")) is None
    assert default_states(_with_states("pruned", "failed")) is None  # nothing finished: keep them all
    assert default_choices(_with_states("finished")) == Choices()


def test_the_column_table_says_why_each_role_and_names_the_users_choice() -> None:
    sweep = sweep_of_four()
    table = column_table(sweep).set_index("column")
    assert table.loc["loss", "role"] == "metric" and table.loc["loss", "why"].startswith("metric")
    assert table.loc["lr", "role"] == "parameter" and table.loc["lr", "why"].startswith("parameter")
    chosen = column_table(sweep, {"tag": Role.PARAMETER}).set_index("column")
    assert chosen.loc["tag", "why"] == "your choice"
