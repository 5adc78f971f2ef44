"""Runs tables: one row per run, from W&B's runs-table export, the W&B API, or any other tool.

Three shapes are recognised:
- W&B's UI export (Runs tab -> table -> Export CSV): run fields (`Name`, `State`, `Created`, ...)
  first, then config columns, then summary columns, each block sorted alphabetically and both with
  bare names. The reset of alphabetical order marks where the summary block starts.
- Tables written with the W&B API: `config.x` / `summary.x` columns, or `config` and `summary`
  columns holding one dict per run (the W&B docs' export snippet).
- Any tidy table: numeric columns named like metrics are metrics, the rest parameters.

A W&B line-plot export (one column per run and metric over steps) is refused: it is not a runs table.
"""

from __future__ import annotations

import ast
import codecs
import csv
import io
import json
import re
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lib.columns import is_bookkeeping_key, is_numeric_column, name_tokens, scalar_for_cell
from lib.sources.errors import SourceError
from lib.sweep import (
    CRASHED,
    FAILED,
    FINISHED,
    KILLED,
    PRUNED,
    RUN_CREATED,
    RUN_GROUP,
    RUN_NAME,
    RUN_RUNTIME,
    RUN_STATE,
    RUN_SWEEP,
    RUN_TAGS,
    RUNNING,
    UNKNOWN,
    RunRecord,
    Sweep,
    finish_sweep,
    sweep_from_records,
)
from lib.sweep_config import EXPORTED_KEY_PREFIXES, EXPORTED_KEYS

PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"
# W&B writes `-` for an empty field; the rest are the usual spellings of a missing number.
MISSING_TOKENS = ["", "-", "NaN", "nan", "NA", "N/A", "n/a", "null", "NULL", "<NA>", "#N/A"]
NONE_TOKENS = frozenset({"None", "none"})
BOOLEAN_WORDS = {"true": True, "false": False}
MAX_LITERAL_CHARS = 1_000_000
MAX_SKIPPED_LISTED = 50
HAND_TYPED_DIGITS = 3
NUMBER_PROBE = 50

# W&B's run fields in its UI export, and the meta column each one fills (None: kept aside).
WANDB_RUN_FIELDS: dict[str, str | None] = {
    "Name": RUN_NAME,
    "State": RUN_STATE,
    "Sweep": RUN_SWEEP,
    "Group": RUN_GROUP,
    "Tags": RUN_TAGS,
    "Created": RUN_CREATED,
    "Runtime": RUN_RUNTIME,
    "ID": None,
    "Agent": None,
    "Stopped": None,
    "Notes": None,
    "User": None,
    "End Time": None,
    "Hostname": None,
    "Updated": None,
    "Job Type": None,
    "Commit": None,
    "Description": None,
    "Heartbeat": None,
    "GPU Type": None,
    "GPU Count": None,
}
MIN_WANDB_FIELDS = 3
# The same fields as people name them in tables they write themselves.
META_ALIASES = {
    "name": RUN_NAME,
    "run_name": RUN_NAME,
    "display_name": RUN_NAME,
    "state": RUN_STATE,
    "status": RUN_STATE,
    "sweep": RUN_SWEEP,
    "sweep_id": RUN_SWEEP,
    "group": RUN_GROUP,
    "tags": RUN_TAGS,
    "created": RUN_CREATED,
    "created_at": RUN_CREATED,
}
ID_ALIASES = ("id", "run_id", "run id", "runid")
STATE_SYNONYMS = {
    "complete": FINISHED,
    "completed": FINISHED,
    "success": FINISHED,
    "fail": FAILED,
    "error": FAILED,
    "errored": FAILED,
    "stopped": KILLED,
}
KNOWN_STATES = frozenset({FINISHED, FAILED, CRASHED, RUNNING, KILLED, PRUNED, UNKNOWN})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


METRIC_TOKENS = _words(
    "loss acc accuracy f1 auc auroc auprc precision recall mse mae rmse nll perplexity ppl "
    "error err bleu rouge iou miou dice psnr ssim reward return returns score fid wer cer r2 "
    "mcc top1 top5 map elbo epoch step runtime"
)
EVALUATION_PREFIXES = frozenset(
    {"train", "training", "val", "valid", "validation", "eval", "evaluation", "test", "dev", "best", "final"}
)
# A name ending in one of these is a setting even when it mentions a metric (`loss_weight`).
SETTING_TAILS = _words(
    "weight weights scale coef coeff coefficient lambda threshold thresh size interval freq "
    "frequency every type patience clip decay steps iters warmup fn function mode split "
    "fraction frac ratio dir path"
)
_RUNTIME_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")


class TableShape(StrEnum):
    WANDB_EXPORT = "W&B runs-table export"
    WANDB_API = "W&B API table"
    TIDY = "runs table"


@dataclass
class RawTable:
    """Cells as read, before anyone decides what the columns mean."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ColumnRoles:
    """What each source column of a table is; `renames` gives output names that differ."""

    meta: dict[str, str] = field(default_factory=dict)
    id_column: str | None = None
    sweep_keys: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    primary_metric: str | None = None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Entry points


def load_runs_table(path: Path) -> Sweep:
    """A runs table on disk (.csv, .tsv, .txt, .parquet); `SourceError` when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(
            f"Could not read {path.name!r} ({error.strerror or error}). Check that the file exists "
            "and that the user running Sweepscope may read it."
        ) from error
    return load_runs_table_bytes(data, path.name)


def load_runs_table_bytes(data: bytes, name: str) -> Sweep:
    """A runs table from its bytes; `name`'s suffix says the format unless the content says otherwise."""
    raw = read_raw_table(data, name)
    if raw.frame.empty:
        raise SourceError(
            f"{name!r} has column names but no rows. Export the table again with its runs included."
        )
    return sweep_from_raw_table(raw, name)


# ---------------------------------------------------------------------------------------------
# Reading cells


def read_raw_table(data: bytes, name: str) -> RawTable:
    if not data.strip():
        raise SourceError(f"{name!r} is empty. Export the runs table again and upload the new file.")
    suffix = Path(name).suffix.lower()
    if data.startswith(PARQUET_MAGIC):
        raw = _read_parquet(data, name)
        if suffix not in PARQUET_SUFFIXES:
            raw.notes.append(f"{name} is a Parquet file despite its name; it was read as Parquet.")
        return raw
    if data.startswith(ZIP_MAGIC):
        raise SourceError(
            f"{name!r} is a zip archive (an Excel workbook is one too), not a table. Save the sheet "
            "as CSV, or upload a zipped wandb/ folder as a zip."
        )
    text, encoding_note = _decode_text(data, name)
    raw = _read_delimited(text, delimiter=_delimiter_for(text, suffix), name=name)
    if encoding_note:
        raw.notes.append(encoding_note)
    if suffix in PARQUET_SUFFIXES:
        raw.notes.append(f"{name} is named like a Parquet file but holds text; it was read as CSV.")
    return raw


def _decode_text(data: bytes, name: str) -> tuple[str, str | None]:
    """The file as text and, unless it was UTF-8, a note naming the encoding used."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), f"{name} is UTF-16 text; it was read as such."
    if b"\x00" in data[:8192]:
        raise _not_a_table(name)
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _mostly_control_characters(text):
            raise _not_a_table(name)
        return text, (
            f"{name} is not UTF-8; it was read as {encoding}. If names with accents look wrong, "
            "save the file as UTF-8 and load it again."
        )
    raise _not_a_table(name)  # latin-1 decodes any bytes, so this is a safety net


def _mostly_control_characters(text: str) -> bool:
    sample = text[:8192]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    return controls > len(sample) * 0.01


def _not_a_table(name: str) -> SourceError:
    return SourceError(
        f"{name!r} is not a text table (it holds binary data). Upload the runs table as CSV, TSV "
        "or Parquet: in W&B, Runs tab -> table -> Export CSV."
    )


def _delimiter_for(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _read_delimited(text: str, *, delimiter: str, name: str) -> RawTable:
    """Fast path with pandas' C parser; ragged rows or an unclosed quote send it to the careful path."""
    if text.count('"') % 2 == 0:
        try:
            with warnings.catch_warnings():
                # pandas warns, then drops fields, when rows are longer than the header
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = _read_csv_text(text, delimiter)
        except pd.errors.EmptyDataError as error:
            raise SourceError(f"{name!r} has no columns. Export the runs table again.") from error
        except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError):
            pass
        else:
            return RawTable(frame=_settle_columns(frame), notes=_duplicate_name_notes(text, delimiter))
    return _read_delimited_row_by_row(text, delimiter=delimiter, name=name)


def _read_csv_text(text: str, delimiter: str) -> pd.DataFrame:
    return pd.read_csv(
        io.StringIO(text),
        sep=delimiter,
        decimal="," if delimiter == ";" else ".",  # `;` tables come from locales writing 0,5
        engine="c",
        index_col=False,  # a trailing delimiter on every row is not an index column
        na_values=MISSING_TOKENS,
        keep_default_na=False,  # `None` stays a value (a category), see `_settle_text`
        skip_blank_lines=True,
        on_bad_lines="error",
        low_memory=False,
    )


def _read_delimited_row_by_row(text: str, *, delimiter: str, name: str) -> RawTable:
    header, kept, skipped = _split_rows(text, delimiter, name)
    if not kept and skipped:
        raise SourceError(
            f"No row of {name!r} could be read: {skipped[0][1]}. Check the delimiter and the quoting, "
            "or export the runs table again."
        )
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([header, *kept])
    frame = _read_csv_text(buffer.getvalue(), delimiter)
    notes = _duplicate_name_notes(text, delimiter)
    if skipped:
        notes.append(f"{len(skipped)} part(s) of the file could not be read as rows and were skipped.")
    return RawTable(frame=_settle_columns(frame), notes=notes, skipped=_capped(skipped))


def _split_rows(
    text: str, delimiter: str, name: str
) -> tuple[list[str], list[list[str]], list[tuple[str, str]]]:
    """Header and rows; rows with more fields than the header are skipped by line, short ones kept."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    kept: list[list[str]] = []
    skipped: list[tuple[str, str]] = []
    first_line = last_line = 0
    try:
        header = next((row for row in reader if row), None)
        if header is None:
            raise SourceError(f"{name!r} has no columns. Export the runs table again.")
        last_line = reader.line_num
        for row in reader:
            first_line, last_line = last_line + 1, reader.line_num
            extra = row[len(header) :]
            if extra and any(cell.strip() for cell in extra):
                reason = f"{len(row)} fields where the header has {len(header)}"
                skipped.append((f"line {first_line}", reason))
            elif row:
                kept.append(row[: len(header)])
    except csv.Error as error:
        raise SourceError(
            f"{name!r} could not be read as CSV ({error}). Export the runs table again."
        ) from error
    if text.count('"') % 2 and kept and any("\n" in cell for cell in kept[-1]):
        kept.pop()  # an unclosed quote swallowed the rest of the file into this row
        skipped.append((f"line {first_line} to the end", "a quote opened here is never closed"))
    return header, kept, skipped


def _capped(skipped: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if len(skipped) <= MAX_SKIPPED_LISTED:
        return skipped
    rest = len(skipped) - MAX_SKIPPED_LISTED
    return [*skipped[:MAX_SKIPPED_LISTED], (f"{rest} more row(s)", "same problem as above")]


def _duplicate_name_notes(text: str, delimiter: str) -> list[str]:
    header = next((row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row), [])
    counts = pd.Series(header, dtype=object).value_counts()
    return [
        f"Column {name!r} appears {count} times; the copies are named {name}.1, {name}.2, ..."
        for name, count in counts.items()
        if count > 1 and str(name).strip()
    ]


def _read_parquet(data: bytes, name: str) -> RawTable:
    import pyarrow as pa

    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except (OSError, ValueError, pa.ArrowException) as error:
        raise SourceError(
            f"{name!r} starts like a Parquet file but could not be read ({error}). Write it again, "
            "or export the runs table as CSV."
        ) from error
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    frame.columns = _unique_names([str(c) for c in frame.columns])
    return RawTable(frame=_settle_columns(frame))


def _unique_names(names: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for position, name in enumerate(names):
        base = name or f"Unnamed: {position}"
        candidate, copy = base, 0
        while candidate in seen:
            copy += 1
            candidate = f"{base}.{copy}"
        seen.add(candidate)
        out.append(candidate)
    return out


def _settle_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns become numbers, booleans or trimmed text; nested cells become JSON text."""
    settled = {
        column: _settle_text(values) if _is_text_like(values) else values for column, values in frame.items()
    }
    return pd.DataFrame(settled, index=pd.RangeIndex(len(frame)))


def _is_text_like(values: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)


def _settle_text(values: pd.Series) -> pd.Series:
    cells = values.astype(object)
    if _inferred(cells) != "string":
        cells = cells.map(_plain_cell, na_action="ignore").astype(object)
        if _inferred(cells) != "string":
            return cells  # numbers mixed with text, or nothing at all: left as they are
    texts = cells.str.strip()
    texts = texts.mask(texts.isin(MISSING_TOKENS))
    distinct = pd.unique(texts.dropna())
    if len(distinct) == 0:
        return texts
    if len(distinct) <= len(BOOLEAN_WORDS) and {v.lower() for v in distinct} <= set(BOOLEAN_WORDS):
        return texts.map(lambda v: BOOLEAN_WORDS[v.lower()], na_action="ignore").astype(object)
    if not _all_numbers([v for v in distinct[:NUMBER_PROBE] if v not in NONE_TOKENS]):
        return texts  # cheap early answer for text columns
    numbers = pd.to_numeric(texts.mask(texts.isin(NONE_TOKENS)), errors="coerce")
    expected = int((texts.notna() & ~texts.isin(NONE_TOKENS)).sum())
    if expected and int(numbers.notna().sum()) == expected:
        return numbers  # a numeric column where `None` marks a missing value
    return texts


def _all_numbers(texts: Sequence[str]) -> bool:
    return bool(pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").notna().all())


def _inferred(values: pd.Series) -> str:
    return pd.api.types.infer_dtype(values, skipna=True)


def _plain_cell(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    return scalar_for_cell(value)


# ---------------------------------------------------------------------------------------------
# From cells to a Sweep


def sweep_from_raw_table(raw: RawTable, name: str) -> Sweep:
    frame = raw.frame
    if _is_line_plot_export(list(frame.columns)):
        raise SourceError(
            f"{name!r} is a W&B line-plot (history) export: one column per run and metric over "
            "steps, not a runs table. Export the runs table instead: in the W&B project open the "
            "Runs tab, switch to the table view and use Export -> CSV; or write one row per run "
            "with the W&B API (config.* and summary.* columns)."
        )
    if _has_dict_columns(frame):
        return _sweep_from_dict_columns(raw, name)
    shape = _table_shape(frame)
    roles = _column_roles(frame, shape)
    frame, skipped = _drop_repeated_runs(frame, roles.id_column)
    index, index_note, index_column = _run_index(frame, roles)
    if roles.id_column is not None and roles.id_column != index_column:
        roles.others.insert(0, roles.id_column)  # ids that repeat are still worth seeing
    sweep_configs = _sweep_configs(frame, roles)
    runs = _runs_frame(frame, roles, index)
    params = [roles.renames[p] for p in roles.params if p in roles.renames]
    metrics = [roles.renames[m] for m in roles.metrics if m in roles.renames]
    sweep = finish_sweep(
        runs,
        params=params,
        metrics=metrics,
        source=f"{name} ({shape.value}, {len(runs)} runs)",
        skipped=[*raw.skipped, *skipped],
        sweep_configs=sweep_configs,
        primary_metric=roles.renames.get(roles.primary_metric or "", None),
    )
    notes = [*raw.notes, *roles.notes, *([index_note] if index_note else []), *sweep.notes]
    return sweep.replace(notes=notes)


def _is_line_plot_export(columns: Sequence[Any]) -> bool:
    names = [str(c) for c in columns]
    extremes = [n for n in names if n.endswith(("__MIN", "__MAX"))]
    if any(n[: -len("__MIN")] in names for n in extremes):
        return True
    series = [n for n in names[1:] if " - " in n]
    return len(names) > 1 and len(series) == len(names) - 1


def _table_shape(frame: pd.DataFrame) -> TableShape:
    columns = [str(c) for c in frame.columns]
    if sum(c in WANDB_RUN_FIELDS for c in columns) >= MIN_WANDB_FIELDS:
        return TableShape.WANDB_EXPORT
    if any(c.startswith(("config.", "summary.")) for c in columns):
        return TableShape.WANDB_API
    return TableShape.TIDY


def _column_roles(frame: pd.DataFrame, shape: TableShape) -> ColumnRoles:
    roles = ColumnRoles()
    columns = [str(c) for c in frame.columns]
    if shape is TableShape.WANDB_EXPORT:
        roles.meta = {c: m for c in columns if (m := WANDB_RUN_FIELDS.get(c)) is not None}
        roles.id_column = "ID" if "ID" in columns else None
        fields = [c for c in columns if c in WANDB_RUN_FIELDS and c not in roles.meta]
    else:
        roles.meta = _aliased_meta(columns)
        roles.id_column = next((c for c in columns if c.lower() in ID_ALIASES), None)
        fields = [roles.id_column] if roles.id_column else []
    taken = {*roles.meta, *fields}
    candidates = [c for c in columns if c not in taken]
    roles.others = [c for c in fields if c != roles.id_column]
    roles.sweep_keys = _sweep_key_columns(candidates)
    candidates = [c for c in candidates if c not in roles.sweep_keys]
    if shape is TableShape.WANDB_EXPORT:
        _assign_export_columns(frame, candidates, roles)
    elif shape is TableShape.WANDB_API:
        _assign_api_columns(frame, candidates, roles)
    else:
        _assign_tidy_columns(frame, candidates, roles)
    _fall_back_to_last_numeric_metric(frame, roles)
    return roles


def _aliased_meta(columns: Sequence[str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for column in columns:
        target = META_ALIASES.get(column.lower())
        if target is not None and target not in meta.values():
            meta[column] = target
    return meta


def _sweep_key_columns(candidates: Sequence[str]) -> list[str]:
    """A sweep's own config keys, when the table clearly carries a copied sweep config."""
    keys = [c for c in candidates if c in EXPORTED_KEYS or c.startswith(EXPORTED_KEY_PREFIXES)]
    has_parameters = any(c.startswith("parameters.") for c in keys)
    has_method_and_metric = "method" in keys and any(c.startswith("metric.") for c in keys)
    return keys if has_parameters or has_method_and_metric else []


def looks_like_metric_name(name: str) -> bool:
    """`val_loss`, `train/acc`, `f1`, `epoch`: yes. `loss_weight`, `train_batch_size`, `lr`: no."""
    tokens = name_tokens(name)
    if not tokens or tokens[-1] in SETTING_TAILS:
        return False
    if len(tokens) > 1 and tokens[0] in EVALUATION_PREFIXES:
        return True
    return "/" in name or any(t in METRIC_TOKENS for t in tokens)


def _assign_export_columns(frame: pd.DataFrame, candidates: list[str], roles: ColumnRoles) -> None:
    """Config columns, then summary columns: W&B sorts each block, so a reset marks the border."""
    resets = [i for i in range(1, len(candidates)) if _sort_key(candidates[i]) < _sort_key(candidates[i - 1])]
    if len(resets) == 1:
        border = resets[0]
        roles.notes.append(
            f"Config and summary columns told apart by W&B's alphabetical order: summary columns "
            f"start at {candidates[border]!r}."
        )
    elif not resets:
        border = _border_by_names(frame, candidates)
    else:
        roles.notes.append(
            "The columns are not in W&B's order (config then summary, each sorted), so numeric "
            "columns named like metrics are metrics and the rest parameters."
        )
        _assign_tidy_columns(frame, candidates, roles)
        return
    for column in candidates[:border]:
        (roles.others if _is_set_aside(column) else roles.params).append(column)
    for column in candidates[border:]:
        _assign_summary_column(frame[column], column, roles)


def _sort_key(name: str) -> str:
    return name.casefold()


def _border_by_names(frame: pd.DataFrame, candidates: Sequence[str]) -> int:
    """Where the summary block starts when no reset shows it: the split that best fits the names."""
    metric_like = [
        _is_set_aside(c) or (looks_like_metric_name(c) and is_numeric_column(frame[c])) for c in candidates
    ]
    costs = [
        sum(metric_like[:k]) + (len(candidates) - k - sum(metric_like[k:]))
        for k in range(len(candidates) + 1)
    ]
    return costs.index(min(costs))


def _assign_summary_column(values: pd.Series, column: str, roles: ColumnRoles) -> None:
    if _is_set_aside(column):
        roles.others.append(column)
    elif not is_numeric_column(values):
        roles.params.append(column)  # summaries are numbers; text here is a setting
    elif not looks_like_metric_name(column) and looks_hand_typed(values):
        roles.params.append(column)
        roles.notes.append(
            f"{column!r} sits among the summary columns but holds hand-typed values (like "
            f"{_example_values(values)}), so it is read as a parameter."
        )
    else:
        roles.metrics.append(column)


def _example_values(values: pd.Series) -> str:
    return ", ".join(f"{v:g}" for v in sorted(values.dropna().unique())[:3])


def looks_hand_typed(values: pd.Series) -> bool:
    """Varied, not all whole, and every value short (0.2, 1e-4): typed by a person, not measured."""
    numbers = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    distinct = np.unique(numbers[np.isfinite(numbers)])
    if len(distinct) < 2 or np.all(distinct == np.round(distinct)):
        return False
    return all(_significant_digits(v) <= HAND_TYPED_DIGITS for v in distinct)


def _significant_digits(value: float) -> int:
    mantissa = repr(float(value)).split("e")[0].lstrip("-").replace(".", "")
    return len(mantissa.strip("0"))


def _is_set_aside(column: str) -> bool:
    """Bookkeeping keys (`_step`, `_runtime`) and columns with no name are neither params nor metrics."""
    return is_bookkeeping_key(column) or column.startswith("Unnamed: ")


def _assign_api_columns(frame: pd.DataFrame, candidates: list[str], roles: ColumnRoles) -> None:
    config_names = {c.removeprefix("config.") for c in candidates if c.startswith("config.")}
    for column in candidates:
        if column.startswith("config.") and not _is_set_aside(column.removeprefix("config.")):
            roles.params.append(column)
            roles.renames[column] = column.removeprefix("config.")
        elif column.startswith("summary.") and _is_summary_metric(frame[column], column):
            bare = column.removeprefix("summary.")
            roles.metrics.append(column)
            if bare not in config_names:
                roles.renames[column] = bare
        else:
            roles.others.append(column)


def _is_summary_metric(values: pd.Series, column: str) -> bool:
    last_part = column.removeprefix("summary.").split(".")[-1]
    return not _is_set_aside(last_part) and is_numeric_column(values)


def _assign_tidy_columns(frame: pd.DataFrame, candidates: list[str], roles: ColumnRoles) -> None:
    for column in candidates:
        if _is_set_aside(column):
            roles.others.append(column)
        elif looks_like_metric_name(column) and is_numeric_column(frame[column]):
            roles.metrics.append(column)
        else:
            roles.params.append(column)


def _fall_back_to_last_numeric_metric(frame: pd.DataFrame, roles: ColumnRoles) -> None:
    if roles.metrics:
        return
    numeric = [p for p in roles.params if is_numeric_column(frame[p])]
    if not numeric:
        return
    chosen = numeric[-1]
    roles.params.remove(chosen)
    roles.metrics.append(chosen)
    roles.primary_metric = chosen
    roles.notes.append(
        f"No column is named like a metric (loss, accuracy, val_..., ...), so the last numeric "
        f"column, {roles.renames.get(chosen, chosen)!r}, is taken as the metric. Change it on the "
        "Load page if that is wrong."
    )


# ---------------------------------------------------------------------------------------------
# Rows, index, meta columns and the copied sweep config


def _drop_repeated_runs(
    frame: pd.DataFrame, id_column: str | None
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Rows that repeat an earlier row exactly, same run id included, are the same run listed twice."""
    if id_column is None or frame[id_column].is_unique:
        return frame, []
    repeated = frame.astype(str).duplicated(keep="first")
    skipped = [
        (f"row {i + 1} (run {frame.at[i, id_column]})", "the same run listed again; the first copy is kept")
        for i in frame.index[repeated]
    ]
    return frame.loc[~repeated].reset_index(drop=True), _capped(skipped)


def _run_index(frame: pd.DataFrame, roles: ColumnRoles) -> tuple[pd.Index, str | None, str | None]:
    """Run ids from the ID column, else the names, else row numbers: the first that names each run once.

    Returns the index, a note when a column was passed over, and the column used (None: row numbers).
    """
    name_column = next((c for c, m in roles.meta.items() if m == RUN_NAME), None)
    refused: list[str] = []
    for column in (roles.id_column, name_column):
        if column is None:
            continue
        values = frame[column]
        if values.notna().all() and values.astype(str).is_unique:
            note = f"Runs are identified by {column!r}: {'; '.join(refused)}." if refused else None
            return pd.Index(values.astype(str).tolist(), name="run_id"), note, column
        refused.append(f"{column!r} has {values.astype(str).nunique()} distinct values in {len(values)} rows")
    index = pd.Index([str(i + 1) for i in range(len(frame))], name="run_id")
    note = f"Runs are numbered by row, since no column names each run once: {'; '.join(refused)}."
    return index, note if refused else None, None


def _runs_frame(frame: pd.DataFrame, roles: ColumnRoles, index: pd.Index) -> pd.DataFrame:
    """Meta columns first, then parameters, metrics and the rest; columns with no value are left out."""
    columns: dict[str, pd.Series] = {}
    for source, meta in roles.meta.items():
        if meta == RUN_STATE or frame[source].notna().any():
            columns[meta] = _meta_values(frame[source], meta)
    if RUN_STATE not in columns:
        columns[RUN_STATE] = pd.Series(UNKNOWN, index=frame.index, dtype=object)
    output_names: dict[str, str] = {}
    for source in [*roles.params, *roles.metrics, *roles.others]:
        if frame[source].notna().any():
            output_names[source] = _free_name(roles.renames.get(source, source), columns)
            columns[output_names[source]] = frame[source]
    roles.renames = output_names
    runs = pd.DataFrame(columns)
    runs.index = index
    return runs


def _free_name(name: str, taken: Mapping[str, Any]) -> str:
    candidate, copy = name, 0
    while candidate in taken:
        copy += 1
        candidate = f"{name}.{copy}"
    return candidate


def _meta_values(values: pd.Series, meta: str) -> pd.Series:
    if meta == RUN_STATE:
        return values.map(_run_state).astype(object)
    if meta == RUN_CREATED:
        return pd.to_datetime(values.astype(object), utc=True, errors="coerce", format="ISO8601")
    if meta == RUN_RUNTIME:
        return values.map(_runtime_seconds).astype(float)
    return values.map(str, na_action="ignore").astype(object)


def _run_state(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return UNKNOWN
    state = str(value).strip().lower()
    state = STATE_SYNONYMS.get(state, state)
    return state if state in KNOWN_STATES else UNKNOWN


def _runtime_seconds(value: Any) -> float:
    """Seconds from `45`, `45.5` or `1h 2m 3s`; NaN when unreadable."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return float(value)
    parts = _RUNTIME_PART.findall(str(value).lower()) if isinstance(value, str) else []
    factor = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
    return sum(float(n) * factor[unit] for n, unit in parts) if parts else float("nan")


def _sweep_configs(frame: pd.DataFrame, roles: ColumnRoles) -> dict[str, dict[str, Any]]:
    """The sweep config copied into the run config, per sweep: its `metric` names the goal."""
    if not roles.sweep_keys:
        return {}
    sweep_column = next((c for c, m in roles.meta.items() if m == RUN_SWEEP), None)
    sweep_ids = frame[sweep_column].astype(object) if sweep_column else pd.Series(None, index=frame.index)
    configs: dict[str, dict[str, Any]] = {}
    for sweep_id, rows in frame.groupby(sweep_ids.fillna("").astype(str), sort=True):
        flat = {key: _first_present(rows[key]) for key in roles.sweep_keys}
        config = unflatten({k: v for k, v in flat.items() if v is not None})
        if config:
            configs[str(sweep_id) or "unknown"] = config
    roles.notes.append(
        f"{len(roles.sweep_keys)} column(s) hold the sweep's own config (method, metric, "
        "parameters.*) and are not read as parameters."
    )
    return configs


def _first_present(values: pd.Series) -> Any:
    present = values.dropna()
    if present.empty:
        return None
    value = present.iloc[0]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str) and value[:1] in "[{":
        parsed = parse_literal(value)
        return value if parsed is None else parsed
    return value


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{"a.b": 1, "a.c": 2} -> {"a": {"b": 1, "c": 2}}; a key both leaf and branch keeps the branch."""
    nested: dict[str, Any] = {}
    for key in sorted(flat, key=lambda k: k.count(".")):
        *parents, leaf = key.split(".")
        node = nested
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if not isinstance(node.get(leaf), dict):
            node[leaf] = flat[key]
    return nested


# ---------------------------------------------------------------------------------------------
# `config` and `summary` columns holding one dict per run (the W&B docs' export snippet)

_LITERAL_NAMES = {
    "nan": float("nan"),
    "NaN": float("nan"),
    "inf": float("inf"),
    "Infinity": float("inf"),
    "true": True,
    "false": False,
    "null": None,
}


def parse_literal(text: str) -> Any:
    """A JSON or Python literal (dicts, lists, numbers, nan/inf); None when it is neither.

    Nothing is evaluated: the text is parsed into a syntax tree, the few bare names that appear
    in dumped floats are swapped for constants, and `ast.literal_eval` refuses everything else.
    """
    if len(text) > MAX_LITERAL_CHARS:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    try:
        tree = _NamedConstants().visit(ast.parse(text.strip(), mode="eval"))
        return ast.literal_eval(tree)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None


class _NamedConstants(ast.NodeTransformer):
    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in _LITERAL_NAMES:
            return ast.copy_location(ast.Constant(_LITERAL_NAMES[node.id]), node)
        return node


def _has_dict_columns(frame: pd.DataFrame) -> bool:
    for column in ("config", "summary"):
        if column in frame.columns:
            present = frame[column].dropna()
            if not present.empty and present.map(lambda v: isinstance(v, str) and v.startswith("{")).all():
                return True
    return False


def _sweep_from_dict_columns(raw: RawTable, name: str) -> Sweep:
    frame = raw.frame
    columns = [str(c) for c in frame.columns]
    meta = _aliased_meta(columns)
    id_column = next((c for c in columns if c.lower() in ID_ALIASES), None)
    roles = ColumnRoles(meta=meta, id_column=id_column)
    index, index_note, _ = _run_index(frame, roles)
    skipped = list(raw.skipped)
    records = [
        _record_from_row(frame.loc[i], run_id, meta, skipped)
        for i, run_id in zip(frame.index, index, strict=True)
    ]
    sweep = sweep_from_records(
        records, source=f"{name} ({TableShape.WANDB_API.value}, {len(records)} runs)", skipped=skipped
    )
    notes = [*raw.notes, "Config and summary were read from dict columns, one dict per run."]
    return sweep.replace(notes=[*notes, *([index_note] if index_note else []), *sweep.notes])


def _record_from_row(
    row: pd.Series, run_id: str, meta: Mapping[str, str], skipped: list[tuple[str, str]]
) -> RunRecord:
    fields = {m: row[c] for c, m in meta.items() if pd.notna(row[c])}
    return RunRecord(
        run_id=run_id,
        config=_unwrapped_config(_dict_cell(row, "config", run_id, skipped)),
        summary=_dict_cell(row, "summary", run_id, skipped),
        name=str(fields[RUN_NAME]) if RUN_NAME in fields else None,
        state=_run_state(fields.get(RUN_STATE)),
        sweep_id=str(fields[RUN_SWEEP]) if RUN_SWEEP in fields else None,
        group=str(fields[RUN_GROUP]) if RUN_GROUP in fields else None,
        tags=_tags(fields.get(RUN_TAGS)),
        created=_timestamp(fields.get(RUN_CREATED)),
        runtime=None,
    )


def _dict_cell(row: pd.Series, column: str, run_id: str, skipped: list[tuple[str, str]]) -> dict[str, Any]:
    if column not in row.index or pd.isna(row[column]):
        return {}
    parsed = parse_literal(str(row[column]))
    if isinstance(parsed, dict):
        return parsed
    skipped.append((f"{column} of run {run_id}", "not a readable dict; left empty"))
    return {}


def _unwrapped_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Raw config.yaml style `{key: {value: ..., desc: ...}}` becomes `{key: value}`."""
    wrapped = config and all(isinstance(v, Mapping) and "value" in v for v in config.values())
    return {k: v["value"] for k, v in config.items()} if wrapped else dict(config)


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    parsed = parse_literal(value) if isinstance(value, str) and value.startswith("[") else None
    items: Iterable[Any] = parsed if isinstance(parsed, list) else str(value).split(",")
    return tuple(t for t in (str(item).strip() for item in items) if t)


def _timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    stamp = pd.to_datetime(str(value), utc=True, errors="coerce")
    return None if pd.isna(stamp) else stamp.to_pydatetime()
