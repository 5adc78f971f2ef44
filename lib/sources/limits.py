"""Every budget a source reader keeps, in one place: its default, and the environment variable
that raises it.

Values are read once, when Sweepscope starts (set the variable before starting it). A value that is
not a positive whole number is ignored with a warning, so a typo cannot turn a limit off. Messages
about a limit name its variable (`how_to_raise`), so whoever runs Sweepscope can act on them.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limit:
    """One budget: `default` in `unit`s, raised by the environment variable `env_var`."""

    env_var: str
    default: int
    what: str
    unit: int = 1  # MB for byte budgets: the variable is written in MB

    def value(self, env: Mapping[str, str] | None = None) -> int:
        """The budget in bytes or items: the variable's value when it is a positive whole number."""
        text = (os.environ if env is None else env).get(self.env_var, "").strip().replace("_", "")
        if not text:
            return self.default * self.unit
        if text.isdigit() and int(text) > 0:
            return int(text) * self.unit
        warnings.warn(
            f"{self.env_var}={text!r} is not a positive whole number; using {self.default:,}",
            stacklevel=2,
        )
        return self.default * self.unit

    @property
    def how_to_raise(self) -> str:
        return f"set {self.env_var} to raise it"


# ---------------------------------------------------------------- one document (config.yaml, *.json)
FILE_MB = Limit("SWEEPSCOPE_MAX_FILE_MB", 20, "MB per config.yaml or JSON file", MB)
VALUES = Limit("SWEEPSCOPE_MAX_VALUES", 200_000, "values per document, YAML aliases expanded")
DEPTH = Limit("SWEEPSCOPE_MAX_DEPTH", 100, "levels of nesting")
INT_DIGITS = Limit("SWEEPSCOPE_MAX_INT_DIGITS", 100, "digits in one integer")
VALUE_MB = Limit("SWEEPSCOPE_MAX_VALUE_MB", 1, "MB for one config or summary value", MB)

# ---------------------------------------------------------------- one run, one upload
KEYS_PER_RUN = Limit("SWEEPSCOPE_MAX_KEYS_PER_RUN", 10_000, "config and summary keys per run")
ZIP_MB = Limit("SWEEPSCOPE_MAX_ZIP_MB", 500, "MB unpacked from one zip", MB)
ZIP_FILES = Limit("SWEEPSCOPE_MAX_ZIP_FILES", 20_000, "files in one zip")

# ---------------------------------------------------------------- tables and folders
# Named here so every reader takes its budget from one place; the table and folder readers apply them.
RUN_FOLDERS = Limit("SWEEPSCOPE_MAX_RUN_FOLDERS", 20_000, "run folders in one wandb/ folder")
TABLE_COLUMNS = Limit("SWEEPSCOPE_MAX_TABLE_COLUMNS", 10_000, "columns in one runs table")
TABLE_ROWS = Limit("SWEEPSCOPE_MAX_TABLE_ROWS", 1_000_000, "rows in one runs table")
LOAD_MB = Limit("SWEEPSCOPE_MAX_LOAD_MB", 2_000, "MB read for one load", MB)

ALL_LIMITS: tuple[Limit, ...] = (
    FILE_MB,
    VALUES,
    DEPTH,
    INT_DIGITS,
    VALUE_MB,
    KEYS_PER_RUN,
    ZIP_MB,
    ZIP_FILES,
    RUN_FOLDERS,
    TABLE_COLUMNS,
    TABLE_ROWS,
    LOAD_MB,
)


def size_text(size: int) -> str:
    """'20 MB', '512 KB': how a byte budget or a file's size is shown in messages."""
    return f"{size / MB:,.0f} MB" if size >= MB else f"{size / 1024:,.0f} KB"


# ---------------------------------------------------------------- history (read when asked for, not at load)
HISTORY_VALUES = Limit(
    "SWEEPSCOPE_MAX_HISTORY_VALUES", 10_000_000, "logged numbers read from one run file's history"
)
ALL_LIMITS = (*ALL_LIMITS, HISTORY_VALUES)
