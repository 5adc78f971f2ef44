"""One run file's logged rows, columnar: every numeric value of a `run-<id>.wandb` or a
`files/wandb-history.jsonl`, by key and row, so any metric and step key is then a cheap join.

A `.wandb` file's history records are picked from its payloads by their first field (the records
are otherwise skipped at load time) and decoded many at once: the payloads are wrapped as the
repeated field of a batch message, and read through a view of W&B's `HistoryRecord` built from
`record_class()`'s own field numbers, in which the repeated `item` is declared as ONE message.
Protobuf merges repeated occurrences of a singular message field and appends their repeated
fields, so each row's keys and JSON values arrive as two lists instead of one object per item.
That holds when every item names its key by one path part (or every item by `key`), as W&B writes
scalars; a row with a logged dict (a path of several parts) is decoded item by item with `Record`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from lib.sources import limits
from lib.sources.limits import size_text
from lib.sources.reading import open_regular
from lib.sources.safe_load import MAX_DOCUMENT_BYTES, load_json
from lib.sources.wandb.run_log_frames import read_payloads
from lib.sources.wandb.run_log_proto import HISTORY_FIELD, record_class

MAX_VALUES = limits.HISTORY_VALUES.value()  # numbers kept from one file's history
STEP_KEY = "_step"
CHUNK_ROWS = 2000  # history records decoded in one batch: bounds what a huge file holds at once
_NO_CODE = -1


@dataclass(frozen=True)
class FileHistory:
    """Every number a file logged, by key: key `k` (coded `codes_of[k]`) was logged at rows
    `rows[starts[c]:starts[c + 1]]` (increasing, the last value where a row logs it twice) with
    values `values[...]` at the same positions.

    `_step` is each record's `step.num` where it has one (it wins over the row's own `_step` item).
    `problem` says why reading stopped before the end, `cut` that the values budget did (its size).
    """

    codes_of: Mapping[str, int]
    starts: np.ndarray  # int64, one more than there are keys
    rows: np.ndarray  # int32
    values: np.ndarray  # float64 (NaN and infinities kept: the reader counts them)
    n_rows: int
    problem: str | None = None
    cut: int = 0  # the values budget, when it cut the file short

    def column(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """The rows logging `key` and its values there."""
        code = self.codes_of.get(key, _NO_CODE)
        if code == _NO_CODE:
            return _NO_ROWS, _NO_VALUES
        start, end = self.starts[code], self.starts[code + 1]
        return self.rows[start:end], self.values[start:end]

    @property
    def nbytes(self) -> int:
        names = sum(len(k) + 80 for k in self.codes_of)  # a str and its dict slot
        return self.starts.nbytes + self.rows.nbytes + self.values.nbytes + names + 200


_NO_ROWS = np.zeros(0, dtype=np.int32)
_NO_VALUES = np.zeros(0, dtype=np.float64)


class _Columns:
    """Rows as they are read (keys, JSON texts or numbers), into one `FileHistory`, within the budget."""

    def __init__(self, max_values: int) -> None:
        self.codes_of: dict[str, int] = {}
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.n_rows = self.n_values = 0
        self.max_values = max_values
        self.cut = 0

    def add(self, keys: list[str], texts: list[Any], counts: list[int]) -> None:
        """`counts[r]` entries of `keys`/`texts` per row, in order; texts that are not numbers are
        left out. Rows past the values budget are not kept, and `cut` says so."""
        if self.n_values + len(keys) > self.max_values:
            fits = np.cumsum(counts) <= self.max_values - self.n_values
            counts = counts[: int(fits.sum())]
            keys, texts = keys[: sum(counts)], texts[: sum(counts)]
            self.cut = self.max_values
        rows = np.repeat(np.arange(self.n_rows, self.n_rows + len(counts), dtype=np.int32), counts)
        values, numeric = _numbers(texts)
        codes_of = self.codes_of
        codes = np.array([codes_of.setdefault(k, len(codes_of)) for k in keys], dtype=np.int32)
        if numeric is not None:
            codes, rows = codes[numeric], rows[numeric]
        self.parts.append((codes, rows, values))
        self.n_rows += len(counts)
        self.n_values += len(values)

    def result(self, problem: str | None) -> FileHistory:
        """The entries grouped by key (in row order, the last of a row's repeats kept)."""
        if not self.parts:
            codes, rows, values = np.zeros(0, dtype=np.int32), _NO_ROWS.copy(), _NO_VALUES.copy()
        else:
            codes, rows, values = (np.concatenate(p) for p in zip(*self.parts, strict=True))
        order = np.lexsort((np.arange(len(codes)), rows, codes))  # by key, row, then log order
        codes, rows, values = codes[order], rows[order], values[order]
        last = np.ones(len(codes), dtype=bool)
        last[:-1] = (codes[1:] != codes[:-1]) | (rows[1:] != rows[:-1])
        codes, rows, values = codes[last], rows[last], values[last]
        starts = np.searchsorted(codes, np.arange(len(self.codes_of) + 1))
        return FileHistory(self.codes_of, starts, rows, values, self.n_rows, problem, self.cut)


def _numbers(texts: list[Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """The texts as floats; when some are not numbers (strings, lists, booleans), the numbers and
    a mask of where they were. JSON's number grammar is a subset of what float() reads."""
    try:
        return np.array(texts, dtype=np.float64), None
    except ValueError:
        pass
    numeric = np.zeros(len(texts), dtype=bool)
    values = np.zeros(len(texts), dtype=np.float64)
    for i, text in enumerate(texts):
        try:
            values[i] = float(text)
            numeric[i] = True
        except (ValueError, TypeError):
            continue
    return values[numeric], numeric


# ---------------------------------------------------------------- run-<id>.wandb


def read_run_log_history(path: Path, *, max_values: int = MAX_VALUES) -> FileHistory:
    """Every numeric value the history records of a `.wandb` file logged (`SourceError` if it
    cannot be read); a damaged file is read up to the damage, and `problem` says where."""
    with open_regular(path, path.name) as handle:
        data = handle.read()
    payloads, problem = read_payloads(data)
    del data
    history = [p for p in payloads if _IS_HISTORY(p)]
    del payloads
    columns = _Columns(max_values)
    for start in range(0, len(history), CHUNK_ROWS):
        chunk = history[start : start + CHUNK_ROWS]
        decoded = _decode_rows(chunk)
        columns.add(*decoded.entries(chunk))
        if decoded.damaged:
            problem = decoded.damaged
        if decoded.damaged or columns.cut:
            break
    return columns.result(problem)


def _history_pattern() -> re.Pattern[bytes]:
    """`record_field(p) == HISTORY_FIELD` as one regex match: an optional `num` varint, then the
    tag of the history field (length-delimited)."""
    tag = re.escape(bytes(((HISTORY_FIELD << 3) | 2,)))
    return re.compile(rb"(?:\x08[\x80-\xff]{0,9}[\x00-\x7f])?" + tag)


_IS_HISTORY = _history_pattern().match
_VARINTS = [bytes((n,)) if n < 128 else bytes((n & 0x7F | 0x80, n >> 7)) for n in range(1 << 14)]


def _varint(n: int) -> bytes:
    if n < len(_VARINTS):
        return _VARINTS[n]
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


DAMAGED = "a history record cannot be decoded: the file is damaged from there on"


@dataclass
class _Decoded:
    """A batch of history records: view records, or W&B's own `Record`s when `exact`."""

    records: Sequence[Any]
    exact: bool = False
    damaged: str | None = None  # why decoding stopped before the batch's end

    def entries(self, payloads: Sequence[bytes]) -> tuple[list[str], list[Any], list[int]]:
        """Keys, JSON texts (or step numbers) and the count per row, in log order."""
        keys: list[str] = []
        texts: list[Any] = []
        counts: list[int] = []
        for record, payload in zip(self.records, payloads, strict=False):
            history = record.history
            if self.exact:
                row_keys, row_texts = _exact_items(history)
            else:
                items = history.item
                row_keys, plain, row_texts = items.nested_key, items.key, items.value_json
                if plain and not row_keys and len(plain) == len(row_texts):
                    row_keys = plain  # every item named by `key` (older wandb)
                elif plain or len(row_keys) != len(row_texts):  # a logged dict: item by item
                    try:
                        row_keys, row_texts = _exact_items(record_class().FromString(payload).history)
                    except Exception:  # a field the view skips does not parse
                        self.damaged = DAMAGED
                        break
            keys.extend(row_keys)
            texts.extend(row_texts)
            n = len(row_texts)
            if history.HasField("step"):
                keys.append(STEP_KEY)
                texts.append(history.step.num)
                n += 1
            counts.append(n)
        return keys, texts, counts


def _decode_rows(payloads: Sequence[bytes]) -> _Decoded:
    """The records of `payloads` through the view, all at once; after a damaged record, the ones
    before it (decoded one by one)."""
    view = _views()
    if view is not None:
        try:
            framed = b"".join([b"\x0a" + _varint(len(p)) + p for p in payloads])  # Batch.record
            return _Decoded(view[0].FromString(framed).record)
        except Exception:  # protobuf's DecodeError: a payload passed its CRC yet does not parse
            pass
    decode = view[1].FromString if view is not None else record_class().FromString
    good: list[Any] = []
    for payload in payloads:
        try:
            good.append(decode(payload))
        except Exception:
            break
    return _Decoded(good, exact=view is None, damaged=None if len(good) == len(payloads) else DAMAGED)


def _exact_items(history: Any) -> tuple[list[str], list[str]]:
    """One row as W&B's own `HistoryRecord` holds it: a dict's path joined with dots, as the
    summary's keys are flattened."""
    keys = [".".join(item.nested_key) if item.nested_key else item.key for item in history.item]
    return keys, [item.value_json for item in history.item]


@functools.cache
def _views() -> tuple[type[Any], type[Any]] | None:
    """The batch and record view classes, built from the field numbers of `record_class()`; None
    when its layout is not the expected one."""
    try:
        return _build_views(record_class().DESCRIPTOR)
    except (KeyError, AttributeError, TypeError, ValueError):
        return None


def _build_views(record: Any) -> tuple[type[Any], type[Any]]:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    history = record.fields_by_name["history"]
    if history.number != HISTORY_FIELD:
        raise ValueError("history is not where run_log_proto says")
    item = history.message_type.fields_by_name["item"]
    step = history.message_type.fields_by_name["step"]
    names = item.message_type.fields_by_name
    types = descriptor_pb2.FieldDescriptorProto
    text, many, one = types.TYPE_STRING, types.LABEL_REPEATED, types.LABEL_OPTIONAL
    file = descriptor_pb2.FileDescriptorProto(name="sweepscope_history_view.proto", package="view")
    file.syntax = "proto3"
    layout = {
        "Items": [(n, names[n].number, text, many, "") for n in ("key", "nested_key", "value_json")],
        "Step": [("num", step.message_type.fields_by_name["num"].number, types.TYPE_INT64, one, "")],
        "History": [
            ("item", item.number, types.TYPE_MESSAGE, one, ".view.Items"),  # one message: merged
            ("step", step.number, types.TYPE_MESSAGE, one, ".view.Step"),
        ],
        "Record": [("history", history.number, types.TYPE_MESSAGE, one, ".view.History")],
        "Batch": [("record", 1, types.TYPE_MESSAGE, many, ".view.Record")],
    }
    for message_name, fields in layout.items():
        message = file.message_type.add(name=message_name)
        for name, number, kind, label, type_name in fields:
            added = message.field.add(name=name, number=number, type=kind, label=label)
            if type_name:
                added.type_name = type_name
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    batch = message_factory.GetMessageClass(pool.FindMessageTypeByName("view.Batch"))
    one_record = message_factory.GetMessageClass(pool.FindMessageTypeByName("view.Record"))
    return batch, one_record


# ---------------------------------------------------------------- files/wandb-history.jsonl


def read_jsonl_history(path: Path, *, max_values: int = MAX_VALUES) -> FileHistory:
    """Every numeric value of a `wandb-history.jsonl` (one JSON object per row; dicts flattened
    with dots, media left out). A line that is not a JSON object (one cut while being written)
    is left out, and `problem` counts them."""
    columns = _Columns(max_values)
    bad = 0
    with open_regular(path, path.name) as handle:
        for lines in _line_chunks(handle):
            keys: list[str] = []
            texts: list[Any] = []
            counts: list[int] = []
            for line in lines:
                row = _json_row(line)
                if row is None:
                    bad += bool(line.strip())  # OVERLONG too
                    continue
                before = len(keys)
                for key, value in _numeric_items(row, ""):
                    keys.append(key)
                    texts.append(value)
                counts.append(len(keys) - before)
            columns.add(keys, texts, counts)
            if columns.cut:
                break
    if not bad:
        return columns.result(None)
    said = (
        "1 line that is not a JSON object was"
        if bad == 1
        else f"{bad:,} lines that are not JSON objects were"
    )
    return columns.result(
        f"{said} left out (cut short while being written, or over {size_text(MAX_DOCUMENT_BYTES)})"
    )


def _line_chunks(handle: BinaryIO) -> Iterator[list[bytes]]:
    chunk: list[bytes] = []
    for line in _bounded_lines(handle):
        chunk.append(line)
        if len(chunk) == CHUNK_ROWS:
            yield chunk
            chunk = []
    yield chunk


OVERLONG = b"\0"  # in place of a line over the per-document budget, never held whole


def _bounded_lines(handle: BinaryIO) -> Iterator[bytes]:
    while line := handle.readline(MAX_DOCUMENT_BYTES + 1):
        if len(line) <= MAX_DOCUMENT_BYTES or line.endswith(b"\n"):
            yield line
            continue
        while line and not line.endswith(b"\n"):  # skip the rest of it
            line = handle.readline(MAX_DOCUMENT_BYTES + 1)
        yield OVERLONG


def _json_row(line: bytes) -> dict[str, Any] | None:
    if line is OVERLONG or not line.strip():
        return None
    try:
        row = load_json(line, "a line of wandb-history.jsonl")
    except (ValueError, UnicodeDecodeError):  # OverBudget (a SourceError) too
        return None
    return row if isinstance(row, dict) else None


def _numeric_items(row: Mapping[str, Any], prefix: str) -> Iterable[tuple[str, float]]:
    for key, value in row.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            yield f"{prefix}{key}", float(value)  # load_json bounds an integer's digits
        elif isinstance(value, dict) and "_type" not in value:  # media and tables are dicts with _type
            yield from _numeric_items(value, f"{prefix}{key}.")


def read_file_history(path: Path, *, max_values: int | None = None) -> FileHistory:
    """A `.wandb` or a `.jsonl` file's history; `SourceError` or `OSError` if it cannot be read.
    `max_values` defaults to the SWEEPSCOPE_MAX_HISTORY_VALUES budget."""
    max_values = MAX_VALUES if max_values is None else max_values
    if path.suffix == ".jsonl":
        return read_jsonl_history(path, max_values=max_values)
    return read_run_log_history(path, max_values=max_values)
