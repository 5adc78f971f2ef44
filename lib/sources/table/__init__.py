"""Runs tables: one row per run, from W&B's runs-table export, the W&B API, or any other tool.

Three shapes are recognised (`shape.py`):
- W&B's UI export (Runs tab -> table -> Export CSV): run fields (`Name`, `State`, `Created`, ...)
  first, then config columns, then summary columns, each block sorted alphabetically and both with
  bare names. The reset of alphabetical order marks where the summary block starts.
- Tables written with the W&B API: `config.x` / `summary.x` columns, or `config` and `summary`
  columns holding one dict per run (the W&B docs' export snippet, `dict_columns.py`).
- Any tidy table: numeric columns named like metrics are metrics, the rest parameters.

A W&B line-plot export (one column per run and metric over steps) is refused: it is not a runs table.
`read.py` and `cells.py` read the bytes, `run_fields.py` the run fields, `build.py` makes the Sweep.
"""

from lib.roles import looks_hand_typed, looks_like_metric_name
from lib.sources.table.build import load_runs_table, load_runs_table_bytes, sweep_from_raw_table, unflatten
from lib.sources.table.cells import parse_literal
from lib.sources.table.read import RawTable, read_raw_table
from lib.sources.table.shape import TableShape

__all__ = [
    "RawTable",
    "TableShape",
    "load_runs_table",
    "load_runs_table_bytes",
    "looks_hand_typed",
    "looks_like_metric_name",
    "parse_literal",
    "read_raw_table",
    "sweep_from_raw_table",
    "unflatten",
]
