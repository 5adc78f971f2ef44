from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lib.columns import Direction, Kind
from lib.sources import load_source
from lib.sources.errors import SourceError
from lib.sources.table import (
    load_runs_table,
    load_runs_table_bytes,
    looks_hand_typed,
    looks_like_metric_name,
    parse_literal,
    unflatten,
)
from lib.sweep import RUN_CREATED, RUN_NAME, RUN_RUNTIME, RUN_STATE, RUN_TAGS, Sweep

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"
EXPORTS = REAL / "wandb_runs_csv"
NEVRO = EXPORTS / "NevroHelios__DeepWaste-Optimization__notebooks__wandb_export.csv"
ADAMAYA = EXPORTS / "Adamaya__cs6886w-assignment3__wandb_export.csv"
LUCAS = EXPORTS / "Lucas-longxutang__Comp3242_Group_Project_nanoGPT__training_records__wandb_export.csv"
KINGB = EXPORTS / "kingb12__text_aug_experiments__wandb_export.csv"
SDBUCH = REAL / "wandb_api_csv" / "sdbuch__thinky-manifolds__wandb_results.csv"
HISTORY = REAL / "wandb_history_csv" / "TemplierPaul__pyUCEA__wandb_export.csv"

EXPORT_HEADER = "Name,State,Notes,User,Tags,Created,Runtime,Sweep"


def table(text: str | bytes, name: str = "runs.csv") -> Sweep:
    return load_runs_table_bytes(text.encode() if isinstance(text, str) else text, name)


def export_row(name: str, state: str = "finished", sweep: str = "") -> str:
    return f"{name},{state},-,,,2024-05-01T10:00:00.000Z,60,{sweep}"


# --- the real W&B exports -------------------------------------------------------------------


def test_nevro_export_splits_config_from_summary_and_drops_the_copied_sweep_config() -> None:
    sweep = load_runs_table(NEVRO)
    assert len(sweep.runs) == 50
    assert sweep.runs.index[0] == "apricot-sweep-50"  # Name is unique, so it names the runs
    for param in ("lr", "batch_size", "dropout", "conv_activation", "include_batchnorm", "use_augmentation"):
        assert param in sweep.params
    assert sweep.params[-1] == "use_augmentation"  # the last config column
    for metric in ("train_accuracy", "val_loss", "val_accuracy"):
        assert metric in sweep.metrics
    assert {"epoch", "trainer/global_step"} <= set(sweep.other_columns)  # step counters, not outcomes
    assert not set(sweep.params) & set(sweep.metrics)
    assert len(sweep.metrics) == 41
    copied = [c for c in sweep.runs.columns if c.startswith(("parameters.", "metric.", "early_terminate."))]
    assert copied == [] and "method" not in sweep.runs and "program" not in sweep.runs
    assert not {"Stopped", "Notes", "User", "Agent"} & set(sweep.params)
    assert sweep.kinds["include_batchnorm"] is Kind.BOOLEAN
    assert sweep.kinds["lr"] in {Kind.NUMERIC, Kind.LOG}
    assert sweep.kinds["conv_activation"] is Kind.CATEGORICAL
    assert sweep.directions["val_accuracy"] is Direction.MAXIMIZE
    assert sweep.directions["val_loss"] is Direction.MINIMIZE
    assert sweep.sweep_ids == ["rzpn3bhn"]
    assert sweep.runs[RUN_STATE].value_counts().to_dict() == {"finished": 44, "crashed": 5, "failed": 1}
    first = sweep.runs.loc["apricot-sweep-50"]
    assert first[RUN_RUNTIME] == 112.0
    assert first[RUN_CREATED] == pd.Timestamp("2025-12-13T19:51:08Z")
    assert first[RUN_STATE] == "crashed"


def test_adamaya_export_gets_exact_params_and_metrics() -> None:
    sweep = load_runs_table(ADAMAYA)
    assert sweep.params == [
        "act_bits",
        "batch_size",
        "checkpoint",
        "data_dir",
        "device",
        "exclude_first_last",
        "num_workers",
        "seed",
        "wandb",
        "wandb_project",
        "wandb_run_name",
        "weight_bits",
    ]
    assert sweep.metrics == [
        "activation_mem_q_mb",
        "compression_ratio_activations",
        "compression_ratio_weights",
        "quant_model_main_mb",
        "quant_model_mb",
        "quant_test_acc",
        "quant_test_loss",
    ]
    # one value in all 10 runs measures nothing: bookkeeping, not metrics
    assert {"activation_mem_fp32_mb", "baseline_model_mb", "quant_model_overhead_mb"} <= set(
        sweep.other_columns
    )
    assert sweep.analysable_params == ["act_bits", "weight_bits"]
    assert sweep.sweep_ids == []  # the Sweep column is empty
    assert sweep.runs.loc["weight_4_act_2", "quant_test_acc"] == pytest.approx(10.34)


def test_lucas_ablation_numbers_runs_by_row_since_names_repeat_across_seeds() -> None:
    sweep = load_runs_table(LUCAS)
    assert list(sweep.runs.index[:3]) == ["1", "2", "3"] and len(sweep.runs) == 64
    assert any("numbered by row" in note and "'Name'" in note for note in sweep.notes)
    assert sweep.metrics == ["train/loss", "train/step_loss", "val/loss"]
    assert {"iter", "lr"} <= set(sweep.other_columns)  # a step counter and the schedule's last value
    for param in ("activation_type", "linear_type", "n_head", "block_size", "seed", "learning_rate"):
        assert param in sweep.params
    assert sweep.kinds["seed"] is Kind.IDENTIFIER
    assert sweep.runs[RUN_TAGS].eq("full").all()
    assert sweep.runs[RUN_NAME].nunique() == 16


def test_kingb12_export_with_moved_columns_still_finds_the_varied_setting() -> None:
    sweep = load_runs_table(KINGB)
    assert list(sweep.runs.index) == ["3p0donj4", "mw9vrozk", "amdplvd1", "3up8c2o8", "3sxe821n"]
    assert sweep.params == [
        "logging_dir",
        "output_dir",
        "run_name",
        "augment_probability",
        "path_to_aug_model",
    ]
    assert len(sweep.metrics) == 48 and all(m.startswith("train/") for m in sweep.metrics)
    assert sweep.analysable_params == ["augment_probability"]
    assert {"End Time", "Notes", "Updated"} <= set(sweep.other_columns)
    assert "ID" not in sweep.runs
    assert any("augment_probability" in note and "parameter" in note for note in sweep.notes)
    assert set(sweep.states) == {"unknown"}  # the export has no State column


def test_sdbuch_api_table_with_bare_columns() -> None:
    sweep = load_runs_table(SDBUCH)
    assert sweep.params == ["manifold_steps", "admm_rho", "lr", "epochs", "update_rule"]
    assert sweep.metrics == ["test_accuracy", "train_accuracy", "test_loss", "train_loss"]
    assert sweep.meta_columns == [RUN_NAME, RUN_STATE]
    assert sweep.states == ["finished"]
    assert len(sweep.runs) == 35 and sweep.runs.index.is_unique
    assert sweep.runs.index[0].startswith("manifold_muon-admm-rho2.0")
    assert sweep.directions["test_accuracy"] is Direction.MAXIMIZE


def test_line_plot_export_is_refused_with_what_to_export_instead() -> None:
    with pytest.raises(SourceError) as caught:
        load_runs_table(HISTORY)
    message = str(caught.value)
    assert "line-plot" in message and "runs table" in message and "Export" in message


def test_load_source_dispatches_csv_paths_here() -> None:
    assert len(load_source(str(ADAMAYA)).runs) == 10


# --- W&B export layout -----------------------------------------------------------------------


def test_copied_sweep_config_sets_the_primary_metric_and_its_goal() -> None:
    header = f"{EXPORT_HEADER},lr,method,metric.goal,metric.name,parameters.lr.max,parameters.lr.min,acc,loss"
    rows = [
        f"{export_row('a', sweep='sw1')},0.01,random,maximize,acc,0.1,0.0001,0.8123,0.51",
        f"{export_row('b', sweep='sw1')},0.05,random,maximize,acc,0.1,0.0001,0.7321,0.64",
    ]
    sweep = table("\n".join([header, *rows]))
    assert sweep.params == ["lr"]
    assert sweep.metrics == ["acc", "loss"]
    assert sweep.sweep_configs == {
        "sw1": {
            "method": "random",
            "metric": {"goal": "maximize", "name": "acc"},
            "parameters": {"lr": {"max": 0.1, "min": 0.0001}},
        }
    }
    assert sweep.primary_metric == "acc"
    assert sweep.direction("acc") is Direction.MAXIMIZE


def test_a_config_key_called_method_is_a_parameter_when_no_sweep_config_was_copied() -> None:
    header = f"{EXPORT_HEADER},method,seed_count,acc"
    sweep = table(
        "\n".join([header, f"{export_row('a')},ours,1,0.8123", f"{export_row('b')},baseline,2,0.7142"])
    )
    assert "method" in sweep.params and sweep.sweep_configs == {}


def test_without_an_alphabet_reset_names_mark_where_the_summary_starts() -> None:
    header = f"{EXPORT_HEADER},alpha,batch,val_acc,val_loss,zeta"
    rows = [
        f"{export_row('a')},0.1,32,0.81234,0.5123,1.23456",
        f"{export_row('b')},0.2,64,0.71234,0.6123,2.34567",
    ]
    sweep = table("\n".join([header, *rows]))
    assert sweep.params == ["alpha", "batch"]
    assert sweep.metrics == ["val_acc", "val_loss", "zeta"]


def test_columns_out_of_wandb_order_fall_back_to_names() -> None:
    header = f"{EXPORT_HEADER},zlr,acc,batch,loss,alpha"
    rows = [f"{export_row('a')},0.1,0.8123,32,0.5123,1", f"{export_row('b')},0.2,0.7123,64,0.6123,2"]
    sweep = table("\n".join([header, *rows]))
    assert sweep.params == ["zlr", "batch", "alpha"]
    assert sweep.metrics == ["acc", "loss"]
    assert any("not in W&B's order" in note for note in sweep.notes)


def test_summary_columns_are_metrics_even_without_metric_like_names() -> None:
    header = f"{EXPORT_HEADER},lr,width,compression,memory_mb"
    rows = [
        f"{export_row('a')},0.1,32,5.333333333,12.87654321",
        f"{export_row('b')},0.2,64,8.25391,13.0987654",
    ]
    sweep = table("\n".join([header, *rows]))
    assert sweep.params == ["lr", "width"]
    assert sweep.metrics == ["compression", "memory_mb"]


def test_wandb_cells_dash_booleans_and_lists() -> None:
    header = f"{EXPORT_HEADER},flag,layers,opt,acc"
    rows = [
        f'{export_row("a")},true,"[1, 2]",adam,0.81234',
        f"{export_row('b')},false,[],-,0.71234",
        f'{export_row("c")},true,"[1, 2]",sgd,-',
    ]
    sweep = table("\n".join([header, *rows]))
    runs = sweep.runs
    assert runs["flag"].tolist() == [True, False, True]
    assert sweep.kinds["flag"] is Kind.BOOLEAN
    assert runs["layers"].tolist() == ["[1, 2]", "[]", "[1, 2]"]
    assert sweep.kinds["layers"] is Kind.CATEGORICAL
    assert pd.isna(runs.loc["b", "opt"]) and pd.isna(runs.loc["c", "acc"])
    assert "Notes" not in runs  # only `-`: nothing to keep
    assert runs[RUN_CREATED].notna().all() and runs[RUN_RUNTIME].eq(60.0).all()


def test_wandb_states_are_lower_cased_and_unknown_ones_marked() -> None:
    header = f"{EXPORT_HEADER},lr,acc"
    rows = [f"{export_row('a', 'Finished')},0.1,0.8", f"{export_row('b', 'weird')},0.2,0.7"]
    assert table("\n".join([header, *rows])).runs[RUN_STATE].tolist() == ["finished", "unknown"]


def test_repeated_run_ids_drop_exact_copies_and_fall_back_when_they_conflict() -> None:
    header = "ID,Name,State,Created,lr,val_loss"
    same = "x1,a,finished,2024-01-01T00:00:00Z,0.1,0.5"
    sweep = table("\n".join([header, same, same, "x2,b,failed,2024-01-01T00:00:00Z,0.2,0.4"]))
    assert list(sweep.runs.index) == ["x1", "x2"]
    assert sweep.skipped == [("row 2 (run x1)", "the same run listed again; the first copy is kept")]
    conflicting = "\n".join([header, same, "x1,b,finished,2024-01-01T00:00:00Z,0.3,0.6"])
    sweep = table(conflicting)
    assert list(sweep.runs.index) == ["a", "b"]
    assert any("'ID'" in note for note in sweep.notes)
    assert sweep.runs["ID"].tolist() == ["x1", "x1"] and "ID" in sweep.other_columns
    nameless = "\n".join([header, same, "x1,a,finished,2024-01-01T00:00:00Z,0.3,0.6"])
    assert list(table(nameless).runs.index) == ["1", "2"]


# --- API tables and tidy tables --------------------------------------------------------------


def test_config_and_summary_prefixes_are_stripped() -> None:
    text = (
        "id,name,state,config.lr,config.opt.name,summary.val_loss,summary._step,summary.lr,summary.note\n"
        "a,r1,finished,0.1,adam,0.5,10,0.01,hi\n"
        "b,r2,crashed,0.2,sgd,0.4,10,0.02,ho\n"
    )
    sweep = table(text)
    assert sweep.params == ["lr", "opt.name"]
    assert sweep.metrics == ["val_loss"]
    assert list(sweep.runs.index) == ["a", "b"]
    assert sweep.states == ["crashed", "finished"]
    # `lr` is taken by the config value; the logged learning rate is the schedule's, not an outcome
    assert {"summary._step", "summary.note", "summary.lr"} <= set(sweep.other_columns)
    assert sweep.reasons["summary.lr"].startswith("bookkeeping: learning rate")


def test_dict_columns_from_the_wandb_docs_snippet(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    text = (
        ",summary,config,name\n"
        "0,\"{'val_loss': 0.5, '_step': 3, 'img': {'_type': 'image'}, 'acc': nan}\","
        "\"{'lr': 0.1, 'opt': {'name': 'adam'}}\",run-a\n"
        "1,\"{'val_loss': 0.4, 'acc': 0.9}\",\"{'lr': 0.2, 'opt': {'name': 'sgd'}}\",run-b\n"
        f"2,\"{{'val_loss': __import__('os').system('touch {marker}')}}\",\"{{'lr': 0.3}}\",run-c\n"
    )
    sweep = table(text)
    assert sweep.params == ["lr", "opt.name"]
    assert sweep.metrics == ["val_loss", "acc"]
    assert list(sweep.runs.index) == ["run-a", "run-b", "run-c"]
    assert sweep.runs.loc["run-b", "acc"] == 0.9 and np.isnan(sweep.runs.loc["run-a", "acc"])
    assert sweep.skipped == [("summary of run run-c", "not a readable dict; left empty")]
    assert not marker.exists()


def test_parse_literal_reads_json_and_python_dumps_but_runs_nothing() -> None:
    assert parse_literal('{"a": [1, 2], "b": null, "c": true}') == {"a": [1, 2], "b": None, "c": True}
    parsed = parse_literal("{'a': nan, 'b': -inf, 'c': (1, 2)}")
    assert np.isnan(parsed["a"]) and parsed["b"] == float("-inf") and parsed["c"] == (1, 2)
    assert parse_literal("open('/etc/passwd').read()") is None
    assert parse_literal("[" * 100_000) is None


def test_tidy_table_metric_names_decide() -> None:
    text = (
        "lr,loss_weight,train_batch_size,optimizer,val_loss,test_acc,f1\n"
        "0.1,0.5,32,adam,0.5,0.8,0.7\n"
        "0.2,1,64,sgd,0.4,0.9,0.6\n"
    )
    sweep = table(text)
    assert sweep.params == ["lr", "loss_weight", "train_batch_size", "optimizer"]
    assert sweep.metrics == ["val_loss", "test_acc", "f1"]
    assert sweep.primary_metric == sweep.default_metric == "val_loss"  # validation over test


def test_tidy_table_without_metric_names_takes_the_last_numeric_column() -> None:
    sweep = table("lr,optimizer,objective,comment\n0.1,adam,3.5,ok\n0.2,sgd,2.5,fine\n")
    assert sweep.metrics == ["objective"] and sweep.primary_metric == "objective"
    assert sweep.params == ["lr", "optimizer", "comment"]
    assert any("'objective'" in note and "metric" in note for note in sweep.notes)


def test_metric_and_setting_names() -> None:
    for name in ("val_loss", "train/acc", "f1", "eval_accuracy", "best_score", "test_mse", "MRR", "Hit@10"):
        assert looks_like_metric_name(name), name
    for name in (
        "lr",
        "loss_weight",
        "train_batch_size",
        "eval_interval",
        "dropout",
        "test_size",
        "seed",
        "epoch",
    ):
        assert not looks_like_metric_name(name), name


def test_hand_typed_values() -> None:
    assert looks_hand_typed(pd.Series([0.2, 0.4, 1.0, 0.0001]))
    assert not looks_hand_typed(pd.Series([0.2, 0.6556, 1.0]))
    assert not looks_hand_typed(pd.Series([1.0, 2.0, 3.0]))  # whole numbers: could be counts
    assert not looks_hand_typed(pd.Series([0.1, 0.1]))  # constant


# --- formats and encodings -------------------------------------------------------------------


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def test_parquet_is_read_and_sniffed_when_the_name_lies() -> None:
    frame = pd.DataFrame(
        {"lr": [0.1, 0.2], "opt": ["adam", "-"], "flags": [[1, 2], []], "val_loss": [0.5, 0.4]}
    )
    for name in ("runs.parquet", "runs.csv"):
        sweep = table(parquet_bytes(frame), name)
        assert sweep.params == ["lr", "opt", "flags"] and sweep.metrics == ["val_loss"]
        assert pd.isna(sweep.runs["opt"].iloc[1])
        assert sweep.runs["flags"].tolist() == ["[1, 2]", "[]"]
    assert any("Parquet" in note for note in table(parquet_bytes(frame), "runs.csv").notes)


def test_text_named_parquet_is_read_as_csv() -> None:
    sweep = table("lr,val_loss\n0.1,0.5\n0.2,0.4\n", "runs.parquet")
    assert sweep.metrics == ["val_loss"] and any("read as CSV" in note for note in sweep.notes)


def test_tsv_and_semicolon_tables() -> None:
    assert table("lr\tval_loss\n0.1\t0.5\n0.2\t0.4\n", "runs.tsv").metrics == ["val_loss"]
    sweep = table("lr;val_loss\n0,1;0,5\n0,2;0,4\n")
    assert sweep.runs["val_loss"].tolist() == [0.5, 0.4]


@pytest.mark.parametrize(
    ("data", "note"),
    [
        ("\ufefflr,val_loss\n0.1,0.5\n0.2,0.4\n".encode(), None),
        ("lr,val_loss\n0.1,0.5\n0.2,0.4\n".encode("utf-16"), "UTF-16"),
        ("lr,optimiseur,val_loss\n0.1,défaut,0.5\n0.2,autre,0.4\n".encode("cp1252"), "cp1252"),
    ],
)
def test_encodings(data: bytes, note: str | None) -> None:
    sweep = table(data)
    assert sweep.params[0] == "lr" and sweep.metrics == ["val_loss"]
    if note is None:
        assert sweep.notes == []
    else:
        assert any(note in n for n in sweep.notes)
    if "optimiseur" in sweep.params:
        assert sweep.runs["optimiseur"].iloc[0] == "défaut"


def test_unicode_column_names() -> None:
    sweep = table("学习率,优化器,val_loss\n0.1,adam,0.5\n0.2,sgd,0.4\n")
    assert sweep.params == ["学习率", "优化器"] and sweep.runs["学习率"].tolist() == [0.1, 0.2]


def test_duplicate_column_names_keep_both_with_a_suffix() -> None:
    sweep = table("lr,lr,val_loss\n0.1,1,0.5\n0.2,2,0.4\n")
    assert sweep.params == ["lr", "lr.1"] and sweep.runs["lr.1"].tolist() == [1, 2]
    assert any("'lr' appears 2 times" in note for note in sweep.notes)


def test_infinite_and_nan_metrics_become_missing_with_a_note() -> None:
    sweep = table("lr,val_loss\n0.1,inf\n0.2,0.4\n0.3,-Infinity\n0.4,nan\n")
    assert sweep.runs["val_loss"].isna().tolist() == [True, False, True, True]
    assert any("infinite" in note for note in sweep.notes)


def test_none_in_a_numeric_column_is_missing_but_a_category_in_text() -> None:
    sweep = table("lr,scheduler,val_loss\n0.1,None,0.5\n0.2,cosine,None\n0.3,None,0.3\n")
    assert sweep.runs["scheduler"].tolist() == ["None", "cosine", "None"]
    assert sweep.runs["val_loss"].isna().tolist() == [False, True, False]


def test_ragged_rows_skip_long_ones_by_line_and_pad_short_ones() -> None:
    sweep = table("lr,opt,val_loss\n\n0.1,adam,0.5\n0.2,sgd,0.4,99\n\n0.3,sgd\n")
    assert sweep.skipped == [("line 4", "4 fields where the header has 3")]
    assert sweep.runs["lr"].tolist() == [0.1, 0.3]
    assert np.isnan(sweep.runs["val_loss"].iloc[1])


def test_a_trailing_delimiter_on_every_row_is_harmless() -> None:
    sweep = table("lr,val_loss,\n0.1,0.5,\n0.2,0.4,\n")
    assert sweep.params == ["lr"] and sweep.metrics == ["val_loss"] and not sweep.skipped


def test_an_unclosed_quote_keeps_the_rows_before_it() -> None:
    sweep = table('lr,opt,val_loss\n0.1,x,0.5\n0.2,"adam,0.5\n0.3,sgd,0.4\n')
    assert sweep.runs["lr"].tolist() == [0.1]
    assert sweep.skipped == [("line 3 to the end", "a quote opened here is never closed")]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "is empty"),
        (b"\n \n", "is empty"),
        (b"lr,val_loss\n", "no rows"),
        (os.urandom(4096), "binary"),
        (bytes(range(128, 250)) * 4, "binary"),
        (b"PK\x03\x04" + b"\x00" * 64, "zip"),
        (b"PAR1" + b"\x00" * 64, "Parquet"),
        (b'lr,opt\n0.1,"adam\n', "quote"),
        (b"lr,val_loss\n1,2,3\n4,5,6\n", "No row"),
    ],
)
def test_unreadable_input_says_what_is_wrong(data: bytes, expected: str) -> None:
    with pytest.raises(SourceError, match=expected):
        table(data)


def test_a_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="Could not read"):
        load_runs_table(tmp_path / "absent.csv")


def runtimes(*written: str) -> list[float]:
    rows = [f"r{i},finished,2024-05-01T10:00:00Z,{w},0.{i + 1},0.5" for i, w in enumerate(written)]
    sweep = table("\n".join(["Name,State,Created,Runtime,lr,val_loss", *rows]) + "\n")
    return sweep.runs[RUN_RUNTIME].tolist()


def test_runtimes_are_read_in_seconds_from_numbers_and_durations() -> None:
    assert runtimes("45.5", "60") == [45.5, 60.0]
    durations = runtimes("1h 2m 3s", "2d", "90s", "-")
    assert durations[:3] == [3600 + 2 * 60 + 3, 2 * 24 * 3600, 90.0]
    assert np.isnan(durations[3])


def test_state_spellings_become_the_sweeps_states() -> None:
    written = ["Completed", "success", "errored", "stopped", "Running", "weird", ""]
    rows = [f"r{i},{state},0.{i + 1},0.5" for i, state in enumerate(written)]
    sweep = table("\n".join(["name,status,lr,val_loss", *rows]) + "\n")
    expected = ["finished", "finished", "failed", "killed", "running", "unknown", "unknown"]
    assert sweep.runs[RUN_STATE].tolist() == expected


def test_parquet_columns_without_a_name_get_one_that_is_free() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = [pa.array([0.1, 0.2]), pa.array([1, 2]), pa.array([0.5, 0.4])]
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, names=["Unnamed: 1", "", "val_loss"]), buffer)
    sweep = table(buffer.getvalue(), "runs.parquet")
    assert sweep.metrics == ["val_loss"]
    assert {"Unnamed: 1", "Unnamed: 1.1"} <= set(sweep.runs.columns)


def test_unflatten_nests_dotted_keys_and_a_branch_wins_over_a_leaf() -> None:
    flat = {"metric.name": "acc", "metric": "acc", "parameters.lr.min": 0.1, "parameters.lr.max": 1}
    assert unflatten(flat) == {"metric": {"name": "acc"}, "parameters": {"lr": {"min": 0.1, "max": 1}}}
