"""Reading a runs table's bytes into cells: CSV, TSV or Parquet, any encoding, ragged rows skipped."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lib.sources import limits
from lib.sources.errors import SourceError
from lib.sources.table.cells import MISSING_TOKENS, settle_columns

PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"
MAX_SKIPPED_LISTED = 50
_NEWLINES = re.compile(r"\r\n?")


@dataclass
class RawTable:
    """Cells as read, before anyone decides what the columns mean."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def read_raw_table(data: bytes, name: str) -> RawTable:
    """The cells of a table; the content decides the format, `name`'s suffix only when it cannot."""
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
    delimiter = _delimiter_for(text, suffix)
    _check_columns(_header_width(text, delimiter), name)
    raw = _read_delimited(text, delimiter=delimiter, name=name)
    raw = _within_rows(raw, name, n_rows=_line_count(text) - 1)
    if encoding_note:
        raw.notes.append(encoding_note)
    if suffix in PARQUET_SUFFIXES:
        raw.notes.append(f"{name} is named like a Parquet file but holds text; it was read as CSV.")
    return raw


def _header_width(text: str, delimiter: str) -> int:
    header = next((line for line in text.split("\n", 1000) if line.strip()), "")
    return header.count(delimiter) + 1  # an upper bound: quoted delimiters count too


def _check_columns(n_columns: int, name: str) -> None:
    """Refuse, before parsing, a table wider than the budget: it would take minutes to read."""
    budget = limits.TABLE_COLUMNS.value()
    if n_columns > budget:
        raise SourceError(
            f"{name!r} has {n_columns:,} columns, over the budget of {budget:,} "
            f"{limits.TABLE_COLUMNS.what} ({limits.TABLE_COLUMNS.how_to_raise}). A runs table has one "
            "column per parameter or metric: check that the file is not transposed."
        )


def _line_count(text: str) -> int:
    return text.count("\n") + (not text.endswith("\n"))


def _within_rows(raw: RawTable, name: str, n_rows: int | None = None) -> RawTable:
    """The first rows up to the budget; the rest listed as skipped with the limit to raise.
    `n_rows`: how many rows the file holds when only the first were parsed (about: lines)."""
    budget = limits.TABLE_ROWS.value()
    capped_by_parser = n_rows is not None and len(raw.frame) == budget
    extra = (n_rows if capped_by_parser and n_rows is not None else len(raw.frame)) - budget
    if extra <= 0:
        return raw
    reason = f"over the budget of {budget:,} {limits.TABLE_ROWS.what} ({limits.TABLE_ROWS.how_to_raise})"
    raw.skipped.append((f"{extra:,} row(s) after row {budget:,} of {name}", reason))
    return RawTable(frame=raw.frame.iloc[:budget], notes=raw.notes, skipped=raw.skipped)


def capped(skipped: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """At most `MAX_SKIPPED_LISTED` skipped items, then one line counting the rest."""
    if len(skipped) <= MAX_SKIPPED_LISTED:
        return skipped
    rest = len(skipped) - MAX_SKIPPED_LISTED
    return [*skipped[:MAX_SKIPPED_LISTED], (f"{rest} more row(s)", "same problem as above")]


def free_name(name: str, taken: Container[str]) -> str:
    """`name`, or the first of `name.1`, `name.2`, ... that is not taken."""
    candidate, copy = name, 0
    while candidate in taken:
        copy += 1
        candidate = f"{name}.{copy}"
    return candidate


def _decode_text(data: bytes, name: str) -> tuple[str, str | None]:
    """The file as text with every line end as `\n` (old Mac exports end lines with a bare `\r`)
    and, unless it was UTF-8, a note naming the encoding used."""
    text, note = _decoded(data, name)
    return _NEWLINES.sub("\n", text) if "\r" in text else text, note


def _decoded(data: bytes, name: str) -> tuple[str, str | None]:
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
            return RawTable(frame=settle_columns(frame), notes=_duplicate_name_notes(text, delimiter))
    return _read_delimited_row_by_row(text, delimiter=delimiter, name=name)


def _read_csv_text(text: str, delimiter: str) -> pd.DataFrame:
    return pd.read_csv(
        io.StringIO(text),
        nrows=limits.TABLE_ROWS.value(),  # the rest is listed as skipped: parsing it costs minutes
        sep=delimiter,
        decimal="," if delimiter == ";" else ".",  # `;` tables come from locales writing 0,5
        engine="c",
        index_col=False,  # a trailing delimiter on every row is not an index column
        na_values=MISSING_TOKENS,
        keep_default_na=False,  # `None` stays a value (a category), see `cells.settle_text`
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
    return RawTable(frame=settle_columns(frame), notes=notes, skipped=capped(skipped))


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
    import pyarrow.parquet as pq

    try:
        _check_columns(pq.ParquetFile(io.BytesIO(data)).metadata.num_columns, name)
        frame = pd.read_parquet(io.BytesIO(data))
    except (OSError, ValueError, pa.ArrowException) as error:
        raise SourceError(
            f"{name!r} starts like a Parquet file but could not be read ({error}). Write it again, "
            "or export the runs table as CSV."
        ) from error
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    frame.columns = _unique_names([str(c) for c in frame.columns])
    return _within_rows(RawTable(frame=settle_columns(frame)), name)


def _unique_names(names: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for position, name in enumerate(names):
        candidate = free_name(name or f"Unnamed: {position}", seen)
        seen.add(candidate)
        out.append(candidate)
    return out
